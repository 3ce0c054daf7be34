"""Test-only signers: a CA of our own (cryptography), JAdES-style seals (joserfc), did:key
Data Integrity proofs. Real samples prove interoperability; these prove the trust decisions."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import RSAKey

from app.adapters.verification.data_integrity import _rdfc
from app.adapters.verification.jose import JADES_HEADERS, _Registry

INTEROP = Path(__file__).resolve().parents[2] / "data" / "credentials_interop"
SEALED = {
    "mc": INTEROP / "edc" / "elm_Sample-MC-Annex1-signed.jsonld",
    "cert_of_part": INTEROP / "edc" / "elm_Sample-CertOfPart-signed.jsonld",
    "edci_credential": INTEROP / "edc" / "edci_credential-signed.jsonld",
    "edci_presentation": INTEROP / "edc" / "edci_json_to_seal-signed-jades-baseline-lta.json",
}
W3C_VECTOR = INTEROP / "vc_data_integrity" / "eddsa-rdfc-2022-signed.json"
UTC = dt.UTC


def name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Passerelle tests"),
        ]
    )


def certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[str, rsa.RSAPrivateKey] | None,
    *,
    ca: bool,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    issuer_name, issuer_key = (subject, key) if issuer is None else issuer
    return (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OwnCA:
    """A root CA and a seal certificate valid 2023-01-01 .. 2024-01-01."""

    def __init__(self) -> None:
        self.root_key = rsa_key()
        self.root = certificate(
            "Test Root CA",
            self.root_key,
            None,
            ca=True,
            not_before=dt.datetime(2020, 1, 1, tzinfo=UTC),
            not_after=dt.datetime(2040, 1, 1, tzinfo=UTC),
        )
        self.seal_key = rsa_key()
        self.seal = certificate(
            "Test University Seal",
            self.seal_key,
            ("Test Root CA", self.root_key),
            ca=False,
            not_before=dt.datetime(2023, 1, 1, tzinfo=UTC),
            not_after=dt.datetime(2024, 1, 1, tzinfo=UTC),
        )

    def write_anchor(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "root.pem"
        path.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))
        return directory


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def jades_seal(payload: dict[str, Any], ca: OwnCA, sig_t: str) -> dict[str, Any]:
    """A JAdES-style JWS JSON seal as the EDC issues them: RS256, b64:false, x5c, sigT."""
    der = ca.seal.public_bytes(serialization.Encoding.DER)
    protected = {
        "alg": "RS256",
        "cty": "json",
        "typ": "jose+json",
        "b64": False,
        "x5c": [der_b64(ca.seal)],
        "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode(),
        "sigT": sig_t,
        "crit": ["b64", "sigT"],
    }
    key = RSAKey.import_key(
        ca.seal_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    text = json.dumps(payload)
    registry = _Registry(
        header_registry=JADES_HEADERS, algorithms=["RS256"], strict_check_header=False
    )
    sealed = jws.serialize_json({"protected": protected}, text.encode(), key, registry=registry)
    return {"payload": text, "signatures": [{k: v for k, v in sealed.items() if k != "payload"}]}


# --- did:key and Data Integrity --------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def did_key_ed25519(key: ed25519.Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "did:key:z" + b58encode(b"\xed\x01" + raw)


def did_key_p256(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return "did:key:z" + b58encode(b"\x80\x24" + point)


def sign_data_integrity(
    document: dict[str, Any],
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey,
    suite: str,
    verification_method: str,
) -> dict[str, Any]:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": "2025-06-01T10:00:00Z",
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {**proof, "@context": document["@context"]}
    canon = (lambda d: rfc8785.dumps(d)) if "-jcs-" in suite else _rdfc
    data = hashlib.sha256(canon(config)).digest() + hashlib.sha256(canon(document)).digest()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(data)
    else:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {**document, "proof": {**proof, "proofValue": "z" + b58encode(signature)}}


def vc2(issuer: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:0d8f4c52-1111-4a7e-9a37-7b1d2e3f4a5b",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": issuer,
        "validFrom": "2025-06-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "achieved": "Data literacy"},
    }
