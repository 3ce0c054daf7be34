"""ELM learning-opportunity/qualification (LOQ) documents into the catalogue: the EC's own
qualification specification (tests/data/loq/PROVENANCE.md), its flattened @graph form, a
LearningOpportunity around it, parts as modules, and bad input located in the LOQ document."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pyld import jsonld  # type: ignore[import-untyped]

from app.adapters.importers.elm_loq import is_loq, read_loq
from app.adapters.importers.jsonld import document_loader
from app.core.catalogue import CatalogueInputError, CreditValue
from app.core.types import LevelKey
from app.services.catalogue import RegistryLevels
from app.services.registry import Registry
from app.settings import PROJECT_ROOT

LOQ = PROJECT_ROOT / "tests/data/loq/Sample-MC-Annex1-qualification.jsonld"
ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"


@pytest.fixture
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LOQ.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def levels(registry: Registry) -> RegistryLevels:
    return RegistryLevels(registry)


def test_fixture_is_the_sample_specification(document: dict[str, Any]) -> None:
    sample = json.loads(ELM_MC.read_text(encoding="utf-8"))
    claim = sample["credentialSubject"]["hasClaim"]
    claim = claim[0] if isinstance(claim, list) else claim
    body = document.pop("awardingOpportunity")
    context = document.pop("@context")
    assert context == sample["@context"]
    assert document == claim["specifiedBy"]
    assert body["awardingBody"] == claim["awardedBy"]["awardingBody"]


def test_the_ec_qualification(document: dict[str, Any], levels: RegistryLevels) -> None:
    assert is_loq(document)
    (item,) = read_loq(document, levels)
    p = item.programme
    assert p.title == "Digital micro-credential creation"
    assert p.institution.name == "University of Zed" and p.institution.country == "IE"
    # "RQF Level 6" (http://data.europa.eu/snb/qdr/c_c392e7a2) is a level of the release
    assert p.level == LevelKey("UK-RQF", "6") and p.eqf_level == 6
    assert p.credits == CreditValue(2, "ects")
    assert p.isced_f == "003" and p.language == "en"
    assert p.award == "Short learning programme"
    # published without parts: the qualification is its own module, with its outcomes
    (module,) = p.modules
    assert module.title == p.title and module.credits == p.credits
    assert module.learning_outcomes == (
        "Communication, collaboration and creativity",
        "Developing digital content",
    )
    assert item.where == "/" and item.warnings == ()


def test_flattened_graph_reads_the_same(document: dict[str, Any], levels: RegistryLevels) -> None:
    flat = jsonld.flatten(document, document["@context"], {"documentLoader": document_loader})
    assert "@graph" in flat
    (tree,) = read_loq(document, levels)
    (graph,) = read_loq(flat, levels)
    assert graph.programme == tree.programme


def test_a_learning_opportunity_with_parts(
    document: dict[str, Any], levels: RegistryLevels
) -> None:
    spec = {k: v for k, v in document.items() if k not in ("@context", "awardingOpportunity")}
    part = copy.deepcopy(spec)
    part.update(id="urn:epass:qualification:1.1", title={"en": "Part one"})
    spec["hasPart"] = [part]
    opportunity = {
        "@context": document["@context"],
        "id": "urn:epass:learningOpportunity:1",
        "type": "LearningOpportunity",
        "title": {"en": "Digital micro-credential creation, spring intake"},
        "learningAchievementSpecification": spec,
        "providedBy": document["awardingOpportunity"]["awardingBody"],
    }
    (item,) = read_loq(opportunity, levels)
    p = item.programme
    assert p.title == "Digital micro-credential creation, spring intake"
    assert p.institution.name == "University of Zed"
    (module,) = p.modules
    assert (module.code, module.title) == ("1.1", "Part one")
    assert module.level == LevelKey("UK-RQF", "6") and len(module.learning_outcomes) == 2
    # the qualification's own outcomes have no module to go to: kept in the notes, said so
    assert p.notes is not None and "Developing digital content" in p.notes
    assert [w.code for w in item.warnings] == ["outcomes_in_notes"]


def _errors(document: Any, levels: RegistryLevels) -> list[tuple[str, str]]:
    with pytest.raises(CatalogueInputError) as info:
        read_loq(document, levels)
    return [(i.where, i.code) for i in info.value.errors]


def test_bad_input_is_located_in_the_loq_document(
    document: dict[str, Any], levels: RegistryLevels
) -> None:
    bad = copy.deepcopy(document)
    bad["creditPoint"]["point"] = "two"
    assert _errors(bad, levels) == [("/creditPoint/point", "invalid")]
    bad = copy.deepcopy(document)
    del bad["awardingOpportunity"]
    assert _errors(bad, levels) == [("/awardingOpportunity", "invalid")]
    bad = copy.deepcopy(document)
    bad["eqfLevel"]["id"] = "http://data.europa.eu/snb/eqf/9"
    del bad["nqfLevel"]
    assert ("/eqfLevel", "invalid") in _errors(bad, levels)
    bad = copy.deepcopy(document)
    del bad["title"]
    assert ("/title", "invalid") in _errors(bad, levels)
    assert _errors({"type": "VerifiableCredential"}, levels) == [("/type", "not_loq")]


def test_an_unknown_national_level_falls_back_to_the_eqf_level(
    document: dict[str, Any], levels: RegistryLevels
) -> None:
    document["nqfLevel"]["id"] = "http://data.europa.eu/snb/qdr/c_00000000"
    (item,) = read_loq(document, levels)
    assert item.programme.level == LevelKey("EQF", "6")
    assert [(w.where, w.code) for w in item.warnings] == [("/nqfLevel", "nqf_level_unknown")]


def test_json_ld_the_processor_refuses_is_located(
    document: dict[str, Any], levels: RegistryLevels
) -> None:
    document["@context"] = [*document["@context"], {"@version": 2.0}]
    with pytest.raises(CatalogueInputError) as info:
        read_loq(document, levels)
    assert [(i.where, i.code) for i in info.value.errors] == [("/@context", "jsonld")]
