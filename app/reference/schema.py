"""Pydantic models of the reference-data files: the schema of ``frameworks/`` and ``mappings/``.

These models are the single source of the JSON Schemas committed under ``frameworks/_schema/``
(``passerelle data schema`` regenerates them; a test keeps them in sync). Every model forbids
unknown keys, so a typo in a data file is an error naming the file, line and field, not a
silently ignored value.

File kinds:

* ``frameworks/eqf.yaml`` → :class:`EqfFile` (the 8 EQF levels, descriptor domains, QF-EHEA cycles);
* ``frameworks/<id>.yaml`` → :class:`FrameworkFile` (one national, regional or meta framework);
* ``mappings/crosswalks/*.yaml`` → :class:`CrosswalkFile` (a published direct comparison);
* ``mappings/confidence.yaml`` → :class:`ConfidenceScaleFile` (numeric value of high/medium/low).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

FrameworkId = Annotated[
    str,
    Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", description="Passerelle short id, e.g. IE-NFQ"),
]
LevelCode = Annotated[str, Field(min_length=1, max_length=40)]
SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Uri = Annotated[str, Field(pattern=r"^https?://\S+$")]
MatchTypeName = Literal["exact", "close", "broad", "narrow", "related"]
ConfidenceName = Literal["high", "medium", "low"]
CycleName = Literal["short", "first", "second", "third"]
_LEVEL_REF = re.compile(r"^(?P<framework>[A-Z][A-Z0-9-]*):(?P<code>.+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceModel(_Strict):
    """A citable source. Referenced from edges and types by its ``id``."""

    id: SourceId
    title: str = Field(min_length=3)
    url: Uri | None = None
    retrieved: dt.date | None = None
    licence: str | None = None
    note: str | None = None


class ValidityMixin(_Strict):
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ValidityMixin:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class EqfEdgeModel(ValidityMixin):
    """The EQF level an NQF level is referenced to."""

    level: int = Field(ge=1, le=8)
    match_type: MatchTypeName
    confidence: ConfidenceName
    sources: list[SourceId] = Field(min_length=1)
    basis: str | None = Field(None, description="How the mapping was established or verified")


class QualificationTypeModel(_Strict):
    name: str = Field(min_length=2)
    sources: list[SourceId] = Field(min_length=1)
    example: bool = Field(False, description="An example qualification rather than a type")
    alt_labels: list[Annotated[str, Field(min_length=2)]] = Field(
        default_factory=list,
        description="Abbreviations, common spellings and other-language names (e.g. HNC)",
    )
    qf_ehea_cycle: CycleName | None = Field(
        None,
        description="A higher-education type that the level's `qf_ehea` sources place at this "
        "QF-EHEA cycle (the level must have `qf_ehea` with the same cycle)",
    )


class QfEheaPlacementModel(_Strict):
    """Where the national referencing (or self-certification to the QF-EHEA) places a level.

    QF-EHEA cycles describe higher-education qualifications, so a level relates to a cycle only
    through this record, never by composing through its EQF level. ``scope: higher_education``:
    the sources place the level itself in the cycle; ``mixed``: the level also holds qualifications
    outside higher education (e.g. DQR 6 holds the Bachelor and the Meister), so only its types
    marked with ``qf_ehea_cycle`` are in the cycle and the level as a whole is only ``related``.
    """

    cycle: CycleName
    scope: Literal["higher_education", "mixed"]
    match_type: MatchTypeName = Field(description="SKOS relation from the level to the cycle")
    confidence: ConfidenceName
    sources: list[SourceId] = Field(min_length=1)
    basis: str = Field(min_length=10, description="What the sources say, briefly")

    @model_validator(mode="after")
    def _mixed_is_related(self) -> QfEheaPlacementModel:
        if self.scope == "mixed" and self.match_type != "related":
            raise ValueError("a `mixed` level is only `related` to the cycle as a whole")
        if self.scope == "higher_education" and self.match_type == "related":
            raise ValueError("a `higher_education` level is exact, broad, narrow or close")
        return self


class UnplacedQualificationTypeModel(QualificationTypeModel):
    """A type whose EQF level is known but whose framework level is not (e.g. Europass data
    give EQF 6 for an Irish award, and EQF 6 holds two NFQ levels)."""

    eqf_level: int = Field(ge=1, le=8)


class DescriptorsModel(_Strict):
    knowledge: str | None = None
    skills: str | None = None
    responsibility_autonomy: str | None = None


class CreditRangeModel(_Strict):
    system: str
    minimum: float | None = Field(None, ge=0)
    maximum: float | None = Field(None, ge=0)
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class SuccessorModel(_Strict):
    """This (historical) level was replaced by ``code`` in the same framework."""

    code: LevelCode
    match_type: MatchTypeName = "exact"
    confidence: ConfidenceName
    sources: list[SourceId] = Field(min_length=1)
    basis: str | None = None


class LevelModel(ValidityMixin):
    code: LevelCode
    label: str
    uri: Uri | None = Field(None, description="EU vocabulary (QDR) URI of the level")
    other_uris: list[Uri] = Field(default_factory=list)
    eqf: list[EqfEdgeModel] = Field(default_factory=list)
    not_referenced: str | None = Field(
        None, description="Why the level has no EQF edge (required when `eqf` is empty)"
    )
    qualification_types: list[QualificationTypeModel] = Field(default_factory=list)
    successors: list[SuccessorModel] = Field(default_factory=list)
    descriptors: DescriptorsModel | None = None
    credit_range: CreditRangeModel | None = None
    qf_ehea: QfEheaPlacementModel | None = Field(
        None,
        description="The QF-EHEA cycle the national referencing places the level in; absent "
        "when no source read places it in higher education (then no cycle is offered for it)",
    )

    @model_validator(mode="after")
    def _referenced_or_said_not(self) -> LevelModel:
        if not self.eqf and not self.not_referenced:
            raise ValueError("a level without `eqf` edges must say why in `not_referenced`")
        if self.eqf and self.not_referenced:
            raise ValueError("a level cannot have `eqf` edges and `not_referenced` at once")
        for qt in self.qualification_types:
            if qt.qf_ehea_cycle and (not self.qf_ehea or self.qf_ehea.cycle != qt.qf_ehea_cycle):
                raise ValueError(
                    f"qualification type {qt.name!r} names cycle {qt.qf_ehea_cycle!r}, but the "
                    "level's `qf_ehea` does not place it in that cycle"
                )
        return self


class FrameworkUris(_Strict):
    eu_vocabulary: Uri | None = None
    esco: Uri | None = None
    other: list[Uri] = Field(default_factory=list)


class EqfReferencingModel(_Strict):
    referenced: bool
    date: str | None = Field(
        None,
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        description="When the framework was referenced to the EQF (ISO 8601, year allowed)",
    )
    sources: list[SourceId] = Field(default_factory=list)
    note: str | None = None


class FrameworkFile(ValidityMixin):
    """One framework: ``frameworks/<id>.yaml``."""

    schema_version: Literal[1]
    id: FrameworkId
    title: str
    acronym: str | None = None
    kind: Literal["national", "regional", "meta"]
    jurisdictions: list[str] = Field(min_length=1)
    uris: FrameworkUris
    version: str = Field(description="Version of this entry; bump it with every change")
    eqf_referencing: EqfReferencingModel
    sources: list[SourceModel] = Field(min_length=1)
    notes: str | None = None
    levels: list[LevelModel] = Field(min_length=1)
    unplaced_qualification_types: list[UnplacedQualificationTypeModel] = Field(default_factory=list)

    @field_validator("jurisdictions")
    @classmethod
    def _jurisdiction_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[A-Z]{2,6}(-[A-Z]{2,3})?", code):
                raise ValueError(f"jurisdiction {code!r} is not a code like IE, GB-SCT or BE-FL")
        return value

    @model_validator(mode="after")
    def _internal_integrity(self) -> FrameworkFile:
        source_ids = {s.id for s in self.sources}
        if len(source_ids) != len(self.sources):
            raise ValueError("source ids must be unique within a file")
        codes = [lvl.code.casefold() for lvl in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError("level codes must be unique (case-insensitively)")
        cited: list[str] = list(self.eqf_referencing.sources)
        for lvl in self.levels:
            for edge in lvl.eqf:
                cited.extend(edge.sources)
            for qt in lvl.qualification_types:
                cited.extend(qt.sources)
            if lvl.qf_ehea:
                cited.extend(lvl.qf_ehea.sources)
            for succ in lvl.successors:
                cited.extend(succ.sources)
                if succ.code.casefold() not in codes:
                    raise ValueError(f"level {lvl.code}: successor {succ.code!r} is not a level")
            if lvl.credit_range:
                cited.extend(lvl.credit_range.sources)
        for qt in self.unplaced_qualification_types:
            cited.extend(qt.sources)
        missing = sorted(set(cited) - source_ids)
        if missing:
            raise ValueError(f"cited sources not declared under `sources`: {', '.join(missing)}")
        if self.eqf_referencing.referenced != any(lvl.eqf for lvl in self.levels):
            raise ValueError(
                "eqf_referencing.referenced must be true exactly when some level has `eqf` edges"
            )
        return self


class EqfLevelModel(_Strict):
    level: int = Field(ge=1, le=8)
    uri: Uri
    esco_uri: Uri | None = None
    knowledge: str
    skills: str
    responsibility_autonomy: str
    qf_ehea_cycle: Literal["short", "first", "second", "third"] | None = None


class DescriptorDomainModel(_Strict):
    id: Literal["knowledge", "skills", "responsibility_autonomy"]
    definition: str


class EqfFile(_Strict):
    """``frameworks/eqf.yaml``: the European Qualifications Framework itself."""

    schema_version: Literal[1]
    id: Literal["EQF"]
    title: str
    version: str
    valid_from: dt.date | None = None
    uris: FrameworkUris
    sources: list[SourceModel] = Field(min_length=1)
    domains: list[DescriptorDomainModel] = Field(min_length=3, max_length=3)
    levels: list[EqfLevelModel] = Field(min_length=8, max_length=8)

    @model_validator(mode="after")
    def _one_to_eight(self) -> EqfFile:
        if sorted(lvl.level for lvl in self.levels) != list(range(1, 9)):
            raise ValueError("the EQF has exactly the levels 1 to 8")
        return self


class CrosswalkPairModel(ValidityMixin):
    source: str = Field(description="Level reference FRAMEWORK-ID:CODE")
    target: str = Field(description="Level reference FRAMEWORK-ID:CODE")
    match_type: MatchTypeName
    confidence: ConfidenceName
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None

    @field_validator("source", "target")
    @classmethod
    def _level_ref(cls, value: str) -> str:
        if not _LEVEL_REF.match(value):
            raise ValueError(f"{value!r} is not a level reference like IE-NFQ:8")
        return value


class CrosswalkFile(_Strict):
    """``mappings/crosswalks/*.yaml``: a published comparison between frameworks."""

    schema_version: Literal[1]
    id: SourceId
    title: str
    version: str
    frameworks: list[FrameworkId] = Field(min_length=2)
    sources: list[SourceModel] = Field(min_length=1)
    notes: str | None = None
    pairs: list[CrosswalkPairModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _cited(self) -> CrosswalkFile:
        declared = {s.id for s in self.sources}
        for pair in self.pairs:
            missing = set(pair.sources) - declared
            if missing:
                raise ValueError(f"pair {pair.source}→{pair.target} cites undeclared {missing}")
            for ref in (pair.source, pair.target):
                if ref.split(":", 1)[0] not in self.frameworks:
                    raise ValueError(f"{ref} is not in a framework listed under `frameworks`")
        return self


class ConfidenceScaleFile(_Strict):
    """``mappings/confidence.yaml``: what each confidence class means as a number."""

    schema_version: Literal[1]
    version: str
    high: float = Field(gt=0, le=1)
    medium: float = Field(gt=0, le=1)
    low: float = Field(gt=0, le=1)
    notes: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ConfidenceScaleFile:
        if not self.high > self.medium > self.low:
            raise ValueError("confidence values must be ordered high > medium > low")
        return self


def parse_level_ref(value: str) -> tuple[str, str]:
    """Split ``"IE-NFQ:8"`` into ``("IE-NFQ", "8")``."""
    match = _LEVEL_REF.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a level reference like IE-NFQ:8")
    return match["framework"], match["code"]


SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "framework": FrameworkFile,
    "eqf": EqfFile,
    "crosswalk": CrosswalkFile,
    "confidence": ConfidenceScaleFile,
}
