"""Stackability over HTTP on both databases: held credentials (stored and inline) against a
programme — covered, remaining, ranked paths using catalogue micro-credentials with costs and
prerequisites — and what they stack into; problems of bad requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import PROJECT_ROOT, EmbeddingSettings, Settings
from tests.api.test_frameworks_api import assert_problem
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS

SAMPLES = PROJECT_ROOT / "samples/catalogue"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = _backend_url(request.param, tmp_path_factory, "pathways")
    return make_settings(url, embeddings=EmbeddingSettings(backend="fake"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    app = create_app(settings)
    app.state.jobs_autostart = False  # no batch jobs here
    with TestClient(app, headers=ADMIN_HEADERS) as client:
        yield client


def _import(api: TestClient, document: Any) -> str:
    r = api.post(
        "/v1/qualifications",
        content=json.dumps(document).encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["items"][0]["id"])


CHOSEN = ["1DL002", "1DL301", "1DL340", "1DT032"]


@pytest.fixture(scope="module")
def catalogue(api: TestClient) -> dict[str, Any]:
    uppsala = json.loads((SAMPLES / "uppsala-msc-computer-science-selection.json").read_text())
    target_id = _import(api, uppsala)
    target = api.get(f"/v1/qualifications/{target_id}").json()
    db = next(m for m in target["modules"] if m["code"] == "1DL301")
    # A provider of micro-credentials: a database course in two stackable parts (the second
    # requires the first), and a cheaper single course with the same outcomes, all priced.
    micro = {
        "title": "Data skills micro-credentials",
        "institution": {"name": "Example Open University", "country": "IE"},
        "award": "Micro-credential",
        "modules": [
            {
                "code": "SQL-A",
                "title": "Relational modelling",
                "credits": {"value": 2.5, "system": "ects"},
                "cycle": "second",
                "cost": {"amount": 60, "currency": "EUR"},
                "learning_outcomes": db["learning_outcomes"][::2],
            },
            {
                "code": "SQL-B",
                "title": "SQL in practice",
                "credits": {"value": 2.5, "system": "ects"},
                "cycle": "second",
                "cost": {"amount": 60, "currency": "EUR"},
                "prerequisites": ["SQL-A"],
                "learning_outcomes": db["learning_outcomes"][1::2],
            },
            {
                "code": "SQL-ALL",
                "title": "Databases in one go",
                "credits": {"value": 4, "system": "ects"},
                "cycle": "second",
                "cost": {"amount": 150, "currency": "EUR"},
                "learning_outcomes": db["learning_outcomes"],
            },
        ],
    }
    micro_id = _import(api, micro)
    ethics = next(m for m in target["modules"] if m["code"] == "1DL002")
    stored = api.post(
        "/v1/credentials",
        json={
            "title": "Data ethics for practitioners",
            "learning_outcomes": ethics["learning_outcomes"],
            "level": {"eqf": 7},
            "credits": 5,
        },
    )
    assert stored.status_code in (200, 201), stored.text
    return {
        "target": target,
        "micro": micro_id,
        "credential": stored.json()["id"],
        "db": db,
    }


def test_covered_remaining_and_ranked_paths(api: TestClient, catalogue: dict[str, Any]) -> None:
    target = catalogue["target"]
    r = api.post(
        "/v1/pathways",
        json={
            "qualification_id": target["id"],
            # Every course of the Uppsala outline is elective ("selected freely"): name the
            # chosen ones, or none is planned for (issue 10).
            "electives": CHOSEN,
            "held": [catalogue["credential"]],
            "objective": "credits",
            "limit": 3,
        },
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["covered"]["modules"] == ["1DL002"]
    assert plan["covered"]["credits_ects"] == {"min": 5.0, "max": 5.0}
    assert set(plan["remaining"]["modules"]) == {"1DL301", "1DL340", "1DT032"}
    assert plan["algorithm"] == "exact"
    status = {m["code"]: m for m in plan["modules"]}
    assert status["1DL002"]["status"] == "covered"
    assert status["1DL002"]["by"] == [catalogue["credential"]]
    best = plan["paths"][0]
    ids = [s["offering"]["id"] for s in best["steps"]]
    # Fewest credits: the 4-ECTS micro-credential instead of the 5-ECTS module itself.
    assert f"{catalogue['micro']}:SQL-ALL" in ids
    assert "1DL340" in ids and "1DT032" in ids  # no outcomes published: only taking them works
    step = next(s for s in best["steps"] if s["offering"]["id"].endswith("SQL-ALL"))
    [contribution] = step["contributions"]
    assert contribution["module"] == "1DL301" and contribution["completes"]
    assert contribution["level"]["compatible"] is True
    assert contribution["pairs"] and contribution["pairs"][0]["module_text"]
    assert step["offering"]["kind"] == "micro_credential"
    assert step["offering"]["cost"] == {"amount": 150.0, "currency": "EUR"}
    weights = [p["credits_ects"]["min"] for p in plan["paths"]]
    assert weights == sorted(weights)


def test_cost_objective_and_prerequisites(api: TestClient, catalogue: dict[str, Any]) -> None:
    target = catalogue["target"]
    plan = api.post(
        "/v1/pathways",
        json={
            "qualification_id": target["id"],
            # Every course of the Uppsala outline is elective ("selected freely"): name the
            # chosen ones, or none is planned for (issue 10).
            "electives": CHOSEN,
            "held": [{"credential_id": catalogue["credential"]}],
            "objective": "cost",
        },
    ).json()
    assert plan["objective"] == "cost"
    best = plan["paths"][0]
    ids = [s["offering"]["id"] for s in best["steps"]]
    micro = catalogue["micro"]
    # Two 60 EUR parts beat 150 EUR; the second part's prerequisite comes first.
    assert ids.index(f"{micro}:SQL-A") < ids.index(f"{micro}:SQL-B")
    part_b = next(s for s in best["steps"] if s["offering"]["id"] == f"{micro}:SQL-B")
    assert part_b["requires"] == [f"{micro}:SQL-A"]
    assert best["cost"]["amount"] == 120.0 and best["cost"]["currency"] == "EUR"
    assert best["cost"]["steps_without_cost"] == 2  # the Uppsala modules publish no fee
    assert any("publish no cost" in n for n in plan["notes"])


def test_inline_credential_and_target_only(api: TestClient, catalogue: dict[str, Any]) -> None:
    target = catalogue["target"]
    inline = {
        "title": "SQL bootcamp",
        "learning_outcomes": catalogue["db"]["learning_outcomes"],
        "level": {"eqf": 7},
        "credits": 5,
    }
    plan = api.post(
        "/v1/pathways",
        json={
            "qualification_id": target["id"],
            # Every course of the Uppsala outline is elective ("selected freely"): name the
            # chosen ones, or none is planned for (issue 10).
            "electives": CHOSEN,
            "held": [{"credential": inline}],
            "use_catalogue": False,
        },
    ).json()
    assert plan["covered"]["modules"] == ["1DL301"]
    assert plan["held"][0]["id"] == "held-1"
    assert plan["programmes_considered"] == 0
    assert all(s["offering"]["kind"] == "target_module" for p in plan["paths"] for s in p["steps"])
    # Nothing is stored for an inline credential.
    assert api.get("/v1/credentials?limit=50").json()["total"] == 1


def test_stack_into(api: TestClient, catalogue: dict[str, Any]) -> None:
    r = api.post("/v1/pathways/stack-into", json={"held": [catalogue["credential"]]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["programmes_considered"] == 2
    [item] = body["items"]  # only the Uppsala selection shares outcomes with the credential
    assert item["qualification"]["id"] == catalogue["target"]["id"]
    assert item["covered_modules"] == ["1DL002"]
    assert item["basis"] == "credits" and item["share"] == 0.25


def test_problems(api: TestClient, catalogue: dict[str, Any]) -> None:
    target = catalogue["target"]["id"]
    body = assert_problem(
        api.post("/v1/pathways", json={"qualification_id": "nope", "held": []}), 404
    )
    assert body["errors"][0]["pointer"] == "/qualification_id"
    body = assert_problem(
        api.post("/v1/pathways", json={"qualification_id": target, "held": ["missing"]}), 404
    )
    assert body["errors"][0]["pointer"] == "/held/0"
    body = assert_problem(
        api.post(
            "/v1/pathways",
            json={"qualification_id": target, "held": [{"credential": {"bogus": 1}}]},
        ),
        422,
    )
    assert body["errors"][0]["pointer"].startswith("/held/0/credential")
    assert_problem(
        api.post("/v1/pathways", json={"qualification_id": target, "objective": "speed"}), 422
    )
    assert_problem(api.post("/v1/pathways", json={"qualification_id": target, "limit": 0}), 422)
    assert_problem(
        api.post(
            "/v1/pathways",
            json={"qualification_id": target, "held": [{"credential_id": "a", "credential": {}}]},
        ),
        422,
    )
    assert_problem(api.post("/v1/pathways/stack-into", json={"held": []}), 422)


def test_free_electives_are_not_required_unless_chosen(
    api: TestClient, catalogue: dict[str, Any]
) -> None:
    """Issue 10: a programme whose courses are all "selected freely" requires none of them; a
    held credential covering one is still reported, and an unknown chosen code is a 422."""
    target = catalogue["target"]
    body = {"qualification_id": target["id"], "held": [catalogue["credential"]]}
    plan = api.post("/v1/pathways", json=body).json()
    assert plan["remaining"]["modules"] == [] and plan["paths"][0]["steps"] == []
    assert plan["covered"]["modules"] == ["1DL002"]
    statuses = {m["code"]: m for m in plan["modules"]}
    assert statuses["1DL340"]["status"] == "elective" and not statuses["1DL340"]["required"]
    assert any("not chosen" in n for n in plan["notes"])
    problem = assert_problem(api.post("/v1/pathways", json={**body, "electives": ["XX1"]}), 422)
    assert problem["errors"][0]["pointer"] == "/electives/0"
