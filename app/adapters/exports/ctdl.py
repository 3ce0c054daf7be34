"""CTDL JSON-LD: qualifications frameworks, alignment maps and transfer value profiles.

Shapes follow the Credential Engine's qualifications-framework proposal
(CredentialEngine/Schema-Development, ``QualificationsFramework/Examples/``: ``scqf.json`` for a
``ceterms:QualificationsFramework`` with an ``asn:ProgressionModel`` of ``asn:ProgressionLevel``
nodes, ``scqf-eqf-mapping.json`` for a ``ceterms:AlignmentMap`` whose ``ceterms:hasPart`` are
``ceterms:AlignmentObject{sourceNode, targetNode, alignmentType}``) and, for
``ceterms:TransferValueProfile``, the properties the Credential Registry's publishing API
requires (CTID, name, description, ownedBy, subjectWebpage, transferValue).

The documents carry an inline ``@context`` of prefixes (the CTDL context URL is neither bundled
nor fetched), so any JSON-LD processor reads them offline. What CTDL has no term for (a
comparison's confidence, the edge kind, coverage) is written under Passerelle's own vocabulary
(``pss:``) or SSSOM's ``sssom:confidence``, which CTDL consumers ignore.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.adapters.exports.iris import (
    BASE,
    VOCAB,
    framework_iri,
    level_iri,
    progression_model_iri,
)
from app.core.release import Release
from app.core.types import Comparison, EdgeKind, Framework, LevelEdge, MatchType

JSON_LD = "application/ld+json"

ALIGNMENT_TYPES: dict[MatchType, str] = {
    MatchType.EXACT: "skos:exactMatch",
    MatchType.CLOSE: "skos:closeMatch",
    MatchType.BROAD: "skos:broadMatch",
    MatchType.NARROW: "skos:narrowMatch",
    MatchType.RELATED: "skos:relatedMatch",
}
#: The proposal's example writes a level with no counterpart as ``align:NoMatch`` (no namespace
#: is declared for ``align:``; kept as written there, an absolute IRI to a JSON-LD processor).
NO_MATCH = "align:NoMatch"

#: ECTS in the EU credit-point vocabulary (the URI ELM credentials use for ``creditPoint``).
ECTS_CONCEPT = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECTS_SCHEME = "http://data.europa.eu/snb/education-credit/25831c2"

_ID = {"@type": "@id"}
CONTEXT: dict[str, Any] = {
    "ceterms": "https://purl.org/ctdl/terms/",
    "ceasn": "https://purl.org/ctdlasn/terms/",
    "asn": "http://purl.org/ASN/schema/core/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sssom": "https://w3id.org/sssom/",
    "lifeCycle": "https://purl.org/ctdl/vocabs/lifeCycle/",
    "pss": VOCAB,
    "asn:hasProgressionModel": _ID,
    "asn:hasProgressionLevel": {"@type": "@id", "@container": "@list"},
    "asn:inProgressionModel": _ID,
    "ceterms:precedes": _ID,
    "ceterms:precededBy": _ID,
    "ceterms:compares": _ID,
    "schema:about": _ID,
    "ceterms:sourceNode": _ID,
    "ceterms:targetNode": _ID,
    "ceterms:alignmentType": _ID,
    "ceterms:ownedBy": _ID,
    "ceterms:framework": _ID,
    "ceterms:source": {"@type": "xsd:anyURI"},
    "ceterms:subjectWebpage": {"@type": "xsd:anyURI"},
    "ceterms:hasPart": {"@container": "@list"},
}


def _en(text: str) -> dict[str, str]:
    return {"en": text}


def ctid(iri: str) -> str:
    """A stable CTID (``ce-`` + UUID) for one of our IRIs.

    >>> value = ctid("https://passerelle.dev/id/framework/EQF")
    >>> value.startswith("ce-"), len(value), value == ctid("https://passerelle.dev/id/framework/EQF")
    (True, 39, True)
    """
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, iri)}"


# --- frameworks ----------------------------------------------------------------------------------


def framework_document(release: Release, framework_id: str) -> dict[str, Any]:
    """A framework as ``ceterms:QualificationsFramework`` with its levels as an
    ``asn:ProgressionModel``, and (for a framework referenced to the EQF) its referencing as a
    ``ceterms:AlignmentMap``."""
    fw = release.frameworks[framework_id]
    fw_iri, pm_iri = framework_iri(fw.id), progression_model_iri(fw)
    levels = sorted(fw.levels, key=lambda lv: lv.rank)
    head: dict[str, Any] = {
        "@id": fw_iri,
        "@type": "ceterms:QualificationsFramework",
        "ceterms:ctid": ctid(fw_iri),
        "ceterms:name": _en(fw.title),
        "ceterms:versionCode": fw.version,
        "ceterms:source": [s.url for s in fw.sources if s.url],
        "asn:hasProgressionModel": [pm_iri],
        "pss:identifier": fw.id,
        "pss:eqfReferenced": fw.eqf_referenced,
    }
    if fw.acronym:
        head["ceterms:alternateName"] = _en(fw.acronym)
    if fw.validity.valid_from:
        head["ceasn:dateEffective"] = fw.validity.valid_from.isoformat()
    if fw.referencing_date:
        head["pss:referencingDate"] = fw.referencing_date
    if fw.notes:
        head["ceterms:description"] = _en(fw.notes)
    graph: list[dict[str, Any]] = [
        head,
        {
            "@id": pm_iri,
            "@type": "asn:ProgressionModel",
            "ceasn:name": _en(f"{fw.title} levels"),
            "asn:hasProgressionLevel": [level_iri(lv) for lv in levels],
        },
    ]
    for i, level in enumerate(levels):
        node: dict[str, Any] = {
            "@id": level_iri(level),
            "@type": "asn:ProgressionLevel",
            "skos:prefLabel": _en(level.label),
            "skos:notation": level.code,
            "asn:inProgressionModel": pm_iri,
        }
        if i > 0:
            node["ceterms:precededBy"] = level_iri(levels[i - 1])
        if i + 1 < len(levels):
            node["ceterms:precedes"] = level_iri(levels[i + 1])
        if level.descriptors is not None:
            from app.adapters.exports.skos import definition

            text = definition(level.descriptors)
            if text:
                node["skos:definition"] = _en(text)
        graph.append(node)
    referencing = [
        e
        for e in release.edges
        if e.kind is EdgeKind.EQF_REFERENCING and e.source.framework == fw.id
    ]
    if referencing:
        graph.append(edges_map(release, fw, release.eqf, referencing))
    return {"@context": CONTEXT, "@graph": graph}


# --- alignment maps ------------------------------------------------------------------------------


def _map_head(iri: str, source: Framework, target: Framework, name: str) -> dict[str, Any]:
    return {
        "@id": iri,
        "@type": "ceterms:AlignmentMap",
        "ceterms:ctid": ctid(iri),
        "ceterms:name": _en(name),
        "schema:about": [framework_iri(source.id), framework_iri(target.id)],
        "ceterms:compares": [progression_model_iri(source), progression_model_iri(target)],
    }


def edges_map(
    release: Release, source: Framework, target: Framework, edges: Sequence[LevelEdge]
) -> dict[str, Any]:
    """Recorded edges (EQF referencing or a crosswalk) from ``source`` to ``target`` levels;
    source levels with no edge are listed as :data:`NO_MATCH`, as the proposal's example does."""
    iri = f"{BASE}alignment-map/{source.id}/{target.id}"
    parts: list[dict[str, Any]] = []
    by_source: dict[str, list[LevelEdge]] = {}
    for e in edges:
        by_source.setdefault(e.source.code, []).append(e)
    for level in sorted(source.levels, key=lambda lv: lv.rank):
        found = by_source.get(level.code, [])
        if not found:
            parts.append(_no_match(level_iri(level), level.not_referenced_note))
        for e in found:
            target_level = release.level(e.target)
            assert target_level is not None
            parts.append(
                _alignment(
                    level_iri(level),
                    level_iri(target_level),
                    e.match_type,
                    e.confidence,
                    [s.url for s in e.sources if s.url],
                    kind=e.kind.value,
                )
            )
    head = _map_head(iri, source, target, f"{source.title} to {target.title}")
    head["ceterms:hasPart"] = parts
    return head


