"""SHACL validation of ELM/EDC credentials against the official EDC shapes (pyshacl + rdflib).

Every EDC names its shapes in ``credentialSchema`` (type ``ShaclValidator2017``): the generic
application profile ``http://data.europa.eu/snb/model/ap/edc-generic-full`` (which imports
``…/edc-generic-no-cv``, the same shapes without the controlled-vocabulary checks). Both are
bundled in ``shapes/`` (see its PROVENANCE.md); ``owl:imports`` is resolved from there, never
fetched. A credential naming neither is checked against the full profile, and the report says
so. The document becomes RDF through the JSON-LD processor with the bundled contexts only.

Cost: the shapes are parsed and harvested into pyshacl's shapes (~600 of them) once per process
and reused; the EDC shapes use no SHACL-AF feature (no ``sh:rule``, ``sh:sparql`` or custom
targets), so validation runs without advanced mode, without inference and without an ontology
graph, in place on a graph built only for it. About 60-70 ms of CPU for the official sample
(to RDF ~13 ms, pyshacl the rest; benchmarks/credentials.py), once per import, after reading;
its report is stored with the credential.

No input may fail an import here: whatever the processor or the validator raises becomes a
report with ``checked: false`` and the reason. A language tag rdflib refuses (the EDC test data
has ``"en "``) is trimmed, or dropped from that one literal, for validation only, and the report
says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node as RdfNode

from app.adapters.importers.jsonld import to_rdf
from app.core.conformance import ShaclReport, ShaclResult
from app.core.credentials import CredentialInputError

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
SH = Namespace("http://www.w3.org/ns/shacl#")

EDC_FULL = "http://data.europa.eu/snb/model/ap/edc-generic-full"
EDC_NO_CV = "http://data.europa.eu/snb/model/ap/edc-generic-no-cv"
# Ontology IRI -> the files of its shapes graph (imports included).
SHAPES: dict[str, tuple[str, ...]] = {
    EDC_FULL: ("EDC-generic-no-cv.shacl.ttl", "EDC-generic-full.shacl.ttl"),
    EDC_NO_CV: ("EDC-generic-no-cv.shacl.ttl",),
}
MAX_RESULTS = 200
_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@cache
def shapes_graph(iri: str) -> Graph:
    """The shapes graph of ``iri`` (parsed once per process).

    Held in rdflib's context-unaware store: pyshacl only reads it, and every lookup of a shape's
    parameters then skips the context bookkeeping (~10% of a validation)."""
    graph = Graph(store="SimpleMemory")
    for name in SHAPES[iri]:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


@cache
def _shapes(iri: str) -> ShapesGraph:
    """pyshacl's shapes of ``iri``, harvested once per process (about half of each validation
    when pyshacl.validate redid it per call)."""
    shapes = ShapesGraph(shapes_graph(iri), False, _LOG)
    list(shapes.shapes)  # harvest now, not under the lock of the first request
    return shapes


_LOG = logging.getLogger(__name__)
# One validation at a time over a shared ShapesGraph: pyshacl does not say its shapes are safe
# to use from several threads, and the work is CPU-bound under the GIL anyway.
_LOCK = threading.Lock()
_OPTIONS = {
    "inference": "none",  # no ontology graph: the shapes name the classes they check
    "advanced": False,  # the EDC shapes use no SHACL-AF feature
    "allow_warnings": True,  # sh:Warning/sh:Info results are reported, not non-conformance
    "inplace": True,  # the data graph is built for this validation only
    "logger": _LOG,
}


def named_shapes(document: Any) -> list[str]:
    """The ``ShaclValidator2017`` schema ids a credential names (its ``credentialSchema``)."""
    raw = document.get("credentialSchema") if isinstance(document, dict) else None
    out: list[str] = []
    for item in raw if isinstance(raw, list) else [raw]:
        ident = item.get("id") if isinstance(item, dict) else item
        if isinstance(ident, str) and ident.strip():
            out.append(ident.strip().rstrip("/"))
    return out


def validate_edc(document: Any) -> ShaclReport:
    """Validate an ELM/EDC credential (compact JSON-LD with bundled contexts)."""
    named = named_shapes(document)
    known = [n for n in named if n in SHAPES]
    note = None
    if not known:
        known = [EDC_FULL]
        note = (
            "the credential names no bundled SHACL shapes"
            + (f" ({', '.join(named[:3])})" if named else "")
            + "; checked against the generic EDC application profile (edc-generic-full)"
        )
    iri = EDC_FULL if EDC_FULL in known else known[0]
    try:
        dataset = to_rdf(document)
    except CredentialInputError as exc:
        return ShaclReport(checked=False, shapes=(iri,), note=f"not checked: {exc.message}")
    except Exception as exc:  # the processor failing is a report, not a 500
        return _unchecked(iri, exc)
    try:
        built = _graph(dataset)
        conforms, results_graph = _validate(built.graph, iri)
        results = _results(results_graph, shapes_graph(iri))
    except Exception as exc:  # a validator failure is reported, never a failed import
        return _unchecked(iri, exc)
    notes = [n for n in (note, built.note) if n]
    return ShaclReport(
        checked=True,
        shapes=(iri, *SHAPES_IMPORTS.get(iri, ())),
        conforms=conforms,
        results=tuple(results[:MAX_RESULTS]),
        truncated=max(0, len(results) - MAX_RESULTS),
        note="; ".join(notes) or None,
    )


def _unchecked(iri: str, exc: BaseException) -> ShaclReport:
    reason = str(exc) or type(exc).__name__
    return ShaclReport(checked=False, shapes=(iri,), note=f"not checked: {reason}"[:300])


def _validate(data: Graph, iri: str) -> tuple[bool, Graph]:
    """pyshacl over ``data`` with the process's shapes of ``iri``: (conforms, results graph)."""
    # Under the lock: the first call harvests the shapes, and constructing a Validator adds
    # pyshacl's system triples to the shapes graph.
    with _LOCK:
        shapes = _shapes(iri)
        validator = Validator(
            DataGraph.from_rdflib(data), shacl_graph=shapes.graph, options=dict(_OPTIONS)
        )
        validator.shacl_graph = shapes  # the harvested shapes, instead of harvesting them again
        conforms, results_graph, _ = validator.run()  # type: ignore[no-untyped-call]
    if not isinstance(results_graph, Graph):  # pyshacl returns a failure in the graph's place
        raise RuntimeError(f"the validator gave no report ({results_graph!r})"[:200])
    return bool(conforms), results_graph


