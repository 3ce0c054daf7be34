"""CTDL (Credential Engine's Credential Transparency Description Language) inside a W3C
verifiable credential -> MicroCredential.

The shape read is Credential Engine's own "CTDL in LERs / VCs" examples
(``CredentialEngine/Schema-Development``, ``CTDLinLERs_VCs_OpenBadges_CLRs/``): a VC whose
``credentialSubject.achievement`` is a CTDL credential (``ceterms:BachelorDegree``,
``ceterms:Certificate`` …) with ``ceterms:name``, ``ceterms:description``,
``ceterms:subjectWebpage``, ``ceterms:offeredBy`` and the competencies it ``ceterms:requires``
(``ceasn:Competency`` with ``ceasn:competencyText`` / ``competencyLabel``), embedded or listed
beside it and referenced by id. What CTDL gives is read: title, description, issuer, date, the
learner's id, competencies as learning outcomes (each with its registry URI), its subject
alignments (``ceterms:subject`` ``AlignmentObject``) as alignments, and the audience level where
one is given (``ceterms:audienceLevelType``, kept as published). The CTDL contexts
are not bundled and never fetched: terms are read by their ``ceterms:``/``ceasn:`` names, and ids
written as compact IRIs are expanded with the prefixes the document itself defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.importers.base import Collector, IdIndex, ImportOptions, parse_date
from app.adapters.importers.jsonld import Node
from app.core.credentials import (
    Alignment,
    CredentialLevel,
    ImportedCredential,
    Learner,
    LearningOutcome,
    MicroCredential,
    Organisation,
    SkillRef,
    SourceFormat,
    UnsupportedCredentialFormat,
)

CTDL_PREFIXES = ("ceterms:", "ceasn:")
_COMPETENCY = "ceasn:Competency"


def ctdl_achievement(document: Mapping[str, Any]) -> Node | None:
    """The CTDL-typed achievement of a VC's subject (not a competency), if there is one."""
    subject = Node(document).get("credentialSubject")
    first = subject.first() if subject is not None else None
    achievements = first.get("achievement") if first is not None else None
    for node in achievements.each() if achievements is not None else []:
        kinds = node.types()
        if any(k.startswith(CTDL_PREFIXES) and k != _COMPETENCY for k in kinds):
            return node
    return None


def is_ctdl(document: Mapping[str, Any]) -> bool:
    return ctdl_achievement(document) is not None


def _prefixes(document: Mapping[str, Any]) -> dict[str, str]:
    """Prefixes the document defines in its own ``@context`` objects (``res:`` …)."""
    raw = document.get("@context")
    out: dict[str, str] = {}
    for entry in raw if isinstance(raw, list) else [raw]:
        if isinstance(entry, Mapping):
            for key, value in entry.items():
                if isinstance(value, str) and value.endswith(("/", "#")):
                    out[key] = value
    return out


def import_ctdl(document: Mapping[str, Any], options: ImportOptions) -> ImportedCredential:
    """Read a verifiable credential whose achievement is described in CTDL."""
    root = Node(document)
    index = IdIndex(root)
    col = Collector(options.language)
    achievement = ctdl_achievement(document)
    if achievement is None:
        raise UnsupportedCredentialFormat(
            "/credentialSubject/achievement", "no CTDL-typed achievement in the credential subject"
        )
    prefixes = _prefixes(document)

    def iri(value: str | None) -> str | None:
        if not value:
            return None
        prefix, sep, rest = value.partition(":")
        if sep and prefix in prefixes and not rest.startswith("//"):
            return prefixes[prefix] + rest
        return value

    title = col.text(achievement.get("ceterms:name"), "title", "/title")
    description = col.text(achievement.get("ceterms:description"), "description", "/description")

    issuer_node = root.get("issuer")
    issuer = None
    if issuer_node is not None:
        target = index.deref(issuer_node.first())
        name = col.text(target.get("ceterms:name", "name")) if target and target.is_object else None
        issuer = Organisation(name=name, id=iri(target.ref() if target else None))
        col.found("issuer", issuer_node)
    awarding: tuple[Organisation, ...] = ()
    offered = achievement.get("ceterms:offeredBy", "ceterms:ownedBy")
    if offered is not None:
        ref = offered.first()
        awarding = (Organisation(id=iri(ref.ref() if ref else None)),)
        col.found("awarding_bodies", offered)

    issued_on = None
    for candidate in (root.get("issuanceDate"), root.get("validFrom")):
        issued_on = parse_date(candidate, col, "issued_on")
        if issued_on is not None:
            break

    learner = None
    subject = root.get("credentialSubject")
    first = subject.first() if subject is not None else None
    if first is not None and first.ref():
        learner = Learner(id=first.ref())
        col.found("learner", first.get("id"))

    outcomes: list[LearningOutcome] = []
    requires = achievement.get("ceterms:requires")
    for item in requires.each() if requires is not None else []:
        node = index.deref(item)
        if node is None or not node.is_object or _COMPETENCY not in node.types():
            continue
        key = f"/learning_outcomes/{len(outcomes)}/text"
        text = col.text(node.get("ceasn:competencyText"), None, key) or col.text(
            node.get("ceasn:competencyLabel"), None, key
        )
        if not text:
            continue
        uri = iri(node.ref())
        label = col.text(node.get("ceasn:competencyLabel"))
        skills = (SkillRef(uri=uri, label=label),) if uri else ()
        outcomes.append(LearningOutcome(text=text, other_skills=skills))
        col.add_source("learning_outcomes", node.pointer)

    level_node = achievement.get("ceterms:audienceLevelType")
    level = CredentialLevel()
    if level_node is not None:
        concept = col.concept(level_node, index)
        published = (concept.uri or concept.label) if concept else None
        if published:
            level = CredentialLevel(nqf_identifier=published, nqf_published_label=concept.label)  # type: ignore[union-attr]
            col.found("level.nqf", level_node)

    alignments: list[Alignment] = []
    subjects = achievement.get("ceterms:subject")
    for item in subjects.each() if subjects is not None else []:
        if not item.is_object:
            continue
        name = col.text(item.get("ceterms:targetNodeName"))
        url = item.get("ceterms:targetNode")
        if name or url is not None:
            kinds = item.types()
            alignments.append(
                Alignment(
                    target_name=name,
                    target_url=iri(url.scalar()) if url is not None else None,
                    target_type=kinds[0] if kinds else None,
                    target_description=col.text(item.get("ceterms:targetNodeDescription")),
                    kind="CTDL",
                )
            )
            col.found("alignments", item)

    webpage = achievement.get("ceterms:subjectWebpage")
    further = iri(webpage.scalar()) if webpage is not None else None
    if further:
        col.found("further_information", webpage)

    credential = MicroCredential(
        source_format=SourceFormat.CTDL,
        id=root.ref(),
        title=title,
        description=description,
        issuer=issuer,
        awarding_bodies=awarding,
        issued_on=issued_on,
        learner=learner,
        learning_outcomes=tuple(outcomes),
        level=level,
        further_information=further,
        alignments=tuple(alignments),
        language=col.main_language(),
        languages=tuple(col.languages),
        translations=col.translations,
        sources=col.frozen_sources(),
    )
    return ImportedCredential(credential, col.finish_warnings())
