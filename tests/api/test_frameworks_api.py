"""HTTP contract of the framework, level, comparison and meta endpoints (API.md)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert "details" not in body  # RFC 9457 says "detail"
    return body


class TestMeta:
    def test_healthz(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_meta_names_versions(self, client: TestClient) -> None:
        body = client.get("/v1/meta").json()
        assert body["app_version"]
        assert len(body["data_release"]["content_hash"]) == 64
        assert body["schema_revision"]
        assert body["framework_versions"]["IE-NFQ"]
        assert body["confidence_scale"]["high"] > body["confidence_scale"]["medium"]

    def test_openapi_lists_the_contract_paths(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        for path in (
            "/v1/frameworks",
            "/v1/frameworks/{framework}",
            "/v1/frameworks/{framework}/levels/{code}",
            "/v1/compare",
            "/v1/compare/matrix",
            "/v1/qualification-types",
            "/v1/meta",
            "/healthz",
        ):
            assert path in paths


class TestFrameworks:
    def test_list_carries_the_data_release(self, client: TestClient) -> None:
        body = client.get("/v1/frameworks").json()
        ids = [f["id"] for f in body["items"]]
        assert "EQF" in ids and "IE-NFQ" in ids
        assert body["data_release"]["id"]
        member = {
            "id",
            "title",
            "jurisdiction",
            "uris",
            "version",
            "valid_from",
            "valid_to",
            "eqf_referenced",
            "referencing_date",
            "sources",
        }
        assert member <= set(body["items"][1])

    @pytest.mark.parametrize(
        ("jurisdiction", "expected"),
        [
            ("IE", {"IE-NFQ"}),
            ("BE", {"BE-FL-FQF", "BE-FR-CFC", "BE-DG-QDG"}),
            ("GB-SCT", {"UK-SCT-SCQF"}),
        ],
    )
    def test_filter_by_jurisdiction(
        self, client: TestClient, jurisdiction: str, expected: set[str]
    ) -> None:
        body = client.get("/v1/frameworks", params={"jurisdiction": jurisdiction}).json()
        assert {f["id"] for f in body["items"]} == expected

    def test_filter_by_text(self, client: TestClient) -> None:
        body = client.get("/v1/frameworks", params={"q": "Irish"}).json()
        assert [f["id"] for f in body["items"]] == ["IE-NFQ"]

    @pytest.mark.parametrize(
        "identifier",
        [
            "IE-NFQ",
            "ie-nfq",
            "IE",
            "http://data.europa.eu/snb/qdr/c_01169e3f",
            "http://data.europa.eu/esco/qdr/QF/IE",
        ],
    )
    def test_every_framework_identifier_form(self, client: TestClient, identifier: str) -> None:
        response = client.get(f"/v1/frameworks/{identifier}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == "IE-NFQ"
        assert [lvl["code"] for lvl in body["levels"]] == [str(n) for n in range(1, 11)]
        level8 = body["levels"][7]
        assert level8["eqf_levels"][0]["eqf_level"] == 6
        assert level8["eqf_levels"][0]["source"]

    def test_level(self, client: TestClient) -> None:
        body = client.get("/v1/frameworks/IE/levels/8").json()
        assert body["framework"] == "IE-NFQ"
        assert body["uris"] == ["http://data.europa.eu/snb/qdr/c_218a7e54"]
        assert "Honours Bachelor Degree" in body["qualification_types"]

    def test_unreferenced_level_says_why(self, client: TestClient) -> None:
        body = client.get("/v1/frameworks/MT-MQF/levels/a").json()
        assert body["code"] == "A"
        assert body["eqf_levels"] == []
        assert body["not_referenced"]

    def test_unknown_framework_is_a_404_problem(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/frameworks/XX-NOPE"), 404)
        assert body["errors"][0]["parameter"] == "framework"

    def test_unknown_level_is_a_404_problem(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/frameworks/IE-NFQ/levels/42"), 404)
        assert "42" in body["detail"]

    def test_ambiguous_jurisdiction_is_a_409_problem_listing_candidates(
        self, client: TestClient
    ) -> None:
        body = assert_problem(client.get("/v1/frameworks/BE"), 409)
        assert body["candidates"] == ["BE-DG-QDG", "BE-FL-FQF", "BE-FR-CFC"]


class TestCompare:
    @pytest.mark.parametrize(
        "source",
        [
            "IE-NFQ:8",
            "IE:8",
            "ie-nfq:8",
            "http://data.europa.eu/snb/qdr/c_218a7e54",
            "http://data.europa.eu/snb/qdr/c_01169e3f:8",
        ],
    )
    def test_every_level_identifier_form(self, client: TestClient, source: str) -> None:
        response = client.get("/v1/compare", params={"source": source, "target": "DE"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["source"]["framework"] == "IE-NFQ" and body["source"]["code"] == "8"
        (match,) = body["matches"]
        assert match["level"]["code"] == "6"
        assert match["eqf_level"] == 6
        assert match["match_type"] == "broad"  # DE 6 also holds what NFQ 7 holds
        assert match["path"] == ["IE-NFQ:8", "EQF:6", "DE-DQR:6"]
        assert len(match["provenance"]) == 2
        assert all(step["sources"] for step in match["provenance"])
        assert 0 < match["confidence"] <= 1
        assert body["data_release"]["content_hash"]

    def test_eqf_uri_as_source(self, client: TestClient) -> None:
        body = client.get(
            "/v1/compare", params={"source": "http://data.europa.eu/snb/eqf/6", "target": "IE-NFQ"}
        ).json()
        assert [m["level"]["code"] for m in body["matches"]] == ["7", "8"]

    def test_not_referenced_is_an_empty_list_with_a_reason(self, client: TestClient) -> None:
        body = client.get("/v1/compare", params={"source": "MT:A", "target": "EQF"}).json()
        assert body["matches"] == []
        assert body["reason"] == "not_referenced"

    def test_not_valid_at_date(self, client: TestClient) -> None:
        body = client.get(
            "/v1/compare", params={"source": "FR-CNCP:V", "target": "DE-DQR", "as_of": "2024-01-01"}
        ).json()
        assert body["matches"] == []
        assert body["reason"] == "not_valid_at_date"
        assert body["as_of"] == "2024-01-01"

    def test_bad_date_names_the_parameter(self, client: TestClient) -> None:
        body = assert_problem(
            client.get(
                "/v1/compare", params={"source": "IE:8", "target": "DE", "as_of": "2024-13-45"}
            ),
            422,
        )
        assert body["errors"][0]["parameter"] == "as_of"

    def test_missing_parameter_is_named(self, client: TestClient) -> None:
        body = assert_problem(client.get("/v1/compare", params={"source": "IE:8"}), 422)
        assert {e["parameter"] for e in body["errors"]} == {"target"}

    def test_unknown_source_level_names_the_parameter(self, client: TestClient) -> None:
        body = assert_problem(
            client.get("/v1/compare", params={"source": "IE:99", "target": "DE"}), 404
        )
        assert body["errors"][0]["parameter"] == "source"

    def test_matrix(self, client: TestClient) -> None:
        body = client.get("/v1/compare/matrix", params={"frameworks": "IE,UK-SCT-SCQF"}).json()
        assert body["frameworks"] == ["IE-NFQ", "UK-SCT-SCQF"]
        rows = {f"{r['level']['framework']}:{r['level']['code']}": r for r in body["rows"]}
        assert len(rows) == 10 + 12
        assert rows["UK-SCT-SCQF:7"]["eqf_levels"] == [5]
        cells = {c["target"]: c for c in rows["IE-NFQ:8"]["comparisons"]}
        assert set(cells) == {"EQF", "UK-SCT-SCQF"}
        assert cells["EQF"]["matches"] == ["6"]

    def test_matrix_with_an_unknown_framework(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/compare/matrix", params={"frameworks": "IE,NOPE"}), 404)


class TestQualificationTypes:
    def test_honours_bachelor_in_ireland(self, client: TestClient) -> None:
        body = client.get(
            "/v1/qualification-types", params={"q": "honours bachelor", "jurisdiction": "IE"}
        ).json()
        best = body["items"][0]
        assert best["name"] == "Honours Bachelor Degree"
        assert best["level"]["framework"] == "IE-NFQ" and best["level"]["code"] == "8"
        assert best["eqf_level"] == 6
        assert best["source"]["title"]

    def test_empty_query_is_refused(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/qualification-types", params={"q": ""}), 422)


class TestErrors:
    def test_unknown_path_is_a_problem(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/nothing-here"), 404)

    def test_method_not_allowed_is_a_problem(self, client: TestClient) -> None:
        assert_problem(client.post("/v1/frameworks"), 405)

    def test_oversized_body_is_a_413_problem(self, sqlite_client: TestClient) -> None:
        too_big = b"x" * (sqlite_client.app.state.settings.max_body_bytes + 1)  # type: ignore[attr-defined]
        response = sqlite_client.post("/v1/frameworks", content=too_big)
        assert_problem(response, 413)
