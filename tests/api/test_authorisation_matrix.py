"""The authorisation matrix (issue 12, item 8): every operation × every role (and no
credentials) × the resource's own organisation or another one → the expected status, on SQLite
and PostgreSQL.

Expected, from the access table (``app/api/access.py``) and the role rules
(``app/core/identity.py``), not restated by hand:

* no credentials: the operation's answer if its group is public, else 401;
* a role without the operation's permission: 403;
* a role with it, in the organisation that owns the resources named: the operation's answer
  (2xx);
* a role with it, in another organisation: 404 for anything naming the first organisation's
  resources (their existence is not revealed), and lists that do not contain them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.access import ALWAYS_PUBLIC, RULES, rule_for
from app.core.identity import ROLE_PERMISSIONS, Role
from app.settings import PROJECT_ROOT, AuthSettings

ClientFor = Callable[..., TestClient]
OWN, OTHER = "matrix-own", "matrix-other"
ROLES: list[str | None] = [None, "reader", "evaluator", "reviewer", "admin"]
PLAIN = PROJECT_ROOT / "tests/data/credentials/plain/plain-full.json"
BULK = PROJECT_ROOT / "tests/data/credentials/plain/bulk.csv"
PROGRAMME = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"
JSON = {"content-type": "application/json"}
LOQ = PROJECT_ROOT / "tests/data/loq/Sample-MC-Annex1-qualification.jsonld"


@dataclass
class World:
    credential: str
    programme: str
    record: str
    job: str
    course: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One request. ``names_own`` when it names the owning organisation's resources; ``ok``
    the statuses of an allowed call."""

    method: str
    path: str  # the template, as in the access table
    url: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None = None
    content: Callable[[World], tuple[bytes, str]] | None = None
    ok: tuple[int, ...] = (200,)
    names_own: bool = False
    lists: str | None = None  # for a list: the World attribute that must (not) appear


def _plain(_: World) -> tuple[bytes, str]:
    return PLAIN.read_bytes(), "application/json"


