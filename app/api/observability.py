"""Request ids, access logs and Prometheus metrics (issue 15, item 3).

:class:`RequestContext` is the outermost ASGI middleware, so it sees every answer, the request
guard's and the rate limiter's refusals included:

* **request id**: ``X-Request-ID`` is taken from the request when it is a plausible id (1–128
  characters of ``A-Za-z0-9._:-``), else generated (UUID4 hex); it is echoed in the response
  header, added as ``request_id`` to every problem document, and carried by every log record
  written while the request is served (``app/adapters/logging_json.py``);
* **access log**: one ``passerelle.access`` record per request with method, route *template*
  (never the raw path: ids and query strings stay out of the logs), status, duration and the
  caller's organisation; no header, query string, body or credential is logged;
* **metrics**: ``passerelle_http_request_duration_seconds{method,route}`` (histogram),
  ``passerelle_http_requests_total{method,route,status}``; the model's inference time
  ``passerelle_model_inference_seconds{model}`` (every task on the inference thread,
  :func:`instrument_engine`); job progress read from the database at scrape time
  (``passerelle_jobs{status}``, ``passerelle_job_items{status,count}``: every replica reports
  the whole fleet's queue, whichever process runs the jobs).

``GET /metrics`` (Prometheus text format) is not an API operation and is served here, before
authentication: it answers only a caller presenting ``Authorization: Bearer <metrics_token>``
(setting ``PASSERELLE_METRICS_TOKEN``: 401 otherwise), and 404 when no token is configured.
The figures are fleet-wide aggregates with no organisation label, so an organisation's API key
is not the right credential for them: the scraper's token is an operator secret.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.adapters.logging_json import request_id
from app.api.middleware import send_problem
from app.api.problems import NOT_FOUND, PROBLEM_JSON, ProblemType

T = TypeVar("T")

log = logging.getLogger("passerelle.access")

HEADER = b"x-request-id"
METRICS_PATH = "/metrics"
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
UNAUTHENTICATED = ProblemType(401, "unauthenticated", "Authentication required")
#: Latency buckets (seconds): cached compare answers are sub-millisecond, batch submissions and
#: model calls take up to seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def accept_request_id(raw: str | None) -> str:
    """The client's id when it is plausible, else a new one."""
    if raw is not None and _VALID_ID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


class Metrics:
    """The app's metrics, in a registry of its own (one per app: tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "passerelle_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "passerelle_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.inference = Histogram(
            "passerelle_model_inference_seconds",
            "Time of one task on the model's inference thread (encode, search, rescore)",
            ["model"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class JobCollector(Collector):
    """Batch job progress, read from the database when Prometheus scrapes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        engine = getattr(self.app.state, "engine", None)
        if engine is None:
            return
        jobs = GaugeMetricFamily("passerelle_jobs", "Batch jobs by status", labels=["status"])
        items = GaugeMetricFamily(
            "passerelle_job_items",
            "Items of batch jobs by job status: total, done, failed",
            labels=["status", "count"],
        )
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT status, count(*), coalesce(sum(total), 0), "
                        "coalesce(sum(done), 0), coalesce(sum(failed), 0) FROM job GROUP BY status"
                    )
                ).all()
        except Exception:  # the figures are best effort; a scrape never fails on them
            logging.getLogger(__name__).warning("job metrics: query failed", exc_info=True)
            return
        for status, count, total, done, failed in rows:
            jobs.add_metric([str(status)], float(count))
            items.add_metric([str(status), "total"], float(total))
            items.add_metric([str(status), "done"], float(done))
            items.add_metric([str(status), "failed"], float(failed))
        yield jobs
        yield items


def instrument_engine(engine: Any, metrics: Metrics) -> None:
    """Time every task the outcome engine runs on its inference thread (``run``, ``run_sync``)."""
    if engine is None:
        return
    model = str(getattr(getattr(engine, "model", None), "id", "none"))
    observe = metrics.inference.labels(model=model).observe
    run, run_sync = engine.run, engine.run_sync

    def timed(fn: Callable[[], T]) -> Callable[[], T]:
        def task() -> T:
            started = time.perf_counter()
            try:
                return fn()
            finally:
                observe(time.perf_counter() - started)

        return task

    async def run_timed(fn: Callable[[], T]) -> T:
        return await run(timed(fn))  # type: ignore[no-any-return]

    def run_sync_timed(fn: Callable[[], T]) -> T:
        return run_sync(timed(fn))  # type: ignore[no-any-return]

    engine.run = run_timed
    engine.run_sync = run_sync_timed


class RequestContext:
    """Request id, access log and HTTP metrics (module docstring); serves ``/metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics, token: str | None) -> None:
        self.app = app
        self.metrics = metrics
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = accept_request_id(_header(scope, HEADER))
        scope.setdefault("state", {})["request_id"] = rid
        reset = request_id.set(rid)
        echo = (HEADER, rid.encode())
        try:
            if scope.get("path") == METRICS_PATH:
                await self._metrics(scope, _with_header(send, echo))
                return
            await self._serve(scope, receive, send, rid, echo)
        finally:
            request_id.reset(reset)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, rid: str, echo: tuple[bytes, bytes]
    ) -> None:
        started = time.perf_counter()
        status = 500
        held: Message | None = None  # a problem response's start, held until its body is known
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal status, held
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [*message.get("headers", []), echo]
                message = {**message, "headers": headers}
                if _header_in(headers, b"content-type", PROBLEM_JSON):
                    held = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and held is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = _with_request_id(b"".join(chunks), rid)
                headers = [
                    (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                    for k, v in held["headers"]
                ]
                await send({**held, "headers": headers})
                held = None
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            method = str(scope.get("method", ""))
            self.metrics.latency.labels(method=method, route=route).observe(elapsed)
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            principal = scope.get("state", {}).get("principal")
            log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "request_id": rid,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "organisation": getattr(principal, "organisation", None),
                },
            )

    async def _metrics(self, scope: Scope, send: Send) -> None:
        if not self.token:
            await send_problem(
                scope, send, NOT_FOUND, "Metrics are off (no PASSERELLE_METRICS_TOKEN).", []
            )
            return
        given = _header(scope, b"authorization") or ""
        expected = f"Bearer {self.token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            await send_problem(
                scope,
                send,
                UNAUTHENTICATED,
                "Metrics need the scraper's bearer token.",
                [{"parameter": "Authorization", "in": "header", "detail": "missing or wrong"}],
                headers=[(b"www-authenticate", b'Bearer realm="metrics"')],
            )
            return
        body = self.metrics.render()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/plain; version=0.0.4; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, token: str | None) -> Metrics:
    """Add the middleware (outermost: call after every other ``add_middleware``)."""
    metrics = Metrics()
    metrics.registry.register(JobCollector(app))
    app.state.metrics = metrics
    app.add_middleware(RequestContext, metrics=metrics, token=token)
    return metrics


def _route(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _header_in(headers: list[tuple[bytes, bytes]], name: bytes, prefix: str) -> bool:
    return any(k.lower() == name and v.decode("latin-1").startswith(prefix) for k, v in headers)


def _with_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), header]}
        await send(message)

    return wrapped


def _with_request_id(body: bytes, rid: str) -> bytes:
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    document["request_id"] = rid
    return json.dumps(document).encode()
