"""Server-side sessions of the workspace: ids are random, sessions end when idle, when too
old, or when signed out, they live in the database (so every API replica knows them), and the
database holds no usable cookie (app/web/sessions.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.models_identity import WebSessionRow
from app.adapters.db.session import make_engine, make_sessionmaker
from app.core.identity import Principal, PrincipalKind, Role
from app.web import sessions
from app.web.sessions import ABSOLUTE_TIMEOUT, COOKIE_NAME, IDLE_TIMEOUT, SessionStore
from tests.conftest import _backend_url

PRINCIPAL = Principal(
    "key:abcdefgh", PrincipalKind.API_KEY, "default", frozenset({Role.READER}), name="Rea"
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    url = _backend_url(request.param, tmp_path_factory, "websessions")
    migrate.upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def store(factory: sessionmaker[Session]) -> SessionStore:
    return SessionStore(lambda: factory)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    now = [dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(sessions, "_now", lambda: now[0])
    return now


def test_a_session_is_random_and_carries_its_own_csrf_token(
    clock: list[dt.datetime], store: SessionStore, factory: sessionmaker[Session]
) -> None:
    a = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    b = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    assert a.id != b.id and a.csrf_token != b.csrf_token
    assert len(a.id) >= 43 and a.csrf_token != a.id
    found = store.get(a.id)
    assert found is not None and found.principal == PRINCIPAL
    assert store.get("not-a-session") is None
    # the table holds neither cookie: a copy of it signs nobody in
    with factory() as db:
        digests = set(db.scalars(select(WebSessionRow.digest)))
    assert a.id not in digests and b.id not in digests and len(digests) >= 2


def test_an_idle_session_ends_and_an_active_one_lasts_until_the_absolute_limit(
    clock: list[dt.datetime], store: SessionStore
) -> None:
    idle = store.create(PRINCIPAL, organisation_name="Default", key_prefix=None)
    active = store.create(PRINCIPAL, organisation_name="Default", key_prefix=None)
    start = clock[0]
    step = IDLE_TIMEOUT - dt.timedelta(minutes=1)
    while clock[0] + step < start + ABSOLUTE_TIMEOUT:
        clock[0] += step
        assert store.get(active.id) is not None  # each request keeps it alive
    assert store.get(idle.id) is None
    clock[0] = start + ABSOLUTE_TIMEOUT
    assert store.get(active.id) is None


def test_sign_out_forgets_the_session_and_the_key_is_rechecked_after_a_minute(
    clock: list[dt.datetime], store: SessionStore
) -> None:
    session = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    assert not store.needs_check(session)
    clock[0] += sessions.RECHECK_AFTER
    assert store.needs_check(session)
    store.checked(session.id)
    refreshed = store.get(session.id)
    assert refreshed is not None and not store.needs_check(refreshed)
    store.drop(session.id)
    assert store.get(session.id) is None


def test_a_session_signed_in_on_one_replica_is_known_to_another(web_site: Any) -> None:
    """Two API processes over one database (the fleet's api-1 and api-2): a session made by one
    is honoured by the other, and signing out on one ends it on both."""
    import re

    from fastapi.testclient import TestClient

    from app.api.main import create_app

    first = web_site.make_client()
    form = first.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = first.post(
        "/sign-in",
        data={"csrf_token": token.group(1), "api_key": web_site.keys["reader"], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    cookie = {"cookie": f"{COOKIE_NAME}={first.cookies.get(COOKIE_NAME)}"}
    with TestClient(create_app(web_site.app.state.settings)) as replica:
        home = replica.get("/", headers=cookie, follow_redirects=False)
        assert home.status_code == 200 and "Rea Reader" in home.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        assert csrf is not None
        out = replica.post(
            "/sign-out", data={"csrf_token": csrf.group(1)}, headers=cookie, follow_redirects=False
        )
        assert out.status_code == 303
    again = first.get("/", follow_redirects=False)
    assert again.status_code == 303 and "/sign-in" in again.headers["location"]
