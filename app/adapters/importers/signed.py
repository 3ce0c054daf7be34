"""Signed and enveloped credentials: take the credential out, verify the signature, report it.

Forms handled:

* a JWS in JSON serialisation (``{"payload", "signatures": [...]}`` or flattened), in particular
  the JAdES seal of the European Digital Credentials: RS256 over an unencoded payload
  (``b64: false``, RFC 7797: the payload member *is* the credential's JSON text);
* a compact JWS/JWT (``header.payload.signature``; VC-JWT 1.1 with a ``vc`` claim, or a VC 2.0
  credential as the payload; an SD-JWT's issuer part before the first ``~``);
* a VC 2.0 ``EnvelopedVerifiableCredential`` whose ``id`` is a ``data:`` URL holding a JWT;
* an embedded Data Integrity ``proof`` (:func:`embedded_proof`, after the format importer).

Each signature is checked by :mod:`app.adapters.verification` (offline) and reported in
``Proof.verification``; an invalid signature is reported, never an error: the credential is
still read, and the warning says the signature does not verify.
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
from app.adapters.verification import data_integrity
from app.adapters.verification.jose import protected_header, verify_compact, verify_jws_json
from app.adapters.verification.trust import TrustStore
from app.core.credentials import CredentialInputError, Proof, UnsupportedCredentialFormat

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


def _unsigned(header: Mapping[str, Any], has_signature: bool, kind: str) -> Proof | None:
    """The proof of a token that carries no signature (``alg: none`` or empty); else None."""
    alg = header.get("alg")
    alg_text = alg if isinstance(alg, str) else "unknown algorithm"
    if alg_text.casefold() == "none" or not has_signature:
        return Proof(
            type=f"{kind} (alg {alg_text})",
            signed=False,
            verified=False,
            note="unsecured: the token carries no signature",
        )
    return None


def _kind(header: Mapping[str, Any], kind: str) -> str:
    alg = header.get("alg")
    return f"{kind} ({alg if isinstance(alg, str) else 'unknown algorithm'})"


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


def decode_compact(
    token: str, limits: ImportLimits, *, pointer: str = "", trust: TrustStore | None = None
) -> Envelope:
    """Decode a compact JWS/JWT and verify its signature."""
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
    proof = _unsigned(header, bool(parts[2]), kind) or Proof.checked(
        _kind(header, kind), verify_compact(token, claims, trust or TrustStore())
    )
    return Envelope(
        document=_credential_from_claims(claims), proof=proof, wrapper="jwt", token=token
    )


def require_compact(body: bytes | str, media_type: str) -> None:
    """A body sent as a JWT media type must be a compact JWS, said plainly when it is not.

    Raises:
        CredentialInputError: the body is not ``header.payload.signature``.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if looks_like_jwt(text.strip()):
        return
    start = text.lstrip()[:1]
    hint = (
        " It looks like JSON: send it as application/json (a JWS in JSON serialisation, such "
        "as a sealed EDC, is JSON)."
        if start in {"{", "["}
        else ""
    )
    raise CredentialInputError(
        "",
        f"the body is sent as {media_type} but is not a compact JWS "
        f"(header.payload.signature, base64url segments).{hint}",
    )


def is_jws_json(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("payload"), str) and (
        "signatures" in document or "signature" in document
    )


def _jws_json_payload(
    document: Mapping[str, Any], header: Mapping[str, Any], limits: ImportLimits
) -> Any:
    payload = document["payload"]
    if header.get("b64") is False:
        # RFC 7797: the payload member is the signed content itself (here JSON text)
        try:
            return parse_json_text(payload, limits)
        except CredentialInputError as exc:
            raise CredentialInputError("/payload" + (exc.field or ""), exc.message) from None
    return _b64json(payload, "/payload", limits)


def decode_jws_json(
    document: Mapping[str, Any], limits: ImportLimits, *, trust: TrustStore | None = None
) -> Envelope:
    """Decode a JWS in JSON serialisation (general or flattened) and verify its signatures."""
    signatures = document.get("signatures")
    first: Mapping[str, Any] = (
        signatures[0]
        if isinstance(signatures, list) and signatures and isinstance(signatures[0], Mapping)
        else document
    )
    pointer = "/signatures/0/protected" if first is not document else "/protected"
    try:
        protected: dict[str, Any] = protected_header(first)
    except (ValueError, binascii.Error):
        raise CredentialInputError(pointer, "the protected header is not base64url JSON") from None
    unprotected = first.get("header")
    header = {**unprotected, **protected} if isinstance(unprotected, Mapping) else protected
    # b64 counts only when protected (RFC 7797 §3); verification refuses it anywhere else
    payload = _jws_json_payload(document, protected, limits)
    if not isinstance(payload, Mapping):
        raise CredentialInputError("/payload", "the JWS payload is not a JSON object")
    signature = first.get("signature")
    proof = _unsigned(header, isinstance(signature, str) and bool(signature), "JWS")
    if proof is None:
        verification = verify_jws_json(document, trust or TrustStore())
        proof = Proof.checked(_kind(header, "JWS"), verification)
    _refuse_empty_presentation(payload, proof)
    return Envelope(document=_credential_from_claims(payload), proof=proof, wrapper="jws-json")


def _refuse_empty_presentation(payload: Mapping[str, Any], proof: Proof) -> None:
    """A sealed presentation holding no credential (the EDC seal's own test document) is
    refused with what was found, including the seal's verification, not as "several"."""
    kinds = payload.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    held = payload.get("verifiableCredential")
    if "VerifiablePresentation" in kinds and not held:
        v = proof.verification
        seal = f"its seal was checked: valid={v.valid}, trust={v.trust.value}"
        raise UnsupportedCredentialFormat(
            "/payload/verifiableCredential",
            f"the sealed document is a presentation holding no credential; nothing to read "
            f"({seal})",
        )


def is_enveloped(document: Mapping[str, Any]) -> bool:
    kinds = document.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "EnvelopedVerifiableCredential" in kinds


def decode_enveloped(
    document: Mapping[str, Any], limits: ImportLimits, *, trust: TrustStore | None = None
) -> Envelope:
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
    inner = decode_compact(data, limits, pointer="/id", trust=trust)
    return Envelope(inner.document, inner.proof, "enveloped", token=data)


def embedded_proof(document: Any) -> Proof | None:
    """The verified embedded ``proof`` of a credential (None when it has no ``proof`` member)."""
    if not isinstance(document, Mapping):
        return None
    return data_integrity.embedded_proof(document)
