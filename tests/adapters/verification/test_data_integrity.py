"""VC Data Integrity proofs: the W3C eddsa-rdfc-2022 test vector, and proofs of our own keys."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from app.adapters.verification.data_integrity import embedded_proof, verify_one
from app.core.credentials import Trust
from tests.adapters.verification.helpers import (
    W3C_VECTOR,
    did_key_ed25519,
    did_key_p256,
    sign_data_integrity,
    vc2,
)


def vector() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(W3C_VECTOR.read_text(encoding="utf-8"))
    return data


def test_the_w3c_eddsa_rdfc_2022_vector_verifies() -> None:
    proof = embedded_proof(vector())
    assert proof is not None and proof.signed and proof.verified
    v = proof.verification
    assert v.valid is True
    assert v.method == "DataIntegrityProof (eddsa-rdfc-2022)"
    assert v.signed_at == "2023-02-24T23:36:38Z"
    assert v.signer == (
        "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )
    # the key comes from the Multikey fragment; its controller document is never fetched
    assert v.trust is Trust.NOT_ESTABLISHED
    assert "was not fetched" in v.reasons[0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "alumniOf"), "The School of Counterfeits"),
        (("validFrom",), "2023-01-02T00:00:00Z"),
        (("proof", "created"), "2023-02-25T23:36:38Z"),
    ],
)
def test_a_tampered_copy_of_the_vector_fails(path: tuple[str, ...], value: str) -> None:
    document = vector()
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    proof = embedded_proof(document)
    assert proof is not None and proof.signed and not proof.verified
    assert proof.verification.valid is False
    assert "does not match the signed content" in proof.verification.reasons[0]


def test_an_empty_proof_is_not_a_signature() -> None:
    proof = embedded_proof({**vc2("did:example:x"), "proof": {}})
    assert proof is not None
    assert (proof.signed, proof.verified, proof.verification.valid) == (False, False, None)
    assert proof.verification.trust is Trust.NOT_APPLICABLE
    assert embedded_proof(vc2("did:example:x")) is None


def test_eddsa_rdfc_2022_with_a_did_key() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    did = did_key_ed25519(key)
    signed = sign_data_integrity(vc2(did), key, "eddsa-rdfc-2022", f"{did}#{did[8:]}")
    v = verify_one(signed, signed["proof"])
    assert (v.valid, v.trust) == (True, Trust.NOT_ESTABLISHED)
    assert "did:key resolved locally" in v.reasons
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achieved"] = "Everything"
    assert verify_one(tampered, tampered["proof"]).valid is False


def test_ecdsa_rdfc_2019_with_a_p256_did_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    did = did_key_p256(key)
    signed = sign_data_integrity(vc2(did), key, "ecdsa-rdfc-2019", f"{did}#{did[8:]}")
    assert verify_one(signed, signed["proof"]).valid is True
    tampered = {**signed, "issuer": "did:example:someone-else"}
    assert verify_one(tampered, tampered["proof"]).valid is False


def test_eddsa_jcs_2022() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    did = did_key_ed25519(key)
    signed = sign_data_integrity(vc2(did), key, "eddsa-jcs-2022", f"{did}#{did[8:]}")
    assert verify_one(signed, signed["proof"]).valid is True
    tampered = {**signed, "validFrom": "2025-06-02T00:00:00Z"}
    assert verify_one(tampered, tampered["proof"]).valid is False


def test_a_key_whose_controller_is_not_the_issuer_is_said() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    did = did_key_ed25519(key)
    signed = sign_data_integrity(
        vc2("https://university.example"), key, "eddsa-rdfc-2022", f"{did}#{did[8:]}"
    )
    v = verify_one(signed, signed["proof"])
    assert v.valid is True
    assert any("is not the issuer 'https://university.example'" in r for r in v.reasons)


def test_did_web_and_status_lists_are_not_fetched() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    document = vc2("did:web:university.example")
    signed = sign_data_integrity(
        document, key, "eddsa-rdfc-2022", "did:web:university.example#key-1"
    )
    v = verify_one(signed, signed["proof"])
    assert (v.valid, v.trust) == (None, Trust.NOT_CHECKED)
    assert "not fetched" in v.reasons[0]

    did = did_key_ed25519(key)
    with_status = {
        **vc2(did),
        "credentialStatus": {
            "id": "https://status.example/1#5",
            "type": "BitstringStatusListEntry",
        },
    }
    signed = sign_data_integrity(with_status, key, "eddsa-rdfc-2022", f"{did}#{did[8:]}")
    v = verify_one(signed, signed["proof"])
    assert any("status (revocation) list is not fetched" in r for r in v.reasons)


def test_a_context_that_is_not_bundled_makes_the_proof_unchecked() -> None:
    document = vector()
    document["@context"] = [*document["@context"], "https://contexts.example/unknown/v1"]
    proof = embedded_proof(document)
    assert proof is not None and proof.verification.valid is None
    assert "not bundled" in proof.verification.reasons[0]


def test_unsupported_suites_are_reported_not_guessed() -> None:
    document = vector()
    document["proof"]["type"] = "Ed25519Signature2018"
    proof = embedded_proof(document)
    assert proof is not None and proof.signed
    assert proof.verification.valid is None
    assert "is not verified here" in proof.verification.reasons[0]


def test_a_poison_graph_is_stopped_not_canonicalised_for_ever() -> None:
    # ten blank nodes all linked to each other: RDFC-1.0 would try 10! labellings
    clique = [
        {"id": f"_:b{i}", "knows": [{"id": f"_:b{j}"} for j in range(10) if j != i]}
        for i in range(10)
    ]
    document = {**vector(), "evidence": clique}
    proof = embedded_proof(document)
    assert proof is not None and proof.verification.valid is None
    assert "denial-of-service" in proof.verification.reasons[0]


def test_a_proof_set_is_valid_only_when_every_proof_is() -> None:
    key, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    did, other_did = did_key_ed25519(key), did_key_ed25519(other)
    first = sign_data_integrity(vc2(did), key, "eddsa-rdfc-2022", f"{did}#{did[8:]}")
    second = sign_data_integrity(vc2(did), other, "eddsa-rdfc-2022", f"{other_did}#{other_did[8:]}")
    both = {**first, "proof": [first["proof"], second["proof"]]}
    proof = embedded_proof(both)
    assert proof is not None and proof.verification.valid is True
    assert proof.verification.method is not None and proof.verification.method.startswith(
        "2 proofs"
    )
    wrong_key = {**second["proof"], "verificationMethod": f"{did}#{did[8:]}"}
    mixed = {**first, "proof": [first["proof"], wrong_key]}
    proof = embedded_proof(mixed)
    assert proof is not None and proof.verification.valid is False
    assert any(
        r.startswith("proof 2: the signature does not match") for r in proof.verification.reasons
    )
