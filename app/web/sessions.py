"""Signed-in browser sessions of the workspace, kept on the server — in the database.

The cookie holds only an opaque random id (256 bits); the principal, its CSRF token and its
timestamps are a row of ``web_session`` keyed by the id's SHA-256. So nothing the browser holds
can be altered, signing out forgets the session at once on every API replica (the fleet of
``compose.yaml`` runs two behind one address), a restart signs nobody out, and a copy of the
table signs nobody in. A session ends after :data:`IDLE_TIMEOUT` without a request or
:data:`ABSOLUTE_TIMEOUT` after sign-in, whichever comes first; the API key behind it is
re-checked every :data:`RECHECK_AFTER` (a revoked or expired key ends the session).

The store's methods do blocking database work: call them from the thread pool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db.models_identity import WebSessionRow
from app.core.identity import Principal, PrincipalKind, Role

COOKIE_NAME = "passerelle_session"
#: The double-submit token of the sign-in form (there is no session yet to hold one).
SIGN_IN_COOKIE = "passerelle_signin"
IDLE_TIMEOUT = dt.timedelta(hours=2)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
RECHECK_AFTER = dt.timedelta(seconds=60)
#: ``last_seen`` is written at most this often (a page view is then a read, not a write).
TOUCH_AFTER = dt.timedelta(seconds=60)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class WebSession:
    id: str
    principal: Principal
    organisation_name: str
    csrf_token: str
    key_prefix: str | None  # the API key behind the session, re-checked; None for OIDC
    signed_in_at: dt.datetime
    last_seen: dt.datetime
    checked_at: dt.datetime = field(default_factory=_now)


class SessionStore:
    """Sessions in the ``web_session`` table, through the app's sessionmaker (given lazily: the
    lifespan builds it after the pages are mounted)."""

    def __init__(self, sessions: Callable[[], sessionmaker[Session]]) -> None:
        self._sessions = sessions

    def create(
        self, principal: Principal, *, organisation_name: str, key_prefix: str | None
    ) -> WebSession:
        now = _now()
        session = WebSession(
            id=secrets.token_urlsafe(32),
            principal=principal,
            organisation_name=organisation_name,
            csrf_token=secrets.token_urlsafe(32),
            key_prefix=key_prefix,
            signed_in_at=now,
            last_seen=now,
            checked_at=now,
        )
        with self._sessions()() as db:
            self._expire(db, now)
            db.add(
                WebSessionRow(
                    digest=_digest(session.id),
                    organisation_id=principal.organisation,
                    principal_id=principal.id,
                    principal_kind=principal.kind.value,
                    roles=sorted(role.value for role in principal.roles),
                    name=principal.name,
                    organisation_name=organisation_name,
                    csrf_token=session.csrf_token,
                    key_prefix=key_prefix,
                    signed_in_at=now,
                    last_seen=now,
                    checked_at=now,
                )
            )
            db.commit()
        return session

    def get(self, session_id: str) -> WebSession | None:
        """The live session with this id (its last-seen time refreshed), or ``None``."""
        now = _now()
        with self._sessions()() as db:
            row = db.get(WebSessionRow, _digest(session_id))
            if row is None:
                return None
            session = _session_of(session_id, row)
            if self._expired(session, now):
                db.delete(row)
                db.commit()
                return None
            if now - session.last_seen >= TOUCH_AFTER:
                row.last_seen = now
                db.commit()
            return replace(session, last_seen=now)

    def needs_check(self, session: WebSession) -> bool:
        return session.key_prefix is not None and _now() - session.checked_at >= RECHECK_AFTER

    def checked(self, session_id: str) -> None:
        with self._sessions()() as db:
            row = db.get(WebSessionRow, _digest(session_id))
            if row is not None:
                row.checked_at = _now()
                db.commit()

    def drop(self, session_id: str) -> None:
        with self._sessions()() as db:
            db.execute(delete(WebSessionRow).where(WebSessionRow.digest == _digest(session_id)))
            db.commit()

    @staticmethod
    def _expired(session: WebSession, now: dt.datetime) -> bool:
        return (
            now - session.last_seen >= IDLE_TIMEOUT
            or now - session.signed_in_at >= ABSOLUTE_TIMEOUT
        )

    @staticmethod
    def _expire(db: Session, now: dt.datetime) -> None:
        db.execute(
            delete(WebSessionRow).where(
                or_(
                    WebSessionRow.last_seen <= now - IDLE_TIMEOUT,
                    WebSessionRow.signed_in_at <= now - ABSOLUTE_TIMEOUT,
                )
            )
        )


def _session_of(session_id: str, row: WebSessionRow) -> WebSession:
    principal = Principal(
        id=row.principal_id,
        kind=PrincipalKind(row.principal_kind),
        organisation=row.organisation_id,
        roles=frozenset(Role(role) for role in row.roles),
        name=row.name,
    )
    return WebSession(
        id=session_id,
        principal=principal,
        organisation_name=row.organisation_name,
        csrf_token=row.csrf_token,
        key_prefix=row.key_prefix,
        signed_in_at=_aware(row.signed_in_at),
        last_seen=_aware(row.last_seen),
        checked_at=_aware(row.checked_at),
    )
