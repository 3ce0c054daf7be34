"""OIDC bearer tokens checked with joserfc: keys the test makes, no network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.adapters.oidc import InvalidToken, OidcVerifier
from app.settings import AuthSettings

ISSUER = "https://login.example.edu/realms/registry"
AUDIENCE = "passerelle"


def _key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


KEY = _key("k1")


def _token(key: Any = KEY, alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "iat": now, "exp": now + 300}
    payload.update(claims)
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key)


def _jwks(*keys: Any) -> dict[str, Any]:
    return KeySet(list(keys)).as_dict(private=False)


@pytest.fixture
def jwks_path(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(_jwks(KEY)))
    return path


def _verifier(jwks_path: Path, **kw: Any) -> OidcVerifier:
    return OidcVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=jwks_path, **kw)


def test_a_good_token_gives_its_claims(jwks_path: Path) -> None:
    claims = _verifier(jwks_path).verify(_token(roles=["reader"], org="uni-a"))
    assert claims["sub"] == "u-1" and claims["org"] == "uni-a"


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://evil.example"}, "iss"),
        ({"aud": "someone-else"}, "aud"),
        ({"exp": int(time.time()) - 3600}, "exp"),
        ({"sub": None}, "sub"),
    ],
)
def test_claims_are_checked(jwks_path: Path, claims: dict[str, Any], why: str) -> None:
    token = _token(**{k: v for k, v in claims.items() if v is not None})
    if claims.get("sub", "x") is None:
        now = int(time.time())
        token = jwt.encode(
            {"alg": "RS256", "kid": "k1"},
            {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 60},
            KEY,
        )
    with pytest.raises(InvalidToken) as caught:
        _verifier(jwks_path).verify(token)
    assert why in str(caught.value)


def test_a_token_signed_by_another_key_is_refused(jwks_path: Path) -> None:
    with pytest.raises(InvalidToken):
        _verifier(jwks_path).verify(_token(key=_key("k1")))  # same kid, different key


def test_hmac_with_the_public_key_and_alg_none_are_refused(jwks_path: Path) -> None:
    # The classic confusion: sign HS256 with the RSA public key as the secret.
    # (joserfc will not even make such a key, so the token is forged by hand.)
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60}
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(KEY.as_pem(private=False), f"{header}.{body}".encode(), hashlib.sha256)
    forged = f"{header}.{body}.{b64(mac.digest())}"
    verifier = _verifier(jwks_path, algorithms=["RS256", "HS256", "none"])
    assert verifier.algorithms == ["RS256"]
    with pytest.raises(InvalidToken):
        verifier.verify(forged)
    with pytest.raises(InvalidToken):
        verifier.verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "ey.ey.ey", "\x00" * 10])
def test_malformed_tokens_are_refused(jwks_path: Path, junk: str) -> None:
    with pytest.raises(InvalidToken):
        _verifier(jwks_path).verify(junk)


def test_jwks_from_the_issuer_url_with_rotation() -> None:
    new = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    served = {"keys": _jwks(KEY)}
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return served["keys"]

    verifier = OidcVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_url=ISSUER + "/protocol/openid-connect/certs",
        fetch=fetch,
        refetch_seconds=0,
    )
    assert verifier.verify(_token())["sub"] == "u-1"
    assert verifier.verify(_token())["sub"] == "u-1"
    assert len(fetched) == 1  # cached
    served["keys"] = _jwks(KEY, new)  # the issuer rotates in a new key
    assert verifier.verify(_token(key=new, alg="ES256"))["sub"] == "u-1"
    assert len(fetched) == 2 and set(fetched) == {ISSUER + "/protocol/openid-connect/certs"}


def test_unknown_kid_refetch_is_rate_limited() -> None:
    calls = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return _jwks(KEY)

    verifier = OidcVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks_url=ISSUER + "/jwks", fetch=fetch
    )
    stranger = _key("nobody")
    for _ in range(5):
        with pytest.raises(InvalidToken):
            verifier.verify(_token(key=stranger))
    assert len(calls) == 1  # junk tokens do not hammer the issuer


def test_settings_fetch_keys_only_from_the_issuer() -> None:
    with pytest.raises(ValueError, match=r"under auth\.oidc_issuer"):
        AuthSettings(oidc_issuer=ISSUER, oidc_jwks_url="https://evil.example/jwks")
    with pytest.raises(ValueError, match=r"under auth\.oidc_issuer"):
        AuthSettings(oidc_issuer=ISSUER, oidc_jwks_url=ISSUER + ".evil.example/jwks")
    with pytest.raises(ValueError, match=r"under auth\.oidc_issuer"):
        AuthSettings(oidc_jwks_url=ISSUER + "/jwks")
    ok = AuthSettings(oidc_issuer=ISSUER, oidc_jwks_url=ISSUER + "/jwks")
    assert ok.oidc_jwks_url == ISSUER + "/jwks"


def test_settings_refuse_public_organisation_data() -> None:
    with pytest.raises(ValueError, match="credentials"):
        AuthSettings(public=["frameworks", "credentials"])
    assert AuthSettings(public=[]).public == []
