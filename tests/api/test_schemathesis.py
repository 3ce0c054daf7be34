"""A bounded schemathesis run over the whole OpenAPI document, on each database (issue 12, item 8).

Every operation gets a small budget of generated requests, valid ones (positive) and invalid
ones (negative), sent as an admin of the default organisation to an app of its own (the fuzzer
writes junk into the catalogue and the credential store; no other test shares that database).
Two checks are run on each answer: no 5xx (``not_a_server_error``), and the body matches what
the document declares for that status and media type (``response_schema_conformance``).
Failures are collected, not raised one by one, so one run reports all of them without
shrinking; the test fails listing each (operation, status, check, request).

``PASSERELLE_FUZZ_EXAMPLES`` raises the budget for a longer run by hand.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.settings import RateLimitSettings
from tests import identity
from tests.conftest import _backend_url, make_settings

EXAMPLES = int(os.environ.get("PASSERELLE_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance]
_CREDENTIALS = frozenset({"authorization", "x-api-key"})


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzzed_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    from app.api.main import create_app

    url = _backend_url(request.param, tmp_path_factory, "hardeningfuzz")
    # No rate limit here: the run is a flood by design, and 429s would hide the operations.
    app = create_app(make_settings(url, rate_limits=RateLimitSettings(enabled=False)))
    with TestClient(app):  # start-up: migrate, load the data release, start the job worker
        yield app


def _failure(case: Any, exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[:6]
    return f"{case.method} {case.path} {case.formatted_path} :: " + " / ".join(first)


def test_whole_api(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    answered: set[str] = set()  # operations that answered 2xx at least once
    operations = 0
    spent: dict[str, float] = {}  # seconds per operation, for the log
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every operation of the document is usable
        operation = result.ok()
        operations += 1
        started = time.perf_counter()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                # The document declares both security schemes, so cases carry made-up keys and
                # tokens; the run is about input, not credentials (tests/api/test_auth* are).
                for name in [h for h in case.headers or {} if h.lower() in _CREDENTIALS]:
                    del case.headers[name]
                try:
                    response = case.call(headers=dict(identity.ADMIN_HEADERS))
                    statuses[response.status_code] += 1
                    if response.status_code < 300:
                        answered.add(case.operation.label)
                    case.validate_response(response, checks=CHECKS)
                except Exception as exc:  # collected: the run goes on, the test fails below
                    failures.append(_failure(case, exc))

            try:
                run()
            except Unsatisfiable:
                # nothing to make invalid (no parameters, no body): the positive run covers it
                assert mode is GenerationMode.NEGATIVE, operation.label
        spent[operation.label] = round(time.perf_counter() - started, 1)
    assert operations >= 30
    print(f"{operations} operations, {sum(statuses.values())} requests: {sorted(statuses.items())}")
    print("slowest (s):", sorted(spent.items(), key=lambda kv: -kv[1])[:8])
    # the run reached the operations, not only their refusals (random ids are mostly 404)
    assert len(answered) >= operations // 3, sorted(answered)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures)))
