"""Observability (issue 15, item 3): request ids, structured access logs, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.adapters.logging_json import JsonFormatter, RequestIdFilter, logging_config, request_id
from app.api.openapi_examples import _PROGRAMME
from tests import identity
from tests.conftest import _backend_url, make_settings

TOKEN = "scrape-secret-0123456789"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    from app.api.main import create_app

    settings = make_settings(
        _backend_url(request.param, tmp_path_factory, "metrics"), metrics_token=TOKEN
    )
    with TestClient(create_app(settings), headers=identity.ADMIN_HEADERS) as client:
        yield client


def scrape(api: TestClient) -> str:
    r = api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels`` (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match[3])
    return total


def test_a_request_id_is_generated_and_echoed(api: TestClient) -> None:
    r = api.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    assert api.get("/healthz").headers["x-request-id"] != r.headers["x-request-id"]


def test_the_caller_s_request_id_is_kept_when_plausible(api: TestClient) -> None:
    r = api.get("/healthz", headers={"X-Request-ID": "edge-7f3a:42"})
    assert r.headers["x-request-id"] == "edge-7f3a:42"
    for bad in ("a b", "x" * 129, "id/../etc", '"quoted"'):
        r = api.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), bad


def test_problem_documents_carry_the_request_id(api: TestClient) -> None:
    r = api.get("/v1/frameworks/NO-SUCH", headers={"X-Request-ID": "req-404"})
    assert r.status_code == 404
    assert r.json()["request_id"] == "req-404" == r.headers["x-request-id"]
    assert int(r.headers["content-length"]) == len(r.content)
    # a refusal answered by the request guard, before any router
    r = api.post(
        "/v1/credits/convert",
        content=b"value=1",
        headers={"content-type": "text/plain", "X-Request-ID": "req-415"},
    )
    assert r.status_code == 415
    assert r.json()["request_id"] == "req-415"
    # and an authentication refusal
    r = TestClient(api.app).get("/v1/credentials", headers={"X-Request-ID": "req-401"})
    assert r.status_code == 401 and r.json()["request_id"] == "req-401"


def test_metrics_refuse_a_caller_without_the_token(api: TestClient) -> None:
    anonymous = TestClient(api.app)
    r = anonymous.get("/metrics")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["errors"][0]["parameter"] == "Authorization"
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    # an organisation's admin is not the scraper either
    assert api.get("/metrics").status_code == 401


def test_metrics_are_off_without_a_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    from app.api.main import create_app

    app = create_app(make_settings(_backend_url("sqlite", tmp_path_factory, "nometrics")))
    with TestClient(app) as client:
        r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


def test_request_latency_and_counts_by_route_template(api: TestClient) -> None:
    before = scrape(api)
    for code in ("7", "8"):
        assert api.get(f"/v1/frameworks/IE-NFQ/levels/{code}").status_code == 200
    assert api.get("/v1/frameworks/IE-NFQ/levels/99").status_code == 404
    after = scrape(api)
    route = "/v1/frameworks/{framework}/levels/{code}"
    name = "passerelle_http_request_duration_seconds_count"
    assert sample(after, name, route=route) - sample(before, name, route=route) == 3
    requests = "passerelle_http_requests_total"
    ok = {"route": route, "status": "200", "method": "GET"}
    assert sample(after, requests, **ok) - sample(before, requests, **ok) == 2
    missing = {"route": route, "status": "404"}
    assert sample(after, requests, **missing) - sample(before, requests, **missing) == 1
    # raw paths never become labels (one series per template, not per id)
    assert "/v1/frameworks/IE-NFQ" not in after
    assert sample(after, "passerelle_http_request_duration_seconds_bucket", route=route) > 0


def test_model_inference_time(api: TestClient) -> None:
    name = "passerelle_model_inference_seconds_count"
    before = sample(scrape(api), name)
    r = api.post("/v1/outcomes/skills", json={"outcomes": ["write SQL queries"]})
    assert r.status_code == 200, r.text
    assert sample(scrape(api), name) == before + 1


def test_job_progress_from_the_database(api: TestClient) -> None:
    stored = api.post("/v1/qualifications", json=_PROGRAMME)
    assert stored.status_code in (200, 201), stored.text
    programme = stored.json()["items"][0]["id"]
    course = {"id": "c1", "title": "Databases", "learning_outcomes": ["query databases"]}
    before = scrape(api)
    r = api.post(
        "/v1/batch/articulations", json={"qualification_id": programme, "courses": [course]}
    )
    assert r.status_code == 202, r.text
    after = scrape(api)
    assert sample(after, "passerelle_jobs") == sample(before, "passerelle_jobs") + 1
    total = {"count": "total"}
    assert sample(after, "passerelle_job_items", **total) == (
        sample(before, "passerelle_job_items", **total) + 1
    )


def test_the_access_log_names_route_status_and_organisation_never_credentials(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="passerelle.access"):
        r = api.get("/v1/frameworks/IE-NFQ?q=secret-query", headers={"X-Request-ID": "log-check-1"})
    assert r.status_code == 200
    (record,) = [x for x in caplog.records if getattr(x, "request_id", None) == "log-check-1"]
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/v1/frameworks/{framework}"
    assert (line["method"], line["status"], line["organisation"]) == ("GET", 200, "default")
    assert line["request_id"] == "log-check-1" and line["duration_ms"] >= 0
    token = identity.ADMIN_HEADERS["Authorization"].split()[1]
    text = json.dumps(line)
    assert token not in text and "secret-query" not in text and "IE-NFQ" not in text


def test_json_formatter_carries_the_current_request_id() -> None:
    record = logging.LogRecord("passerelle.x", logging.WARNING, __file__, 1, "hi %s", ("y",), None)
    token = request_id.set("rid-9")
    try:
        assert RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line == {
        "ts": line["ts"],
        "level": "warning",
        "logger": "passerelle.x",
        "message": "hi y",
        "request_id": "rid-9",
    }
    config = logging_config("info", "json")
    assert config["handlers"]["default"]["filters"] == ["request_id"]
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
