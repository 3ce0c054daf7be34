"""JWS signatures: JAdES in JSON serialisation (the EDC seal) and compact JWS/JWT (VC-JWT).

Verification is joserfc's, with a registry that accepts what real seals carry: JAdES headers
of several kilobytes (the ``x5c`` chain and B-LTA timestamps sit in the protected header), the
JAdES header parameters (ETSI TS 119 182-1: ``sigT``, ``x5t#o``, ``sigD``, ``adoTst``, ``etsiU``
…, which may be ``crit``), the unencoded payload of RFC 7797 (``b64: false``) and payloads as
large as the credential size limit. Only asymmetric algorithms are accepted (never ``none`` or
an HMAC, whose "signature" anyone holding the secret could make).

The key comes from the header: ``x5c`` (then the chain is judged by :mod:`.x509`), ``jwk``
(self-asserted), or a ``kid`` naming a ``did:key``/``did:jwk`` (resolved locally). Any other key
reference is not fetched, and the signature is reported as not checked.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.registry import HeaderParameter

from app.adapters.verification import keys
from app.adapters.verification.timestamps import read_timestamp
from app.adapters.verification.trust import TrustStore
from app.adapters.verification.x509 import describe, evaluate_chain, load_der_list
from app.core.credentials import Trust, Verification

ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "ES256K",
    "EdDSA",
    "Ed25519",
)


def _any(_: Any) -> None:
    """JAdES parameters with structured values: their shape is read where they are used."""


def _is_str(value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError("must be a string")


# ETSI TS 119 182-1 (JAdES) header parameters, so joserfc accepts them (also when ``crit``).
JADES_HEADERS = {
    "sigT": HeaderParameter("JAdES claimed signing time", _is_str),
    "x5t#o": HeaderParameter("JAdES other-digest certificate thumbprint", _any),
    "sigX5ts": HeaderParameter("JAdES signing certificates thumbprints", _any),
    "srCms": HeaderParameter("JAdES signer commitments", _any),
    "sigPl": HeaderParameter("JAdES signature production place", _any),
    "srAts": HeaderParameter("JAdES signer attributes", _any),
    "adoTst": HeaderParameter("JAdES all data objects timestamp", _any),
    "sigPId": HeaderParameter("JAdES signature policy identifier", _any),
    "sigD": HeaderParameter("JAdES signed data (detached)", _any),
    "etsiU": HeaderParameter("JAdES unsigned properties", _any),
}


MAX_SIGNATURES = 8


class _Registry(jws.JWSRegistry):
    max_header_length = 256_000  # a JAdES protected header holds certificates and timestamps
    max_payload_length = 50_000_000  # the importer's own size limit applies first
    max_signature_length = 4096


def _registry() -> jws.JWSRegistry:
    return _Registry(
        header_registry=JADES_HEADERS, algorithms=ALGORITHMS, strict_check_header=False
    )


def b64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@dataclass(frozen=True, slots=True)
class _Key:
    public: PublicKeyTypes | None
    trust: Trust
    signer: str | None
    reasons: tuple[str, ...]


def _joserfc_key(public: PublicKeyTypes) -> RSAKey | ECKey | OKPKey:
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(public, rsa.RSAPublicKey):
        return RSAKey.import_key(pem)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return ECKey.import_key(pem)
    if isinstance(public, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return OKPKey.import_key(pem)
    raise keys.KeyNotAvailable(f"a {type(public).__name__} key is not used for JWS")


def _times(
    header: Mapping[str, Any], extra: Sequence[tuple[dt.datetime, str]]
) -> tuple[list[tuple[dt.datetime, str]], str | None, list[str]]:
    """Signing times to judge certificates at, the claimed signing time, and notes."""
    times: list[tuple[dt.datetime, str]] = []
    notes: list[str] = []
    signed_at: str | None = None
    sig_t = header.get("sigT")
    if isinstance(sig_t, str):
        try:
            moment = dt.datetime.fromisoformat(sig_t.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            times.append((moment, "the signing time (sigT)"))
            signed_at = sig_t
        except ValueError:
            notes.append(f"sigT {sig_t[:40]!r} is not an ISO 8601 time")
    times.extend(extra)
    if signed_at is None and extra:
        signed_at = extra[0][0].strftime("%Y-%m-%dT%H:%M:%SZ")
    return times, signed_at, notes


def _key_from_header(
    header: Mapping[str, Any],
    store: TrustStore,
    carried: Sequence[cx509.Certificate],
    times: Sequence[tuple[dt.datetime, str]],
) -> _Key:
    x5c = header.get("x5c")
    if isinstance(x5c, list) and x5c:
        certs, problems = load_der_list(x5c)
        if problems or not certs:
            return _Key(None, Trust.NOT_ESTABLISHED, None, tuple(problems) or ("empty x5c",))
        leaf = certs[0]
        der = leaf.public_bytes(serialization.Encoding.DER)
        for name, algorithm in (("x5t#S256", hashlib.sha256), ("x5t", hashlib.sha1)):
            thumb = header.get(name)
            expected = base64.urlsafe_b64encode(algorithm(der).digest()).rstrip(b"=").decode()
            if isinstance(thumb, str) and thumb.rstrip("=") != expected:
                return _Key(
                    None,
                    Trust.NOT_ESTABLISHED,
                    describe(leaf),
                    (f"{name} does not match the signer certificate in x5c",),
                )
        report = evaluate_chain(leaf, [*certs[1:], *carried], store, times)
        return _Key(leaf.public_key(), report.trust, report.signer, report.reasons)
    jwk = header.get("jwk")
    if jwk is not None:
        try:
            public = keys.jwk_key(jwk)
        except keys.KeyNotAvailable as exc:
            return _Key(None, Trust.NOT_CHECKED, None, (str(exc),))
        return _Key(
            public,
            Trust.NOT_ESTABLISHED,
            "the key in the token's own header (jwk)",
            ("the key travels with the token (jwk): it proves integrity, not who signed",),
        )
    kid = header.get("kid")
    if isinstance(kid, str) and kid.startswith("did:"):
        try:
            resolved = keys.resolve(kid)
        except keys.KeyNotAvailable as exc:
            return _Key(None, Trust.NOT_CHECKED, kid, (str(exc),))
        return _Key(
            resolved.key,
            Trust.NOT_ESTABLISHED,
            resolved.controller,
            (
                resolved.note,
                "a did:key names a key, not an organisation: who holds it is not established",
            ),
        )
    what = f"kid {kid[:120]!r}" if isinstance(kid, str) else "no x5c, jwk or did kid"
    return _Key(
        None,
        Trust.NOT_CHECKED,
        None,
        (f"the signing key is not in the signature ({what}) and is not fetched",),
    )


def _outcome(
    method: str,
    key: _Key,
    check: Callable[[RSAKey | ECKey | OKPKey], None],
    signed_at: str | None,
    notes: Sequence[str],
) -> Verification:
    if key.public is None:
        return Verification(method, None, key.signer, signed_at, key.trust, (*key.reasons, *notes))
    try:
        with warnings.catch_warnings():
            # RFC 9864 deprecates "EdDSA" for new signatures; tokens already issued with it
            # (Open Badges 3.0, VC-JWT) must still verify.
            warnings.simplefilter("ignore", SecurityWarning)
            check(_joserfc_key(key.public))
    except keys.KeyNotAvailable as exc:
        return Verification(method, None, key.signer, signed_at, Trust.NOT_CHECKED, (str(exc),))
    except JoseError as exc:
        reason = (
            "the signature does not match the signed content (the document was changed after "
            "it was signed, or signed with another key)"
            if exc.error == "bad_signature"
            else f"the JWS is not acceptable: {exc.error}: {exc.description or ''}".rstrip(": ")
        )
        return Verification(
            method, False, key.signer, signed_at, Trust.NOT_ESTABLISHED, (reason, *notes)
        )
    except (ValueError, TypeError) as exc:
        return Verification(
            method,
            False,
            key.signer,
            signed_at,
            Trust.NOT_ESTABLISHED,
            (f"the JWS cannot be verified: {exc}", *notes),
        )
    return Verification(method, True, key.signer, signed_at, key.trust, (*notes, *key.reasons))


def _etsi_u(member: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The JAdES unsigned properties (each a JSON object, or base64url JSON as EDC writes)."""
    header = member.get("header")
    raw = header.get("etsiU") if isinstance(header, Mapping) else None
    out: list[dict[str, Any]] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            try:
                item = b64url_json(item)
            except (ValueError, binascii.Error):
                continue
        if isinstance(item, dict):
            out.append(item)
    return out


