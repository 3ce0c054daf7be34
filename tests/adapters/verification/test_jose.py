"""JAdES / JWS verification on the EC's own sealed EDCs and on seals made by a test CA."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from app.adapters.verification.jose import verify_compact, verify_jws_json
from app.adapters.verification.trust import TrustStore
from app.core.credentials import Trust
from tests.adapters.verification.helpers import SEALED, OwnCA, b58encode, jades_seal

# signing time (sigT) and signer of each sealed sample, read from its protected header
EXPECTED = {
    "mc": ("2023-09-27T11:54:17Z", "TEST SEAL, ORGANIZACION TEST"),
    "cert_of_part": ("2023-09-27T12:07:01Z", "TEST SEAL, ORGANIZACION TEST"),
    "edci_credential": ("2022-12-21T18:50:21Z", "Nombre Servicio Sellado TEST"),
    "edci_presentation": ("2022-08-19T11:10:45Z", "Nombre Servicio Sellado TEST"),
}


def load(key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEALED[key].read_text(encoding="utf-8"))
    return data


def tamper(document: dict[str, Any]) -> dict[str, Any]:
    """Change one value of the signed payload (b64:false: the payload is the JSON text)."""
    payload = json.loads(document["payload"])
    if "id" in payload:
        payload["id"] = payload["id"] + "0"
    else:
        payload["holder"] = payload["holder"] + "0"
    return {**document, "payload": json.dumps(payload)}


@pytest.mark.parametrize("key", sorted(SEALED))
def test_the_ec_sealed_samples_verify_with_trust_stated(key: str) -> None:
    v = verify_jws_json(load(key), TrustStore())
    signed_at, signer = EXPECTED[key]
    assert v.valid is True
    assert v.method == "JAdES JWS JSON (RS256, b64:false)"
    assert v.signed_at == signed_at
    assert v.signer is not None and v.signer.startswith(signer)
    # no trust anchors configured: said, not assumed
    assert v.trust is Trust.NOT_ESTABLISHED
    assert any("no trust anchors are configured" in r for r in v.reasons)
    # the signer certificates expired (2023, 2025) but were valid when the seal was made
    assert any("expired on" in r and "valid at the signing time (sigT)" in r for r in v.reasons)
    assert any("sigTst" in r and "covers this signature" in r for r in v.reasons)


@pytest.mark.parametrize("key", sorted(SEALED))
def test_a_tampered_copy_of_each_sealed_sample_fails(key: str) -> None:
    v = verify_jws_json(tamper(load(key)), TrustStore())
    assert v.valid is False
    assert "does not match the signed content" in v.reasons[0]


def test_a_changed_certificate_thumbprint_fails() -> None:
    document = load("mc")
    member = document["signatures"][0]
    header = json.loads(base64.urlsafe_b64decode(member["protected"] + "=="))
    header["x5t#S256"] = "A" * 43
    protected = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    forged = {**document, "signatures": [{**member, "protected": protected}]}
    v = verify_jws_json(forged, TrustStore())
    assert v.valid is not True
    assert any("x5t#S256 does not match" in r for r in v.reasons)


# --- trust decisions on seals of our own CA ---------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> OwnCA:
    return OwnCA()


def test_a_chain_to_a_configured_anchor_is_established(ca: OwnCA, tmp_path: Path) -> None:
    store = TrustStore.from_directory(ca.write_anchor(tmp_path / "anchors"))
    sealed = jades_seal(
        {"id": "urn:x", "type": ["VerifiableCredential"]}, ca, "2023-06-01T10:00:00Z"
    )
    v = verify_jws_json(sealed, store)
    assert (v.valid, v.trust) == (True, Trust.ESTABLISHED)
    assert v.signer == "Test University Seal, Passerelle tests"
    assert any("leads to the trust anchor 'Test Root CA" in r for r in v.reasons)
    assert any("revocation" in r for r in v.reasons)


def test_a_seal_made_after_the_certificate_expired(ca: OwnCA, tmp_path: Path) -> None:
    store = TrustStore.from_directory(ca.write_anchor(tmp_path / "anchors"))
    sealed = jades_seal({"id": "urn:x"}, ca, "2024-03-01T10:00:00Z")
    v = verify_jws_json(sealed, store)
    assert v.valid is True  # the bytes are intact ...
    assert v.trust is Trust.EXPIRED_AT_SIGNING  # ... but the certificate had expired
    assert any("had expired at the signing time (sigT) 2024-03-01" in r for r in v.reasons)


def test_a_seal_made_before_the_certificate_was_valid(ca: OwnCA, tmp_path: Path) -> None:
    store = TrustStore.from_directory(ca.write_anchor(tmp_path / "anchors"))
    v = verify_jws_json(jades_seal({"id": "urn:x"}, ca, "2022-03-01T10:00:00Z"), store)
    assert v.trust is Trust.NOT_YET_VALID_AT_SIGNING


def test_an_anchor_of_another_authority_does_not_establish_trust(ca: OwnCA, tmp_path: Path) -> None:
    other = OwnCA()
    store = TrustStore.from_directory(other.write_anchor(tmp_path / "other"))
    v = verify_jws_json(jades_seal({"id": "urn:x"}, ca, "2023-06-01T10:00:00Z"), store)
    assert (v.valid, v.trust) == (True, Trust.NOT_ESTABLISHED)
    assert any("does not lead to any of the 1 trust anchors" in r for r in v.reasons)


def test_the_real_samples_stay_not_established_against_a_foreign_anchor(
    ca: OwnCA, tmp_path: Path
) -> None:
    store = TrustStore.from_directory(ca.write_anchor(tmp_path / "anchors"))
    v = verify_jws_json(load("mc"), store)
    assert (v.valid, v.trust) == (True, Trust.NOT_ESTABLISHED)


def test_a_misconfigured_trust_store_is_said_in_every_verification(tmp_path: Path) -> None:
    settings = SimpleNamespace(credentials=SimpleNamespace(trust_anchors_dir=tmp_path / "typo"))
    store = TrustStore.from_settings(settings)
    v = verify_jws_json(load("mc"), store)
    assert (v.valid, v.trust) == (True, Trust.NOT_ESTABLISHED)
    assert any("the configured trust anchors cannot be used" in r for r in v.reasons)


def test_a_trust_store_directory_that_does_not_exist_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        TrustStore.from_directory(tmp_path / "missing")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match=r"not an X\.509 certificate"):
        TrustStore.from_directory(tmp_path)


# --- compact JWS / VC-JWT ---------------------------------------------------------------------
# Open Badges 3.0 tokens are signed with "EdDSA", which RFC 9864 deprecates for new signatures:
# the tests make such tokens on purpose.
pytestmark = pytest.mark.filterwarnings(f"ignore::{SecurityWarning.__module__}.SecurityWarning")


def test_a_vc_jwt_with_its_key_in_the_header_verifies_but_is_not_trusted() -> None:
    key = OKPKey.generate_key("Ed25519")
    header = {"alg": "EdDSA", "typ": "vc+jwt", "jwk": key.as_dict(private=False)}
    claims = {"iss": "https://issuer.example", "iat": 1_700_000_000, "vc": {"id": "urn:x"}}
    token = jwt.encode(header, claims, key, algorithms=["EdDSA"])
    v = verify_compact(token, claims, TrustStore())
    assert (v.valid, v.trust) == (True, Trust.NOT_ESTABLISHED)
    assert v.signed_at == "2023-11-14T22:13:20Z"
    head, _, signature = token.split(".")
    forged_claims = {**claims, "iss": "https://forger.example"}
    forged_body = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=")
    forged = f"{head}.{forged_body.decode()}.{signature}"
    assert verify_compact(forged, forged_claims, TrustStore()).valid is False


def test_a_vc_jwt_signed_by_a_did_key_resolves_locally() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes_raw()
    did = "did:key:z" + b58encode(b"\xed\x01" + raw)
    key = OKPKey.import_key(
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
            "d": base64.urlsafe_b64encode(private.private_bytes_raw()).rstrip(b"=").decode(),
        }
    )
    token = jwt.encode(
        {"alg": "EdDSA", "kid": f"{did}#{did[8:]}"}, {"vc": {}}, key, algorithms=["EdDSA"]
    )
    v = verify_compact(token, {"vc": {}}, TrustStore())
    assert v.valid is True
    assert v.signer == did
    assert any("did:key resolved locally" in r for r in v.reasons)


def test_a_did_web_key_is_not_fetched() -> None:
    key = OKPKey.generate_key("Ed25519")
    token = jwt.encode(
        {"alg": "EdDSA", "kid": "did:web:issuer.example#key-1"},
        {"vc": {}},
        key,
        algorithms=["EdDSA"],
    )
    v = verify_compact(token, {"vc": {}}, TrustStore())
    assert (v.valid, v.trust) == (None, Trust.NOT_CHECKED)
    assert "did:web key: not fetched" in v.reasons[0]


def test_an_hmac_token_is_not_accepted_as_a_signature() -> None:
    from joserfc.jwk import OctKey

    key = OctKey.generate_key(256)
    token = jwt.encode({"alg": "HS256", "jwk": {"kty": "oct", "k": "AAAA"}}, {"vc": {}}, key)
    v = verify_compact(token, {"vc": {}}, TrustStore())
    assert v.valid is not True


def test_signing_times_are_stated(ca: OwnCA) -> None:
    sealed = jades_seal({"id": "urn:x"}, ca, "2023-06-01T10:00:00Z")
    v = verify_jws_json(sealed, TrustStore())
    assert v.signed_at == "2023-06-01T10:00:00Z"
    assert dt.datetime.fromisoformat(v.signed_at.replace("Z", "+00:00")).year == 2023


def test_every_signature_of_a_multi_signature_jws_must_verify() -> None:
    document = load("mc")
    member = document["signatures"][0]
    twice = {**document, "signatures": [member, member]}
    v = verify_jws_json(twice, TrustStore())
    assert v.valid is True and v.method == "2 signatures: JAdES JWS JSON (RS256, b64:false)"
    broken = {**member, "signature": member["signature"][:-4] + "AAAA"}
    v = verify_jws_json({**document, "signatures": [member, broken]}, TrustStore())
    assert v.valid is False
    assert any(r.startswith("signature 2: the signature does not match") for r in v.reasons)


def test_a_vc_jwt_with_an_x5c_chain_is_judged_at_its_issue_time(ca: OwnCA, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from joserfc.jwk import RSAKey

    from tests.adapters.verification.helpers import der_b64

    key = RSAKey.import_key(
        ca.seal_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    store = TrustStore.from_directory(ca.write_anchor(tmp_path / "anchors"))
    for iat, trust in (
        (1_690_000_000, Trust.ESTABLISHED),
        (1_720_000_000, Trust.EXPIRED_AT_SIGNING),
    ):
        claims = {"iat": iat, "vc": {"id": "urn:x"}}
        token = jwt.encode({"alg": "RS256", "x5c": [der_b64(ca.seal)]}, claims, key)
        v = verify_compact(token, claims, store)
        assert (v.valid, v.trust) == (True, trust)
