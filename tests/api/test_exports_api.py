"""The export routes and the LOQ import over HTTP, on both databases: negotiation (format,
Accept, 406), SKOS and CTDL bodies that read back, a real recognition record and a real
articulation job exported (OB 3.0 Alignments, CTDL TransferValueProfiles), other
organisations refused, and LOQ documents imported idempotently with located problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from app.adapters.exports import ctdl, skos
from app.settings import PROJECT_ROOT, EmbeddingSettings, Settings
from tests.api.test_articulation_api import courses, wait
from tests.api.test_frameworks_api import assert_problem
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS, ensure_organisation, headers

SAMPLES = PROJECT_ROOT / "samples/catalogue"
ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
LOQ = PROJECT_ROOT / "tests/data/loq/Sample-MC-Annex1-qualification.jsonld"
OB_ALIGNMENT = json.loads(
    (PROJECT_ROOT / "tests/data/exports/ob_v3p0_alignment.schema.json").read_text("utf-8")
)
LD = {"content-type": "application/ld+json"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = _backend_url(request.param, tmp_path_factory, "exports")
    return make_settings(url, embeddings=EmbeddingSettings(backend="fake"))


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    app = create_app(settings)
    app.state.jobs_poll_seconds = 0.1
    with TestClient(app, headers=ADMIN_HEADERS) as client:
        yield client


def _import(api: TestClient, name: str) -> dict[str, Any]:
    r = api.post(
        "/v1/qualifications",
        content=(SAMPLES / name).read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    return dict(api.get(f"/v1/qualifications/{r.json()['items'][0]['id']}").json())


@pytest.fixture(scope="module")
def record(api: TestClient) -> dict[str, Any]:
    programme = _import(api, "edinburgh-pgcert-digital-education.json")
    document = json.loads(ELM_MC.read_text(encoding="utf-8"))
    r = api.post(
        "/v1/recognitions",
        json={
            "credential": document,
            "target": "UK-SCT-SCQF",
            "qualification_id": programme["id"],
            "purpose": "credit_transfer",
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_framework_as_turtle_by_accept(api: TestClient) -> None:
    r = api.get("/v1/exports/frameworks/IE", headers={"accept": "text/turtle"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/turtle")
    frameworks, edges = skos.read_graph(skos.parse(r.text, skos.TURTLE))
    assert [f.id for f in frameworks] == ["IE-NFQ"]
    assert len(frameworks[0].levels) == 10 and edges


def test_framework_as_json_ld_and_ctdl(api: TestClient) -> None:
    r = api.get("/v1/exports/frameworks/IE-NFQ", headers={"accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    (framework,), _ = skos.read_graph(skos.parse(r.text, skos.JSON_LD))
    assert framework.id == "IE-NFQ"
    r = api.get("/v1/exports/frameworks/IE-NFQ?format=ctdl")
    assert r.status_code == 200
    assert ctdl.problems(r.json()) == []
    assert r.json()["@graph"][0]["@type"] == "ceterms:QualificationsFramework"


def test_several_frameworks(api: TestClient) -> None:
    r = api.get("/v1/exports/frameworks?frameworks=IE,UK-SCT-SCQF&format=turtle")
    assert r.status_code == 200
    frameworks, _ = skos.read_graph(skos.parse(r.text, skos.TURTLE))
    assert sorted(f.id for f in frameworks) == ["IE-NFQ", "UK-SCT-SCQF"]


def test_negotiation_problems(api: TestClient) -> None:
    r = api.get("/v1/exports/frameworks/IE-NFQ", headers={"accept": "image/png"})
    assert_problem(r, 406)
    assert_problem(api.get("/v1/exports/frameworks/NOWHERE"), 404)
    r = api.get("/v1/exports/frameworks/IE-NFQ?format=rdfxml")
    assert_problem(r, 422)


def test_alignment_map_and_comparison(api: TestClient) -> None:
    r = api.get("/v1/exports/alignment-map?source=UK-SCT-SCQF&target=EQF&basis=recorded")
    assert r.status_code == 200
    document = r.json()
    assert ctdl.problems(document) == []
    assert len(document["@graph"][0]["ceterms:hasPart"]) == 12
    r = api.get("/v1/exports/compare?source=IE-NFQ:8&target=DE-DQR")
    assert r.status_code == 200
    answer = api.get("/v1/compare?source=IE-NFQ:8&target=DE-DQR").json()
    parts = r.json()["@graph"][0]["ceterms:hasPart"]
    assert [p["sssom:confidence"] for p in parts] == [m["confidence"] for m in answer["matches"]]
    assert_problem(api.get("/v1/exports/compare?source=IE-NFQ:99&target=DE-DQR"), 404)


def test_recognition_as_ob3_alignments(api: TestClient, record: dict[str, Any]) -> None:
    r = api.get(f"/v1/exports/recognitions/{record['id']}/alignments")
    assert r.status_code == 200, r.text
    document = r.json()
    assert document["record"] == record["id"]
    alignments = document["achievement"]["alignment"]
    validator = jsonschema.Draft201909Validator(OB_ALIGNMENT)
    assert all(not list(validator.iter_errors(a)) for a in alignments)
    urls = {a["targetUrl"] for a in alignments}
    assert "http://data.europa.eu/snb/eqf/6" in urls  # the sample's EQF level
    granted = [m["code"] for m in record["modules"] if m["decision"] != "not_replaced"]
    modules = [a["targetCode"] for a in alignments if a["targetType"] == "ext:Module"]
    assert modules == granted


def test_recognition_as_transfer_values(api: TestClient, record: dict[str, Any]) -> None:
    r = api.get(f"/v1/exports/recognitions/{record['id']}/transfer-values")
    assert r.status_code == 200, r.text
    document = r.json()
    assert ctdl.problems(document) == []
    granted = [m for m in record["modules"] if m["decision"] in ("replace", "conditional")]
    assert len(document["@graph"]) == len(granted)
    for node in document["@graph"]:
        assert node["ceterms:ownedBy"] == [ctdl.organisation_iri("default")]


def test_articulation_job_as_transfer_values(api: TestClient) -> None:
    programme = _import(api, "uppsala-msc-computer-science-selection.json")
    r = api.post(
        "/v1/batch/articulations",
        json={"qualification_id": programme["id"], "courses": courses(programme, "x")},
    )
    assert r.status_code in (200, 202), r.text
    job = wait(api, r.json()["id"])
    results = api.get(f"/v1/jobs/{job['id']}/results").json()
    proposals = [(m["code"], p) for m in results["modules"] for p in m["proposals"]]
    assert proposals  # the catalogue's own modules as incoming courses are proposed
    r = api.get(f"/v1/exports/jobs/{job['id']}/transfer-values")
    assert r.status_code == 200, r.text
    document = r.json()
    assert ctdl.problems(document) == []
    got = [
        (n["ceterms:transferValueFor"][0]["ceterms:codedNotation"], n["pss:decision"])
        for n in document["@graph"]
    ]
    assert got == [(code, p["decision"]) for code, p in proposals]
    assert_problem(api.get("/v1/exports/jobs/nope/transfer-values"), 404)


def test_another_organisation_cannot_export_a_record(
    api: TestClient, record: dict[str, Any]
) -> None:
    ensure_organisation(api.app, "exports-other")
    other = TestClient(api.app, headers=headers("admin", "exports-other"))
    r = other.get(f"/v1/exports/recognitions/{record['id']}/alignments")
    assert_problem(r, 404)
    r = other.get(f"/v1/exports/recognitions/{record['id']}/transfer-values")
    assert_problem(r, 404)
    anonymous = TestClient(api.app)
    assert_problem(anonymous.get(f"/v1/exports/recognitions/{record['id']}/alignments"), 401)
    assert_problem(
        anonymous.post("/v1/qualifications/loq", content=LOQ.read_bytes(), headers=LD), 401
    )


def test_loq_import(api: TestClient) -> None:
    first = api.post("/v1/qualifications/loq", content=LOQ.read_bytes(), headers=LD)
    assert first.status_code in (200, 201), first.text
    (item,) = first.json()["items"]
    again = api.post("/v1/qualifications/loq", content=LOQ.read_bytes(), headers=LD)
    assert again.status_code == 200 and again.json()["items"][0]["id"] == item["id"]
    stored = api.get(f"/v1/qualifications/{item['id']}").json()
    assert stored["title"] == "Digital micro-credential creation"
    assert stored["eqf_level"] == 6


def test_loq_problems_are_located(api: TestClient) -> None:
    document = json.loads(LOQ.read_text(encoding="utf-8"))
    document["creditPoint"]["point"] = "two"
    r = api.post("/v1/qualifications/loq", content=json.dumps(document), headers=LD)
    body = assert_problem(r, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/creditPoint/point"]
    r = api.post("/v1/qualifications/loq", content=b"a,b\n", headers={"content-type": "text/csv"})
    assert_problem(r, 415)
