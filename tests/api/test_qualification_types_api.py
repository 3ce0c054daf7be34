"""GET /v1/qualification-types: UK types, alternative labels, no character-level false hits."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_nvq_level_3_ranks_rqf_3_first(client: TestClient) -> None:
    body = client.get("/v1/qualification-types", params={"q": "NVQ level 3", "jurisdiction": "GB"})
    best = body.json()["items"][0]
    assert (best["framework"], best["level"]["code"], best["eqf_level"]) == ("UK-RQF", "3", 4)
    assert "NVQ level 3" in best["alt_labels"]
    assert best["source"]["url"]


def test_acca_does_not_find_baccalaureates(client: TestClient) -> None:
    items = client.get("/v1/qualification-types", params={"q": "ACCA"}).json()["items"]
    assert not any("accala" in i["name"].casefold() for i in items)
    assert all(i["score"] >= 65 for i in items)
