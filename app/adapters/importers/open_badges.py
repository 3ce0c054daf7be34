"""Open Badges 3.0 (OpenBadgeCredential / AchievementCredential, or a bare Achievement)
-> MicroCredential.

Standard OB 3.0 properties read: ``issuer`` (Profile ``name``, ``address/addressCountryCode``),
``awardedDate``/``validFrom``/``issuanceDate``, ``credentialSubject`` (``id``, ``name``,
``identifier`` IdentityObjects, ``result``, ``creditsEarned``), ``achievement`` (``name``,
``description``, ``criteria``, ``alignment``, ``creditsAvailable``, ``resultDescription``,
``inLanguage``).

Alignments are kept as published in ``alignments``, each with the kind of target it names (CASE
``CFItem``, CTDL ``ceasn:``/``ceterms:``, EQF, NQF, ESCO, quality assurance, other framework);
they are never learning outcomes. Besides, a ``targetUrl`` under ``http://data.europa.eu/snb/eqf/``
(or ``targetType`` ``ext:EQF``, or a ``targetFramework`` naming the EQF with a ``targetCode``)
gives the EQF level; ``http://data.europa.eu/snb/qdr/...`` (or ``ext:NQF``) the NQF level;
``ext:QualityAssurance`` a quality-assurance entry.

European micro-credential extensions in common use are read from the achievement, the subject,
the credential and any nested ``...Extension`` object, by these member names (case-insensitive):
ECTS (``ECTS``, ``ects``, ``ectsCredits``), EQF level (``EQF``, ``eqfLevel``), NQF level (``NQF``,
``nqfLevel``), study load in hours or ISO 8601 (``studyLoad``, ``workload``,
``volumeOfLearning``; Edubadges ``SBU`` and ``timeInvestment``, in hours), assessment type
(``assessmentType``), participation form (``participationType``, ``participationForm``,
``formOfParticipation``, ``learningMode``),
learning setting (``learningSetting``), identity verification (``supervisionType``,
``idVerification``, ``identityChecked``), quality assurance (``qualityAssurance``), prerequisites
(``prerequisites``, ``entryRequirements``), learning outcomes (``learningOutcomes``,
``learningOutcome``), stackability (``stackability``, ``isPartOf``, ``hasPart``) and further
information (``furtherInformation``). An Edubadges ``EducredentialAchievement`` states what the
learner achieved in ``criteria.narrative``: without other outcome statements, each line of it is
read as a learning outcome (the shape of the Edubadges OB 3.0 examples,
``educredentials/obv3-examples``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.adapters.importers.base import Collector, IdIndex, ImportOptions, parse_date, parse_number
from app.adapters.importers.jsonld import Node, local_name
from app.adapters.importers.vocab import country_code, language_code
from app.core.credentials import (
    Alignment,
    Assessment,
    Concept,
    CredentialLevel,
    Credits,
    Identifier,
    ImportedCredential,
    Learner,
    LearningOutcome,
    MicroCredential,
    Organisation,
    Participation,
    Proof,
    QualityAssurance,
    SourceFormat,
    Stackability,
    UnsupportedCredentialFormat,
    WarningCode,
    duration_hours,
)

OB_CREDENTIAL_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_EQF_URL = re.compile(r"^https?://data\.europa\.eu/snb/eqf/", re.IGNORECASE)
_QDR_URL = re.compile(r"^https?://data\.europa\.eu/snb/qdr/", re.IGNORECASE)
_ESCO_SKILL = re.compile(r"^https?://data\.europa\.eu/esco/(skill|isco|occupation)/", re.IGNORECASE)

_EXT = {
    "ects": ("ects", "ectscredits", "ectspoints", "ects_credits"),
    "eqf": ("eqf", "eqflevel", "eqf_level"),
    "nqf": ("nqf", "nqflevel", "nqf_level"),
    # Edubadges: SBU (studiebelastingsuren, study-load hours) and timeInvestment, in hours
    "workload": (
        "studyload",
        "studyloadhours",
        "workload",
        "volumeoflearning",
        "notionalworkload",
        "sbu",
        "timeinvestment",
    ),
    "assessment": ("assessmenttype", "typeofassessment", "assessment"),
    "participation": (
        "participationtype",
        "participationform",
        "formofparticipation",
        "learningmode",
    ),
    "setting": ("learningsetting",),
    "supervision": ("supervisiontype", "idverification", "identityverification", "supervision"),
    "identity_checked": ("identitychecked",),
    "qa": ("qualityassurance", "qualityassurancetype"),
    "prerequisites": ("prerequisites", "prerequisite", "entryrequirements", "entryrequirement"),
    "outcomes": ("learningoutcomes", "learningoutcome"),
    "stack": ("stackability", "integration", "integrationstackability"),
    "part_of": ("ispartof", "partof", "stackabletowards"),
    "has_part": ("haspart",),
    "further": ("furtherinformation", "moreinformation"),
}


def import_open_badges(document: Mapping[str, Any], options: ImportOptions) -> ImportedCredential:
    """Read an Open Badges 3.0 credential or achievement (compact JSON-LD)."""
    root = Node(document)
    index = IdIndex(root)
    col = Collector(options.language)
    types = set(root.types())
    subject: Node | None = None
    if "Achievement" in types and not types & OB_CREDENTIAL_TYPES:
        achievement = root
    else:
        subject = index.object(root.get("credentialSubject"))
        if subject is None:
            raise UnsupportedCredentialFormat(
                "/credentialSubject", "an Open Badges credential needs a credentialSubject object"
            )
        found = index.object(subject.get("achievement"))
        if found is None:
            raise UnsupportedCredentialFormat(
                f"{subject.pointer}/achievement",
                "an Open Badges credential subject needs an achievement object",
            )
        achievement = found
    ext = _extensions([achievement, subject, root])
    reader = _ObReader(index, col, ext)

    title = col.text(achievement.get("name"), "title", "/title") or col.text(
        root.get("name"), "title", "/title"
    )
    description = col.text(achievement.get("description"), "description", "/description")

    issuer_node = root.get("issuer") if achievement is not root else achievement.get("creator")
    issuer = reader.profile(issuer_node, "issuer")
    awarding = (issuer,) if issuer is not None and (issuer.name or issuer.id) else ()
    if awarding and issuer_node is not None:
        # OB 3.0 has one issuer, which awards the badge; it is the awarding body.
        col.found("awarding_bodies", issuer_node)

    issued_on = None
    for candidate in (
        root.get("awardedDate"),
        root.get("validFrom"),
        root.get("issuanceDate"),
        root.get("issued"),
    ):
        issued_on = parse_date(candidate, col, "issued_on")
        if issued_on is not None:
            break
    valid_until = None
    for candidate in (root.get("validUntil"), root.get("expirationDate")):
        valid_until = parse_date(candidate, col, "valid_until")
        if valid_until is not None:
            break

    learner = reader.learner(subject) if subject is not None else None
    alignments = index.objects(achievement.get("alignment"))
    outcomes = reader.outcomes()
    edubadges = "EducredentialAchievement" in achievement.types()
    narrative_used = False
    if not outcomes and edubadges:
        outcomes = reader.narrative_outcomes(achievement)
        narrative_used = bool(outcomes)
    level = reader.level(alignments)
    credits = reader.credits(achievement, subject)
    hours, published = reader.workload()
    assessment = reader.concept_ext("assessment", "assessment")
    participation = reader.participation()
    id_verification = reader.id_verification()
    quality = reader.quality_assurance(alignments)
    prerequisites = reader.text_ext("prerequisites", "prerequisites")
    grade = reader.grade(subject, achievement) if subject is not None else None
    stackability = reader.stackability()
    further = reader.text_ext("further", "further_information") or (
        None if narrative_used else reader.criteria(achievement)
    )

    proof = Proof()
    proof_node = root.get("proof")
    if proof_node is not None:
        kinds: list[str] = []
        for p in proof_node.each():
            kind = ", ".join(p.types()) or "proof"
            suite = p.get("cryptosuite")
            kinds.append(f"{kind} ({suite.scalar()})" if suite and suite.scalar() else kind)
        proof = Proof.unverified(", ".join(dict.fromkeys(kinds)))
        col.found("proof", proof_node)

    declared = [language_code(n.scalar()) for n in [achievement.get("inLanguage")] if n]
    for lang in declared:
        col.note_language(lang)
    credential = MicroCredential(
        source_format=SourceFormat.OB3,
        id=root.ref(),
        title=title,
        description=description,
        issuer=issuer,
        awarding_bodies=awarding,
        issued_on=issued_on,
        valid_until=valid_until,
        learner=learner,
        learning_outcomes=outcomes,
        level=level,
        credits=credits,
        workload_hours=hours,
        workload_as_published=published,
        assessment=Assessment(type=assessment) if assessment else None,
        participation=participation,
        quality_assurance=quality,
        prerequisites=prerequisites,
        id_verification=id_verification,
        grade=grade,
        stackability=stackability,
        further_information=further,
        alignments=reader.alignments(alignments),
        language=col.main_language(declared),
        languages=tuple(col.languages),
        translations=col.translations,
        proof=proof,
        sources=col.frozen_sources(),
    )
    return ImportedCredential(credential, col.finish_warnings())


def _extensions(holders: list[Node | None]) -> dict[str, Node]:
    """Extension members by case-folded name, nearest holder first (achievement wins)."""
    out: dict[str, Node] = {}
    for holder in holders:
        if holder is None or not isinstance(holder.value, dict):
            continue
        pending = [holder]
        while pending:
            node = pending.pop(0)
            for key in node.value:
                child = node.get(key)
                if child is None:
                    continue
                folded = local_name(key).casefold()
                if folded.endswith("extension") and isinstance(child.value, dict):
                    pending.append(child)
                    continue
                out.setdefault(folded, child)
    return out


def _alignment_kind(kind: str, url: str | None) -> str:
    """What an alignment's target is (targetType as published, else its URL)."""
    if kind == "cfitem" or kind.startswith("cf"):
        return "CASE"
    if kind.startswith(("ceasn:", "ceterms:", "ctdl")):
        return "CTDL"
    if kind in ("ext:eqf", "eqf") or (url and _EQF_URL.match(url)):
        return "EQF"
    if kind in ("ext:nqf", "nqf") or (url and _QDR_URL.match(url)):
        return "NQF"
    if kind in ("ext:qualityassurance", "qualityassurance"):
        return "quality assurance"
    if (url and _ESCO_SKILL.match(url)) or "esco" in kind:
        return "ESCO"
    return "framework"


