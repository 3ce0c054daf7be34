"""POST /v1/recognitions end to end: the official ELM sample against catalogue programmes,
review, verification, listing, precedents, and the problems of bad requests."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.settings import PROJECT_ROOT, EmbeddingSettings, Settings
from tests.api.test_frameworks_api import assert_problem
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS, headers

ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
SAMPLES = PROJECT_ROOT / "samples/catalogue"
# Reviews come from someone other than the admin who asked for the recommendation (four eyes).
REVIEWER = headers("reviewer", subject="test-reviewer")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = _backend_url(request.param, tmp_path_factory, "recognitions")
    return make_settings(url, embeddings=EmbeddingSettings(backend="fake"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    with TestClient(create_app(settings), headers=ADMIN_HEADERS) as client:
        yield client


@pytest.fixture(scope="module")
def programmes(api: TestClient) -> dict[str, str]:
    ids = {}
    for path in sorted(SAMPLES.glob("*.json")):
        r = api.post(
            "/v1/qualifications",
            content=path.read_bytes(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code in (200, 201), r.text
        ids[path.stem] = r.json()["items"][0]["id"]
    return ids


def _recognise(api: TestClient, **body: object) -> dict:  # type: ignore[type-arg]
    document = json.loads(ELM_MC.read_text(encoding="utf-8"))
    r = api.post("/v1/recognitions", json={"credential": document, **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_official_sample_against_a_programme(api: TestClient, programmes: dict[str, str]) -> None:
    record = _recognise(
        api,
        target="UK-SCT-SCQF",
        qualification_id=programmes["edinburgh-pgcert-digital-education"],
        purpose="credit_transfer",
    )
    assert set(record["elements"]) == {
        "level",
        "workload",
        "quality",
        "profile",
        "learning_outcomes",
    }
    for element in record["elements"].values():
        assert element["reason"]
    level = record["elements"]["level"]
    # RQF 6 (EQF 6) against SCQF 11 courses (EQF 7): one level below, substantial here.
    assert level["substantial"] is True
    assert any(e["kind"] == "level_edge" for e in level["evidence"])
    workload = record["elements"]["workload"]
    assert workload["finding"].startswith("2 ECTS")
    assert record["elements"]["quality"]["substantial"] is True  # the sample states no QA
    assert record["outcome"] in {"alternative", "conditional", "refusal", "partial", "full"}
    assert record["outcome"] == "alternative"
    assert "UK-SCT-SCQF level" in record["alternative"]
    assert record["status"] == "pending_review"
    assert record["credential"]["nqf_level"] == "UK-RQF:6"
    assert record["versions"]["policy"]["version"]
    assert record["versions"]["data_release"]["content_hash"]
    assert record["record"]["record_hash"] and len(record["record"]["input_hash"]) == 64
    assert "Lisbon Recognition Convention" in record["justification"]


def test_review_history_and_verification(api: TestClient, programmes: dict[str, str]) -> None:
    record = _recognise(api, target="UK-RQF", purpose="employment")
    rid = record["id"]
    confirmed = api.post(
        f"/v1/recognitions/{rid}/review",
        json={"action": "confirm", "reviewer": "A. Officer", "reason": "agreed"},
        headers={"If-Match": f'"{record["record"]["record_hash"]}"', **REVIEWER},
    ).json()
    assert confirmed["status"] == "reviewed"
    amended = api.post(
        f"/v1/recognitions/{rid}/review",
        json={
            "action": "amend",
            "reviewer": "B. Head",
            "reason": "QA verified with the issuer",
            "outcome": "partial",
            "conditions": ["none"],
            "based_on": confirmed["reviews"][-1]["review_hash"],
        },
        headers=REVIEWER,
    ).json()
    assert [r["action"] for r in amended["reviews"]] == ["confirm", "amend"]
    assert amended["current_outcome"] == "partial"
    assert amended["outcome"] == record["outcome"]  # the recommendation itself never changes
    check = api.get(f"/v1/recognitions/{rid}/verify").json()
    assert check == {**check, "valid": True, "checked_links": 3, "problems": []}
    export = api.get(f"/v1/recognitions/{rid}/export")
    assert export.headers["content-disposition"].startswith("attachment")
    assert export.json()["verification"]["valid"] is True


def test_precedents_are_returned_and_disagreement_flagged(
    api: TestClient, programmes: dict[str, str]
) -> None:
    first = _recognise(api, target="IE-NFQ", purpose="further_study")
    api.post(
        f"/v1/recognitions/{first['id']}/review",
        json={
            "action": "amend",
            "reviewer": "C",
            "reason": "different view",
            "outcome": "refusal",
            "based_on": first["record"]["record_hash"],
        },
        headers=REVIEWER,
    )
    second = _recognise(api, target="IE-NFQ", purpose="further_study")
    precedent = next(p for p in second["precedents"] if p["id"] == first["id"])
    assert precedent["similarity"] == 100.0
    assert precedent["outcome"] == "refusal"
    assert precedent["disagrees"] is (second["outcome"] != "refusal")


def test_listing_with_filters(api: TestClient, programmes: dict[str, str]) -> None:
    _recognise(api, target="IE-NFQ", purpose="admission")
    body = api.get("/v1/recognitions", params={"purpose": "admission", "limit": 1}).json()
    assert body["items"] and all(i["purpose"] == "admission" for i in body["items"])
    assert body["limit"] == 1


def test_stored_credential_by_id(api: TestClient) -> None:
    stored = api.post(
        "/v1/credentials", content=ELM_MC.read_bytes(), headers={"content-type": "application/json"}
    )
    assert stored.status_code in (200, 201), stored.text
    r = api.post("/v1/recognitions", json={"credential_id": stored.json()["id"], "target": "DE"})
    assert r.status_code == 201, r.text
    assert r.json()["credential"]["id"] == stored.json()["id"]


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"target": "DE"}, 422, "/credential"),
        ({"target": "NOPE", "credential": {"title": "x"}}, 404, "target"),
        ({"target": "DE", "credential_id": "0" * 8}, 404, None),
        ({"target": "DE", "purpose": "fun", "credential": {}}, 422, "/purpose"),
        ({"target": "DE", "credential": {}, "qualification_id": "missing"}, 404, None),
        ({"target": "DE", "credential": {"unrelated": 1}}, 422, "/credential"),
    ],
)
def test_bad_requests_are_problems(
    api: TestClient, body: dict, status: int, where: str | None
) -> None:  # type: ignore[type-arg]
    problem = assert_problem(api.post("/v1/recognitions", json=body), status)
    if where is not None:
        places = {e.get("pointer") or e.get("parameter") for e in problem.get("errors", [])}
        assert where in places, problem


def test_amending_needs_an_outcome_and_records_must_exist(api: TestClient) -> None:
    record = _recognise(api, target="DE", purpose="employment")
    problem = assert_problem(
        api.post(
            f"/v1/recognitions/{record['id']}/review",
            json={
                "action": "amend",
                "reviewer": "X",
                "reason": "y",
                "based_on": record["record"]["record_hash"],
            },
            headers=REVIEWER,
        ),
        422,
    )
    assert problem["errors"][0]["pointer"] == "/outcome"
    assert_problem(api.get("/v1/recognitions/does-not-exist"), 404)
    assert_problem(api.get("/v1/recognitions/does-not-exist/verify"), 404)
