"""Signed-in browser sessions of the workspace, kept on the server.

The cookie holds only an opaque random id (256 bits); the principal, its CSRF token and its
timestamps stay in this process's memory. So nothing the browser holds can be altered or
replayed elsewhere, signing out forgets the session at once, and a restart signs everyone out
(the service runs one worker: ARCHITECTURE.md "Serving"). A session ends after
:data:`IDLE_TIMEOUT` without a request or :data:`ABSOLUTE_TIMEOUT` after sign-in, whichever
comes first; the API key behind it is re-checked every :data:`RECHECK_AFTER` (a revoked or
expired key ends the session).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field, replace

from app.core.identity import Principal

COOKIE_NAME = "passerelle_session"
#: The double-submit token of the sign-in form (there is no session yet to hold one).
SIGN_IN_COOKIE = "passerelle_signin"
IDLE_TIMEOUT = dt.timedelta(hours=2)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
RECHECK_AFTER = dt.timedelta(seconds=60)
MAX_SESSIONS = 10_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    """In-memory sessions, safe to use from the event loop and the thread pool."""

    def __init__(self) -> None:
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

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
        with self._lock:
            self._expire(now)
            if len(self._sessions) >= MAX_SESSIONS:  # drop the least recently seen
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> WebSession | None:
        """The live session with this id (its last-seen time refreshed), or ``None``."""
        now = _now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session = replace(session, last_seen=now)
            self._sessions[session_id] = session
            return session

    def needs_check(self, session: WebSession) -> bool:
        return session.key_prefix is not None and _now() - session.checked_at >= RECHECK_AFTER

    def checked(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions[session_id] = replace(session, checked_at=_now())

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)

    @staticmethod
    def _expired(session: WebSession, now: dt.datetime) -> bool:
        return (
            now - session.last_seen >= IDLE_TIMEOUT
            or now - session.signed_in_at >= ABSOLUTE_TIMEOUT
        )

    def _expire(self, now: dt.datetime) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