SHAPES_IMPORTS = {EDC_FULL: (EDC_NO_CV,)}


@dataclass(slots=True)
class _Built:
    graph: Graph
    trimmed: set[str] = field(default_factory=set)  # language tags trimmed of spaces
    dropped: set[str] = field(default_factory=set)  # language tags rdflib refuses

    @property
    def note(self) -> str | None:
        parts = []
        if self.trimmed:
            tags = ", ".join(repr(t) for t in sorted(self.trimmed)[:5])
            parts.append(f"language tags with spaces ({tags}) were trimmed for validation")
        if self.dropped:
            tags = ", ".join(repr(t) for t in sorted(self.dropped)[:5])
            parts.append(
                f"texts with invalid language tags ({tags}) were validated without a language"
            )
        return "; ".join(parts) or None


def _literal(term: dict[str, Any], value: str, built: _Built) -> Literal:
    language = term.get("language")
    if language:
        tag = str(language)
        try:
            literal = Literal(value, lang=tag.strip())
        except ValueError:  # not a BCP 47 tag: keep the text, without a language
            built.dropped.add(tag[:40])
            return Literal(value)
        if tag != tag.strip():
            built.trimmed.add(tag[:40])
        return literal
    datatype = term.get("datatype")
    return Literal(value, datatype=URIRef(str(datatype)) if datatype else None)


def _term(term: dict[str, Any], built: _Built) -> URIRef | BNode | Literal:
    value = str(term.get("value", ""))
    if term.get("type") == "IRI":
        return URIRef(value)
    if term.get("type") == "blank node":
        return BNode(value.removeprefix("_:"))
    return _literal(term, value, built)


def _graph(dataset: dict[str, list[dict[str, Any]]]) -> _Built:
    """The default graph of a pyld RDF dataset as an rdflib graph (the JSON-LD processor
    made the RDF, with the bundled contexts; rdflib's own JSON-LD parser is not used)."""
    built = _Built(Graph())
    triples = []
    for triple in dataset.get("@default", []):
        subject = _term(triple["subject"], built)
        predicate = _term(triple["predicate"], built)
        if isinstance(subject, Literal) or not isinstance(predicate, URIRef):
            continue
        triples.append((subject, predicate, _term(triple["object"], built)))
    built.graph.addN((s, p, o, built.graph) for s, p, o in triples)
    return built


def _short(node: RdfNode | None, shapes: Graph) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            text = str(node.n3(shapes.namespace_manager))
            return str(node) if text.startswith("<") else text
        except Exception:  # no prefix fits: the full IRI
            return str(node)
    return str(node)


def _one(graph: Graph, subject: RdfNode, predicate: URIRef) -> RdfNode | None:
    return next(iter(graph.objects(subject, predicate)), None)


def _result(graph: Graph, node: RdfNode, shapes: Graph) -> ShaclResult:
    level = _one(graph, node, SH.resultSeverity)
    severity = _SEVERITY.get(level, "violation") if isinstance(level, URIRef) else "violation"
    message = _one(graph, node, SH.resultMessage)
    path = _one(graph, node, SH.resultPath)
    details = tuple(
        f"{_short(_one(graph, d, SH.resultPath), shapes) or ''}: {_one(graph, d, SH.resultMessage)}"
        for d in graph.objects(node, SH.detail)
    )
    shape = _one(graph, node, SH.sourceShape)
    return ShaclResult(
        severity=severity,
        focus_node=str(_one(graph, node, SH.focusNode)),
        path=_short(path, shapes),
        message=str(message) if message is not None else "",
        shape=_short(shape, shapes) if isinstance(shape, URIRef) else None,
        value=_short(_one(graph, node, SH.value), shapes),
        details=details,
    )


def _results(graph: Graph, shapes: Graph) -> list[ShaclResult]:
    """Top-level results (nested sh:detail results are folded into their parent)."""
    reports: Iterable[RdfNode] = graph.subjects(RDF.type, SH.ValidationReport)
    out: list[ShaclResult] = []
    for report in reports:
        for node in graph.objects(report, SH.result):
            out.append(_result(graph, node, shapes))
    # every field in the key: two results on one focus node and path (e.g. sh:or and
    # sh:minCount) otherwise came out in the graph's iteration order, which varies
    out.sort(
        key=lambda r: (
            r.severity != "violation",
            r.focus_node,
            r.path or "",
            r.shape or "",
            r.message,
            r.value or "",
            r.details,
        )
    )
    return out
