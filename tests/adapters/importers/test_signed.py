"""Signed credentials read and verified: the EC's sealed EDCs, VC-JWT, JWS JSON forms.

Sources: tests/data/credentials_interop/PROVENANCE.md (the sealed samples are the EC's own,
unchanged). A tampered copy is made by changing one value of the signed payload.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from app.adapters.importers.registry import read_document
from app.adapters.importers.signed import require_compact
from app.core.credentials import (
    CredentialInputError,
    Trust,
    UnsupportedCredentialFormat,
    WarningCode,
    credential_from_json,
    credential_to_json,
)
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import MC_SAMPLE
from tests.adapters.verification.helpers import SEALED

pytestmark = pytest.mark.filterwarnings(f"ignore::{SecurityWarning.__module__}.SecurityWarning")


def _tampered(path_key: str) -> bytes:
    document = json.loads(SEALED[path_key].read_text(encoding="utf-8"))
    payload = json.loads(document["payload"])
    payload["id"] = payload["id"] + "-changed"
    document["payload"] = json.dumps(payload)
    return json.dumps(document).encode()


def test_the_sealed_mc_sample_reads_like_its_unsigned_twin(service: CredentialService) -> None:
    sealed = service.read(SEALED["mc"].read_bytes())
    twin = service.read(MC_SAMPLE.read_bytes())
    assert sealed.source_format.value == "elm"
    assert sealed.completeness.mandatory_present == twin.completeness.mandatory_present == 10
    assert sealed.completeness.missing_mandatory == twin.completeness.missing_mandatory
    assert sealed.credential.title == twin.credential.title
    assert sealed.credential.learning_outcomes == twin.credential.learning_outcomes
    proof = sealed.credential.proof
    assert (proof.signed, proof.verified) == (True, True)
    assert proof.type == "JWS (RS256)"
    assert proof.verification.method == "JAdES JWS JSON (RS256, b64:false)"
    assert proof.verification.trust is Trust.NOT_ESTABLISHED
    assert proof.verification.signed_at == "2023-09-27T11:54:17Z"
    codes = {w.code for w in sealed.warnings}
    assert WarningCode.SIGNATURE_TRUST_NOT_ESTABLISHED in codes
    assert WarningCode.SIGNATURE_NOT_VERIFIED not in codes
    assert twin.credential.proof.signed is False


@pytest.mark.parametrize("key", ["cert_of_part", "edci_credential"])
def test_the_other_sealed_credentials_read_and_verify(key: str, service: CredentialService) -> None:
    report = service.read(SEALED[key].read_bytes())
    assert report.credential.title
    assert report.credential.proof.verification.valid is True
    assert report.completeness.mandatory_present >= 5


def test_the_sealed_empty_presentation_is_refused_with_its_verification() -> None:
    with pytest.raises(UnsupportedCredentialFormat) as caught:
        read_document(SEALED["edci_presentation"].read_bytes())
    assert caught.value.field == "/payload/verifiableCredential"
    assert "presentation holding no credential" in caught.value.message
    assert "valid=True" in caught.value.message


@pytest.mark.parametrize("key", ["mc", "cert_of_part", "edci_credential"])
def test_a_tampered_sealed_credential_is_read_and_reported_invalid(
    key: str, service: CredentialService
) -> None:
    report = service.read(_tampered(key))
    proof = report.credential.proof
    assert (proof.signed, proof.verified, proof.verification.valid) == (True, False, False)
    assert proof.note == "signature invalid"
    invalid = [w for w in report.warnings if w.code is WarningCode.SIGNATURE_INVALID]
    assert invalid and "does not match the signed content" in invalid[0].message


def test_a_flattened_jws_json_reads_too(service: CredentialService) -> None:
    document = json.loads(SEALED["mc"].read_text(encoding="utf-8"))
    flattened = {"payload": document["payload"], **document["signatures"][0]}
    report = service.read(json.dumps(flattened).encode())
    assert report.credential.proof.verified
    assert report.completeness.mandatory_present == 10


def test_a_vc_jwt_reads_and_verifies(service: CredentialService) -> None:
    key = OKPKey.generate_key("Ed25519")
    vc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    token = jwt.encode(
        {"alg": "EdDSA", "typ": "vc+jwt", "jwk": key.as_dict(private=False)},
        {"vc": vc, "iat": 1_700_000_000},
        key,
        algorithms=["EdDSA"],
    )
    report = service.read(token)
    assert report.credential.proof.verification.valid is True
    assert report.credential.proof.verification.signed_at == "2023-11-14T22:13:20Z"
    head, body, _ = token.split(".")
    assert service.read(f"{head}.{body}.{'A' * 86}").credential.proof.verified is False


def test_an_unsecured_token_is_not_signed(service: CredentialService) -> None:
    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    vc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    report = service.read(f"{b64({'alg': 'none'})}.{b64({'vc': vc})}.")
    assert report.credential.proof.signed is False


def test_an_empty_embedded_proof_is_not_signed(service: CredentialService) -> None:
    vc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    report = service.read(json.dumps({**vc, "proof": {}}).encode())
    assert report.credential.proof.signed is False
    assert not any(w.code.value.startswith("signature") for w in report.warnings)


def test_a_json_body_sent_as_a_jwt_is_named_as_such() -> None:
    with pytest.raises(CredentialInputError, match="not a compact JWS") as caught:
        require_compact(MC_SAMPLE.read_bytes(), "application/vc+jwt")
    assert "send it as application/json" in caught.value.message
    require_compact(b"eyJh.eyJi.c2ln", "application/vc+jwt")


def test_verification_survives_storage_as_json(service: CredentialService) -> None:
    credential = service.read(SEALED["mc"].read_bytes()).credential
    assert credential_from_json(credential_to_json(credential)).proof == credential.proof
    old_row = credential_to_json(credential)
    old_row["proof"] = {"type": "JWS (RS256)", "signed": True, "verified": False, "note": "x"}
    proof = credential_from_json(old_row).proof
    assert proof.verification.trust is Trust.NOT_CHECKED and proof.verification.valid is None
