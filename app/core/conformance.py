"""Conformance of a credential to the shapes its standard publishes (SHACL), as reported.

The Annex-I completeness report (``credentials.completeness``) says which EU standard elements
are present; the SHACL report says whether the document is a valid instance of its application
profile (ELM/EDC shapes: required properties, cardinalities, datatypes, classes). They answer
different questions and are reported side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ShaclResult:
    """One SHACL validation result."""

    severity: str  # "violation", "warning" or "info"
    focus_node: str  # the node that fails (an IRI, or a blank-node label for unnamed nodes)
    path: str | None  # the property, as a compact IRI where a prefix is known (cred:issued)
    message: str
    shape: str | None = None  # the shape that failed, compact where possible
    value: str | None = None  # the offending value, where there is one
    details: tuple[str, ...] = ()  # nested results of sh:node shapes, "path: message"


@dataclass(frozen=True, slots=True)
class ShaclReport:
    """The outcome of SHACL validation for one document."""

    checked: bool
    shapes: tuple[str, ...] = ()  # the shapes graphs used (their ontology IRIs)
    conforms: bool | None = None
    results: tuple[ShaclResult, ...] = ()
    truncated: int = 0  # results left out past the reporting limit
    note: str | None = None  # why not checked, or what was assumed

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.severity == "violation")

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.results if r.severity != "violation")


def shacl_to_json(report: ShaclReport) -> dict[str, Any]:
    return {
        "checked": report.checked,
        "shapes": list(report.shapes),
        "conforms": report.conforms,
        "violations": report.violations,
        "warnings": report.warnings,
        "results": [
            {
                "severity": r.severity,
                "focus_node": r.focus_node,
                "path": r.path,
                "message": r.message,
                "shape": r.shape,
                "value": r.value,
                "details": list(r.details),
            }
            for r in report.results
        ],
        "truncated": report.truncated,
        "note": report.note,
    }


def shacl_from_json(d: Mapping[str, Any]) -> ShaclReport:
    return ShaclReport(
        checked=bool(d.get("checked")),
        shapes=tuple(d.get("shapes") or ()),
        conforms=d.get("conforms"),
        results=tuple(
            ShaclResult(
                severity=str(r.get("severity", "violation")),
                focus_node=str(r.get("focus_node", "")),
                path=r.get("path"),
                message=str(r.get("message", "")),
                shape=r.get("shape"),
                value=r.get("value"),
                details=tuple(r.get("details") or ()),
            )
            for r in d.get("results") or ()
            if isinstance(r, Mapping)
        ),
        truncated=int(d.get("truncated") or 0),
        note=d.get("note"),
    )
