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


def test_levels_show_their_qf_ehea_placement(client: TestClient) -> None:
    body = client.get("/v1/frameworks/IE-NFQ/levels/8").json()
    assert [(p["cycle"], p["match_type"]) for p in body["qf_ehea"]] == [("first", "broad")]
    assert body["qf_ehea"][0]["source"]
    body = client.get("/v1/levels/DE-DQR:6").json()
    assert [(p["cycle"], p["match_type"]) for p in body["qf_ehea"]] == [("first", "related")]
    assert client.get("/v1/frameworks/IE-NFQ/levels/5").json()["qf_ehea"] == []


def test_no_cycle_is_composed_for_a_level_outside_higher_education(client: TestClient) -> None:
    body = client.get("/v1/compare", params={"source": "DE-DQR:5", "target": "QF-EHEA"}).json()
    assert body["matches"] == []
    assert body["reason"] == "not_placed_in_higher_education"
    body = client.get("/v1/compare", params={"source": "DE-DQR:6", "target": "QF-EHEA"}).json()
    assert [m["match_type"] for m in body["matches"]] == ["related"]
