"""SKOS export of the real data release, read back with rdflib: every framework, level and edge
comes back equal (Turtle and JSON-LD), and the graph says what a SKOS consumer expects."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from app.adapters.exports import skos
from app.adapters.exports.iris import framework_iri, level_iri
from app.core.release import Release
from app.core.types import EQF_ID, EdgeKind, LevelKey, MatchType


@pytest.fixture(scope="module", params=[skos.TURTLE, skos.JSON_LD])
def exported(request: pytest.FixtureRequest, release: Release) -> tuple[str, str]:
    return request.param, skos.serialise(skos.skos_graph(release), request.param)


def test_the_whole_release_round_trips(exported: tuple[str, str], release: Release) -> None:
    media_type, text = exported
    frameworks, edges = skos.read_graph(skos.parse(text, media_type))
    assert {f.id: f for f in frameworks} == release.frameworks
    assert len(edges) == len(release.edges)
    assert set(edges) == set(release.edges)


def test_one_framework_round_trips_with_its_edges(release: Release) -> None:
    text = skos.serialise(skos.skos_graph(release, ["UK-SCT-SCQF"]), skos.TURTLE)
    frameworks, edges = skos.read_graph(skos.parse(text, skos.TURTLE))
    # the EQF levels the edges point to are described only enough to be named
    assert [f.id for f in frameworks] == ["UK-SCT-SCQF"]
    assert frameworks[0] == release.frameworks["UK-SCT-SCQF"]
    expected = {e for e in release.edges if e.source.framework == "UK-SCT-SCQF"}
    assert set(edges) == expected
    assert any(e.kind is EdgeKind.EQF_REFERENCING for e in edges)


def test_skos_statements_a_consumer_reads(release: Release) -> None:
    g = skos.skos_graph(release, ["IE-NFQ"])
    scheme = URIRef(framework_iri("IE-NFQ"))
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    nfq8 = release.level(LevelKey("IE-NFQ", "8"))
    assert nfq8 is not None
    concept = URIRef(level_iri(nfq8))
    # EU vocabulary URIs are used where the data has them
    assert str(concept).startswith("http://data.europa.eu/snb/")
    assert (concept, SKOS.inScheme, scheme) in g
    assert (concept, SKOS.notation, Literal("8")) in g
    assert (concept, SKOS.prefLabel, Literal(nfq8.label)) in g
    # Ireland's NFQ 8 is referenced to EQF 6 as a broad match (EQF 6 also holds NFQ 7)
    eqf6 = URIRef("http://data.europa.eu/snb/eqf/6")
    assert (concept, SKOS.broadMatch, eqf6) in g
    axioms = [
        a
        for a in g.subjects(OWL.annotatedSource, concept)
        if g.value(a, OWL.annotatedTarget) == eqf6
    ]
    assert len(axioms) == 1
    edge = next(
        e for e in release.edges if e.source == nfq8.key and e.target == LevelKey(EQF_ID, "6")
    )
    assert edge.match_type is MatchType.BROAD
    assert float(g.value(axioms[0], skos.SSSOM.confidence)) == edge.confidence  # type: ignore[arg-type]
    titles = {
        str(g.value(s, skos.DCTERMS.title)) for s in g.objects(axioms[0], skos.DCTERMS.source)
    }
    assert titles == {s.title for s in edge.sources}


def test_definitions_come_from_the_descriptors(release: Release) -> None:
    eqf = release.frameworks[EQF_ID]
    level = eqf.levels[-1]
    assert level.descriptors is not None
    g = skos.skos_graph(release, [EQF_ID])
    text = str(g.value(URIRef(level_iri(level)), SKOS.definition))
    assert level.descriptors.knowledge and level.descriptors.knowledge in text


def test_a_mapping_without_its_statement_is_refused(release: Release) -> None:
    g = skos.skos_graph(release, ["IE-NFQ"])
    axiom = next(g.subjects(RDF.type, OWL.Axiom))
    source, predicate, target = (
        g.value(axiom, OWL.annotatedSource),
        g.value(axiom, OWL.annotatedProperty),
        g.value(axiom, OWL.annotatedTarget),
    )
    g.remove((source, predicate, target))
    with pytest.raises(skos.SkosReadError, match="does not state"):
        skos.read_graph(g)


def test_a_missing_confidence_is_refused(release: Release) -> None:
    g = skos.skos_graph(release, ["IE-NFQ"])
    axiom = next(g.subjects(RDF.type, OWL.Axiom))
    g.remove((axiom, skos.SSSOM.confidence, None))
    with pytest.raises(skos.SkosReadError, match="confidence"):
        skos.read_graph(g)


def test_skos_integrity_conditions(release: Release) -> None:
    """W3C SKOS Reference integrity conditions that the export can break: S14 (one prefLabel
    per language per concept), S46 (exactMatch disjoint with broadMatch and relatedMatch), and
    every concept in a scheme."""
    g = skos.skos_graph(release)
    for concept in g.subjects(RDF.type, SKOS.Concept):
        labels = list(g.objects(concept, SKOS.prefLabel))
        assert len({(lb.language if isinstance(lb, Literal) else None) for lb in labels}) == len(
            labels
        ), concept
        assert g.value(concept, SKOS.inScheme) is not None, concept
    for s, _, o in g.triples((None, SKOS.exactMatch, None)):
        assert (s, SKOS.broadMatch, o) not in g and (s, SKOS.relatedMatch, o) not in g


def test_crosswalk_edges_are_exported_with_their_kind(release: Release) -> None:
    text = skos.serialise(skos.skos_graph(release, ["IE-NFQ"]), skos.TURTLE)
    _, edges = skos.read_graph(skos.parse(text, skos.TURTLE))
    crosswalk = {e for e in edges if e.kind is EdgeKind.CROSSWALK}
    expected = {
        e for e in release.edges if e.kind is EdgeKind.CROSSWALK and e.source.framework == "IE-NFQ"
    }
    assert crosswalk == expected and len(expected) == 35  # to RQF, CQFW and SCQF
