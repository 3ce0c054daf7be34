"""Response schemas of the framework, level and comparison endpoints, with mappers from core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, Field

from app.core.release import Release
from app.core.types import (
    Comparison,
    Framework,
    Level,
    LevelEdge,
    LevelMatch,
    PathStep,
    Source,
)


class DataReleaseOut(BaseModel):
    id: str = Field(description="Release label (date and short hash)")
    content_hash: str = Field(description="SHA-256 of the framework and mapping files")

    @classmethod
    def of(cls, release: Release) -> DataReleaseOut:
        return cls(id=release.label, content_hash=release.content_hash)


class SourceOut(BaseModel):
    id: str
    title: str
    url: str | None = None
    retrieved: dt.date | None = None
    licence: str | None = None

    @classmethod
    def of(cls, s: Source) -> SourceOut:
        return cls(id=s.id, title=s.title, url=s.url, retrieved=s.retrieved, licence=s.licence)


class EqfLevelRef(BaseModel):
    eqf_level: int
    match_type: str = Field(description="SKOS relation from this level to the EQF level")
    confidence: float = Field(ge=0, le=1)
    confidence_class: str
    source: list[SourceOut]
    basis: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @classmethod
    def of(cls, e: LevelEdge) -> EqfLevelRef:
        return cls(
            eqf_level=int(e.target.code),
            match_type=e.match_type.value,
            confidence=e.confidence,
            confidence_class=e.confidence_class.value,
            source=[SourceOut.of(s) for s in e.sources],
            basis=e.basis,
            valid_from=e.validity.valid_from,
            valid_to=e.validity.valid_to,
        )


class QfEheaPlacementOut(BaseModel):
    cycle: str = Field(description="QF-EHEA cycle: short | first | second | third")
    match_type: str = Field(
        description="SKOS relation from the level to the cycle; 'related' when the level also "
        "holds qualifications outside higher education (only some of its types are in the cycle)"
    )
    confidence: float = Field(ge=0, le=1)
    confidence_class: str
    source: list[SourceOut]
    basis: str | None = None

    @classmethod
    def of(cls, e: LevelEdge) -> QfEheaPlacementOut:
        return cls(
            cycle=e.target.code,
            match_type=e.match_type.value,
            confidence=e.confidence,
            confidence_class=e.confidence_class.value,
            source=[SourceOut.of(s) for s in e.sources],
            basis=e.basis,
        )


class DescriptorsOut(BaseModel):
    knowledge: str | None = None
    skills: str | None = None
    responsibility_autonomy: str | None = None


class CreditRangeOut(BaseModel):
    system: str
    minimum: float | None = None
    maximum: float | None = None
    note: str | None = None


class LevelOut(BaseModel):
    framework: str
    code: str
    label: str
    uris: list[str]
    eqf_levels: list[EqfLevelRef]
    not_referenced: str | None = Field(None, description="Why the level has no EQF level")
    descriptors: DescriptorsOut | None = None
    qualification_types: list[str]
    credit_range: CreditRangeOut | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    qf_ehea: list[QfEheaPlacementOut] = Field(
        default_factory=list,
        description="The QF-EHEA cycle the national referencing places the level in (empty: not "
        "recorded, and no cycle is inferred from the EQF level)",
    )

    @classmethod
    def of(
        cls, level: Level, eqf_edges: list[LevelEdge], placements: Sequence[LevelEdge] = ()
    ) -> LevelOut:
        d = level.descriptors
        c = level.credit_range
        return cls(
            framework=level.framework,
            code=level.code,
            label=level.label,
            uris=list(level.uris),
            eqf_levels=[EqfLevelRef.of(e) for e in eqf_edges],
            not_referenced=level.not_referenced_note,
            descriptors=DescriptorsOut(
                knowledge=d.knowledge,
                skills=d.skills,
                responsibility_autonomy=d.responsibility_autonomy,
            )
            if d
            else None,
            qualification_types=list(level.qualification_types),
            credit_range=CreditRangeOut(
                system=c.system, minimum=c.minimum, maximum=c.maximum, note=c.note
            )
            if c
            else None,
            valid_from=level.validity.valid_from,
            valid_to=level.validity.valid_to,
            qf_ehea=[QfEheaPlacementOut.of(e) for e in placements],
        )


class LevelSummary(BaseModel):
    framework: str
    code: str
    label: str
    uris: list[str]

    @classmethod
    def of(cls, level: Level) -> LevelSummary:
        return cls(
            framework=level.framework, code=level.code, label=level.label, uris=list(level.uris)
        )


class FrameworkOut(BaseModel):
    id: str
    title: str
    acronym: str | None = None
    kind: str
    jurisdiction: str = Field(description="Main jurisdiction code")
    jurisdictions: list[str]
    uris: list[str]
    version: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    eqf_referenced: bool
    referencing_date: str | None = None
    sources: list[SourceOut]
    notes: str | None = None
    level_count: int

    @classmethod
    def of(cls, f: Framework) -> FrameworkOut:
        return cls(
            id=f.id,
            title=f.title,
            acronym=f.acronym,
            kind=f.kind,
            jurisdiction=f.jurisdictions[0] if f.jurisdictions else "",
            jurisdictions=list(f.jurisdictions),
            uris=list(f.uris),
            version=f.version,
            valid_from=f.validity.valid_from,
            valid_to=f.validity.valid_to,
            eqf_referenced=f.eqf_referenced,
            referencing_date=f.referencing_date,
            sources=[SourceOut.of(s) for s in f.sources],
            notes=f.notes,
            level_count=len(f.levels),
        )


class FrameworkDetail(FrameworkOut):
    levels: list[LevelOut]


class FrameworkList(BaseModel):
    items: list[FrameworkOut]
    data_release: DataReleaseOut


class FrameworkDetailResponse(FrameworkDetail):
    data_release: DataReleaseOut


class LevelResponse(LevelOut):
    data_release: DataReleaseOut


class PathStepOut(BaseModel):
    source: str
    target: str
    kind: str
    match_type: str
    confidence: float
    basis: str | None = None
    sources: list[SourceOut]

    @classmethod
    def of(cls, s: PathStep) -> PathStepOut:
        return cls(
            source=str(s.source),
            target=str(s.target),
            kind=s.kind.value,
            match_type=s.match_type.value,
            confidence=s.confidence,
            basis=s.basis,
            sources=[SourceOut.of(x) for x in s.sources],
        )


class MatchOut(BaseModel):
    level: LevelSummary
    eqf_level: int | None
    match_type: str = Field(description="SKOS relation from the source level to this level")
    confidence: float = Field(ge=0, le=1)
    path: list[str] = Field(description="Node sequence from source to target")
    provenance: list[PathStepOut] = Field(description="Every edge used, with its sources")
    notes: list[str]
    frame: str | None = Field(
        None,
        description="Frame of the comparison: framework (the framework's own levels), "
        "crosswalk (a published crosswalk) or eqf (through the EQF, coarser than national levels)",
    )

    @classmethod
    def of(cls, m: LevelMatch) -> MatchOut:
        return cls(
            level=LevelSummary.of(m.level),
            eqf_level=m.eqf_level,
            match_type=m.match_type.value,
            confidence=round(m.confidence, 4),
            path=[str(k) for k in m.path],
            provenance=[PathStepOut.of(s) for s in m.steps],
            notes=list(m.notes),
            frame=m.frame.value if m.frame else None,
        )


class ComparisonOut(BaseModel):
    source: LevelOut
    target: FrameworkOut
    as_of: dt.date | None
    matches: list[MatchOut]
    reason: str | None = Field(
        None,
        description="not_referenced | no_comparable_level | not_valid_at_date | "
        "outside_higher_education",
    )
    notes: list[str]

    @classmethod
    def of(cls, c: Comparison, source_eqf: list[LevelEdge]) -> ComparisonOut:
        return cls(
            source=LevelOut.of(c.source, source_eqf),
            target=FrameworkOut.of(c.target),
            as_of=c.as_of,
            matches=[MatchOut.of(m) for m in c.matches],
            reason=c.reason.value if c.reason else None,
            notes=list(c.notes),
        )


class ComparisonResponse(ComparisonOut):
    data_release: DataReleaseOut


class MatrixCell(BaseModel):
    target: str
    matches: list[str] = Field(description="Comparable level codes, best first")
    match_types: list[str]
    reason: str | None = None


class MatrixRow(BaseModel):
    level: LevelSummary
    eqf_levels: list[int]
    comparisons: list[MatrixCell]


class MatrixResponse(BaseModel):
    frameworks: list[str]
    as_of: dt.date | None
    rows: list[MatrixRow]
    data_release: DataReleaseOut


class QualificationTypeOut(BaseModel):
    name: str
    score: float = Field(
        description="Match score 0–100 of the name or an alternative label (word-aware; "
        "abbreviations count; level numbers must agree; nothing below 65 is returned)"
    )
    jurisdiction: str
    framework: str | None
    level: LevelSummary | None = Field(
        None, description="Framework level, where a source places it"
    )
    eqf_level: int | None
    is_example: bool
    source: SourceOut | None
    alt_labels: list[str] = Field(
        default_factory=list, description="Abbreviations and other names the source data give"
    )


class QualificationTypeList(BaseModel):
    items: list[QualificationTypeOut]
    data_release: DataReleaseOut


class MetaResponse(BaseModel):
    app_version: str
    data_release: DataReleaseOut
    schema_revision: list[str]
    framework_count: int
    framework_versions: dict[str, str]
    confidence_scale: dict[str, float | str]
