"""POST /v1/outcomes/level abstains (eqf_level null, with a reason) when nothing is known."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_no_evidence_gives_no_level(client: TestClient) -> None:
    body = client.post("/v1/outcomes/level", json={"title": "CSCS Management Card"}).json()
    assert body["eqf_level"] is None
    assert "no evidence" in body["abstain_reason"]
    assert body["confidence"] == 0


def test_uk_titles_use_the_qualification_type_lookup(client: TestClient) -> None:
    body = client.post("/v1/outcomes/level", json={"title": "NVQ Level 3 in Plumbing"}).json()
    assert body["eqf_level"] == 4
    assert any("NVQ" in e["detail"] for e in body["evidence"] if e["signal"] == "title")
    body = client.post("/v1/outcomes/level", json={"title": "HNC Electrical Engineering"}).json()
    assert body["eqf_level"] == 5
