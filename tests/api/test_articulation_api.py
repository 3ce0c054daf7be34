"""Articulation over HTTP on both databases: a batch (JSON or CSV) answered 202 with a job,
progress, results as JSON and CSV, idempotent re-submission, the synchronous endpoint, and the
problems of bad requests."""

from __future__ import annotations

import csv
import io
import time
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
    url = _backend_url(request.param, tmp_path_factory, "articulation")
    return make_settings(url, embeddings=EmbeddingSettings(backend="fake"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    app = create_app(settings)
    app.state.jobs_poll_seconds = 0.1
    with TestClient(app, headers=ADMIN_HEADERS) as client:
        yield client


@pytest.fixture(scope="module")
def programme(api: TestClient) -> dict[str, Any]:
    path = SAMPLES / "uppsala-msc-computer-science-selection.json"
    r = api.post(
        "/v1/qualifications",
        content=path.read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    pid = r.json()["items"][0]["id"]
    return dict(api.get(f"/v1/qualifications/{pid}").json())


def courses(programme: dict[str, Any], tag: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in programme["modules"]:
        outcomes = m.get("learning_outcomes") or []
        if outcomes:
            out.append(
                {
                    "id": f"{tag}{m['code']}",
                    "title": m["title"],
                    "credits": {"value": 7.5, "system": "ects"},
                    "level": "EQF:7",
                    "learning_outcomes": outcomes,
                }
            )
    out.append(
        {"id": f"{tag}art", "title": "Oil painting", "credits": 5, "learning_outcomes": ["paint"]}
    )
    return out


def wait(api: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        job = api.get(f"/v1/jobs/{job_id}").json()
        seen.append(job["progress"]["done"])
        if job["status"] in ("done", "failed"):
            assert seen == sorted(seen)  # progress only moves forward
            return dict(job)
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_batch_202_progress_results_json_and_csv(
    api: TestClient, programme: dict[str, Any]
) -> None:
    body = {"qualification_id": programme["id"], "courses": courses(programme, "a-")}
    r = api.post("/v1/batch/articulations", json=body)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "done")
    assert job["progress"]["total"] == len(body["courses"])
    assert job["links"]["results_csv"].endswith("?format=csv")
    done = wait(api, job["id"])
    assert done["status"] == "done"
    assert done["progress"] == {"done": 3, "failed": 0, "total": 3, "percent": 100.0}
    assert done["started_at"] and done["finished_at"]

    results = api.get(f"/v1/jobs/{job['id']}/results").json()
    assert results["complete"] is True and results["job"]["id"] == job["id"]
    by_code = {m["code"]: m for m in results["modules"]}
    for code in ("1DL002", "1DL301"):
        best = by_code[code]["proposals"][0]
        assert (best["kind"], best["decision"], best["courses"]) == (
            "one_to_one",
            "replace",
            [f"a-{code}"],
        )
        assert best["coverage"] == 1.0
        assert best["pairs"] and best["pairs"][0]["course_text"] and best["pairs"][0]["module_text"]
        assert best["level"][0]["compatible"] is True
        assert best["credits"]["sufficient"] is True
    assert by_code["1DL340"]["proposals"] == []  # publishes no outcomes
    assert results["summary"]["modules_replaceable"] == 2
    assert results["summary"]["exempted_credits_ects"] == {"min": 10.0, "max": 10.0}
    art = next(c for c in results["courses"] if c["id"] == "a-art")
    assert art["modules"] == [] and art["status"] == "done"
    assert results["versions"]["model"]["id"].startswith("hashing")

    r = api.get(f"/v1/jobs/{job['id']}/results?format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-results-complete"] == "true"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    misses = [row for row in rows if row["decision"] == "none"]  # one row per miss (issue 10)
    rows = [row for row in rows if row["decision"] != "none"]
    assert {row["module_code"] for row in rows} == {"1DL002", "1DL301"}
    assert all(row["decision"] == "replace" and "↔" in row["evidence"] for row in rows)
    assert misses and all(row["reasons"] for row in misses)


def test_resubmitting_the_same_batch_returns_the_same_job(
    api: TestClient, programme: dict[str, Any]
) -> None:
    body = {"qualification_id": programme["id"], "courses": courses(programme, "b-")}
    first = api.post("/v1/batch/articulations", json=body)
    assert first.status_code == 202
    again = api.post("/v1/batch/articulations", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert again.headers["location"] == first.headers["location"]
    # The same courses as a bare list with the target in the query: the same job too.
    listed = api.post(
        f"/v1/batch/articulations?qualification_id={programme['id']}", json=body["courses"]
    )
    assert listed.status_code == 200 and listed.json()["id"] == first.json()["id"]
    wait(api, first.json()["id"])


def test_csv_upload(api: TestClient, programme: dict[str, Any]) -> None:
    db = next(m for m in programme["modules"] if m["code"] == "1DL301")
    half = len(db["learning_outcomes"]) // 2
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["id", "title", "credits", "credit_system", "eqf_level", "learning_outcomes"])
    w.writerow(["db1", "SQL I", "3", "ects", "7", "\n".join(db["learning_outcomes"][:half])])
    w.writerow(["db2", "SQL II", "3", "ects", "7", " | ".join(db["learning_outcomes"][half:])])
    r = api.post(
        f"/v1/batch/articulations?qualification_id={programme['id']}",
        content=text.getvalue().encode(),
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 202, r.text
    assert wait(api, r.json()["id"])["status"] == "done"
    results = api.get(f"/v1/jobs/{r.json()['id']}/results").json()
    module = next(m for m in results["modules"] if m["code"] == "1DL301")
    group = module["proposals"][0]
    # Two 3-ECTS courses, each with half the outcomes, together replace the 5-ECTS module.
    assert (group["kind"], group["decision"], sorted(group["courses"])) == (
        "many_to_one",
        "replace",
        ["db1", "db2"],
    )


def test_synchronous_articulation(api: TestClient, programme: dict[str, Any]) -> None:
    r = api.post(
        "/v1/articulations",
        json={"qualification_id": programme["id"], "courses": courses(programme, "s-")},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["job"] is None and body["complete"] is True
    assert body["summary"]["modules_replaceable"] == 2


def test_problems(api: TestClient, programme: dict[str, Any]) -> None:
    pid = programme["id"]
    body = assert_problem(
        api.post(
            "/v1/batch/articulations",
            json={"qualification_id": "nope", "courses": courses(programme)},
        ),
        404,
    )
    assert body["errors"][0]["pointer"] == "/qualification_id"
    body = assert_problem(
        api.post(
            "/v1/batch/articulations",
            json={
                "qualification_id": pid,
                "courses": [
                    {"learning_outcomes": ["x"], "credits": 5, "credit_system": "zz"},
                    {"id": "q", "learning_outcomes": ["x"], "level": "IE:99"},
                ],
            },
        ),
        422,
    )
    assert [e["pointer"] for e in body["errors"]] == [
        "/courses/0/credit_system",
        "/courses/1/level",
    ]
    body = assert_problem(
        api.post(
            "/v1/batch/articulations",
            json={"qualification_id": pid, "courses": [{"title": "no outcomes"}]},
        ),
        422,
    )
    assert body["errors"][0]["pointer"] == "/courses/0/learning_outcomes"
    body = assert_problem(
        api.post(
            f"/v1/batch/articulations?qualification_id={pid}",
            content=b"id,colour,learning_outcomes\na,red,x\n",
            headers={"content-type": "text/csv"},
        ),
        422,
    )
    assert body["errors"][0]["row"] == 1
    body = assert_problem(
        api.post(
            "/v1/batch/articulations",
            content=b"id,learning_outcomes\na,x\n",
            headers={"content-type": "text/csv"},
        ),
        422,
    )
    assert body["errors"][0]["parameter"] == "qualification_id"
    assert_problem(
        api.post(
            "/v1/batch/articulations", content=b"<xml/>", headers={"content-type": "text/xml"}
        ),
        415,
    )
    assert_problem(
        api.post(
            "/v1/batch/articulations", content=b"{", headers={"content-type": "application/json"}
        ),
        422,
    )
    body = assert_problem(api.post("/v1/batch/articulations", json=courses(programme)), 422)
    assert body["errors"][0]["pointer"] == "/qualification_id"
    assert_problem(api.get("/v1/jobs/does-not-exist"), 404)
    assert_problem(api.get("/v1/jobs/does-not-exist/results"), 404)
    assert_problem(api.get("/v1/jobs/x/results?format=xml"), 422)
    too_many = [{"learning_outcomes": ["x"], "id": str(n)} for n in range(101)]
    assert_problem(
        api.post("/v1/articulations", json={"qualification_id": pid, "courses": too_many}), 422
    )
    body = assert_problem(
        api.post(
            "/v1/articulations",
            json={"qualification_id": "nope", "courses": courses(programme)},
        ),
        404,
    )
    assert body["errors"][0]["pointer"] == "/qualification_id"


def test_openapi_lists_the_endpoints(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/v1/articulations",
        "/v1/batch/articulations",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/results",
    } <= set(paths)
    content = paths["/v1/batch/articulations"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
