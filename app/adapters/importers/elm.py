"""ELM v3 / European Digital Credentials (EDC) JSON-LD -> MicroCredential.

Where each EU standard element lives in an ELM v3 credential (compact form, EDC context):

* learner: ``credentialSubject`` (``fullName``/``givenName``/``familyName``, ``nationalID``,
  ``identifier``);
* title: the claim's ``title``, else its specification's, else the display title;
* issuer and its country: ``issuer`` (``legalName``, ``location/address/countryCode``);
* awarding body: ``hasClaim/awardedBy/awardingBody``; date of issuing: ``issued``,
  ``issuanceDate``, ``awardedBy/awardingDate``, else ``validFrom``;
* learning outcomes: ``hasClaim/specifiedBy/learningOutcome`` with ``relatedESCOSkill``;
* level: ``specifiedBy/eqfLevel``, ``specifiedBy/nqfLevel`` (URIs, resolved later against the
  data release); credits: ``specifiedBy/creditPoint`` (``framework`` + ``point``);
* workload: ``specifiedBy/volumeOfLearning`` (ISO 8601), else the claim's ``workload``;
* assessment: ``hasClaim/provenBy`` (``specifiedBy/dcType``, ``mode``, ``grade``,
  ``idVerification``); participation: ``specifiedBy/mode`` and ``learningSetting``;
* quality assurance: ``accreditation`` of the specification or of an awarding body;
* prerequisites: ``entryRequirement``; stackability: ``isPartOf``/``hasPart``,
  ``isPartialQualification``; further information: notes, web pages, descriptions.

Multi-valued properties may be one object or a list; objects may be embedded or referenced by
``id`` (:class:`IdIndex`). The main claim is the first ``LearningAchievement`` (else the first
claim of any type).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.importers.base import Collector, IdIndex, ImportOptions, parse_date, parse_number
from app.adapters.importers.jsonld import Node
from app.adapters.importers.vocab import country_code, credit_system, language_code
from app.core.credentials import (
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
    SkillRef,
    SourceFormat,
    Stackability,
    UnsupportedCredentialFormat,
    WarningCode,
    duration_hours,
    eqf_from_identifier,
)

_CLAIM_PREFERENCE = ("LearningAchievement", "LearningActivity", "LearningAssessment")


def import_elm(document: Mapping[str, Any], options: ImportOptions) -> ImportedCredential:
    """Read an ELM v3 / EDC credential (compact JSON-LD)."""
    root = Node(document)
    index = IdIndex(root)
    col = Collector(options.language)
    subject_node = root.get("credentialSubject")
    subject = index.object(subject_node)
    if subject is None:
        raise UnsupportedCredentialFormat(
            "/credentialSubject", "an ELM credential needs a credentialSubject object"
        )
    # DC4EU's EDC-W3C profile names the claim ``hasCredential``
    claims = index.objects(subject.get("hasClaim", "hasCredential"))
    if not claims:
        raise UnsupportedCredentialFormat(
            f"{subject.pointer}/hasClaim",
            "an ELM credential subject needs at least one claim (hasClaim)",
        )
    claim = _main_claim(claims)
    spec = index.object(claim.get("specifiedBy"))
    reader = _ElmReader(index, col)

    title = col.text(claim.get("title"), "title", "/title")
    if title is None and spec is not None:
        title = col.text(spec.get("title"), "title", "/title")
    if title is None:
        title = col.text(root.path("displayParameter", "title"), "title", "/title")

    description = col.text(claim.get("description"), "description", "/description")
    if description is None and spec is not None:
        description = col.text(spec.get("description"), "description", "/description")

    issuer_node = index.object(root.get("issuer"))
    issuer = reader.organisation(issuer_node, "issuer") if issuer_node else None
    if issuer_node is None and root.get("issuer") is not None:
        issuer = Organisation(id=root.get("issuer").ref())  # type: ignore[union-attr]
        col.found("issuer", root.get("issuer"))

    awarding: list[Organisation] = []
    awarding_dates: list[Node] = []
    for process in index.objects(claim.get("awardedBy")):
        for body in index.objects(process.get("awardingBody")):
            org = reader.organisation(body, "awarding_bodies.country")
            if org is not None and org not in awarding:
                awarding.append(org)
                col.found("awarding_bodies", body)
        date_node = process.get("awardingDate")
        if date_node is not None:
            awarding_dates.append(date_node)
    if not awarding and spec is not None:
        for opportunity in index.objects(spec.get("awardingOpportunity")):
            for body in index.objects(opportunity.get("awardingBody")):
                org = reader.organisation(body, "awarding_bodies.country")
                if org is not None and org not in awarding:
                    awarding.append(org)
                    col.found("awarding_bodies", body)

    issued_on = None
    for candidate in (
        root.get("issued"),
        root.get("issuanceDate"),
        root.get("dateIssued"),
        *awarding_dates,
        claim.get("awardingDate"),
        root.get("validFrom"),
    ):
        issued_on = parse_date(candidate, col, "issued_on")
        if issued_on is not None:
            break
    valid_until = None
    for candidate in (root.get("validUntil"), root.get("expirationDate"), root.get("expiryDate")):
        valid_until = parse_date(candidate, col, "valid_until")
        if valid_until is not None:
            break

    learner = reader.learner(subject)
    outcomes = reader.outcomes(spec) if spec is not None else ()
    level = reader.level(spec, claim)
    credits = reader.credits(spec, claim)
    hours, published = reader.workload(claim, spec)
    assessment, grade, id_verification = reader.assessment(claim, spec)
    participation = reader.participation(claim, spec)
    quality = reader.quality_assurance(
        spec,
        [
            *([issuer_node] if issuer_node else []),
            *[
                b
                for p in index.objects(claim.get("awardedBy"))
                for b in index.objects(p.get("awardingBody"))
            ],
        ],
    )
    prerequisites = None
    if spec is not None:
        prerequisites = reader.note(spec.get("entryRequirement"), "prerequisites", "/prerequisites")
    stackability = reader.stackability(claim, spec)
    further = reader.further_information(claim, spec)

    proof = Proof()
    proof_node = root.get("proof")
    if proof_node is not None:
        kinds = [t for p in proof_node.each() for t in p.types()] or ["proof"]
        proof = Proof.unverified(", ".join(dict.fromkeys(kinds)))
        col.found("proof", proof_node)

    declared = [
        language_code(c.uri)
        for c in (
            col.concept(root.path("displayParameter", "primaryLanguage")),
            col.concept(spec.get("language")) if spec is not None else None,
        )
        if c is not None
    ]
    for lang in declared:
        col.note_language(lang)
    credential = MicroCredential(
        source_format=SourceFormat.ELM,
        id=root.get("id").ref() if root.get("id") else None,  # type: ignore[union-attr]
        title=title,
        description=description,
        issuer=issuer,
        awarding_bodies=tuple(awarding),
        issued_on=issued_on,
        valid_until=valid_until,
        learner=learner,
        learning_outcomes=outcomes,
        level=level,
        credits=credits,
        workload_hours=hours,
        workload_as_published=published,
        assessment=assessment,
        participation=participation,
        quality_assurance=quality,
        prerequisites=prerequisites,
        id_verification=id_verification,
        grade=grade,
        stackability=stackability,
        further_information=further,
        language=col.main_language(declared),
        languages=tuple(col.languages),
        translations=col.translations,
        proof=proof,
        sources=col.frozen_sources(),
    )
    return ImportedCredential(credential, col.finish_warnings())


def _main_claim(claims: list[Node]) -> Node:
    for wanted in _CLAIM_PREFERENCE:
        for claim in claims:
            if wanted in claim.types():
                return claim
    return claims[0]


class _ElmReader:
    def __init__(self, index: IdIndex, col: Collector) -> None:
        self.index = index
        self.col = col

    def organisation(self, node: Node | None, country_field: str) -> Organisation | None:
        if node is None:
            return None
        col = self.col
        name = col.text(node.get("legalName", "prefLabel", "name", "altLabel"))
        country_uri = None
        where: Node | None = None
        for location in self.index.objects(node.get("location")):
            for address in self.index.objects(location.get("address")):
                concept = col.concept(address.get("countryCode"), self.index)
                if concept is not None and concept.uri:
                    country_uri, where = concept.uri, address.get("countryCode")
                    break
            if country_uri:
                break
        if country_uri is None:
            for key in ("registration", "vatIdentifier", "taxIdentifier", "eIDASIdentifier"):
                ident = self.index.object(node.get(key))
                concept = col.concept(ident.get("spatial"), self.index) if ident else None
                if concept is not None and concept.uri:
                    country_uri, where = concept.uri, ident.get("spatial")  # type: ignore[union-attr]
                    break
        country = country_code(country_uri)
        if country is None and country_uri is not None:
            country = country_uri.rstrip("/").rsplit("/", 1)[-1]
        if country and where is not None:
            col.found(country_field if country_field != "issuer" else "issuer.country", where)
        if country_field == "issuer":
            col.found("issuer", node)
        homepage = self.index.object(node.get("homepage"))
        url = homepage.get("contentURL") if homepage is not None else None
        return Organisation(
            name=name,
            id=node.ref(),
            country=country,
            country_uri=country_uri,
            homepage=url.scalar() if url is not None else None,
        )

    def learner(self, subject: Node) -> Learner | None:
        col = self.col
        name = col.text(subject.get("fullName"))
        given = col.text(subject.get("givenName"))
        family = col.text(subject.get("familyName"))
        if name is None and (given or family):
            name = " ".join(p for p in (given, family) if p)
        identifiers: list[Identifier] = []
        national = self.index.object(subject.get("nationalID"))
        if national is not None and national.get("notation"):
            spatial = col.concept(national.get("spatial"), self.index)
            country = country_code(spatial.uri) if spatial else None
            scheme = "national ID" + (f" ({country})" if country else "")
            identifiers.append(Identifier(national.get("notation").scalar() or "", scheme))  # type: ignore[union-attr]
            col.found("learner", national)
        for ident in self.index.objects(subject.get("identifier")):
            value = ident.get("notation")
            if value is not None and value.scalar():
                scheme_node = ident.get("schemeName", "schemeId")
                identifiers.append(
                    Identifier(value.scalar() or "", scheme_node.scalar() if scheme_node else None)
                )
                col.found("learner", ident)
        for key in ("fullName", "givenName", "familyName"):
            node = subject.get(key)
            if node is not None:
                col.found("learner", node)
                break
        learner = Learner(
            id=subject.ref(),
            name=name,
            given_name=given,
            family_name=family,
            identifiers=tuple(i for i in identifiers if i.value),
        )
        if learner.id and not (name or identifiers):
            col.found("learner", subject.get("id"))
        return learner if learner.identified else None

    def outcomes(self, spec: Node) -> tuple[LearningOutcome, ...]:
        col = self.col
        out: list[LearningOutcome] = []
        for node in self.index.objects(spec.get("learningOutcome")):
            key = f"/learning_outcomes/{len(out)}/text"
            text = col.text(node.get("title", "definition", "description", "prefLabel"), None, key)
            if not text:
                continue
            esco = self._skills(node.get("relatedESCOSkill"))
            other = self._skills(node.get("relatedSkill"))
            out.append(LearningOutcome(text=text, esco_skills=esco, other_skills=other))
            col.add_source("learning_outcomes", node.pointer)
        if not out:
            summary = self.index.object(spec.get("learningOutcomeSummary"))
            text = col.text(summary.get("noteLiteral")) if summary else None
            if text:
                for line in (x.strip(" -•\t") for x in text.splitlines()):
                    if line:
                        out.append(LearningOutcome(text=line))
                        col.add_source("learning_outcomes", summary.pointer)  # type: ignore[union-attr]
        return tuple(out)

    def _skills(self, node: Node | None) -> tuple[SkillRef, ...]:
        out: list[SkillRef] = []
        for item in node.each() if node is not None else []:
            concept = self.col.concept(item, self.index)
            if concept is not None and concept.uri and all(s.uri != concept.uri for s in out):
                out.append(SkillRef(uri=concept.uri, label=concept.label))
        return tuple(out)

    def _eqf_identifier(self, node: Node | None) -> str | None:
        """The EQF level as published: an EQF URI, else whichever of the URI, ``notation``
        (DC4EU writes ``{"notation": "6"}`` or ``"6"``) and label names a level 1-8."""
        concept = self.col.concept(node, self.index)
        item = self.index.deref(node.first()) if node is not None else None
        notation = item.get("notation") if item is not None else None
        candidates = [
            concept.uri if concept else None,
            notation.scalar() if notation is not None else None,
            concept.label if concept else None,
        ]
        for candidate in candidates:
            if candidate and eqf_from_identifier(candidate) is not None:
                return candidate
        return next((c for c in candidates if c), None)

    def level(self, spec: Node | None, claim: Node) -> CredentialLevel:
        col = self.col
        holders = [h for h in (spec, claim) if h is not None]
        eqf_node = next((n for h in holders if (n := h.get("eqfLevel")) is not None), None)
        eqf_id = self._eqf_identifier(eqf_node)
        nqf_node = next((n for h in holders if (n := h.get("nqfLevel")) is not None), None)
        nqf = col.concept(nqf_node, self.index)
        if eqf_id is not None:
            col.found("level.eqf", eqf_node.first())  # type: ignore[union-attr]
        if nqf is not None and (nqf.uri or nqf.label):
            col.found("level.nqf", nqf_node.first())  # type: ignore[union-attr]
        return CredentialLevel(
            eqf_identifier=eqf_id,
            nqf_identifier=(nqf.uri or nqf.label) if nqf else None,
            nqf_published_label=nqf.label if nqf else None,
        )

    def credits(self, spec: Node | None, claim: Node) -> Credits | None:
        col = self.col
        found: list[tuple[Credits, Node]] = []
        points = self.index.objects(spec.get("creditPoint")) if spec is not None else []
        # ELM v3 puts the credits a learner received on the claim (``creditReceived``)
        points = points or self.index.objects(claim.get("creditReceived"))
        for point in points:
            system_concept = col.concept(point.get("framework"), self.index)
            value = parse_number(point.get("point"), col, "credit value")
            if value is None:
                continue
            system = credit_system(
                system_concept.uri if system_concept else None,
                system_concept.label if system_concept else None,
            )
            found.append(
                (
                    Credits(
                        system=system
                        or (
                            system_concept.label
                            if system_concept and system_concept.label
                            else "unspecified"
                        ),
                        value=value,
                        system_uri=system_concept.uri if system_concept else None,
                    ),
                    point,
                )
            )
        if not found:
            return None
        found.sort(key=lambda f: f[0].system != "ECTS")
        credits, where = found[0]
        col.found("credits", where)
        return credits

    def workload(self, claim: Node, spec: Node | None) -> tuple[float | None, str | None]:
        candidates: list[Node | None] = []
        if spec is not None:
            candidates += [spec.get("volumeOfLearning"), spec.get("workload")]
        candidates.append(claim.get("workload"))
        for activity in self.index.objects(claim.get("influencedBy")):
            candidates.append(activity.get("workload"))
        for node in candidates:
            if node is None:
                continue
            raw = node.scalar()
            if raw is None:
                continue
            result = duration_hours(raw)
            if result.hours is None:
                self.col.warn(
                    WarningCode.DURATION_NOT_CONVERTED,
                    f"The workload {result.problem}; it was not converted to hours.",
                    node.pointer,
                )
                continue
            if result.uses_days:
                self.col.warn(
                    WarningCode.DURATION_DAYS,
                    f"The workload {raw!r} is counted as calendar time (1 day = 24 h), which "
                    "overstates study hours; publish it in hours (PTnH).",
                    node.pointer,
                )
            self.col.found("workload_hours", node)
            return result.hours, raw
        return None, None

    def assessment(
        self, claim: Node, spec: Node | None
    ) -> tuple[Assessment | None, str | None, Concept | None]:
        col = self.col
        assessments = self.index.objects(claim.get("provenBy"))
        if "LearningAssessment" in claim.types():
            assessments.insert(0, claim)
        grade = None
        id_verification = None
        kind: Concept | None = None
        mode: Concept | None = None
        title = None
        for a in assessments:
            a_spec = self.index.object(a.get("specifiedBy"))
            if kind is None and a_spec is not None:
                kind = col.concept(a_spec.get("dcType"), self.index)
                if kind is not None:
                    col.found("assessment", a_spec.get("dcType"))
            if mode is None and a_spec is not None:
                mode = col.concept(a_spec.get("mode"), self.index)
            if title is None:
                title = col.text(a.get("title")) or (
                    col.text(a_spec.get("title")) if a_spec is not None else None
                )
                if title is not None and kind is None:
                    col.found("assessment", a.get("title") or a_spec.get("title"))  # type: ignore[union-attr]
            if grade is None:
                grade = self.note(a.get("grade"), "grade")
            if id_verification is None:
                id_verification = col.concept(a.get("idVerification"), self.index)
                if id_verification is not None:
                    col.found("id_verification", a.get("idVerification"))
        if kind is None and spec is not None:
            for a_spec in self.index.objects(spec.get("provenBy")):
                kind = col.concept(a_spec.get("dcType"), self.index)
                if kind is not None:
                    col.found("assessment", a_spec.get("dcType"))
                    mode = mode or col.concept(a_spec.get("mode"), self.index)
                    break
        if kind is None and title is None:
            return None, grade, id_verification
        return Assessment(type=kind, mode=mode, title=title), grade, id_verification

    def participation(self, claim: Node, spec: Node | None) -> Participation | None:
        col = self.col
        specs = [s for s in [spec] if s is not None]
        for activity in self.index.objects(claim.get("influencedBy")):
            a_spec = self.index.object(activity.get("specifiedBy"))
            if a_spec is not None:
                specs.append(a_spec)
        mode = setting = schedule = None
        for s in specs:
            if mode is None and s.get("mode") is not None:
                mode = col.concept(s.get("mode"), self.index)
                if mode is not None:
                    col.found("participation", s.get("mode"))
            if setting is None and s.get("learningSetting") is not None:
                setting = col.concept(s.get("learningSetting"), self.index)
                if setting is not None:
                    col.found("participation", s.get("learningSetting"))
            if schedule is None and s.get("learningSchedule") is not None:
                schedule = col.concept(s.get("learningSchedule"), self.index)
        if not (mode or setting or schedule):
            return None
        return Participation(mode=mode, learning_setting=setting, schedule=schedule)

    def quality_assurance(
        self, spec: Node | None, bodies: list[Node]
    ) -> tuple[QualityAssurance, ...]:
        col = self.col
        out: list[QualityAssurance] = []
        holders = ([spec] if spec is not None else []) + bodies
        for holder in holders:
            for acc in self.index.objects(holder.get("accreditation")):
                agent = self.index.object(acc.get("accreditingAgent"))
                qa = QualityAssurance(
                    type=col.concept(acc.get("dcType"), self.index),
                    title=col.text(acc.get("title")),
                    body=col.text(agent.get("legalName", "prefLabel")) if agent else None,
                    id=acc.ref(),
                )
                if qa not in out:
                    out.append(qa)
                    col.found("quality_assurance", acc)
        return tuple(out)

    def note(self, node: Node | None, name: str, translation_key: str | None = None) -> str | None:
        """Text of an ELM Note (``noteLiteral``), a language map or a plain string."""
        if node is None:
            return None
        target = self.index.object(node)
        if target is not None and target.get("noteLiteral") is not None:
            text = self.col.text(target.get("noteLiteral"), None, translation_key)
        else:
            text = self.col.text(node, None, translation_key)
        if text:
            self.col.found(name, node)
        return text

    def stackability(self, claim: Node, spec: Node | None) -> Stackability:
        col = self.col
        part_of: list[str] = []
        has_part: list[str] = []
        for holder in [claim] + ([spec] if spec is not None else []):
            for key, bucket in (("isPartOf", part_of), ("hasPart", has_part)):
                node = holder.get(key)
                for item in node.each() if node is not None else []:
                    target = self.index.deref(item)
                    ref = item.ref() or (
                        col.text(target.get("title")) if target and target.is_object else None
                    )
                    if ref and ref not in bucket:
                        bucket.append(ref)
                        col.found("stackability", item)
        partial = None
        if spec is not None and spec.get("isPartialQualification") is not None:
            raw = spec.get("isPartialQualification").value  # type: ignore[union-attr]
            if isinstance(raw, bool):
                partial = raw
            elif isinstance(raw, str) and raw.casefold() in ("true", "false"):
                partial = raw.casefold() == "true"
        return Stackability(partial=partial, part_of=tuple(part_of), has_part=tuple(has_part))

    def further_information(self, claim: Node, spec: Node | None) -> str | None:
        holders = [h for h in (spec, claim) if h is not None]
        for holder in holders:
            text = self.note(
                holder.get("additionalNote"), "further_information", "/further_information"
            )
            if text:
                return text
        for holder in holders:
            urls: list[str] = []
            for key in ("homepage", "supplementaryDocument"):
                for page in self.index.objects(holder.get(key)):
                    url = page.get("contentURL")
                    if url is not None and url.scalar() and url.scalar() not in urls:
                        urls.append(url.scalar() or "")
                        self.col.found("further_information", url)
            if urls:
                return "\n".join(urls)
        for holder in [claim, *self.index.objects(claim.get("influencedBy"))]:
            text = self.col.text(holder.get("description"), None, "/further_information")
            if text:
                self.col.found("further_information", holder.get("description"))
                return text
        return None