def comparisons_map(
    release: Release, source: Framework, target: Framework, comparisons: Sequence[Comparison]
) -> dict[str, Any]:
    """Comparisons (``GET /v1/compare`` answers) as one ``ceterms:AlignmentMap``: one
    ``AlignmentObject`` per match (best first), a :data:`NO_MATCH` object with the reason for
    a level with none."""
    as_of = next((c.as_of for c in comparisons if c.as_of), None)
    iri = f"{BASE}alignment-map/{source.id}/{target.id}/compare"
    if len(comparisons) == 1:
        iri += f"/{comparisons[0].source.code}"
    if as_of:
        iri += f"?as_of={as_of.isoformat()}"
    parts: list[dict[str, Any]] = []
    for c in comparisons:
        src = level_iri(c.source)
        if not c.matches:
            reason = c.reason.value if c.reason else "no match"
            parts.append(_no_match(src, "; ".join((reason, *c.notes))))
        for m in c.matches:
            urls = [s.url for step in m.steps for s in step.sources if s.url]
            obj = _alignment(
                src,
                level_iri(m.level),
                m.match_type,
                m.confidence,
                list(dict.fromkeys(urls)),
                kind=" > ".join(step.kind.value for step in m.steps),
            )
            obj["pss:path"] = [str(step.source) for step in m.steps] + (
                [str(m.steps[-1].target)] if m.steps else []
            )
            if m.eqf_level is not None:
                obj["pss:eqfLevel"] = m.eqf_level
            if m.notes:
                obj["ceterms:comment"] = _en(" ".join(m.notes))
            parts.append(obj)
    head = _map_head(iri, source, target, f"{source.title} compared with {target.title}")
    if as_of:
        head["pss:asOf"] = as_of.isoformat()
    head["ceterms:hasPart"] = parts
    return {"@context": CONTEXT, "@graph": [head]}


