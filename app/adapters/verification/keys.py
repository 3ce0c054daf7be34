"""Public keys that can be had offline: ``did:key``, ``did:jwk``, Multikey fragments, JWKs.

``did:key`` and ``did:jwk`` identifiers *are* their public key, so they resolve locally. A
verification method whose fragment is a Multikey (as in the W3C test vectors,
``https://vc.example/issuers/5678#z6Mk…``) gives the key too, but not the proof that the
controller published it: that needs the controller document, which is never fetched.
``did:web``, ``did:ebsi`` and URLs are not fetched either: :class:`KeyNotAvailable` says why.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}

# multicodec prefixes (unsigned varints) of the public key types cryptography verifies
_ED25519 = b"\xed\x01"
_P256 = b"\x80\x24"
_P384 = b"\x81\x24"
_SECP256K1 = b"\xe7\x01"


class KeyNotAvailable(Exception):
    """The key is not at hand offline (or not in a form Passerelle reads)."""


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    key: PublicKeyTypes
    controller: str  # the DID, or the URL before the fragment
    self_certifying: bool  # did:key / did:jwk: the identifier is the key, nothing more
    note: str


def b58decode(text: str) -> bytes:
    """Base58btc (the multibase ``z`` alphabet), as used by Multikey and Data Integrity.

    >>> b58decode("2NEpo7TZRRrLZSi2U").decode()
    'Hello World!'
    """
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase_decode(value: str) -> bytes:
    """Multibase ``z`` (base58btc) or ``u`` (base64url) text to bytes."""
    if value.startswith("z"):
        return b58decode(value[1:])
    if value.startswith("u"):
        return base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
    raise ValueError("only multibase z (base58btc) and u (base64url) are read")


def multikey(value: str) -> PublicKeyTypes:
    """A Multikey (``z6Mk…`` Ed25519, ``zDn…`` P-256, ``z82…`` P-384) to a public key."""
    try:
        raw = multibase_decode(value)
    except (ValueError, binascii.Error) as exc:
        raise KeyNotAvailable(f"{value[:60]!r} is not a multibase public key: {exc}") from None
    prefix, body = raw[:2], raw[2:]
    try:
        if prefix == _ED25519:
            return ed25519.Ed25519PublicKey.from_public_bytes(body)
        if prefix == _P256:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body)
        if prefix == _P384:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), body)
        if prefix == _SECP256K1:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), body)
    except ValueError:
        raise KeyNotAvailable(f"{value[:60]!r} does not hold a valid public key") from None
    raise KeyNotAvailable(f"the key type of {value[:60]!r} (multicodec {prefix.hex()}) is not read")


def jwk_key(jwk: Any) -> PublicKeyTypes:
    """A public JWK (OKP Ed25519, EC P-256/P-384/secp256k1, RSA) to a public key."""
    from joserfc.jwk import import_key

    if not isinstance(jwk, dict):
        raise KeyNotAvailable("the JWK is not a JSON object")
    public = {k: v for k, v in jwk.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}
    try:
        key = import_key(public)
    except Exception as exc:  # joserfc raises several types for a malformed JWK
        raise KeyNotAvailable(f"the JWK is not a usable public key ({exc})") from None
    raw: Any = key.raw_value
    public_key = raw.public_key() if hasattr(raw, "public_key") else raw
    if isinstance(public_key, bytes):
        raise KeyNotAvailable("a symmetric (oct) JWK is not a public key")
    return cast(PublicKeyTypes, public_key)


def resolve(reference: str) -> ResolvedKey:
    """The public key a verification method or ``kid`` names, when it can be had offline.

    Raises:
        KeyNotAvailable: ``did:web``, other DID methods, URLs without a Multikey fragment.
    """
    base, _, fragment = reference.partition("#")
    if base.startswith("did:key:"):
        ident = base[len("did:key:") :]
        if fragment and fragment != ident:
            raise KeyNotAvailable(f"the fragment of {reference[:120]!r} is not its own key")
        return ResolvedKey(multikey(ident), base, True, "did:key resolved locally")
    if base.startswith("did:jwk:"):
        try:
            jwk = json.loads(base64.urlsafe_b64decode(base[8:] + "=" * (-len(base[8:]) % 4)))
        except (ValueError, binascii.Error):
            raise KeyNotAvailable(f"{base[:120]!r} is not a valid did:jwk") from None
        return ResolvedKey(jwk_key(jwk), base, True, "did:jwk resolved locally")
    if fragment.startswith(("z6Mk", "zDn", "z82")):
        return ResolvedKey(
            multikey(fragment),
            base,
            False,
            f"key read from the Multikey fragment of {reference[:120]!r}; the controller "
            f"document {base[:120]!r} was not fetched, so that {base[:120]!r} published this "
            "key is not shown",
        )
    method = base.split(":", 2)[1] if base.startswith("did:") and base.count(":") >= 2 else None
    if method == "web":
        raise KeyNotAvailable(f"{reference[:120]!r} is a did:web key: not fetched (offline)")
    if method:
        raise KeyNotAvailable(
            f"{reference[:120]!r}: did:{method} is not resolved offline (only did:key, did:jwk)"
        )
    raise KeyNotAvailable(f"the key {reference[:120]!r} would have to be fetched: not fetched")
