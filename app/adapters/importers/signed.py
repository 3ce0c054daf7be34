"""Signed and enveloped credentials: read the claims, report the proof, verify nothing.

Forms handled:

* a compact JWS/JWT (``header.payload.signature``; VC-JWT 1.1 with a ``vc`` claim, or a VC 2.0
  credential as the payload; an SD-JWT's issuer part before the first ``~``);
* a JWS in JSON serialisation (``{"payload", "protected", "signature(s)"}``, e.g. JAdES);
* a VC 2.0 ``EnvelopedVerifiableCredential`` whose ``id`` is a ``data:`` URL holding a JWT;
* an embedded Data Integrity / Linked Data ``proof`` (read by the format importers).

The payload is decoded without checking the signature, and the credential says so explicitly:
``proof = {type, signed: true, verified: false, note: "signature not verified"}``. Verifying
seals (keys, trust lists, revocation) is a later step.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.adapters.importers.safety import ImportLimits, parse_json_text
from app.core.credentials import CredentialInputError, Proof

_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(~[A-Za-z0-9_.~-]*)?$")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A credential taken out of its signature wrapper."""

    document: Any
    proof: Proof
    wrapper: str  # "jwt", "jws-json", "enveloped"
    token: str | None = None  # the compact JWS as received


def looks_like_jwt(text: str) -> bool:
    return len(text) < 50_000_000 and bool(_COMPACT.match(text))


def _b64(segment: str, pointer: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise CredentialInputError(pointer, "not valid base64url") from None


def _b64json(segment: str, pointer: str, limits: ImportLimits) -> Any:
    raw = _b64(segment, pointer)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialInputError(pointer, "the decoded segment is not UTF-8 JSON") from None
    try:
        return parse_json_text(text, limits)
    except CredentialInputError as exc:
        raise CredentialInputError(pointer + (exc.field or ""), exc.message) from None


def _epoch(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e11:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _proof(header: Mapping[str, Any], has_signature: bool, kind: str) -> Proof:
    alg = header.get("alg")
    alg_text = alg if isinstance(alg, str) else "unknown algorithm"
    if alg_text.casefold() == "none" or not has_signature:
        return Proof(
            type=f"{kind} (alg {alg_text})",
            signed=False,
            verified=False,
            note="unsecured: the token carries no signature",
        )
    return Proof.unverified(f"{kind} ({alg_text})")


def _credential_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The credential of a JWT claim set (VC-JWT 1.1 ``vc`` claim, or the claims themselves)."""
    vc = claims.get("vc")
    if not isinstance(vc, Mapping):
        return dict(claims)
    credential = dict(vc)
    # VC-JWT 1.1 moves some members to registered claims; put them back where importers look.
    if "id" not in credential and isinstance(claims.get("jti"), str):
        credential["id"] = claims["jti"]
    if "issuer" not in credential and isinstance(claims.get("iss"), str):
        credential["issuer"] = claims["iss"]
    if "issuanceDate" not in credential and "validFrom" not in credential:
        issued = _epoch(claims.get("nbf")) or _epoch(claims.get("iat"))
        if issued:
            credential["issuanceDate"] = issued
    if "expirationDate" not in credential and "validUntil" not in credential:
        expires = _epoch(claims.get("exp"))
        if expires:
            credential["expirationDate"] = expires
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and "id" not in subject and isinstance(claims.get("sub"), str):
        credential["credentialSubject"] = {**subject, "id": claims["sub"]}
    return credential


def decode_compact(token: str, limits: ImportLimits, *, pointer: str = "") -> Envelope:
    """Decode a compact JWS/JWT (without verifying it)."""
    issuer_jwt = token.split("~", 1)[0]
    parts = issuer_jwt.split(".")
    if len(parts) != 3:
        raise CredentialInputError(
            pointer, "a compact JWS has three parts: header.payload.signature"
        )
    header = _b64json(parts[0], pointer + "/header", limits)
    if not isinstance(header, Mapping):
        raise CredentialInputError(pointer + "/header", "the JWS header is not a JSON object")
    claims = _b64json(parts[1], pointer + "/payload", limits)
    if not isinstance(claims, Mapping):
        raise CredentialInputError(pointer + "/payload", "the JWT payload is not a JSON object")
    kind = "SD-JWT" if "~" in token else "JWT"
    return Envelope(
        document=_credential_from_claims(claims),
        proof=_proof(header, bool(parts[2]), kind),
        wrapper="jwt",
        token=token,
    )


def is_jws_json(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("payload"), str) and (
        "signatures" in document or "signature" in document
    )


def decode_jws_json(document: Mapping[str, Any], limits: ImportLimits) -> Envelope:
    """Decode a JWS in JSON serialisation (general or flattened)."""
    payload = _b64json(document["payload"], "/payload", limits)
    if not isinstance(payload, Mapping):
        raise CredentialInputError("/payload", "the JWS payload is not a JSON object")
    signatures = document.get("signatures")
    first: Mapping[str, Any] = (
        signatures[0]
        if isinstance(signatures, list) and signatures and isinstance(signatures[0], Mapping)
        else document
    )
    header: dict[str, Any] = {}
    protected = first.get("protected")
    if isinstance(protected, str) and protected:
        decoded = _b64json(protected, "/protected", limits)
        if isinstance(decoded, Mapping):
            header.update(decoded)
    if isinstance(first.get("header"), Mapping):
        header.update(first["header"])
    signature = first.get("signature")
    return Envelope(
        document=_credential_from_claims(payload),
        proof=_proof(header, isinstance(signature, str) and bool(signature), "JWS"),
        wrapper="jws-json",
    )


def is_enveloped(document: Mapping[str, Any]) -> bool:
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "EnvelopedVerifiableCredential" in kinds


def decode_enveloped(document: Mapping[str, Any], limits: ImportLimits) -> Envelope:
    """Decode a VC 2.0 EnvelopedVerifiableCredential (``id`` = ``data:<media type>,<token>``)."""
    ident = document.get("id")
    if not isinstance(ident, str) or not ident.startswith("data:") or "," not in ident:
        raise CredentialInputError(
            "/id", "an EnvelopedVerifiableCredential carries its credential as a data: URL"
        )
    media, _, data = ident[5:].partition(",")
    if ";base64" in media:
        raise CredentialInputError("/id", f"unsupported enveloped media type {media!r}")
    if not looks_like_jwt(data):
        raise CredentialInputError("/id", "the enveloped credential is not a compact JWS")
    inner = decode_compact(data, limits, pointer="/id")
    return Envelope(inner.document, inner.proof, "enveloped", token=data)