def _alignment(
    source: str, target: str, match: MatchType, confidence: float, urls: list[str], *, kind: str
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "@type": "ceterms:AlignmentObject",
        "ceterms:sourceNode": source,
        "ceterms:targetNode": target,
        "ceterms:alignmentType": ALIGNMENT_TYPES[match],
        "sssom:confidence": confidence,
        "pss:edgeKind": kind,
    }
    if urls:
        obj["ceterms:source"] = urls
    return obj


def _no_match(source: str, note: str | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "@type": "ceterms:AlignmentObject",
        "ceterms:sourceNode": source,
        "ceterms:alignmentType": NO_MATCH,
    }
    if note:
        obj["ceterms:comment"] = _en(note)
    return obj


def read_alignment_map(document: Mapping[str, Any]) -> list[tuple[str, str | None, str, Any]]:
    """``(sourceNode, targetNode or None, alignmentType, sssom:confidence or None)`` of every
    ``AlignmentObject`` of every ``AlignmentMap`` in ``document`` (ours or the proposal's)."""
    out = []
    for node in _graph(document):
        if node.get("@type") != "ceterms:AlignmentMap":
            continue
        for part in node.get("ceterms:hasPart", []):
            out.append(
                (
                    part["ceterms:sourceNode"],
                    part.get("ceterms:targetNode"),
                    part["ceterms:alignmentType"],
                    part.get("sssom:confidence"),
                )
            )
    return out