CASES = [
    Case("GET", "/healthz", lambda w: "/healthz"),
    Case("GET", "/v1/meta", lambda w: "/v1/meta"),
    Case("GET", "/v1/frameworks", lambda w: "/v1/frameworks"),
    Case("GET", "/v1/frameworks/{framework}", lambda w: "/v1/frameworks/IE-NFQ"),
    Case(
        "GET",
        "/v1/frameworks/{framework}/levels/{code}",
        lambda w: "/v1/frameworks/IE-NFQ/levels/8",
    ),
    Case("GET", "/v1/levels/{identifier}", lambda w: "/v1/levels/IE-NFQ:8"),
    Case("GET", "/v1/qualification-types", lambda w: "/v1/qualification-types?q=bachelor"),
    Case("GET", "/v1/compare", lambda w: "/v1/compare?source=IE-NFQ:8&target=DE-DQR"),
    Case("GET", "/v1/compare/matrix", lambda w: "/v1/compare/matrix?frameworks=IE-NFQ,DE-DQR"),
    Case("GET", "/v1/exports/frameworks", lambda w: "/v1/exports/frameworks?frameworks=IE-NFQ"),
    Case(
        "GET",
        "/v1/exports/frameworks/{framework}",
        lambda w: "/v1/exports/frameworks/IE-NFQ?format=ctdl",
    ),
    Case(
        "GET",
        "/v1/exports/alignment-map",
        lambda w: "/v1/exports/alignment-map?source=IE-NFQ&target=EQF",
    ),
    Case(
        "GET", "/v1/exports/compare", lambda w: "/v1/exports/compare?source=IE-NFQ:8&target=DE-DQR"
    ),
    Case("GET", "/v1/credits/systems", lambda w: "/v1/credits/systems"),
    Case(
        "POST",
        "/v1/credits/convert",
        lambda w: "/v1/credits/convert",
        body=lambda w: {"value": 10, "from": "uk-cats", "to": "ects"},
    ),
    Case(
        "GET",
        "/v1/credential-formats/plain/schema",
        lambda w: "/v1/credential-formats/plain/schema",
    ),
    Case(
        "GET",
        "/v1/qualification-formats/catalogue/schema",
        lambda w: "/v1/qualification-formats/catalogue/schema",
    ),
    Case(
        "POST",
        "/v1/outcomes/skills",
        lambda w: "/v1/outcomes/skills",
        body=lambda w: {"outcomes": ["write SQL queries"]},
    ),
    Case(
        "POST",
        "/v1/outcomes/level",
        lambda w: "/v1/outcomes/level",
        body=lambda w: {"outcomes": ["design a relational schema"]},
    ),
    Case(
        "POST",
        "/v1/outcomes/align",
        lambda w: "/v1/outcomes/align",
        body=lambda w: {"source": ["write SQL"], "target": ["query databases"]},
    ),
    Case("POST", "/v1/credentials/validate", lambda w: "/v1/credentials/validate", content=_plain),
    Case("POST", "/v1/credentials", lambda w: "/v1/credentials", content=_plain, ok=(200, 201)),
    Case(
        "POST",
        "/v1/credentials/bulk",
        lambda w: "/v1/credentials/bulk",
        content=lambda w: (BULK.read_bytes(), "text/csv"),
        ok=(200, 201, 207),
    ),
    Case("GET", "/v1/credentials", lambda w: "/v1/credentials", lists="credential"),
    Case(
        "GET",
        "/v1/credentials/{credential_id}",
        lambda w: f"/v1/credentials/{w.credential}",
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/credentials/{credential_id}/original",
        lambda w: f"/v1/credentials/{w.credential}/original",
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/qualifications",
        lambda w: "/v1/qualifications",
        content=lambda w: (PROGRAMME.read_bytes(), "application/json"),
        ok=(200, 201),
    ),
    Case(
        "POST",
        "/v1/qualifications/loq",
        lambda w: "/v1/qualifications/loq",
        content=lambda w: (LOQ.read_bytes(), "application/ld+json"),
        ok=(200, 201),
    ),
    Case("GET", "/v1/qualifications", lambda w: "/v1/qualifications", lists="programme"),
    Case(
        "GET",
        "/v1/qualifications/{programme_id}",
        lambda w: f"/v1/qualifications/{w.programme}",
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/qualifications/{programme_id}/modules",
        lambda w: f"/v1/qualifications/{w.programme}/modules",
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/recognitions",
        lambda w: "/v1/recognitions",
        body=lambda w: {"credential_id": w.credential, "target": "EQF"},
        ok=(201,),
        names_own=True,
    ),
    Case("GET", "/v1/recognitions", lambda w: "/v1/recognitions", lists="record"),
    Case(
        "GET",
        "/v1/recognitions/{record_id}",
        lambda w: f"/v1/recognitions/{w.record}",
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/recognitions/{record_id}/export",
        lambda w: f"/v1/recognitions/{w.record}/export",
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/recognitions/{record_id}/verify",
        lambda w: f"/v1/recognitions/{w.record}/verify",
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/recognitions/{record_id}/review",
        lambda w: f"/v1/recognitions/{w.record}/review",
        body=lambda w: {"action": "confirm", "reason": "matrix"},
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/exports/recognitions/{record_id}/alignments",
        lambda w: f"/v1/exports/recognitions/{w.record}/alignments",
        names_own=True,
    ),
    Case(
        "GET",
        "/v1/exports/recognitions/{record_id}/transfer-values",
        lambda w: f"/v1/exports/recognitions/{w.record}/transfer-values",
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/articulations",
        lambda w: "/v1/articulations",
        body=lambda w: {"qualification_id": w.programme, "courses": [w.course]},
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/batch/articulations",
        lambda w: "/v1/batch/articulations",
        body=lambda w: {"qualification_id": w.programme, "courses": [w.course]},
        ok=(200, 202),
        names_own=True,
    ),
    Case("GET", "/v1/jobs", lambda w: "/v1/jobs", lists="job"),
    # the world's job is done: an allowed caller is told it cannot be cancelled any more
    Case(
        "POST",
        "/v1/jobs/{job_id}/cancel",
        lambda w: f"/v1/jobs/{w.job}/cancel",
        ok=(409,),
        names_own=True,
    ),
    Case("GET", "/v1/jobs/{job_id}", lambda w: f"/v1/jobs/{w.job}", names_own=True),
    Case("GET", "/v1/jobs/{job_id}/results", lambda w: f"/v1/jobs/{w.job}/results", names_own=True),
    Case(
        "GET",
        "/v1/exports/jobs/{job_id}/transfer-values",
        lambda w: f"/v1/exports/jobs/{w.job}/transfer-values",
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/pathways",
        lambda w: "/v1/pathways",
        body=lambda w: {"qualification_id": w.programme, "held": [w.credential]},
        names_own=True,
    ),
    Case(
        "POST",
        "/v1/pathways/stack-into",
        lambda w: "/v1/pathways/stack-into",
        body=lambda w: {"held": [w.credential]},
        names_own=True,
    ),
    Case("GET", "/v1/admin/api-keys", lambda w: "/v1/admin/api-keys"),
    Case(
        "POST",
        "/v1/admin/api-keys",
        lambda w: "/v1/admin/api-keys",
        body=lambda w: {"name": "matrix", "roles": ["reader"]},
        ok=(201,),
    ),
    Case(
        "DELETE",
        "/v1/admin/api-keys/{prefix}",
        lambda w: "/v1/admin/api-keys/ZZZZZZZZ",
        ok=(404,),  # no such key in any organisation: the permission is what is tested
    ),
    Case("GET", "/v1/admin/personal-data-access", lambda w: "/v1/admin/personal-data-access"),
    Case(
        "POST",
        "/v1/admin/personal-data-erasures",
        lambda w: "/v1/admin/personal-data-erasures",
        # nobody by that identifier: the permission is what is tested (erasure has its own tests)
        body=lambda w: {"learner": "urn:example:matrix:no-such-learner"},
    ),
    Case("GET", "/v1/whoami", lambda w: "/v1/whoami"),
]


