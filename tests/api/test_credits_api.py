"""HTTP contract of POST /v1/credits/convert and GET /v1/credits/systems."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_frameworks_api import assert_problem


def test_convert_one_target(sqlite_client: TestClient) -> None:
    r = sqlite_client.post(
        "/v1/credits/convert", json={"value": 10, "from": "uk-cats", "to": "ects"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    (c,) = body["conversions"]
    assert c["result"] == {"min": 5.0, "max": 5.0, "central": 5.0, "exact": True}
    assert c["kind"] == "rule"
    assert c["steps"][0]["sources"][0]["title"].startswith("QAA")
    assert body["credit_systems_version"]


def test_convert_several_targets_with_practice_warning(sqlite_client: TestClient) -> None:
    r = sqlite_client.post(
        "/v1/credits/convert",
        json={"value": 3, "from": "US semester credit hour", "to": ["ects", "hours"]},
    )
    ects, hours = r.json()["conversions"]
    assert (ects["result"]["min"], ects["result"]["max"]) == (4.5, 7.5)
    assert ects["kind"] == "practice"
    assert any("institutional practice" in w for w in ects["warnings"])
    assert hours["result"]["min"] == 135.0


def test_unknown_system_is_a_404_problem_naming_the_field(sqlite_client: TestClient) -> None:
    body = assert_problem(
        sqlite_client.post(
            "/v1/credits/convert", json={"value": 1, "from": "ects", "to": "parsecs"}
        ),
        404,
    )
    assert body["errors"][0]["pointer"] == "/to"


def test_bad_body_names_the_field(sqlite_client: TestClient) -> None:
    body = assert_problem(
        sqlite_client.post(
            "/v1/credits/convert", json={"value": -2, "from": "ects", "to": "hours"}
        ),
        422,
    )
    assert body["errors"][0]["pointer"] == "/value"


def test_not_json_is_a_problem(sqlite_client: TestClient) -> None:
    r = sqlite_client.post(
        "/v1/credits/convert", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(r, 422)


def test_systems(sqlite_client: TestClient) -> None:
    items = sqlite_client.get("/v1/credits/systems").json()["items"]
    ids = {s["id"] for s in items}
    assert {"ects", "uk-cats", "scqf", "cqfw", "nzqf", "us-semester", "us-quarter", "hours"} <= ids