def _jades_extras(
    member: Mapping[str, Any],
) -> tuple[list[cx509.Certificate], list[tuple[dt.datetime, str]], list[str]]:
    """Certificates (xVals) and signature timestamps (sigTst) from the unsigned properties."""
    certs: list[cx509.Certificate] = []
    times: list[tuple[dt.datetime, str]] = []
    notes: list[str] = []
    signature = member.get("signature")
    for prop in _etsi_u(member):
        for entry in prop.get("xVals", []) if isinstance(prop.get("xVals"), list) else []:
            value = entry.get("x509Cert", {}).get("val") if isinstance(entry, dict) else None
            if isinstance(value, str):
                certs.extend(load_der_list([value])[0])
        tst = prop.get("sigTst")
        tokens = tst.get("tstTokens", []) if isinstance(tst, dict) else []
        for token in tokens if isinstance(tokens, list) else []:
            value = token.get("val") if isinstance(token, dict) else None
            info = (
                read_timestamp(value, signature)
                if isinstance(value, str) and isinstance(signature, str)
                else None
            )
            if info is None:
                notes.append("a signature timestamp (sigTst) could not be read")
            elif not info.covers_signature:
                notes.append("a signature timestamp (sigTst) does not cover this signature")
            else:
                when = info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
                times.append((info.gen_time, "the signature timestamp (sigTst)"))
                notes.append(
                    f"signature timestamp (sigTst) of {when} covers this signature; the "
                    "timestamping authority's own signature is not verified"
                )
    return certs, times, notes


