"""Frameworks, levels and their typed, sourced edges as SKOS — and back.

One ``skos:ConceptScheme`` per framework, one ``skos:Concept`` per level (``prefLabel``,
``notation``, ``definition`` from the descriptors), levels with an EU vocabulary URI exported
under it (EQF levels are ``http://data.europa.eu/snb/eqf/N``). Every edge of the release whose
source is an exported level is one SKOS mapping triple (``skos:exactMatch``, ``closeMatch``,
``broadMatch``, ``narrowMatch``, ``relatedMatch``, read from the source level as
:class:`~app.core.types.MatchType` is) and one ``owl:Axiom`` annotating that triple with what
the triple alone cannot say — the kind of edge, the confidence (``sssom:confidence`` and the
class), the sources (``dcterms:source``), the basis and the validity — the way SSSOM writes
annotated mappings in OWL.

Ordered values (a framework's levels, jurisdictions, URIs and sources; a level's URIs and
qualification types) are RDF lists, so :func:`read_graph` rebuilds every
:class:`~app.core.types.Framework` and :class:`~app.core.types.LevelEdge` equal to the
original (a test checks on every framework of the release). Levels of other frameworks that an
edge points to are described just enough to be identified (scheme id, notation, label).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from pyld import jsonld as pyld_jsonld  # type: ignore[import-untyped]
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from app.adapters.exports.iris import VOCAB, framework_iri, level_iri
from app.adapters.importers.jsonld import document_loader
from app.core.release import Release
from app.core.types import (
    ConfidenceClass,
    CreditRange,
    Descriptors,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    MatchType,
    Source,
    Validity,
)

PSS = Namespace(VOCAB)
SSSOM = Namespace("https://w3id.org/sssom/")
SCHEMA = Namespace("https://schema.org/")
PAV = Namespace("http://purl.org/pav/")

MATCH_PREDICATES: dict[MatchType, URIRef] = {
    MatchType.EXACT: SKOS.exactMatch,
    MatchType.CLOSE: SKOS.closeMatch,
    MatchType.BROAD: SKOS.broadMatch,
    MatchType.NARROW: SKOS.narrowMatch,
    MatchType.RELATED: SKOS.relatedMatch,
}
_MATCH_OF = {v: k for k, v in MATCH_PREDICATES.items()}

#: Prefixes written in Turtle and used as the JSON-LD context.
PREFIXES: dict[str, str] = {
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "schema": str(SCHEMA),
    "sssom": str(SSSOM),
    "pav": str(PAV),
    "pss": VOCAB,
    "eqf": "http://data.europa.eu/snb/eqf/",
    "qdr": "http://data.europa.eu/snb/qdr/",
}

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"


class SkosReadError(ValueError):
    """An exported graph that does not read back (missing or malformed statement)."""


# --- writing -------------------------------------------------------------------------------------


def skos_graph(release: Release, framework_ids: Sequence[str] | None = None) -> Graph:
    """The SKOS graph of ``framework_ids`` (default: every framework of ``release``) with every
    edge whose source is one of their levels."""
    wanted = list(framework_ids) if framework_ids is not None else sorted(release.frameworks)
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, Namespace(ns))
    iris: dict[LevelKey, URIRef] = {}
    for fid in wanted:
        framework = release.frameworks[fid]
        _framework(g, framework, iris)
    for edge in release.edges:
        if edge.source.framework not in wanted:
            continue
        for key in (edge.source, edge.target):
            if key not in iris:
                _stub(g, release, key, iris)
        _edge(g, edge, iris)
    return g


def serialise(graph: Graph, media_type: str) -> str:
    """Turtle or JSON-LD (compacted with :data:`PREFIXES` as the context)."""
    if media_type == TURTLE:
        return graph.serialize(format="turtle")
    if media_type == JSON_LD:
        return graph.serialize(format="json-ld", context=dict(PREFIXES), indent=2)
    raise ValueError(f"unsupported media type {media_type!r}")


def _date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def _validity(g: Graph, node: Node, validity: Validity) -> None:
    if validity.valid_from is not None:
        g.add((node, SCHEMA.validFrom, _date(validity.valid_from)))
    if validity.valid_to is not None:
        g.add((node, SCHEMA.validThrough, _date(validity.valid_to)))


def _list(g: Graph, node: Node, predicate: URIRef, items: Iterable[Node]) -> None:
    head = BNode()
    Collection(g, head, list(items))
    g.add((node, predicate, head))


def _source(g: Graph, source: Source) -> BNode:
    node = BNode()
    g.add((node, RDF.type, DCTERMS.BibliographicResource))
    g.add((node, DCTERMS.identifier, Literal(source.id)))
    g.add((node, DCTERMS.title, Literal(source.title)))
    if source.url is not None:
        g.add((node, SCHEMA.url, Literal(source.url, datatype=XSD.anyURI)))
    if source.retrieved is not None:
        g.add((node, PAV.retrievedOn, _date(source.retrieved)))
    if source.licence is not None:
        g.add((node, DCTERMS.license, Literal(source.licence)))
    if source.note is not None:
        g.add((node, SKOS.note, Literal(source.note)))
    return node


def _sources(g: Graph, node: Node, sources: Sequence[Source]) -> None:
    nodes = [_source(g, s) for s in sources]
    for s in nodes:
        g.add((node, DCTERMS.source, s))
    _list(g, node, PSS.sources, nodes)


def _framework(g: Graph, fw: Framework, iris: dict[LevelKey, URIRef]) -> None:
    scheme = URIRef(framework_iri(fw.id))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.identifier, Literal(fw.id)))
    g.add((scheme, SKOS.prefLabel, Literal(fw.title)))
    g.add((scheme, DCTERMS.title, Literal(fw.title)))
    if fw.acronym is not None:
        g.add((scheme, SKOS.altLabel, Literal(fw.acronym)))
    g.add((scheme, PSS.kind, Literal(fw.kind)))
    _list(g, scheme, PSS.jurisdictions, (Literal(j) for j in fw.jurisdictions))
    _list(g, scheme, PSS.identifiers, (Literal(u) for u in fw.uris))
    for uri in fw.uris:
        if uri.startswith(("http://", "https://")):
            g.add((scheme, RDFS.seeAlso, URIRef(uri)))
    g.add((scheme, OWL.versionInfo, Literal(fw.version)))
    _validity(g, scheme, fw.validity)
    g.add((scheme, PSS.eqfReferenced, Literal(fw.eqf_referenced)))
    if fw.referencing_date is not None:
        g.add((scheme, PSS.referencingDate, Literal(fw.referencing_date)))
    _sources(g, scheme, fw.sources)
    if fw.notes is not None:
        g.add((scheme, SKOS.note, Literal(fw.notes)))
    concepts = [_level(g, scheme, level, iris) for level in fw.levels]
    _list(g, scheme, PSS.levels, concepts)


def definition(descriptors: Descriptors) -> str | None:
    """The descriptors as one ``skos:definition`` text (None when there are none)."""
    parts = [
        f"{name}: {text}"
        for name, text in (
            ("Knowledge", descriptors.knowledge),
            ("Skills", descriptors.skills),
            ("Responsibility and autonomy", descriptors.responsibility_autonomy),
        )
        if text
    ]
    return "\n".join(parts) or None


def _level(g: Graph, scheme: URIRef, level: Level, iris: dict[LevelKey, URIRef]) -> URIRef:
    concept = URIRef(level_iri(level))
    iris[level.key] = concept
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.inScheme, scheme))
    g.add((concept, SKOS.topConceptOf, scheme))
    g.add((scheme, SKOS.hasTopConcept, concept))
    g.add((concept, SKOS.notation, Literal(level.code)))
    g.add((concept, SKOS.prefLabel, Literal(level.label)))
    _list(g, concept, PSS.identifiers, (Literal(u) for u in level.uris))
    g.add((concept, PSS.rank, Literal(level.rank)))
    _validity(g, concept, level.validity)
    if level.descriptors is not None:
        text = definition(level.descriptors)
        if text:
            g.add((concept, SKOS.definition, Literal(text)))
        node = BNode()
        g.add((concept, PSS.descriptors, node))
        for predicate, value in (
            (PSS.knowledge, level.descriptors.knowledge),
            (PSS.skills, level.descriptors.skills),
            (PSS.responsibilityAutonomy, level.descriptors.responsibility_autonomy),
        ):
            if value is not None:
                g.add((node, predicate, Literal(value)))
    _list(g, concept, PSS.qualificationTypes, (Literal(q) for q in level.qualification_types))
    if level.credit_range is not None:
        cr = level.credit_range
        node = BNode()
        g.add((concept, PSS.creditRange, node))
        g.add((node, PSS.creditSystem, Literal(cr.system)))
        if cr.minimum is not None:
            g.add((node, PSS.minimum, Literal(float(cr.minimum))))
        if cr.maximum is not None:
            g.add((node, PSS.maximum, Literal(float(cr.maximum))))
        if cr.note is not None:
            g.add((node, SKOS.note, Literal(cr.note)))
    if level.not_referenced_note is not None:
        g.add((concept, SKOS.scopeNote, Literal(level.not_referenced_note)))
    return concept


def _stub(g: Graph, release: Release, key: LevelKey, iris: dict[LevelKey, URIRef]) -> None:
    """Just enough of a level of a framework not exported for an edge to name it."""
    level = release.level(key)
    if level is None:
        raise KeyError(f"edge to an unknown level {key}")
    framework = release.frameworks[key.framework]
    scheme = URIRef(framework_iri(framework.id))
    concept = URIRef(level_iri(level))
    iris[key] = concept
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.identifier, Literal(framework.id)))
    g.add((scheme, SKOS.prefLabel, Literal(framework.title)))
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.inScheme, scheme))
    g.add((concept, SKOS.notation, Literal(level.code)))
    g.add((concept, SKOS.prefLabel, Literal(level.label)))


def _edge(g: Graph, edge: LevelEdge, iris: dict[LevelKey, URIRef]) -> None:
    source, target = iris[edge.source], iris[edge.target]
    predicate = MATCH_PREDICATES[edge.match_type]
    g.add((source, predicate, target))
    axiom = BNode()
    g.add((axiom, RDF.type, OWL.Axiom))
    g.add((axiom, OWL.annotatedSource, source))
    g.add((axiom, OWL.annotatedProperty, predicate))
    g.add((axiom, OWL.annotatedTarget, target))
    g.add((axiom, PSS.edgeKind, Literal(edge.kind.value)))
    g.add((axiom, PSS.confidenceClass, Literal(edge.confidence_class.value)))
    g.add((axiom, SSSOM.confidence, Literal(float(edge.confidence))))
    _sources(g, axiom, edge.sources)
    if edge.basis is not None:
        g.add((axiom, DCTERMS.description, Literal(edge.basis)))
    _validity(g, axiom, edge.validity)


# --- reading back --------------------------------------------------------------------------------


def parse(text: str, media_type: str) -> Graph:
    """A graph from exported Turtle or JSON-LD (nothing is fetched: the context is inline)."""
    if media_type == JSON_LD:
        return jsonld_graph(json.loads(text))
    g = Graph()
    g.parse(data=text, format="turtle")
    return g


def jsonld_graph(document: Any) -> Graph:
    """The default graph of a JSON-LD document, through pyld (the JSON-LD processor the
    importers use, behind the frozen loader: a context URL that is not bundled is refused, never
    fetched) and N-Triples into rdflib."""
    nquads = pyld_jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": document_loader}
    )
    g = Graph()
    g.parse(data=nquads, format="nt")
    return g


def read_graph(g: Graph) -> tuple[list[Framework], list[LevelEdge]]:
    """Every framework described in full (not the stubs of edge targets) and every edge.

    Raises:
        SkosReadError: a statement the export always writes is missing or malformed.
    """
    reader = _Reader(g)
    frameworks = [
        reader.framework(scheme)
        for scheme in sorted(g.subjects(RDF.type, SKOS.ConceptScheme), key=str)
        if g.value(scheme, PSS.levels) is not None
    ]
    edges = [reader.edge(axiom) for axiom in g.subjects(RDF.type, OWL.Axiom)]
    return frameworks, edges


class _Reader:
    def __init__(self, g: Graph) -> None:
        self.g = g

    def one(self, node: Node, predicate: URIRef) -> Any:
        value = self.g.value(node, predicate)
        if value is None:
            raise SkosReadError(f"{node} has no {predicate}")
        return value

    def text(self, node: Node, predicate: URIRef) -> str | None:
        value = self.g.value(node, predicate)
        return None if value is None else str(value)

    def date(self, node: Node, predicate: URIRef) -> dt.date | None:
        value = self.g.value(node, predicate)
        return None if value is None else dt.date.fromisoformat(str(value))

    def items(self, node: Node, predicate: URIRef) -> list[Node]:
        head = self.g.value(node, predicate)
        if head is None:
            raise SkosReadError(f"{node} has no {predicate}")
        return list(Collection(self.g, head))

    def strings(self, node: Node, predicate: URIRef) -> tuple[str, ...]:
        return tuple(str(v) for v in self.items(node, predicate))

    def validity(self, node: Node) -> Validity:
        return Validity(self.date(node, SCHEMA.validFrom), self.date(node, SCHEMA.validThrough))

    def sources(self, node: Node) -> tuple[Source, ...]:
        return tuple(
            Source(
                id=str(self.one(s, DCTERMS.identifier)),
                title=str(self.one(s, DCTERMS.title)),
                url=self.text(s, SCHEMA.url),
                retrieved=self.date(s, PAV.retrievedOn),
                licence=self.text(s, DCTERMS.license),
                note=self.text(s, SKOS.note),
            )
            for s in self.items(node, PSS.sources)
        )

    def key(self, concept: Node) -> LevelKey:
        scheme = self.one(concept, SKOS.inScheme)
        return LevelKey(
            str(self.one(scheme, DCTERMS.identifier)), str(self.one(concept, SKOS.notation))
        )

    def framework(self, scheme: Node) -> Framework:
        fid = str(self.one(scheme, DCTERMS.identifier))
        referenced = self.one(scheme, PSS.eqfReferenced)
        return Framework(
            id=fid,
            title=str(self.one(scheme, SKOS.prefLabel)),
            kind=str(self.one(scheme, PSS.kind)),
            jurisdictions=self.strings(scheme, PSS.jurisdictions),
            uris=self.strings(scheme, PSS.identifiers),
            version=str(self.one(scheme, OWL.versionInfo)),
            validity=self.validity(scheme),
            eqf_referenced=bool(referenced.toPython()),
            referencing_date=self.text(scheme, PSS.referencingDate),
            sources=self.sources(scheme),
            levels=tuple(self.level(fid, c) for c in self.items(scheme, PSS.levels)),
            acronym=self.text(scheme, SKOS.altLabel),
            notes=self.text(scheme, SKOS.note),
        )

    def level(self, framework: str, concept: Node) -> Level:
        descriptors = None
        node = self.g.value(concept, PSS.descriptors)
        if node is not None:
            descriptors = Descriptors(
                knowledge=self.text(node, PSS.knowledge),
                skills=self.text(node, PSS.skills),
                responsibility_autonomy=self.text(node, PSS.responsibilityAutonomy),
            )
        credit_range = None
        node = self.g.value(concept, PSS.creditRange)
        if node is not None:
            low, high = self.g.value(node, PSS.minimum), self.g.value(node, PSS.maximum)
            credit_range = CreditRange(
                system=str(self.one(node, PSS.creditSystem)),
                minimum=None if low is None else float(str(low)),
                maximum=None if high is None else float(str(high)),
                note=self.text(node, SKOS.note),
            )
        return Level(
            framework=framework,
            code=str(self.one(concept, SKOS.notation)),
            label=str(self.one(concept, SKOS.prefLabel)),
            uris=self.strings(concept, PSS.identifiers),
            rank=int(self.one(concept, PSS.rank)),
            validity=self.validity(concept),
            descriptors=descriptors,
            qualification_types=self.strings(concept, PSS.qualificationTypes),
            credit_range=credit_range,
            not_referenced_note=self.text(concept, SKOS.scopeNote),
        )

    def edge(self, axiom: Node) -> LevelEdge:
        predicate = self.one(axiom, OWL.annotatedProperty)
        if predicate not in _MATCH_OF:
            raise SkosReadError(f"{axiom}: {predicate} is not a SKOS mapping property")
        source = self.one(axiom, OWL.annotatedSource)
        target = self.one(axiom, OWL.annotatedTarget)
        if (source, predicate, target) not in self.g:
            raise SkosReadError(f"{axiom} annotates a mapping the graph does not state")
        return LevelEdge(
            source=self.key(source),
            target=self.key(target),
            kind=EdgeKind(str(self.one(axiom, PSS.edgeKind))),
            match_type=_MATCH_OF[predicate],
            confidence_class=ConfidenceClass(str(self.one(axiom, PSS.confidenceClass))),
            confidence=float(self.one(axiom, SSSOM.confidence)),
            sources=self.sources(axiom),
            basis=self.text(axiom, DCTERMS.description),
            validity=self.validity(axiom),
        )
