"""Credential endpoints: SHACL report beside completeness, formats as published (uploadable
wrapper, flattened @graph), refusals naming what is unsupported; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.settings import EmbeddingSettings
from tests.adapters.importers.conftest import MC_SAMPLE, OB_MINIMAL
from tests.api.test_credentials import LD, _app_client
from tests.conftest import _backend_url, make_settings

INTEROP = Path(__file__).resolve().parents[1] / "data" / "credentials_interop"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def ld_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    url = _backend_url(request.param, tmp_path_factory, "credentials_jsonld")
    settings = make_settings(url, embeddings=EmbeddingSettings(backend="fake"))
    yield from _app_client(settings)


def test_shacl_report_beside_completeness_when_stored_and_read_back(
    ld_client: TestClient,
) -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    del doc["validFrom"]
    del doc["displayParameter"]
    created = ld_client.post("/v1/credentials", content=json.dumps(doc), headers=LD)
    assert created.status_code == 201, created.text
    body = created.json()
    # Side by side: without validFrom the sample has no date of issue (Annex I) and SHACL
    # flags the two removed properties besides the sample's own missing `issued`.
    assert body["completeness"]["missing_mandatory"] == ["issue_date", "quality_assurance"]
    shacl = body["shacl"]
    assert shacl["checked"] is True and shacl["conforms"] is False
    paths = {r["path"] for r in shacl["results"]}
    assert {"cred:validFrom", "elm:displayParameter", "cred:issued"} <= paths
    for result in shacl["results"]:
        assert result["severity"] == "violation"
        assert result["focus_node"] and result["message"]
    fetched = ld_client.get(f"/v1/credentials/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["shacl"] == shacl
    checked = ld_client.post(
        "/v1/credentials/validate", content=OB_MINIMAL.read_bytes(), headers=LD
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["shacl"]["checked"] is False


def test_uploadable_wrapper_and_flattened_form_read(ld_client: TestClient) -> None:
    wrapped = (INTEROP / "edc" / "elm_Sample-MC-Annex1-unsigned-uploadable.json").read_bytes()
    answer = ld_client.post("/v1/credentials/validate", content=wrapped, headers=LD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["credential"]["title"] == "Digital micro-credential creation"
    assert answer.json()["completeness"]["mandatory"]["present"] == 10
    flat = (INTEROP / "edc" / "edci_credFlatten.jsonld").read_bytes()
    answer = ld_client.post("/v1/credentials/validate", content=flat, headers=LD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["source_format"] == "elm"


def test_refusals_name_what_is_unsupported(ld_client: TestClient) -> None:
    ctdl = (INTEROP / "ctdl" / "ctdl_s1_2_DegreeInRegistryAndVC.json").read_bytes()
    answer = ld_client.post("/v1/credentials/validate", content=ctdl, headers=LD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source_format"] == "ctdl" and body["credential"]["title"] == "Bachelor’s Degree"
    assert body["credential"]["alignments"][0]["kind"] == "CTDL"
    mapping = (INTEROP / "ctdl" / "ctdl_scqf-eqf-mapping.json").read_bytes()
    answer = ld_client.post("/v1/credentials/validate", content=mapping, headers=LD)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert "CTDL" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "/@context"
    unknown = {"@context": "https://example.org/only.jsonld", "type": "EuropeanDigitalCredential"}
    answer = ld_client.post("/v1/credentials/validate", content=json.dumps(unknown), headers=LD)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/@context"


CORPUS = sorted(p for p in INTEROP.rglob("*") if p.suffix in (".json", ".jsonld"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_interop_document_is_answered_without_a_server_error(
    ld_client: TestClient, path: Path
) -> None:
    # e.g. edci_credential_shouldValidate.jsonld, whose "en " language tags once made the
    # SHACL step raise (a 500 on both endpoints)
    body = path.read_bytes()
    for url in ("/v1/credentials/validate", "/v1/credentials"):
        answer = ld_client.post(url, content=body, headers=LD)
        assert answer.status_code in (200, 201, 413, 422), (url, answer.text)
        if answer.status_code >= 400:
            assert answer.json()["detail"]
            continue
        shacl = answer.json()["shacl"]
        assert shacl["checked"] is (answer.json()["source_format"] == "elm"), shacl
