"""Test identities: an OIDC issuer the test suite runs itself (a key pair made here, a JWKS
file on disk; no network), tokens for any role and organisation, and API keys.

``conftest.make_settings`` points every test app at this issuer, and the ``client`` fixtures
send an admin token of :data:`DEFAULT_ORG` by default, so tests whose subject is not security
need not think about it. Tests of security use :func:`token`, :func:`headers` and the
``client_for`` fixture.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ISSUER = "https://issuer.passerelle.test"
AUDIENCE = "passerelle-test"
DEFAULT_ORG = "default"
DEFAULT_SUBJECT = "test-admin"


@lru_cache(maxsize=1)
def _key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig", "alg": "RS256"})


@lru_cache(maxsize=1)
def jwks_file() -> Path:
    """The issuer's public keys, written once per test process."""
    path = Path(tempfile.mkdtemp(prefix="passerelle-jwks-")) / "jwks.json"
    path.write_text(json.dumps(KeySet([_key()]).as_dict(private=False)), encoding="utf-8")
    return path


def auth_settings(**overrides: Any) -> Any:
    from app.settings import AuthSettings

    values: dict[str, Any] = {
        "oidc_issuer": ISSUER,
        "oidc_audience": AUDIENCE,
        "oidc_jwks_file": jwks_file(),
    }
    values.update(overrides)
    return AuthSettings(**values)


def token(
    role: str | list[str] = "admin",
    organisation: str = DEFAULT_ORG,
    *,
    subject: str | None = None,
    lifetime: int = 12 * 3600,
    key: RSAKey | None = None,
    **claims: Any,
) -> str:
    roles = [role] if isinstance(role, str) else role
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or (DEFAULT_SUBJECT if roles == ["admin"] else f"test-{'-'.join(roles)}"),
        "iat": now,
        "exp": now + lifetime,
        "roles": roles,
        "org": organisation,
    }
    payload.update(claims)
    signer = key or _key()
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, payload, signer)


@lru_cache(maxsize=256)
def _cached_token(roles: tuple[str, ...], organisation: str, subject: str | None) -> str:
    # RSA signing costs ~1 ms: tests asking for the same identity share one token.
    return token(list(roles), organisation, subject=subject)


def headers(
    role: str | Sequence[str] = "admin",
    organisation: str = DEFAULT_ORG,
    *,
    subject: str | None = None,
) -> dict[str, str]:
    roles = (role,) if isinstance(role, str) else tuple(role)
    return {"Authorization": f"Bearer {_cached_token(roles, organisation, subject)}"}


#: What the shared clients send unless a test says otherwise.
ADMIN_HEADERS = headers()


def ensure_organisation(app: Any, organisation: str) -> None:
    """Create ``organisation`` in the app's database if it is not there yet."""
    from app.adapters.db.identity_repository import IdentityRepository
    from app.adapters.db.session import session_scope

    with session_scope(app.state.sessionmaker) as session:
        repo = IdentityRepository(session)
        if not repo.organisation_exists(organisation):
            repo.create_organisation(organisation, organisation.title())
