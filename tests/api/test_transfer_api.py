"""Issue 10 through the API, on SQLite and PostgreSQL: "insufficient information" with the
documents to request, and every articulation miss explained (real credentials and catalogue
samples; see tests/services/test_transfer.py for the engine's cases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import PROJECT_ROOT, Settings
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS

SAMPLES = PROJECT_ROOT / "samples" / "catalogue"
OB_BASIC = (
    PROJECT_ROOT / "tests/data/credentials_interop/open_badges/ob_basicOpenBadgeCredential_0.json"
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(_backend_url(request.param, tmp_path_factory, "transfer"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    app = create_app(settings)
    app.state.jobs_autostart = False
    with TestClient(app, headers=ADMIN_HEADERS) as client:
        yield client


@pytest.fixture(scope="module")
def uppsala(api: TestClient) -> str:
    path = SAMPLES / "uppsala-msc-computer-science-selection.json"
    r = api.post(
        "/v1/qualifications",
        content=path.read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["items"][0]["id"])


def test_recognition_says_what_it_cannot_tell(api: TestClient, uppsala: str) -> None:
    """The 1EdTech basic badge with 3 ECTS and issuer country "XX": no outcomes, no level, no
    quality assurance — insufficient information, with the documents to request."""
    badge: dict[str, Any] = json.loads(OB_BASIC.read_text(encoding="utf-8"))
    badge["issuer"]["address"] = {"type": ["Address"], "addressCountryCode": "XX"}
    badge["credentialSubject"]["achievement"]["extensions:ECTSExtension"] = {"ECTS": 3}
    r = api.post(
        "/v1/recognitions",
        json={"credential": badge, "target": "SE", "qualification_id": uppsala},
    )
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["outcome"] == "insufficient_information"
    assert "learning outcomes" in record["documents_to_request"]
    assert "quality assurance of the issuer" in record["documents_to_request"]
    assert "learning_outcomes" in record["missing"]
    assert record["elements"]["quality"]["request"] == ["quality assurance of the issuer"]
    assert record["confidence"] < 0.5 and record["confidence_notes"]
    assert record["credential"]["issuer_country"] == "XX"
    assert all(m["compulsory"] is False for m in record["modules"])  # Uppsala: all elective


def test_articulation_explains_every_miss(api: TestClient, uppsala: str) -> None:
    programme = api.get(f"/v1/qualifications/{uppsala}").json()
    db = next(m for m in programme["modules"] if m["code"] == "1DL301")
    r = api.post(
        "/v1/articulations",
        json={
            "qualification_id": uppsala,
            "courses": [
                {"id": "db", "learning_outcomes": db["learning_outcomes"], "eqf_level": 7},
                {"id": "art", "learning_outcomes": ["paint portraits in oil on canvas"]},
            ],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    for module in body["modules"]:
        assert bool(module["proposals"]) != bool(module["miss"]), module
    misses = {m["code"]: m["miss"] for m in body["modules"] if m["miss"]}
    assert misses["1DL340"] == "the module publishes no learning outcomes to compare"
    courses = {c["id"]: c for c in body["courses"]}
    assert courses["db"]["modules"] == ["1DL301"] and courses["db"]["reason"] is None
    assert courses["art"]["modules"] == [] and "above the bar" in courses["art"]["reason"]
