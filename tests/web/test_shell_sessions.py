"""Server-side sessions of the workspace: ids are random, and sessions end when idle, when too
old, or when signed out (app/web/sessions.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.identity import Principal, PrincipalKind, Role
from app.web import sessions
from app.web.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SessionStore

PRINCIPAL = Principal("key:abcdefgh", PrincipalKind.API_KEY, "default", frozenset({Role.READER}))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    now = [dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(sessions, "_now", lambda: now[0])
    return now


def test_a_session_is_random_and_carries_its_own_csrf_token(clock: list[dt.datetime]) -> None:
    store = SessionStore()
    a = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    b = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    assert a.id != b.id and a.csrf_token != b.csrf_token
    assert len(a.id) >= 43 and a.csrf_token != a.id
    found = store.get(a.id)
    assert found is not None and found.principal == PRINCIPAL
    assert store.get("not-a-session") is None


def test_an_idle_session_ends_and_an_active_one_lasts_until_the_absolute_limit(
    clock: list[dt.datetime],
) -> None:
    store = SessionStore()
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
    clock: list[dt.datetime],
) -> None:
    store = SessionStore()
    session = store.create(PRINCIPAL, organisation_name="Default", key_prefix="abcdefgh")
    assert not store.needs_check(session)
    clock[0] += sessions.RECHECK_AFTER
    assert store.needs_check(session)
    store.checked(session.id)
    refreshed = store.get(session.id)
    assert refreshed is not None and not store.needs_check(refreshed)
    store.drop(session.id)
    assert store.get(session.id) is None
