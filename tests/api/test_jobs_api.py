"""Listing and cancelling batch jobs over HTTP on both databases: scoped to the caller's
organisation, filtered, refused to the wrong caller (401/403/404), 409 for a finished job, and
a cancelled job that no worker continues. The app runs no turns here (``jobs_autostart`` off):
the test runs them by hand, so what is queued stays queued until it says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.routers.articulation import articulation_service
from app.services.jobs import JobExecutor
from app.settings import PROJECT_ROOT, Settings
from tests.api.test_articulation_api import courses
from tests.api.test_frameworks_api import assert_problem
from tests.conftest import _backend_url, _client_factory, make_settings
from tests.identity import ADMIN_HEADERS

SAMPLES = PROJECT_ROOT / "samples/catalogue"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(_backend_url(request.param, tmp_path_factory, "jobsapi"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    app = create_app(settings)
    app.state.jobs_autostart = False
    with TestClient(app, headers=ADMIN_HEADERS) as client:
        yield client


@pytest.fixture(scope="module")
def client_for(api: TestClient) -> Callable[..., TestClient]:
    return _client_factory(api)


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


def _submit(client: TestClient, programme: dict[str, Any], tag: str) -> dict[str, Any]:
    r = client.post(
        "/v1/batch/articulations",
        json={"qualification_id": programme["id"], "courses": courses(programme, tag)},
    )
    assert r.status_code == 202, r.text
    return dict(r.json())


def _run(api: TestClient, job_id: str) -> None:
    app: Any = api.app
    handler = articulation_service(app).handler()
    JobExecutor(app.state.sessionmaker, [handler]).drain("default", job_id)


def test_list_is_the_callers_organisation_newest_first_and_filtered(
    api: TestClient, programme: dict[str, Any], client_for: Callable[..., TestClient]
) -> None:
    first = _submit(api, programme, "list-a-")
    second = _submit(api, programme, "list-b-")
    _run(api, first["id"])
    listed = api.get("/v1/jobs").json()
    ids = [j["id"] for j in listed["items"]]
    assert ids.index(second["id"]) < ids.index(first["id"])  # newest first
    assert (listed["limit"], listed["offset"]) == (50, 0) and listed["total"] >= 2
    done = [j["id"] for j in api.get("/v1/jobs", params={"status": "done"}).json()["items"]]
    queued = [j["id"] for j in api.get("/v1/jobs", params={"status": "queued"}).json()["items"]]
    assert first["id"] in done and first["id"] not in queued
    assert second["id"] in queued and second["id"] not in done
    assert api.get("/v1/jobs", params={"kind": "nothing"}).json()["items"] == []
    assert [j["id"] for j in api.get("/v1/jobs", params={"limit": 1}).json()["items"]] == [ids[0]]
    body = assert_problem(api.get("/v1/jobs", params={"status": "sleeping"}), 422)
    assert "status" in str(body)
    # A reader of the organisation may list; another organisation sees none of these.
    assert second["id"] in [j["id"] for j in client_for("reader").get("/v1/jobs").json()["items"]]
    elsewhere = client_for("admin", "elsewhere").get("/v1/jobs").json()["items"]
    assert not {j["id"] for j in elsewhere} & set(ids)
    assert_problem(client_for(None).get("/v1/jobs"), 401)


def test_cancel_refused_to_the_wrong_caller_then_cancelled_and_never_continued(
    api: TestClient, programme: dict[str, Any], client_for: Callable[..., TestClient]
) -> None:
    job = _submit(api, programme, "cancel-")
    path = f"/v1/jobs/{job['id']}/cancel"
    assert_problem(client_for(None).post(path), 401)
    assert_problem(client_for("reader").post(path), 403)
    assert_problem(client_for("reviewer").post(path), 403)
    assert_problem(client_for("evaluator", "elsewhere").post(path), 404)  # not theirs
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"  # nothing changed

    r = client_for("evaluator").post(path)
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]
    assert cancelled["links"]["self"] == f"/v1/jobs/{job['id']}"
    again = assert_problem(api.post(path), 409)
    assert "cancelled" in again["detail"]
    assert_problem(api.post("/v1/jobs/does-not-exist/cancel"), 404)

    _run(api, job["id"])  # a worker finds nothing to do for it
    after = api.get(f"/v1/jobs/{job['id']}").json()
    assert after["status"] == "cancelled" and after["progress"]["done"] == 0
    results = api.get(f"/v1/jobs/{job['id']}/results").json()
    assert results["complete"] is False and results["job"]["status"] == "cancelled"


def test_a_finished_job_cannot_be_cancelled(api: TestClient, programme: dict[str, Any]) -> None:
    job = _submit(api, programme, "finished-")
    _run(api, job["id"])
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "done"
    body = assert_problem(api.post(f"/v1/jobs/{job['id']}/cancel"), 409)
    assert "done" in body["detail"]
