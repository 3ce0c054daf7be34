"""Passerelle's plain JSON credential form: a documented schema for issuers without ELM or OB.

The shape follows the normalised MicroCredential, with shorthands a person can type: a string
wherever an object has one obvious member (``"issuer": "University of Zed"``,
``"assessment": "written examination"``), learning outcomes as strings, ``"credits": 5``
meaning 5 ECTS. The JSON form Passerelle returns for any credential is itself valid plain input
(output-only members ``source_format``, ``sources`` and ``proof`` are accepted and ignored), so a
normalised credential can be posted back unchanged.

Unknown members are refused (a typo should not silently lose an element); every refusal names
the member as a JSON pointer. :func:`plain_json_schema` exports the JSON Schema, which is kept in
``schemas/plain-credential.schema.json`` (a test keeps the file in sync).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.adapters.importers.base import Collector, ImportOptions
from app.adapters.importers.vocab import concept_label, country_code
from app.core.credentials import (
    Alignment,
    Assessment,
    Concept,
    CredentialInputError,
    CredentialLevel,
    Credits,
    Identifier,
    ImportedCredential,
    Learner,
    LearningOutcome,
    MicroCredential,
    Organisation,
    Participation,
    QualityAssurance,
    SkillRef,
    SourceFormat,
    Stackability,
    WarningCode,
    duration_hours,
    json_pointer,
)
from app.core.types import LevelKey

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "plain-credential.schema.json"
PLAIN_PROFILE = "https://passerelle.dev/schemas/plain-credential/v1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PlainConcept(_Model):
    """A vocabulary value: its label and/or its URI."""

    label: str | None = Field(default=None, max_length=500)
    uri: str | None = Field(default=None, max_length=500)


ConceptIn = PlainConcept | str


class PlainOrganisation(_Model):
    name: str | None = Field(default=None, max_length=500)
    id: str | None = Field(default=None, max_length=500)
    country: str | None = Field(
        default=None, max_length=200, description="ISO 3166-1 alpha-2 or alpha-3, or a country URI"
    )
    country_uri: str | None = Field(default=None, max_length=500)
    homepage: str | None = Field(default=None, max_length=2000)


class PlainIdentifier(_Model):
    value: str = Field(min_length=1, max_length=500)
    scheme: str | None = Field(default=None, max_length=200)


class PlainLearner(_Model):
    id: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, max_length=500)
    given_name: str | None = Field(default=None, max_length=500)
    family_name: str | None = Field(default=None, max_length=500)
    identifiers: list[PlainIdentifier] = Field(default_factory=list, max_length=20)


class PlainSkill(_Model):
    uri: str = Field(min_length=1, max_length=500)
    label: str | None = Field(default=None, max_length=500)


class PlainOutcome(_Model):
    text: str = Field(min_length=1, max_length=5000)
    esco_skills: list[PlainSkill | str] = Field(default_factory=list, max_length=100)
    other_skills: list[PlainSkill | str] = Field(default_factory=list, max_length=100)


class PlainNqf(_Model):
    framework: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=100)
    label: str | None = Field(default=None, max_length=500)


class PlainLevel(_Model):
    eqf: int | str | None = Field(
        default=None,
        description="EQF level 1-8, or an EQF level URI (http://data.europa.eu/snb/eqf/6)",
    )
    eqf_identifier: str | None = Field(default=None, max_length=500)
    nqf: str | PlainNqf | None = Field(
        default=None,
        description="Any level identifier Passerelle accepts: FRAMEWORK:CODE (IE-NFQ:8), the EU "
        "vocabulary level URI, or {framework, code}",
    )
    nqf_identifier: str | None = Field(default=None, max_length=500)
    nqf_label: str | None = Field(default=None, max_length=500)
    nqf_published_label: str | None = Field(default=None, max_length=500)


class PlainCredits(_Model):
    system: str = Field(default="ECTS", max_length=100)
    value: float = Field(ge=0, le=10000)
    system_uri: str | None = Field(default=None, max_length=500)


class PlainAssessment(_Model):
    type: ConceptIn | None = None
    mode: ConceptIn | None = None
    title: str | None = Field(default=None, max_length=500)


class PlainParticipation(_Model):
    mode: ConceptIn | None = None
    learning_setting: ConceptIn | None = None
    schedule: ConceptIn | None = None


class PlainQualityAssurance(_Model):
    type: ConceptIn | None = None
    title: str | None = Field(default=None, max_length=1000)
    body: str | None = Field(default=None, max_length=500)
    id: str | None = Field(default=None, max_length=500)


class PlainStackability(_Model):
    partial: bool | None = None
    part_of: list[str] = Field(default_factory=list, max_length=100)
    has_part: list[str] = Field(default_factory=list, max_length=100)
    statement: str | None = Field(default=None, max_length=1000)


class PlainAlignment(_Model):
    """An alignment to a framework item, kept as given (never a learning outcome)."""

    target_name: str | None = Field(default=None, max_length=1000)
    target_url: str | None = Field(default=None, max_length=2000)
    target_type: str | None = Field(default=None, max_length=200)
    target_framework: str | None = Field(default=None, max_length=1000)
    target_code: str | None = Field(default=None, max_length=200)
    target_description: str | None = Field(default=None, max_length=20000)
    kind: str | None = Field(default=None, max_length=100)


class PlainCredential(_Model):
    """A micro-credential in Passerelle's plain JSON form (every member optional)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        frozen=True,
        title="Passerelle plain credential",
        json_schema_extra={"$id": PLAIN_PROFILE},
    )

    profile: Literal["https://passerelle.dev/schemas/plain-credential/v1"] | None = Field(
        default=None, alias="$schema", description="Optional marker of this format"
    )
    id: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=20000)
    issuer: PlainOrganisation | str | None = None
    awarding_bodies: list[PlainOrganisation | str] = Field(default_factory=list, max_length=20)
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    learner: PlainLearner | str | None = None
    learning_outcomes: list[PlainOutcome | str] = Field(default_factory=list, max_length=500)
    level: PlainLevel | None = None
    credits: PlainCredits | float | None = Field(default=None, description="A number means ECTS")
    workload_hours: float | None = Field(default=None, ge=0, le=100000)
    workload_as_published: str | None = Field(
        default=None, max_length=64, description="ISO 8601 duration, e.g. PT60H"
    )
    assessment: PlainAssessment | str | None = None
    participation: PlainParticipation | str | None = None
    quality_assurance: list[PlainQualityAssurance | str] | str | None = Field(default=None)
    prerequisites: str | None = Field(default=None, max_length=20000)
    id_verification: ConceptIn | None = None
    grade: str | float | None = None
    stackability: PlainStackability | str | None = None
    further_information: str | None = Field(default=None, max_length=20000)
    alignments: list[PlainAlignment] = Field(default_factory=list, max_length=100)
    language: str | None = Field(default=None, max_length=20)
    languages: list[str] = Field(default_factory=list, max_length=50)
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    # output-only members of the normalised form, accepted so it can be posted back; ignored
    source_format: str | None = Field(default=None, description="Ignored (output only)")
    sources: dict[str, Any] | None = Field(default=None, description="Ignored (output only)")
    proof: dict[str, Any] | None = Field(
        default=None, description="Ignored: a plain credential carries no verifiable proof"
    )

    @field_validator("credits", mode="before")
    @classmethod
    def _no_bool_credits(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("credits must be a number or an object")
        return value


def plain_json_schema() -> dict[str, Any]:
    return PlainCredential.model_json_schema(by_alias=True)


def write_schema(path: Path = SCHEMA_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain_json_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")


def _pointer(loc: tuple[int | str, ...]) -> str:
    # pydantic puts the union member's class name in the location; it is not part of the input
    parts = [p for p in loc if not (isinstance(p, str) and (p[:1].isupper() or "[" in p))]
    return json_pointer(*parts)


def validate_plain(document: Any, *, base: str = "") -> PlainCredential:
    """Validate a plain credential; the first problem is raised with its JSON pointer."""
    if not isinstance(document, Mapping):
        raise CredentialInputError(base, "a plain credential is a JSON object")
    try:
        return PlainCredential.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise CredentialInputError(
            base + _pointer(tuple(first["loc"])), f"{first['msg']}{more}"
        ) from None


def _concept(value: ConceptIn | None) -> Concept | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            return None
        if value.startswith(("http://", "https://", "urn:")):
            return Concept(label=concept_label(value), uri=value)
        return Concept(label=value)
    concept = Concept(label=value.label or concept_label(value.uri), uri=value.uri)
    return concept if concept else None


def _organisation(value: PlainOrganisation | str | None) -> Organisation | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Organisation(name=value) if value else None
    country = value.country
    uri = value.country_uri
    if country and country.startswith(("http://", "https://")):
        uri = uri or country
    code = country_code(country) if country else None
    return Organisation(
        name=value.name,
        id=value.id,
        country=code or country,
        country_uri=uri,
        homepage=value.homepage,
    )


def _skills(items: list[PlainSkill | str]) -> tuple[SkillRef, ...]:
    out: list[SkillRef] = []
    for s in items:
        skill = SkillRef(uri=s) if isinstance(s, str) else SkillRef(uri=s.uri, label=s.label)
        if skill.uri and skill not in out:
            out.append(skill)
    return tuple(out)


def plain_to_credential(
    model: PlainCredential,
    options: ImportOptions,
    *,
    source_format: SourceFormat = SourceFormat.PLAIN,
    base: str = "",
    present: Mapping[str, Any] | None = None,
) -> ImportedCredential:
    """Turn a validated plain credential into the normalised form.

    ``present`` is the raw document, used to record where each member was found.
    """
    col = Collector(options.language)
    raw = present or {}

    def found(name: str, *members: str) -> None:
        for member in members:
            if raw.get(member) not in (None, "", [], {}):
                col.found(name, base + json_pointer(member))
                return

    issuer = _organisation(model.issuer)
    found("issuer", "issuer")
    if issuer is not None and issuer.country:
        sub = "/country" if isinstance(model.issuer, PlainOrganisation) else ""
        col.found("issuer.country", base + "/issuer" + sub)
    awarding = tuple(o for o in (_organisation(x) for x in model.awarding_bodies) if o)
    found("awarding_bodies", "awarding_bodies")

    learner: Learner | None = None
    if isinstance(model.learner, str):
        learner = Learner(name=model.learner) if model.learner else None
    elif model.learner is not None:
        ln = model.learner
        learner = Learner(
            id=ln.id,
            name=ln.name,
            given_name=ln.given_name,
            family_name=ln.family_name,
            identifiers=tuple(Identifier(value=i.value, scheme=i.scheme) for i in ln.identifiers),
        )
        learner = learner if learner.identified else None
    if learner is not None:
        found("learner", "learner")

    outcomes: list[LearningOutcome] = []
    for i, item in enumerate(model.learning_outcomes):
        if isinstance(item, str):
            text = " ".join(item.split())
            if text:
                outcomes.append(LearningOutcome(text=text))
        else:
            outcomes.append(
                LearningOutcome(
                    text=" ".join(item.text.split()),
                    esco_skills=_skills(item.esco_skills),
                    other_skills=_skills(item.other_skills),
                )
            )
        col.add_source("learning_outcomes", base + json_pointer("learning_outcomes", i))

    level = CredentialLevel()
    if model.level is not None:
        lv = model.level
        eqf_identifier = lv.eqf_identifier
        eqf: int | None = None
        if isinstance(lv.eqf, int):
            if not 1 <= lv.eqf <= 8:
                raise CredentialInputError(base + "/level/eqf", "the EQF has levels 1 to 8")
            eqf = lv.eqf
            eqf_identifier = eqf_identifier or str(lv.eqf)
        elif isinstance(lv.eqf, str) and lv.eqf:
            eqf_identifier = lv.eqf
        nqf: LevelKey | None = None
        nqf_identifier = lv.nqf_identifier
        if isinstance(lv.nqf, PlainNqf):
            nqf_identifier = nqf_identifier or f"{lv.nqf.framework}:{lv.nqf.code}"
        elif isinstance(lv.nqf, str) and lv.nqf:
            nqf_identifier = lv.nqf
        level = CredentialLevel(
            eqf=eqf,
            eqf_identifier=eqf_identifier,
            nqf=nqf,
            nqf_identifier=nqf_identifier,
            nqf_published_label=lv.nqf_published_label,
        )
        if eqf_identifier:
            col.found("level.eqf", base + "/level/eqf")
        if nqf_identifier:
            col.found("level.nqf", base + "/level/nqf")

    credits: Credits | None = None
    if isinstance(model.credits, (int, float)):
        credits = Credits("ECTS", float(model.credits))
    elif model.credits is not None:
        credits = Credits(
            model.credits.system or "ECTS", model.credits.value, model.credits.system_uri
        )
    found("credits", "credits")

    hours = model.workload_hours
    published = model.workload_as_published
    if hours is None and published:
        result = duration_hours(published)
        if result.hours is None:
            col.warn(
                WarningCode.DURATION_NOT_CONVERTED,
                f"The workload {result.problem}; it was not converted to hours.",
                base + "/workload_as_published",
            )
        hours = result.hours
    if hours is not None:
        found("workload_hours", "workload_hours", "workload_as_published")

    assessment: Assessment | None = None
    if isinstance(model.assessment, str):
        assessment = Assessment(type=_concept(model.assessment))
    elif model.assessment is not None:
        assessment = Assessment(
            type=_concept(model.assessment.type),
            mode=_concept(model.assessment.mode),
            title=model.assessment.title,
        )
    if assessment is not None and not (assessment.type or assessment.mode or assessment.title):
        assessment = None
    if assessment is not None:
        found("assessment", "assessment")

    participation: Participation | None = None
    if isinstance(model.participation, str):
        participation = Participation(mode=_concept(model.participation))
    elif model.participation is not None:
        participation = Participation(
            mode=_concept(model.participation.mode),
            learning_setting=_concept(model.participation.learning_setting),
            schedule=_concept(model.participation.schedule),
        )
    if participation is not None and not (
        participation.mode or participation.learning_setting or participation.schedule
    ):
        participation = None
    if participation is not None:
        found("participation", "participation")

    qa_items: list[PlainQualityAssurance | str] = (
        [model.quality_assurance]
        if isinstance(model.quality_assurance, str)
        else list(model.quality_assurance or [])
    )
    quality: list[QualityAssurance] = []
    for q in qa_items:
        if isinstance(q, str):
            if q:
                quality.append(QualityAssurance(title=q))
        else:
            entry = QualityAssurance(type=_concept(q.type), title=q.title, body=q.body, id=q.id)
            if entry.type or entry.title or entry.body or entry.id:
                quality.append(entry)
    if quality:
        found("quality_assurance", "quality_assurance")

    stack = Stackability()
    if isinstance(model.stackability, str):
        stack = Stackability(statement=model.stackability or None)
    elif model.stackability is not None:
        s = model.stackability
        stack = Stackability(
            partial=s.partial,
            part_of=tuple(s.part_of),
            has_part=tuple(s.has_part),
            statement=s.statement,
        )
    if stack.given:
        found("stackability", "stackability")

    grade = model.grade
    grade_text = f"{grade:g}" if isinstance(grade, float) else grade
    id_verification = _concept(model.id_verification)
    for name in (
        "title",
        "description",
        "issued_on",
        "valid_until",
        "prerequisites",
        "grade",
        "further_information",
    ):
        found(name, name)
    if id_verification is not None:
        found("id_verification", "id_verification")

    languages = list(model.languages)
    for lang in (model.language, *[k for v in model.translations.values() for k in v]):
        if lang and lang not in languages:
            languages.append(lang)
    credential = MicroCredential(
        source_format=source_format,
        id=model.id,
        title=model.title,
        description=model.description,
        issuer=issuer,
        awarding_bodies=awarding,
        issued_on=model.issued_on,
        valid_until=model.valid_until,
        learner=learner,
        learning_outcomes=tuple(outcomes),
        level=level,
        credits=credits,
        workload_hours=hours,
        workload_as_published=published,
        assessment=assessment,
        participation=participation,
        quality_assurance=tuple(quality),
        prerequisites=model.prerequisites,
        id_verification=id_verification,
        grade=grade_text or None,
        stackability=stack,
        further_information=model.further_information,
        alignments=tuple(Alignment(**a.model_dump()) for a in model.alignments),
        language=model.language,
        languages=tuple(languages),
        translations={k: dict(v) for k, v in model.translations.items()},
        sources=col.frozen_sources(),
    )
    return ImportedCredential(credential, col.finish_warnings())


def import_plain(document: Mapping[str, Any], options: ImportOptions) -> ImportedCredential:
    """Read a credential in the plain JSON form."""
    model = validate_plain(document)
    return plain_to_credential(model, options, present=document)


def looks_plain(document: Mapping[str, Any]) -> bool:
    """A JSON object without JSON-LD or VC markers whose members are plain-form members."""
    if "@context" in document or "credentialSubject" in document or "type" in document:
        return False
    if document.get("$schema") == PLAIN_PROFILE:
        return True
    known = set(PlainCredential.model_fields) | {"$schema"}
    return bool(document) and "title" in document and set(document) <= known