def jws_json_members(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The signature members of a general or flattened JWS JSON serialisation."""
    signatures = document.get("signatures")
    if isinstance(signatures, list):
        return [s for s in signatures if isinstance(s, Mapping)]
    return [document]


def protected_header(member: Mapping[str, Any]) -> dict[str, Any]:
    header: dict[str, Any] = {}
    protected = member.get("protected")
    if isinstance(protected, str) and protected:
        decoded = b64url_json(protected)
        if isinstance(decoded, dict):
            header.update(decoded)
    return header


def method_name(header: Mapping[str, Any], serialisation: str) -> str:
    alg = header.get("alg") if isinstance(header.get("alg"), str) else "unknown algorithm"
    jades = any(k in header for k in ("sigT", "x5t#o", "sigX5ts", "sigD", "adoTst", "srCms"))
    kind = f"JAdES {serialisation}" if jades else serialisation
    b64 = ", b64:false" if header.get("b64") is False else ""
    return f"{kind} ({alg}{b64})"


def _verify_member(
    document: Mapping[str, Any], member: Mapping[str, Any], store: TrustStore
) -> Verification:
    try:
        header = protected_header(member)
    except (ValueError, binascii.Error):
        return Verification(
            "JWS JSON",
            False,
            None,
            None,
            Trust.NOT_ESTABLISHED,
            ("the protected header is not base64url JSON",),
        )
    method = method_name(header, "JWS JSON")
    if "sigD" in header:
        return Verification(
            method,
            None,
            None,
            header.get("sigT"),
            Trust.NOT_CHECKED,
            ("detached content (JAdES sigD) is not supported",),
        )
    certs, stamp_times, stamp_notes = _jades_extras(member)
    times, signed_at, notes = _times(header, stamp_times)
    key = _key_from_header(header, store, certs, times)
    single = {k: v for k, v in member.items() if k != "signatures"}
    single["payload"] = document.get("payload")

    def check(k: RSAKey | ECKey | OKPKey) -> None:
        jws.deserialize_json(single, k, registry=_registry())  # type: ignore[call-overload]

    return _outcome(method, key, check, signed_at, [*notes, *stamp_notes])


def verify_jws_json(document: Mapping[str, Any], store: TrustStore) -> Verification:
    """Verify a JWS in JSON serialisation (every signature member must verify)."""
    members = jws_json_members(document)
    if not members:
        return Verification(
            "JWS JSON", False, None, None, Trust.NOT_ESTABLISHED, ("the JWS has no signature",)
        )
    results = [_verify_member(document, m, store) for m in members[:MAX_SIGNATURES]]
    if len(members) > MAX_SIGNATURES:  # each costs a public-key operation: bounded work
        results.append(
            Verification(
                "JWS JSON",
                None,
                None,
                None,
                Trust.NOT_CHECKED,
                (f"only the first {MAX_SIGNATURES} of {len(members)} signatures are checked",),
            )
        )
    return Verification.combine(results, "signature")


def verify_compact(token: str, claims: Mapping[str, Any] | None, store: TrustStore) -> Verification:
    """Verify a compact JWS/JWT (an SD-JWT's issuer-signed part before the first ``~``)."""
    jwt = token.split("~", 1)[0]
    try:
        header = b64url_json(jwt.split(".", 1)[0])
    except (ValueError, binascii.Error):
        return Verification(
            "JWS",
            False,
            None,
            None,
            Trust.NOT_ESTABLISHED,
            ("the JWS header is not base64url JSON",),
        )
    if not isinstance(header, dict):
        header = {}
    method = method_name(header, "SD-JWT" if "~" in token else "JWT")
    extra: list[tuple[dt.datetime, str]] = []
    for name in ("iat", "nbf"):
        value = (claims or {}).get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e11:
            extra.append((dt.datetime.fromtimestamp(value, tz=dt.UTC), f"the issue time ({name})"))
            break
    times, signed_at, notes = _times(header, extra)
    key = _key_from_header(header, store, [], times)

    def check(k: RSAKey | ECKey | OKPKey) -> None:
        jws.deserialize_compact(jwt, k, registry=_registry())

    return _outcome(method, key, check, signed_at, notes)
