"""CTDL exports: QualificationsFramework with its ProgressionModel, AlignmentMaps of recorded
edges and of comparisons (beside the Credential Engine's own SCQF → EQF example), and
TransferValueProfiles. No published JSON schema or shapes for these CTDL classes is in the
project's data: documents are checked for the required properties (``ctdl.problems``), parsed
as JSON-LD offline with rdflib, and read back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from app.adapters.exports import ctdl, skos
from app.adapters.exports.iris import level_iri
from app.core.types import EQF_ID
from app.services.exports import ExportService
from app.services.registry import Registry
from app.settings import PROJECT_ROOT

CE_EXAMPLE = PROJECT_ROOT / "tests/data/credentials_interop/ctdl/ctdl_scqf-eqf-mapping.json"
CETERMS = "https://purl.org/ctdl/terms/"
ASN = "http://purl.org/ASN/schema/core/"


@pytest.fixture(scope="module")
def service(registry: Registry) -> ExportService:
    return ExportService(registry)


def _rdf(document: dict[str, Any]) -> Graph:
    return skos.jsonld_graph(document)  # pyld; inline context: nothing fetched


def test_framework_document(service: ExportService, registry: Registry) -> None:
    document = service.framework_ctdl("UK-SCT-SCQF")
    assert ctdl.problems(document) == []
    fw = registry.release.frameworks["UK-SCT-SCQF"]
    g = _rdf(document)
    levels = set(g.subjects(RDF.type, URIRef(ASN + "ProgressionLevel")))
    assert {str(s) for s in levels} == {level_iri(lv) for lv in fw.levels}
    assert len(set(g.subjects(RDF.type, URIRef(CETERMS + "QualificationsFramework")))) == 1
    # the order of the levels survives (an RDF list)
    model = next(n for n in document["@graph"] if n["@type"] == "asn:ProgressionModel")
    ranked = sorted(fw.levels, key=lambda lv: lv.rank)
    assert model["asn:hasProgressionLevel"] == [level_iri(lv) for lv in ranked]
    # and its EQF referencing is an AlignmentMap
    maps = [n for n in document["@graph"] if n["@type"] == "ceterms:AlignmentMap"]
    assert len(maps) == 1


def test_a_missing_required_property_is_reported(service: ExportService) -> None:
    document = service.framework_ctdl("IE-NFQ")
    del document["@graph"][0]["ceterms:name"]
    document["@graph"][-1]["ceterms:hasPart"][0].pop("ceterms:targetNode", None)
    document["@graph"][-1]["ceterms:hasPart"][0]["ceterms:alignmentType"] = "skos:exactMatch"
    found = ctdl.problems(document)
    assert any("QualificationsFramework without ceterms:name" in p for p in found)
    assert any("no ceterms:targetNode" in p for p in found)


def _by_code(registry: Registry, framework: str) -> dict[str, str]:
    return {level_iri(lv): lv.code for lv in registry.release.frameworks[framework].levels}


def test_recorded_map_has_the_shape_of_the_credential_engine_example(
    service: ExportService, registry: Registry
) -> None:
    example = json.loads(CE_EXAMPLE.read_text(encoding="utf-8"))
    ours = service.alignment_map("UK-SCT-SCQF", "EQF", basis="recorded")
    assert ctdl.problems(example) == []  # the checker accepts the reference document
    assert ctdl.problems(ours) == []
    theirs_parts = example["@graph"][0]["ceterms:hasPart"]
    our_parts = ours["@graph"][0]["ceterms:hasPart"]
    assert len(our_parts) == len(theirs_parts) == 12
    scqf, eqf = _by_code(registry, "UK-SCT-SCQF"), _by_code(registry, EQF_ID)
    ours_by_level = {
        scqf[s]: (eqf.get(t) if t else None, a) for s, t, a, _ in ctdl.read_alignment_map(ours)
    }
    theirs_by_level = {
        s.removeprefix("scqf:level"): (t.removeprefix("eqf:level") if t else None, a)
        for s, t, a, _ in ctdl.read_alignment_map(example)
    }
    same_target = [k for k in theirs_by_level if ours_by_level[k][0] == theirs_by_level[k][0]]
    # SCQF 1-2 have no EQF level in both; the example puts SCQF 6 at EQF 3, the SCQF
    # referencing (our source) at EQF 4
    assert sorted(set(theirs_by_level) - set(same_target)) == ["6"]
    assert ours_by_level["1"] == theirs_by_level["1"] == (None, ctdl.NO_MATCH)
    assert ours_by_level["7"] == theirs_by_level["7"] == ("5", "skos:broadMatch")


def test_comparison_maps_read_back_as_the_comparisons(
    service: ExportService, registry: Registry
) -> None:
    document = service.alignment_map("IE-NFQ", "UK-SCT-SCQF")
    assert ctdl.problems(document) == []
    read = ctdl.read_alignment_map(document)
    source, target = _by_code(registry, "IE-NFQ"), _by_code(registry, "UK-SCT-SCQF")
    expected = []
    for level in sorted(registry.release.frameworks["IE-NFQ"].levels, key=lambda lv: lv.rank):
        comparison = registry.compare(str(level.key), "UK-SCT-SCQF")
        if not comparison.matches:
            expected.append((level.code, None, ctdl.NO_MATCH, None))
        for m in comparison.matches:
            expected.append(
                (level.code, m.level.code, ctdl.ALIGNMENT_TYPES[m.match_type], m.confidence)
            )
    got = [(source[s], target[t] if t else None, a, c) for s, t, a, c in read]
    assert got == expected
    assert any(t is not None for _, t, _, _ in got)
    g = _rdf(document)
    assert len(set(g.subjects(RDF.type, URIRef(CETERMS + "AlignmentObject")))) == len(read)


def test_one_comparison_with_its_path_and_sources(service: ExportService) -> None:
    document = service.comparison_map("IE-NFQ:8", "DE-DQR")
    head = document["@graph"][0]
    assert ctdl.problems(document) == []
    parts = head["ceterms:hasPart"]
    assert parts and all(p["ceterms:alignmentType"] != ctdl.NO_MATCH for p in parts)
    first = parts[0]
    assert first["pss:path"][0] == "IE-NFQ:8" and first["pss:path"][-1].startswith("DE-DQR:")
    assert first["ceterms:source"] and 0 < first["sssom:confidence"] <= 1


def test_transfer_value_profiles_have_what_the_registry_requires() -> None:
    # the shape of an ArticulationResults answer, reduced to what the export reads
    results = {
        "qualification": {"id": "p1", "title": "MSc Computer Science", "institution": "U"},
        "courses": [{"id": "c1", "title": "Databases"}],
        "modules": [
            {
                "code": "DB1",
                "title": "Database systems",
                "credits_ects": {"min": 7.5, "max": 7.5},
                "proposals": [
                    {
                        "kind": "one_to_one",
                        "decision": "replace",
                        "courses": ["c1"],
                        "coverage": 0.8,
                        "reasons": ["outcomes covered"],
                    }
                ],
            },
            {"code": "X", "title": "No proposal", "credits_ects": None, "proposals": []},
        ],
    }
    document = ctdl.articulation_profiles(results, organisation="org-a", job_id="j1")
    assert ctdl.problems(document) == []
    (profile,) = document["@graph"]
    assert profile["ceterms:transferValue"][0]["schema:value"] == 7.5
    assert profile["ceterms:transferValueFor"][0]["ceterms:codedNotation"] == "DB1"
    assert profile["ceterms:ctid"] == ctdl.ctid(profile["@id"])
    g = _rdf(document)
    assert (None, RDF.type, URIRef(CETERMS + "TransferValueProfile")) in g
    del profile["ceterms:ownedBy"]
    assert ctdl.problems(document) == [
        "/@graph/0: ceterms:TransferValueProfile without ceterms:ownedBy"
    ]


def test_a_recorded_crosswalk_as_an_alignment_map(service: ExportService) -> None:
    document = service.alignment_map("IE-NFQ", "UK-SCT-SCQF", basis="recorded")
    assert ctdl.problems(document) == []
    parts = document["@graph"][0]["ceterms:hasPart"]
    matched = [p for p in parts if p["ceterms:alignmentType"] != ctdl.NO_MATCH]
    assert len(matched) == 13  # the UK–Ireland comparison's 13 IE-NFQ → SCQF edges
    assert {p["pss:edgeKind"] for p in matched} == {"crosswalk"}
    assert all(p["ceterms:source"] for p in matched)
