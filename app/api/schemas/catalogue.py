"""Schemas of the catalogue endpoints (``/v1/qualifications``).

The *input* form is the importer's (:class:`~app.adapters.importers.catalogue.ProgrammeIn`,
re-exported here), so a file that ``passerelle catalogue import`` reads is a body the API accepts,
and ``docs/catalogue.schema.json`` describes both. The *output* models below add what storing
gives: ids, content hashes, resolved levels with their labels, warnings, the data release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import BaseModel, Field

from app.adapters.db.catalogue_repository import ProgrammeSummary, StoredProgramme
from app.adapters.importers.catalogue import (
    CatalogueFileIn,
    CostIn,
    CreditsIn,
    InstitutionIn,
    ModuleIn,
    ProgrammeIn,
    SourceIn,
    catalogue_json_schema,
)
from app.api.schemas.frameworks import DataReleaseOut
from app.api.schemas.timestamps import Timestamp
from app.core.catalogue import (
    CREDIT_SYSTEMS,
    Cost,
    CreditValue,
    Institution,
    Module,
    isced_f_label,
)
from app.core.types import LevelKey

__all__ = [
    "CatalogueFileIn",
    "CostIn",
    "CreditsIn",
    "ImportItem",
    "ImportResult",
    "InstitutionIn",
    "ModuleIn",
    "ModuleList",
    "ModuleOut",
    "ProgrammeIn",
    "ProgrammeOut",
    "ProgrammePage",
    "ProgrammeSummaryOut",
    "SourceIn",
    "catalogue_json_schema",
]


class InstitutionOut(BaseModel):
    name: str
    country: str | None = None

    @classmethod
    def of(cls, i: Institution) -> InstitutionOut:
        return cls(name=i.name, country=i.country)


class CreditsOut(BaseModel):
    value: float
    system: str = Field(description="Credit system id (as in mappings/credit_systems.yaml)")
    label: str

    @classmethod
    def of(cls, c: CreditValue | None) -> CreditsOut | None:
        if c is None:
            return None
        return cls(value=c.value, system=c.system, label=CREDIT_SYSTEMS.get(c.system, c.system))


class CostOut(BaseModel):
    amount: float
    currency: str
    note: str | None = None

    @classmethod
    def of(cls, c: Cost | None) -> CostOut | None:
        return None if c is None else cls(amount=c.amount, currency=c.currency, note=c.note)


class LevelRefOut(BaseModel):
    id: str = Field(description="FRAMEWORK:CODE, usable wherever a level identifier is taken")
    framework: str
    code: str
    label: str | None = None

    @classmethod
    def of(cls, key: LevelKey | None, label: str | None = None) -> LevelRefOut | None:
        if key is None:
            return None
        return cls(id=str(key), framework=key.framework, code=key.code, label=label)


class ProvenanceOut(BaseModel):
    url: str | None = None
    title: str | None = None
    retrieved: dt.date | None = None
    licence: str | None = None
    note: str | None = None


class WarningOut(BaseModel):
    where: str = Field(description="JSON pointer into the programme, or CSV row and column")
    code: str
    detail: str


class ModuleOut(BaseModel):
    code: str
    title: str
    description: str | None = Field(
        default=None, description="Description or aims as published (read by articulation)"
    )
    credits: CreditsOut | None = None
    level: LevelRefOut | None = None
    cycle: str | None = None
    year: int | None = None
    semester: str | None = None
    status: str | None = Field(default=None, description="compulsory, elective, or unknown")
    isced_f: str | None = None
    isced_f_label: str | None = None
    language: str | None = None
    url: str | None = None
    cost: CostOut | None = None
    prerequisites: list[str] = Field(default_factory=list)
    learning_outcomes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, m: Module, level_label: str | None = None) -> ModuleOut:
        return cls(
            code=m.code,
            title=m.title,
            description=m.description,
            credits=CreditsOut.of(m.credits),
            level=LevelRefOut.of(m.level, level_label),
            cycle=m.cycle.value if m.cycle else None,
            year=m.year,
            semester=m.semester,
            status=m.status.value if m.status else None,
            isced_f=m.isced_f,
            isced_f_label=isced_f_label(m.isced_f) if m.isced_f else None,
            language=m.language,
            url=m.url,
            cost=CostOut.of(m.cost),
            prerequisites=list(m.prerequisites),
            learning_outcomes=list(m.learning_outcomes),
        )


class ProgrammeSummaryOut(BaseModel):
    id: str
    title: str
    code: str | None = None
    award: str | None = None
    institution: InstitutionOut
    level: LevelRefOut | None = None
    eqf_level: int | None = None
    credits: CreditsOut | None = None
    isced_f: str | None = None
    module_count: int
    created_at: Timestamp
    score: float | None = Field(default=None, description="Fuzzy match score 0-100 (with q)")

    @classmethod
    def of(cls, s: ProgrammeSummary, level_label: str | None = None) -> ProgrammeSummaryOut:
        return cls(
            id=s.id,
            title=s.title,
            code=s.code,
            award=s.award,
            institution=InstitutionOut.of(s.institution),
            level=LevelRefOut.of(s.level, level_label),
            eqf_level=s.eqf_level,
            credits=CreditsOut.of(s.credits),
            isced_f=s.isced_f,
            module_count=s.module_count,
            created_at=s.created_at,
            score=s.score,
        )


class ProgrammeOut(BaseModel):
    id: str
    title: str
    code: str | None = None
    award: str | None = None
    institution: InstitutionOut
    level: LevelRefOut | None = None
    eqf_level: int | None = None
    credits: CreditsOut | None = None
    isced_f: str | None = None
    isced_f_label: str | None = None
    language: str | None = None
    url: str | None = None
    cost: CostOut | None = None
    notes: str | None = None
    sources: list[ProvenanceOut] = Field(default_factory=list)
    content_hash: str = Field(description="SHA-256 of the programme's canonical JSON form")
    created_at: Timestamp
    warnings: list[WarningOut] = Field(default_factory=list)
    module_count: int
    modules: list[ModuleOut] = Field(default_factory=list)
    data_release: DataReleaseOut

    @classmethod
    def of(
        cls,
        stored: StoredProgramme,
        *,
        data_release: DataReleaseOut,
        label: Callable[[LevelKey | None], str | None],
    ) -> ProgrammeOut:
        """``label`` maps a LevelKey (or None) to its label in the running release."""
        p = stored.programme
        return cls(
            id=stored.id,
            title=p.title,
            code=p.code,
            award=p.award,
            institution=InstitutionOut.of(p.institution),
            level=LevelRefOut.of(p.level, label(p.level)),
            eqf_level=p.eqf_level,
            credits=CreditsOut.of(p.credits),
            isced_f=p.isced_f,
            isced_f_label=isced_f_label(p.isced_f) if p.isced_f else None,
            language=p.language,
            url=p.url,
            cost=CostOut.of(p.cost),
            notes=p.notes,
            sources=[
                ProvenanceOut(
                    url=s.url, title=s.title, retrieved=s.retrieved, licence=s.licence, note=s.note
                )
                for s in p.sources
            ],
            content_hash=stored.content_hash,
            created_at=stored.created_at,
            warnings=[
                WarningOut(where=w["where"], code=w["code"], detail=w["message"])
                for w in stored.warnings
            ],
            module_count=len(p.modules),
            modules=[ModuleOut.of(m, label(m.level)) for m in p.modules],
            data_release=data_release,
        )


class ModuleList(BaseModel):
    programme_id: str
    items: list[ModuleOut]
    total: int
    data_release: DataReleaseOut


class ProgrammePage(BaseModel):
    items: list[ProgrammeSummaryOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None
    data_release: DataReleaseOut


class ImportItem(BaseModel):
    id: str
    created: bool = Field(description="False when the same content was stored already")
    content_hash: str
    title: str
    where: str = Field(description="Where the programme was in the body: /, /2, rows 2-7")
    warnings: list[WarningOut] = Field(default_factory=list)


class ImportResult(BaseModel):
    items: list[ImportItem]
    created: int
    already_stored: int
    data_release: DataReleaseOut
