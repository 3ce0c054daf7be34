"""GET /v1/compare names the frame of each match (framework, crosswalk or eqf)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_each_match_names_its_frame(client: TestClient) -> None:
    body = client.get("/v1/compare", params={"source": "IE-NFQ:8", "target": "UK-SCT-SCQF"}).json()
    frames = {m["level"]["code"]: m["frame"] for m in body["matches"]}
    assert body["matches"][0]["frame"] == "crosswalk"  # the leaflet's pair ranks first
    assert set(frames.values()) <= {"crosswalk", "eqf"}
    body = client.get("/v1/compare", params={"source": "IE-NFQ:8", "target": "DE-DQR"}).json()
    assert [m["frame"] for m in body["matches"]] == ["eqf"]
    body = client.get("/v1/compare", params={"source": "IE-NFQ:8", "target": "IE-NFQ"}).json()
    assert [m["frame"] for m in body["matches"]] == ["framework"]
