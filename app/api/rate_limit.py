"""Rate limits and quotas (issue 12, item 7): in-process token buckets, 429 with ``Retry-After``.

Two places charge a :class:`RateLimiter` (one per app, limits from ``settings.rate_limits``):

* :class:`AddressLimit`, an ASGI middleware, charges the client address once per request,
  before any authentication work: a flood of bad credentials never reaches the key table;
* :func:`rate_limit`, a dependency on every operation that runs after the authorisation
  dependency, charges the caller — the organisation of the authenticated principal, else the
  client address — in the bucket of the operation's kind: ``write`` (POST, PUT, PATCH,
  DELETE), ``public`` (reads of shared reference data: generous) or ``read``;
* :func:`charge_batch` charges an organisation's ``batch_courses`` bucket by the number of
  courses a batch job submits, so one organisation cannot fill the job queue.

Limits hold per process; buckets of callers not seen for a while are dropped first when there
are more than ``max_callers``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.access import rule_for
from app.api.middleware import send_problem
from app.api.problems import INVALID_INPUT, RATE_LIMITED, ApiProblem
from app.core.identity import Permission
from app.settings import RateLimitSettings, Settings

Kind = Literal["address", "write", "read", "public", "batch_courses"]
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


@dataclass(frozen=True, slots=True)
class Limit:
    per_second: float
    burst: int


class RateLimiter:
    """Token buckets keyed by ``(kind, caller)``; thread-safe."""

    def __init__(
        self, settings: RateLimitSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = settings.enabled
        self.max_callers = settings.max_callers
        self.limits: dict[Kind, Limit] = {
            "address": Limit(settings.public_per_minute / 60, settings.public_burst),
            "public": Limit(settings.public_per_minute / 60, settings.public_burst),
            "read": Limit(settings.read_per_minute / 60, settings.read_burst),
            "write": Limit(settings.write_per_minute / 60, settings.write_burst),
            "batch_courses": Limit(
                settings.batch_courses_per_minute / 60, settings.batch_courses_burst
            ),
        }
        self._clock = clock
        self._buckets: OrderedDict[tuple[Kind, str], _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def charge(self, kind: Kind, caller: str, cost: float = 1.0) -> float | None:
        """Take ``cost`` tokens; ``None`` if granted, else the seconds to wait before retrying.

        A refused request takes nothing: a client that waits ``Retry-After`` gets through.
        """
        if not self.enabled:
            return None
        limit = self.limits[kind]
        now = self._clock()
        key = (kind, caller)
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(float(limit.burst), now)
            else:
                elapsed = max(0.0, now - bucket.stamp)
                bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.per_second)
                bucket.stamp = now
            self._buckets[key] = bucket  # most recent last
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return None
            return (min(cost, float(limit.burst)) - bucket.tokens) / limit.per_second


def _retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


def refusal(kind: Kind, wait: float) -> ApiProblem:
    noun = "courses in batch jobs" if kind == "batch_courses" else f"{kind} requests"
    return ApiProblem(
        RATE_LIMITED,
        f"Too many {noun} from this caller; retry after {_retry_after(wait)} s.",
        extra={"limit": kind, "retry_after": int(_retry_after(wait))},
        headers={"Retry-After": _retry_after(wait)},
    )


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


def _limiter(request: Request) -> RateLimiter | None:
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    return limiter


def _caller(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    organisation = getattr(principal, "organisation", None)
    return f"org:{organisation}" if organisation else client_address(request.scope)


def _kind(request: Request) -> Kind:
    if request.method in _WRITES:
        return "write"
    # The access table says which reads are of shared reference data.
    route = request.scope.get("route")
    rule = rule_for(request.method, getattr(route, "path_format", request.url.path))
    return "public" if rule.permission == Permission.REFERENCE_READ else "read"


async def rate_limit(request: Request) -> None:
    """The dependency on every operation (after authorisation): charge the caller's bucket."""
    limiter = _limiter(request)
    if limiter is None:
        return
    kind = _kind(request)
    wait = limiter.charge(kind, _caller(request))
    if wait is not None:
        raise refusal(kind, wait)


def charge_batch(request: Request, courses: int) -> None:
    """Charge the caller's batch quota for a job of ``courses`` courses (429 when spent)."""
    limiter = _limiter(request)
    if limiter is None:
        return
    burst = limiter.limits["batch_courses"].burst
    if limiter.enabled and courses > burst:
        # Waiting would never help: say so instead of answering 429 forever.
        raise ApiProblem(
            INVALID_INPUT,
            f"{courses} courses in one batch; this service takes at most {burst} per batch.",
            errors_list=[{"pointer": "/courses", "detail": f"at most {burst} courses"}],
        )
    wait = limiter.charge("batch_courses", _caller(request), float(courses))
    if wait is not None:
        raise refusal("batch_courses", wait)


def install(app: FastAPI, settings: Settings) -> RateLimiter:
    """Add :func:`rate_limit` to every operation included after this call; return the limiter
    (for :class:`AddressLimit`). Call after the authorisation dependency is installed."""
    limiter = RateLimiter(settings.rate_limits)
    app.state.rate_limiter = limiter
    app.router.dependencies.append(Depends(rate_limit))
    return limiter


class AddressLimit:
    """Charge the client address once per request, before the app (and authentication) runs."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait = self.limiter.charge("address", client_address(scope))
            if wait is not None:
                problem = refusal("address", wait)
                await send_problem(
                    scope,
                    send,
                    RATE_LIMITED,
                    problem.detail,
                    [],
                    headers=[(b"retry-after", problem.headers["Retry-After"].encode())],
                    extra=problem.extra,
                )
                return
        await self.app(scope, receive, send)
