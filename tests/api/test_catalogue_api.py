"""``/v1/qualifications`` through the API on both databases: status codes, problem documents,
idempotent import, search with every framework identifier form, pagination."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def programme(title: str, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": title,
        "institution": {"name": "Toy College Dublin", "country": "IE"},
        "code": "TOY-" + title[-8:],
        "award": "Master of Science",
        "level": "IE-NFQ:9",
        "credits": {"value": 20, "system": "ects"},
        "isced_f": "0613",
        "modules": [
            {
                "code": "M1",
                "title": "Data Programming",
                "credits": {"value": 10, "system": "ects"},
                "level": "9",
                "learning_outcomes": ["Write data pipelines.", "Test them."],
            },
            {
                "code": "M2",
                "title": "Machine Learning",
                "credits": {"value": 10, "system": "ects"},
                "prerequisites": ["M1"],
                "learning_outcomes": ["Build and evaluate models."],
            },
        ],
    }
    doc.update(overrides)
    return doc


def unique(prefix: str = "Quantum Basketry") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_post_get_and_idempotent_repost(client: TestClient) -> None:
    doc = programme(unique())
    first = client.post("/v1/qualifications", json=doc)
    assert first.status_code == 201, first.text
    body = first.json()
    [item] = body["items"]
    assert item["created"] and body["created"] == 1
    assert first.headers["location"] == f"/v1/qualifications/{item['id']}"
    assert set(body["data_release"]) == {"id", "content_hash"}

    again = client.post("/v1/qualifications", json=doc)
    assert again.status_code == 200
    assert again.json()["items"][0]["id"] == item["id"]
    assert again.json()["already_stored"] == 1

    got = client.get(f"/v1/qualifications/{item['id']}")
    assert got.status_code == 200
    p = got.json()
    assert p["level"] == {
        "id": "IE-NFQ:9",
        "framework": "IE-NFQ",
        "code": "9",
        "label": p["level"]["label"],
    }
    assert p["eqf_level"] == 7
    assert p["credits"]["system"] == "ects"
    assert p["isced_f_label"] == "Software and applications development and analysis"
    assert [m["code"] for m in p["modules"]] == ["M1", "M2"]
    assert p["modules"][0]["learning_outcomes"] == ["Write data pipelines.", "Test them."]
    assert p["modules"][1]["prerequisites"] == ["M1"]
    assert p["content_hash"] == item["content_hash"]
    assert p["data_release"]["content_hash"] == body["data_release"]["content_hash"]

    modules = client.get(f"/v1/qualifications/{item['id']}/modules")
    assert modules.status_code == 200
    assert modules.json()["total"] == 2
    assert modules.json()["items"][0]["level"]["id"] == "IE-NFQ:9"
    assert "data_release" in modules.json()


def test_a_list_is_stored_atomically(client: TestClient) -> None:
    good, bad = programme(unique()), programme(unique())
    bad["modules"][1]["prerequisites"] = ["M9"]
    response = client.post("/v1/qualifications", json=[good, bad])
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "pointer": "/1/modules/1/prerequisites/0",
            "detail": "prerequisite 'M9' is not a module of this programme",
            "code": "unknown_prerequisite",
        }
    ]
    # Nothing of the list was stored.
    found = client.get("/v1/qualifications", params={"q": good["title"], "limit": 200}).json()
    assert good["title"] not in {i["title"] for i in found["items"]}
    bad["modules"][1]["prerequisites"] = ["M1"]
    ok = client.post("/v1/qualifications", json={"programmes": [good, bad]})
    assert ok.status_code == 201
    assert [i["where"] for i in ok.json()["items"]] == ["/programmes/0", "/programmes/1"]


def test_validation_problems_name_every_field(client: TestClient) -> None:
    doc = programme(unique(), level="IE:99", isced_f="0699", extra="x")
    body = assert_problem(client.post("/v1/qualifications", json=doc), 422)
    assert body["errors"][0]["pointer"] == "/extra"
    doc.pop("extra")
    body = assert_problem(client.post("/v1/qualifications", json=doc), 422)
    assert {e["pointer"] for e in body["errors"]} == {"/level", "/isced_f"}
    assert body["type"].endswith("/invalid-input")


def test_csv_body_and_its_errors(client: TestClient) -> None:
    title = unique()
    csv_text = (
        "institution_name,programme_title,programme_level,module_code,module_title,"
        "module_credits,module_credit_system,module_outcomes\n"
        f"Toy College,{title},IE:8,A,Alpha,5,ects,Explain a.|Apply a.\n"
        f"Toy College,{title},,B,Beta,x,ects,Explain b.\n"
    )
    body = assert_problem(
        client.post("/v1/qualifications", content=csv_text, headers={"content-type": "text/csv"}),
        422,
    )
    assert body["errors"][0]["row"] == 3
    assert body["errors"][0]["column"] == "module_credits"
    fixed = csv_text.replace(",x,", ",5,")
    ok = client.post("/v1/qualifications", content=fixed, headers={"content-type": "text/csv"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["items"][0]["where"] == "rows 2-3"


def test_bad_bodies(client: TestClient) -> None:
    assert_problem(
        client.post("/v1/qualifications", content=b"<x/>", headers={"content-type": "text/xml"}),
        415,
    )
    assert_problem(
        client.post(
            "/v1/qualifications", content=b"{", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert_problem(
        client.post(
            "/v1/qualifications", content=b" ", headers={"content-type": "application/json"}
        ),
        422,
    )


def test_unknown_id_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/qualifications/no-such-id"), 404)
    assert body["errors"] == [{"parameter": "id", "detail": body["detail"]}]
    assert_problem(client.get("/v1/qualifications/no-such-id/modules"), 404)


def test_search_pagination(client: TestClient) -> None:
    stem = unique("Underwater Origami")
    docs = [programme(f"{stem} {n}") for n in range(5)]
    assert client.post("/v1/qualifications", json=docs).status_code == 201
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(
            "/v1/qualifications", params={"q": stem, "limit": 2, "offset": offset}
        ).json()
        assert page["total"] == 5
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        offset = page["next_offset"]
    assert len(set(seen)) == 5
    assert all(
        i["score"] >= 70
        for i in client.get("/v1/qualifications", params={"q": stem}).json()["items"]
    )
    assert_problem(client.get("/v1/qualifications", params={"limit": 0}), 422)


def test_framework_filter_takes_every_identifier_form(client: TestClient) -> None:
    title = unique("Lunar Horticulture")
    scqf = programme(
        title,
        institution={"name": "Toy University Glasgow", "country": "GB"},
        level="UK-SCT-SCQF:11",
        credits={"value": 40, "system": "SCQF credit points"},
        modules=[
            {
                "code": "L1",
                "title": "Soil",
                "credits": {"value": 20, "system": "scqf"},
                "level": "11",
                "learning_outcomes": ["Assess soil."],
            },
            {
                "code": "L2",
                "title": "Light",
                "credits": {"value": 20, "system": "scqf"},
                "learning_outcomes": ["Measure light."],
            },
        ],
    )
    nfq = programme(title + " NFQ")
    assert client.post("/v1/qualifications", json=[scqf, nfq]).status_code == 201

    def titles(**params: str) -> set[str]:
        response = client.get("/v1/qualifications", params={"q": title, **params})
        assert response.status_code == 200, response.text
        return {i["title"] for i in response.json()["items"]}

    for form in ("UK-SCT-SCQF", "uk-sct-scqf", "GB-SCT"):
        assert titles(framework=form) == {title}, form
    for form in ("IE", "IE-NFQ", "http://data.europa.eu/snb/qdr/c_01169e3f"):
        assert titles(framework=form) == {title + " NFQ"}, form
    assert titles(framework="EQF") == {title, title + " NFQ"}
    assert titles(level="EQF:7") == {title, title + " NFQ"}
    assert titles(level="http://data.europa.eu/snb/eqf/7") == {title, title + " NFQ"}
    assert titles(level="7") == {title, title + " NFQ"}
    assert titles(framework="IE", level="9") == {title + " NFQ"}
    assert titles(level="IE:9") == {title + " NFQ"}
    assert titles(framework="IE", level="EQF:7") == {title + " NFQ"}
    assert titles(level="IE:8") == set()

    body = assert_problem(client.get("/v1/qualifications", params={"framework": "XX-NOPE"}), 404)
    assert body["errors"][0]["parameter"] == "framework"
    body = assert_problem(client.get("/v1/qualifications", params={"framework": "BE"}), 409)
    assert "candidates" in body
    body = assert_problem(
        client.get("/v1/qualifications", params={"framework": "IE", "level": "UK-SCT-SCQF:11"}),
        422,
    )
    assert body["errors"][0]["parameter"] == "level"


def test_schema_endpoint_and_openapi(client: TestClient) -> None:
    schema = client.get("/v1/qualification-formats/catalogue/schema").json()
    assert schema["title"] == "Passerelle catalogue programme"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/qualifications", "/v1/qualifications/{programme_id}"} <= set(paths)
    body = paths["/v1/qualifications"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(body)
