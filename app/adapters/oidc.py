"""OIDC bearer tokens: a JWT checked with joserfc against one configured issuer (issue 12).

The signing keys (JWKS) come from a file (``oidc_jwks_file``, e.g. mounted from a secret) or
from a URL, which settings only accept under the issuer itself: keys are never fetched from a
place a token names (no ``jku``/``x5u``), so a forged token cannot point us at its own keys.
Fetched keys are cached for ``cache_seconds``; a token signed with an unknown ``kid`` causes at
most one re-fetch per ``refetch_seconds`` (key rotation without a restart, without letting a
stream of junk tokens hammer the issuer).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired, or not for us. The message says which."""


def _fetch(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:  # https only (settings)
        data: dict[str, Any] = json.loads(response.read(1_000_000))
        return data


class OidcVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str | None,
        jwks_file: Path | None = None,
        jwks_url: str | None = None,
        algorithms: Sequence[str] = ("RS256", "ES256", "EdDSA"),
        leeway: int = 60,
        cache_seconds: float = 600.0,
        refetch_seconds: float = 60.0,
        fetch: Callable[[str], dict[str, Any]] = _fetch,
    ) -> None:
        if jwks_file is None and jwks_url is None:
            raise ValueError("OIDC needs oidc_jwks_file or oidc_jwks_url")
        self.issuer = issuer
        self.audience = audience
        self.jwks_file = jwks_file
        self.jwks_url = jwks_url
        # "none" and the HMAC family are never accepted: a public key must not double as a secret.
        self.algorithms = [a for a in algorithms if a != "none" and not a.startswith("HS")]
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.refetch_seconds = refetch_seconds
        self._fetch = fetch
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._loaded_at = 0.0

    def _load(self) -> KeySet:
        if self.jwks_file is not None:
            data = json.loads(self.jwks_file.read_text(encoding="utf-8"))
        else:
            assert self.jwks_url is not None
            data = self._fetch(self.jwks_url)
        return KeySet.import_key_set(data)

    def _key_set(self, *, refresh: bool) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._loaded_at
            stale = self._keys is None or age > self.cache_seconds
            if stale or (refresh and age > self.refetch_seconds):
                try:
                    self._keys = self._load()
                except (OSError, ValueError, JoseError) as exc:
                    if self._keys is None:
                        raise InvalidToken(
                            f"the issuer's keys could not be loaded ({exc})"
                        ) from exc
                self._loaded_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and times check out."""
        try:
            decoded = self._decode(token, refresh=False)
        except InvalidToken as first:
            if "key" not in str(first):
                raise
            decoded = self._decode(token, refresh=True)  # the issuer may have rotated its keys
        claims: dict[str, Any] = dict(decoded.claims)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }
        if self.audience is not None:
            options["aud"] = {"essential": True, "value": self.audience}
        try:
            jwt.JWTClaimsRegistry(leeway=self.leeway, **options).validate(claims)
        except JoseError as exc:
            raise InvalidToken(f"claims: {exc}") from exc
        return claims

    def _decode(self, token: str, *, refresh: bool) -> jwt.Token:
        keys = self._key_set(refresh=refresh)
        try:
            return jwt.decode(token, keys, algorithms=self.algorithms)
        except JoseError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc} (key or signature)") from exc
        except (ValueError, TypeError) as exc:
            raise InvalidToken(f"malformed token ({exc})") from exc
