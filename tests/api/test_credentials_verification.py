"""Seals through the API: verification in the credential, trust anchors from the settings,
invalid seals reported (never a 500), a non-JWS body sent as a JWT named as such."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.settings import CredentialSettings
from tests.adapters.verification.helpers import SEALED, OwnCA, jades_seal
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS

JSON = {"content-type": "application/json"}
MC_PAYLOAD = json.loads(json.loads(SEALED["mc"].read_text(encoding="utf-8"))["payload"])


def test_a_sealed_edc_is_stored_with_its_verification(client: TestClient) -> None:
    response = client.post("/v1/credentials", content=SEALED["mc"].read_bytes(), headers=JSON)
    assert response.status_code in (200, 201), response.text
    proof = response.json()["credential"]["proof"]
    assert (proof["signed"], proof["verified"]) == (True, True)
    v = proof["verification"]
    assert v["valid"] is True
    assert v["trust"] == "not_established"
    assert v["signed_at"] == "2023-09-27T11:54:17Z"
    assert v["method"] == "JAdES JWS JSON (RS256, b64:false)"
    assert v["signer"].startswith("TEST SEAL")
    assert any("no trust anchors" in r for r in v["reasons"])
    stored = client.get(f"/v1/credentials/{response.json()['id']}").json()
    assert stored["credential"]["proof"] == proof


def test_a_tampered_seal_is_a_finding_not_an_error(client: TestClient) -> None:
    document = json.loads(SEALED["mc"].read_text(encoding="utf-8"))
    document["payload"] = document["payload"].replace("urn:credential:", "urn:credential:x", 1)
    response = client.post("/v1/credentials/validate", content=json.dumps(document), headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential"]["proof"]["verification"]["valid"] is False
    assert any(w["code"] == "signature_invalid" for w in body["warnings"])


def test_a_json_body_sent_as_vc_jwt_is_refused_plainly(client: TestClient) -> None:
    response = client.post(
        "/v1/credentials/validate",
        content=SEALED["mc"].read_bytes(),
        headers={"content-type": "application/vc+jwt"},
    )
    assert response.status_code == 422
    assert "not a compact JWS" in response.json()["detail"]
    assert "not valid JSON" not in response.json()["detail"]


@pytest.fixture(scope="module")
def anchored_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, OwnCA]]:
    from app.api.main import create_app

    ca = OwnCA()
    anchors = ca.write_anchor(tmp_path_factory.mktemp("anchors"))
    settings = make_settings(
        _backend_url("sqlite", tmp_path_factory, "verify-anchors"),
        credentials=CredentialSettings(trust_anchors_dir=anchors),
    )
    with TestClient(create_app(settings), headers=ADMIN_HEADERS) as client:
        yield client, ca


def test_trust_anchors_from_the_settings_establish_trust(
    anchored_client: tuple[TestClient, OwnCA], tmp_path: Path
) -> None:
    client, ca = anchored_client
    sealed = jades_seal(MC_PAYLOAD, ca, "2023-06-01T10:00:00Z")
    response = client.post("/v1/credentials/validate", content=json.dumps(sealed), headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    v = body["credential"]["proof"]["verification"]
    assert (v["valid"], v["trust"]) == (True, "established")
    assert body["completeness"]["mandatory"]["present"] == 10
    assert not any(w["code"].startswith("signature") for w in body["warnings"])
    late = jades_seal(MC_PAYLOAD, ca, "2024-06-01T10:00:00Z")
    response = client.post("/v1/credentials/validate", content=json.dumps(late), headers=JSON)
    v = response.json()["credential"]["proof"]["verification"]
    assert (v["valid"], v["trust"]) == (True, "expired_at_signing")