def _alignment_type(a: Node) -> str:
    node = a.get("targetType")
    return (node.scalar() or "").casefold() if node else ""


class _ObReader:
    def __init__(self, index: IdIndex, col: Collector, ext: dict[str, Node]) -> None:
        self.index = index
        self.col = col
        self.ext = ext

    def find(self, key: str) -> Node | None:
        for name in _EXT[key]:
            if name in self.ext:
                return self.ext[name]
        return None

    def profile(self, node: Node | None, name: str) -> Organisation | None:
        if node is None:
            return None
        target = self.index.deref(node.first())
        if target is None:
            return None
        if not target.is_object:
            self.col.found(name, target)
            return Organisation(id=target.ref())
        org_name = self.col.text(target.get("name"))
        country = country_uri = None
        address = self.index.object(target.get("address"))
        if address is not None:
            code_node = address.get("addressCountryCode")
            code = country_code(code_node.scalar()) if code_node else None
            where = code_node
            if code is None and address.get("addressCountry") is not None:
                where = address.get("addressCountry")
                text = self.col.text(where)
                code = country_code(text) if text else None
            if code is not None:
                country = code
                self.col.found(f"{name}.country", where)
        url = target.get("url", "homepage")
        self.col.found(name, target)
        return Organisation(
            name=org_name,
            id=target.ref(),
            country=country,
            country_uri=country_uri,
            homepage=url.scalar() if url else None,
        )

    def learner(self, subject: Node) -> Learner | None:
        identifiers: list[Identifier] = []
        for entry in self.index.objects(subject.get("identifier")):
            value = entry.get("identityHash")
            if value is None or not value.scalar():
                continue
            kind = entry.get("identityType")
            hashed = entry.get("hashed")
            scheme = kind.scalar() if kind else None
            if hashed is not None and hashed.value is True:
                scheme = f"{scheme or 'identity'} (hashed)"
            identifiers.append(Identifier(value.scalar() or "", scheme))
            self.col.found("learner", entry)
        name = self.col.text(subject.get("name"))
        if name:
            self.col.found("learner", subject.get("name"))
        learner = Learner(id=subject.ref(), name=name, identifiers=tuple(identifiers))
        if learner.id:
            self.col.found("learner", subject.get("id"))
        return learner if learner.identified else None

    def outcomes(self) -> tuple[LearningOutcome, ...]:
        """Outcome statements of the extensions; alignments are never outcomes."""
        col = self.col
        out: list[LearningOutcome] = []
        statements = self.find("outcomes")
        for item in statements.each() if statements is not None else []:
            key = f"/learning_outcomes/{len(out)}/text"
            if isinstance(item.value, dict):
                text = col.text(
                    item.get("text", "statement", "name", "description", "title"), None, key
                )
            else:
                text = col.text(item, None, key)
            if text:
                out.append(LearningOutcome(text=text))
                col.add_source("learning_outcomes", item.pointer)
        return tuple(out)

    def narrative_outcomes(self, achievement: Node) -> tuple[LearningOutcome, ...]:
        """Edubadges states what the learner achieved in ``criteria.narrative`` (its
        ``EducredentialAchievement`` has no other outcome member): one outcome per line."""
        criteria = self.index.object(achievement.get("criteria"))
        narrative = criteria.get("narrative") if criteria is not None else None
        text = self.col.text(narrative)
        if narrative is None or not text:
            return ()
        lines = [x.strip(" -*•\t") for x in text.splitlines()]
        out = tuple(LearningOutcome(text=line) for line in lines if line)
        for _ in out:
            self.col.add_source("learning_outcomes", narrative.pointer)
        return out

    def alignments(self, alignments: list[Node]) -> tuple[Alignment, ...]:
        """Every alignment as published, with what kind of target it names."""
        col = self.col
        out: list[Alignment] = []
        for a in alignments:
            url_node = a.get("targetUrl")
            url = url_node.scalar() if url_node else None
            published = a.get("targetType")
            aligned = Alignment(
                target_name=col.text(a.get("targetName")),
                target_url=url,
                target_type=published.scalar() if published else None,
                target_framework=col.text(a.get("targetFramework")),
                target_code=(a.get("targetCode").scalar() if a.get("targetCode") else None),  # type: ignore[union-attr]
                target_description=col.text(a.get("targetDescription")),
                kind=_alignment_kind(_alignment_type(a), url),
            )
            if aligned != Alignment():
                out.append(aligned)
                col.found("alignments", a)
        return tuple(out)

    def level(self, alignments: list[Node]) -> CredentialLevel:
        col = self.col
        eqf_id: str | None = None
        nqf_id: str | None = None
        nqf_label: str | None = None
        for a in alignments:
            url_node = a.get("targetUrl")
            url = url_node.scalar() if url_node else None
            kind = _alignment_type(a)
            framework_node = a.get("targetFramework")
            framework = col.text(framework_node) if framework_node else None
            code_node = a.get("targetCode")
            code = code_node.scalar() if code_node else None
            name = col.text(a.get("targetName"))
            fw = (framework or "").casefold()
            names_eqf = "eqf" in fw or "european qualifications framework" in fw
            if eqf_id is None and (
                (url and _EQF_URL.match(url)) or kind in ("ext:eqf", "eqf") or names_eqf
            ):
                if url and _EQF_URL.match(url):
                    eqf_id = url
                elif code:
                    eqf_id = code
                elif name:
                    m = re.search(r"\b([1-8])\b", name)
                    eqf_id = m.group(1) if m else name
                if eqf_id:
                    col.found("level.eqf", a)
                continue
            if nqf_id is None and ((url and _QDR_URL.match(url)) or kind in ("ext:nqf", "nqf")):
                if url and _QDR_URL.match(url):
                    nqf_id = url
                elif framework and code:
                    nqf_id = f"{framework}:{code}"
                nqf_label = name
                if nqf_id:
                    col.found("level.nqf", a)
        if eqf_id is None and (node := self.find("eqf")) is not None:
            eqf_id = node.scalar() or (node.ref() if node.is_object else None)
            if eqf_id:
                col.found("level.eqf", node)
        if nqf_id is None and (node := self.find("nqf")) is not None:
            nqf_id = node.scalar() or (node.ref() if node.is_object else None)
            if nqf_id:
                col.found("level.nqf", node)
        return CredentialLevel(
            eqf_identifier=eqf_id, nqf_identifier=nqf_id, nqf_published_label=nqf_label
        )

    def credits(self, achievement: Node, subject: Node | None) -> Credits | None:
        col = self.col
        ects = self.find("ects")
        if ects is not None:
            node = ects.get("value", "points") if ects.is_object else ects
            value = parse_number(node, col, "ECTS value")
            if value is not None:
                col.found("credits", ects)
                return Credits("ECTS", value)
        for node in (
            achievement.get("creditsAvailable"),
            subject.get("creditsEarned") if subject is not None else None,
        ):
            value = parse_number(node, col, "credit value")
            if value is not None:
                col.found("credits", node)
                return Credits("unspecified", value)
        return None

    def workload(self) -> tuple[float | None, str | None]:
        node = self.find("workload")
        if node is None:
            return None, None
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            hours = parse_number(node, self.col, "study load")
            if hours is not None:
                self.col.found("workload_hours", node)
                return hours, None
            return None, None
        raw = node.scalar()
        if raw is None:
            return None, None
        if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
            self.col.found("workload_hours", node)
            return float(raw.replace(",", ".")), raw
        result = duration_hours(raw)
        if result.hours is None:
            self.col.warn(
                WarningCode.DURATION_NOT_CONVERTED,
                f"The study load {result.problem}; it was not converted to hours.",
                node.pointer,
            )
            return None, None
        self.col.found("workload_hours", node)
        return result.hours, raw

    def concept_ext(self, key: str, name: str) -> Concept | None:
        node = self.find(key)
        concept = self.col.concept(node, self.index)
        if concept is not None:
            self.col.found(name, node)
        return concept

    def text_ext(self, key: str, name: str) -> str | None:
        node = self.find(key)
        if node is None:
            return None
        if isinstance(node.value, list):
            parts = [t for t in (self.col.text(i) for i in node.each()) if t]
            text = "\n".join(parts) or None
        elif node.is_object:
            text = self.col.text(node.get("text", "description", "name", "noteLiteral"))
        else:
            text = self.col.text(node)
        if text:
            self.col.found(name, node)
        return text

    def participation(self) -> Participation | None:
        mode = self.concept_ext("participation", "participation")
        setting = self.concept_ext("setting", "participation")
        if not (mode or setting):
            return None
        return Participation(mode=mode, learning_setting=setting)

    def id_verification(self) -> Concept | None:
        concept = self.concept_ext("supervision", "id_verification")
        if concept is not None:
            return concept
        checked = self.find("identity_checked")
        if checked is not None and isinstance(checked.value, bool):
            self.col.found("id_verification", checked)
            return Concept(
                label="identity verified during assessment"
                if checked.value
                else "no identity verification during assessment"
            )
        return None

    def quality_assurance(self, alignments: list[Node]) -> tuple[QualityAssurance, ...]:
        col = self.col
        out: list[QualityAssurance] = []
        for a in alignments:
            if _alignment_type(a) not in ("ext:qualityassurance", "qualityassurance"):
                continue
            url = a.get("targetUrl")
            qa = QualityAssurance(
                type=Concept(label=col.text(a.get("targetCode"))) if a.get("targetCode") else None,
                title=col.text(a.get("targetName")) or col.text(a.get("targetDescription")),
                body=col.text(a.get("targetFramework")),
                id=url.scalar() if url else None,
            )
            out.append(qa)
            col.found("quality_assurance", a)
        node = self.find("qa")
        for item in node.each() if node is not None else []:
            if item.is_object:
                qa = QualityAssurance(
                    type=col.concept(item.get("type", "dcType"), self.index)
                    if item.get("dcType")
                    else None,
                    title=col.text(item.get("title", "name", "description")),
                    body=col.text(item.get("body", "accreditingAgent", "agency")),
                    id=item.ref(),
                )
            else:
                qa = QualityAssurance(title=col.text(item))
            if qa.title or qa.id or qa.type:
                out.append(qa)
                col.found("quality_assurance", item)
        return tuple(out)

    def grade(self, subject: Node, achievement: Node) -> str | None:
        descriptions = {
            d.ref(): d for d in self.index.objects(achievement.get("resultDescription")) if d.ref()
        }
        for result in self.index.objects(subject.get("result")):
            value = result.get("value", "achievedLevel", "status")
            text = value.scalar() if value else None
            if not text:
                continue
            ref_node = result.get("resultDescription")
            described = descriptions.get(ref_node.ref()) if ref_node else None
            label = self.col.text(described.get("name")) if described is not None else None
            self.col.found("grade", value)
            return f"{label}: {text}" if label else text
        return None

    def stackability(self) -> Stackability:
        statement = self.text_ext("stack", "stackability")
        lists: dict[str, list[str]] = {"part_of": [], "has_part": []}
        for key in ("part_of", "has_part"):
            node = self.find(key)
            for item in node.each() if node is not None else []:
                ref = (
                    item.ref() or self.col.text(item.get("name"))
                    if item.is_object
                    else item.scalar()
                )
                if ref:
                    lists[key].append(ref)
                    self.col.found("stackability", item)
        return Stackability(
            part_of=tuple(lists["part_of"]), has_part=tuple(lists["has_part"]), statement=statement
        )

    def criteria(self, achievement: Node) -> str | None:
        criteria = self.index.object(achievement.get("criteria"))
        if criteria is None:
            return None
        text = self.col.text(criteria.get("narrative"))
        where = criteria.get("narrative")
        if text is None and criteria.ref():
            text, where = criteria.ref(), criteria.get("id")
        if text:
            self.col.found("further_information", where)
        return text
