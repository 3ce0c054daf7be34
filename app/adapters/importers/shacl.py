"""SHACL validation of ELM/EDC credentials against the official EDC shapes (pyshacl + rdflib).

Every EDC names its shapes in ``credentialSchema`` (type ``ShaclValidator2017``): the generic
application profile ``http://data.europa.eu/snb/model/ap/edc-generic-full`` (which imports
``…/edc-generic-no-cv``, the same shapes without the controlled-vocabulary checks). Both are
bundled in ``shapes/`` (see its PROVENANCE.md); ``owl:imports`` is resolved from there, never
fetched. A credential naming neither is checked against the full profile, and the report says
so. The document becomes RDF through the JSON-LD processor with the bundled contexts only.

Validation takes ~0.15-0.3 s for the official sample (most of it pyshacl), so it runs once per
import, after reading, and its report is stored with the credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pyshacl
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
    """The shapes graph of ``iri`` (parsed once per process)."""
    graph = Graph()
    for name in SHAPES[iri]:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


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
        return ShaclReport(checked=False, note=f"not checked: {exc.message}")
    shapes = shapes_graph(iri)
    try:
        data = _graph(dataset)
        conforms, results_graph, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            inplace=True,
        )
    except Exception as exc:  # a validator failure is reported, never a failed import
        return ShaclReport(checked=False, shapes=(iri,), note=f"not checked: {exc}"[:300])
    results = _results(results_graph, shapes)
    return ShaclReport(
        checked=True,
        shapes=(iri, *SHAPES_IMPORTS.get(iri, ())),
        conforms=bool(conforms),
        results=tuple(results[:MAX_RESULTS]),
        truncated=max(0, len(results) - MAX_RESULTS),
        note=note,
    )


SHAPES_IMPORTS = {EDC_FULL: (EDC_NO_CV,)}


def _term(term: dict[str, Any]) -> URIRef | BNode | Literal:
    value = str(term.get("value", ""))
    if term.get("type") == "IRI":
        return URIRef(value)
    if term.get("type") == "blank node":
        return BNode(value.removeprefix("_:"))
    language = term.get("language")
    datatype = term.get("datatype")
    if language:
        try:
            return Literal(value, lang=str(language).strip())
        except ValueError:  # not a BCP 47 tag (EDC test data has "en "): keep the text
            return Literal(value)
    return Literal(value, datatype=URIRef(str(datatype)) if datatype else None)


def _graph(dataset: dict[str, list[dict[str, Any]]]) -> Graph:
    """The default graph of a pyld RDF dataset as an rdflib graph (the JSON-LD processor
    made the RDF, with the bundled contexts; rdflib's own JSON-LD parser is not used)."""
    graph = Graph()
    for triple in dataset.get("@default", []):
        subject = _term(triple["subject"])
        predicate = _term(triple["predicate"])
        if isinstance(subject, Literal) or not isinstance(predicate, URIRef):
            continue
        graph.add((subject, predicate, _term(triple["object"])))
    return graph


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
    out.sort(key=lambda r: (r.severity != "violation", r.focus_node, r.path or ""))
    return out