def _graph(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    graph = document.get("@graph")
    return list(graph) if isinstance(graph, list) else [dict(document)]


# --- transfer value profiles ---------------------------------------------------------------------


def transfer_value_profile(
    iri: str,
    *,
    name: str,
    description: str,
    owner: str,
    webpage: str,
    ects: Mapping[str, float] | None,
    from_items: Iterable[Mapping[str, Any]],
    for_items: Iterable[Mapping[str, Any]],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``ceterms:TransferValueProfile`` (a node of a ``@graph``)."""
    value: dict[str, Any] = {
        "@type": "ceterms:ValueProfile",
        "ceterms:creditUnitType": [
            {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": ECTS_SCHEME,
                "ceterms:targetNode": ECTS_CONCEPT,
                "ceterms:targetNodeName": _en("European Credit Transfer System"),
            }
        ],
        "ceterms:description": _en("ECTS credits"),
    }
    if ects is not None:
        low, high = float(ects["min"]), float(ects["max"])
        if low == high:
            value["schema:value"] = low
        else:
            value["schema:minValue"], value["schema:maxValue"] = low, high
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "ceterms:TransferValueProfile",
        "ceterms:ctid": ctid(iri),
        "ceterms:name": _en(name),
        "ceterms:description": _en(description),
        "ceterms:ownedBy": [owner],
        "ceterms:subjectWebpage": webpage,
        # A machine proposal, or a decision that a person may still review.
        "ceterms:lifeCycleStatusType": {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:framework": "https://purl.org/ctdl/vocabs/lifeCycle/",
            "ceterms:targetNode": "lifeCycle:Developing",
        },
        "ceterms:transferValue": [value],
        "ceterms:transferValueFrom": [dict(i) for i in from_items],
        "ceterms:transferValueFor": [dict(i) for i in for_items],
    }
    node.update(extra or {})
    return node


def organisation_iri(organisation: str) -> str:
    return f"{BASE}organisation/{organisation}"


def qualification_iri(programme_id: str | None) -> str:
    return f"{BASE}qualification/{programme_id or 'unknown'}"


def _course(code: str, title: str | None, kind: str = "ceterms:Course") -> dict[str, Any]:
    out: dict[str, Any] = {"@type": kind, "ceterms:codedNotation": code}
    if title:
        out["ceterms:name"] = _en(title)
    return out


def articulation_profiles(
    results: Mapping[str, Any], *, organisation: str, job_id: str | None = None
) -> dict[str, Any]:
    """Every proposal of an articulation result (the ``ArticulationResults`` JSON of
    ``/v1/articulations`` or ``/v1/jobs/{id}/results``) as a ``TransferValueProfile``: the
    incoming courses are ``transferValueFrom``, the catalogue module ``transferValueFor``, the
    module's ECTS the transfer value."""
    qualification = results.get("qualification") or {}
    q_iri = qualification_iri(qualification.get("id"))
    titles = {c["id"]: c.get("title") for c in results.get("courses", [])}
    graph = []
    base = f"{BASE}transfer-value/" + (f"job/{job_id}" if job_id else "articulation")
    for module in results.get("modules", []):
        for i, p in enumerate(module.get("proposals", [])):
            iri = f"{base}/{module['code']}/{i}"
            courses = ", ".join(titles.get(c) or c for c in p["courses"])
            decision = p["decision"]
            what = "exemption" if decision == "replace" else "conditional exemption"
            graph.append(
                transfer_value_profile(
                    iri,
                    name=f"{courses} for {module['title']}",
                    description=(
                        f"Proposed {what} from {module['title']} ({module['code']}) of "
                        f"{qualification.get('title', 'the qualification')}: "
                        f"{p['coverage']:.0%} of its learning outcomes covered. "
                        + " ".join(p.get("reasons", []))
                    ).strip(),
                    owner=organisation_iri(organisation),
                    webpage=q_iri,
                    ects=module.get("credits_ects"),
                    from_items=[
                        _course(c, titles.get(c), "ceterms:LearningOpportunityProfile")
                        for c in p["courses"]
                    ],
                    for_items=[_course(module["code"], module["title"])],
                    extra={
                        "pss:decision": decision,
                        "pss:coverage": p["coverage"],
                        "pss:proposalKind": p["kind"],
                    },
                )
            )
    return {"@context": CONTEXT, "@graph": graph}


def recognition_profiles(record: Mapping[str, Any], *, organisation: str) -> dict[str, Any]:
    """The module decisions of a recognition record that grant something (``replace``,
    ``conditional``) as ``TransferValueProfile``s from the credential to the module."""
    credential = record.get("credential") or {}
    qualification = (record.get("target") or {}).get("qualification") or {}
    q_iri = qualification_iri(qualification.get("id"))
    title = credential.get("title") or "the credential"
    graph = []
    for m in record.get("modules", []):
        if m.get("decision") not in ("replace", "conditional"):
            continue
        iri = f"{BASE}transfer-value/recognition/{record['id']}/{m['code']}"
        graph.append(
            transfer_value_profile(
                iri,
                name=f"{title} for {m['title']}",
                description=(
                    f"Recognition ({record.get('current_outcome')}) of {title} for "
                    f"{m['title']} ({m['code']}): decision {m['decision']}, "
                    f"{m['coverage']:.0%} of its learning outcomes covered. "
                    + " ".join(m.get("reasons", []))
                ).strip(),
                owner=organisation_iri(organisation),
                webpage=q_iri,
                ects=m.get("credits_ects"),
                from_items=[
                    {
                        "@type": "ceterms:Credential",
                        "ceterms:name": _en(title),
                        **(
                            {"ceterms:codedNotation": credential["id"]}
                            if credential.get("id")
                            else {}
                        ),
                    }
                ],
                for_items=[_course(m["code"], m["title"])],
                extra={"pss:decision": m["decision"], "pss:coverage": m["coverage"]},
            )
        )
    return {"@context": CONTEXT, "@graph": graph}


# --- structural checks ---------------------------------------------------------------------------

_CTID = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_REQUIRED: dict[str, tuple[str, ...]] = {
    # The Credential Registry's publishing API marks these Required for a TransferValueProfile.
    "ceterms:TransferValueProfile": (
        "ceterms:ctid",
        "ceterms:name",
        "ceterms:description",
        "ceterms:ownedBy",
        "ceterms:subjectWebpage",
        "ceterms:transferValue",
    ),
    "ceterms:AlignmentMap": ("ceterms:hasPart",),
    "ceterms:QualificationsFramework": ("ceterms:name", "asn:hasProgressionModel"),
    "asn:ProgressionModel": ("asn:hasProgressionLevel",),
    "asn:ProgressionLevel": ("skos:prefLabel", "asn:inProgressionModel"),
}
_TYPES = {*ALIGNMENT_TYPES.values(), NO_MATCH}


def problems(document: Mapping[str, Any]) -> list[str]:
    """Structural problems of a CTDL document against the proposal's and the registry's
    required properties (no published JSON schema or shapes for these classes is bundled;
    ``docs/exports.md``). Empty: none found."""
    out: list[str] = []
    graph = _graph(document)
    ids = {n.get("@id") for n in graph}
    for i, node in enumerate(graph):
        kind = node.get("@type")
        where = f"/@graph/{i}"
        for prop in _REQUIRED.get(str(kind), ()):
            if node.get(prop) in (None, "", [], {}):
                out.append(f"{where}: {kind} without {prop}")
        if "ceterms:ctid" in node and not _CTID.match(str(node["ceterms:ctid"])):
            out.append(f"{where}: ceterms:ctid {node['ceterms:ctid']!r} is not ce-<UUID>")
        if kind == "ceterms:AlignmentMap":
            for j, part in enumerate(node.get("ceterms:hasPart", [])):
                at = f"{where}/ceterms:hasPart/{j}"
                if part.get("@type") != "ceterms:AlignmentObject":
                    out.append(f"{at}: not a ceterms:AlignmentObject")
                if not part.get("ceterms:sourceNode"):
                    out.append(f"{at}: no ceterms:sourceNode")
                kind_of = part.get("ceterms:alignmentType")
                if kind_of not in _TYPES:
                    out.append(f"{at}: alignmentType {kind_of!r} is not a SKOS mapping relation")
                if kind_of != NO_MATCH and not part.get("ceterms:targetNode"):
                    out.append(f"{at}: no ceterms:targetNode")
        if kind == "asn:ProgressionModel":
            for j, level in enumerate(node.get("asn:hasProgressionLevel", [])):
                if level not in ids:
                    out.append(f"{where}/asn:hasProgressionLevel/{j}: {level} is not in the graph")
        if kind == "ceterms:TransferValueProfile":
            for j, value in enumerate(node.get("ceterms:transferValue", [])):
                if value.get("@type") != "ceterms:ValueProfile":
                    out.append(f"{where}/ceterms:transferValue/{j}: not a ceterms:ValueProfile")
                if not value.get("ceterms:creditUnitType"):
                    out.append(f"{where}/ceterms:transferValue/{j}: no ceterms:creditUnitType")
            for prop in ("ceterms:transferValueFrom", "ceterms:transferValueFor"):
                if not node.get(prop):
                    out.append(f"{where}: {kind} without {prop}")
    return out