def test_the_matrix_covers_every_operation() -> None:
    assert {(c.method, c.path) for c in CASES} == set(RULES)


def _wait(client: TestClient, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while client.get(f"/v1/jobs/{job_id}").json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture(scope="module")
def world(client_for: ClientFor) -> World:
    admin = client_for("admin", OWN)
    evaluator = client_for("evaluator", OWN, subject="matrix-evaluator")
    client_for("admin", OTHER)  # the other organisation exists
    credential = admin.post("/v1/credentials", content=PLAIN.read_bytes(), headers=JSON)
    assert credential.status_code in (200, 201), credential.text
    programme = admin.post("/v1/qualifications", content=PROGRAMME.read_bytes(), headers=JSON)
    assert programme.status_code in (200, 201), programme.text
    pid = programme.json()["items"][0]["id"]
    module = admin.get(f"/v1/qualifications/{pid}").json()["modules"][0]
    course = {
        "id": "matrix-1",
        "title": module["title"],
        "credits": {"value": 7.5, "system": "ects"},
        "level": "EQF:7",
        "learning_outcomes": module.get("learning_outcomes") or ["program computers"],
    }
    record = evaluator.post(
        "/v1/recognitions", json={"credential_id": credential.json()["id"], "target": "EQF"}
    )
    assert record.status_code == 201, record.text
    job = admin.post("/v1/batch/articulations", json={"qualification_id": pid, "courses": [course]})
    assert job.status_code in (200, 202), job.text
    _wait(admin, job.json()["id"])
    return World(credential.json()["id"], pid, record.json()["id"], job.json()["id"], course)


def _send(client: TestClient, case: Case, world: World) -> Any:
    headers: dict[str, str] = {}
    content: bytes | None = None
    body = case.body(world) if case.body else None
    if case.content is not None:
        content, media = case.content(world)
        headers["content-type"] = media
    if case.path == "/v1/recognitions/{record_id}/review":
        # name the current version, so a refusal can only be about who asks
        current = client.get(f"/v1/recognitions/{world.record}")
        if current.status_code == 200:
            headers["If-Match"] = current.headers["etag"]
    return client.request(case.method, case.url(world), json=body, content=content, headers=headers)


def _expected(case: Case, role: str | None, organisation: str) -> str:
    rule = rule_for(case.method, case.path)
    if role is None:
        public = set(AuthSettings().public) | ALWAYS_PUBLIC
        return "ok" if rule.group in public else "401"
    if rule.permission not in ROLE_PERMISSIONS[Role(role)]:
        return "403"
    if organisation == OTHER and case.names_own:
        return "404"
    return "ok"


@pytest.mark.parametrize("organisation", [OWN, OTHER])
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_authorisation_matrix(
    client_for: ClientFor, world: World, role: str | None, organisation: str
) -> None:
    client = client_for(role, organisation, subject=None if role is None else f"m-{role}")
    failures = []
    for case in CASES:
        r = _send(client, case, world)
        expected = _expected(case, role, organisation)
        got = r.status_code
        if expected == "ok":
            good = got in case.ok
            if good and case.lists and got == 200:
                ids = json.dumps([i.get("id") for i in r.json()["items"]])
                mine = getattr(world, case.lists) in ids
                good = mine == (organisation == OWN)
        else:
            good = got == int(expected)
            if good:
                problem = r.json()
                good = r.headers["content-type"].startswith("application/problem+json") and (
                    problem["status"] == got
                )
                if got == 401:
                    good = good and "www-authenticate" in r.headers
        if not good:
            failures.append(
                f"{case.method} {case.path}: expected {expected}, got {got} {r.text[:200]}"
            )
    assert not failures, "\n".join(failures)
