"""Schema and loader of ``mappings/credit_systems.yaml`` (credit systems and conversion rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from app.core.credits import ConversionRule, CreditSystem, CreditSystems, Range, RuleKind
from app.core.types import Source
from app.reference.loader import _validate
from app.reference.schema import SourceId, SourceModel, _Strict


class RangeModel(_Strict):
    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> RangeModel:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class CreditSystemModel(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    unit: str
    jurisdiction: str
    hours_per_credit: RangeModel | None = None
    credits_per_year: float | None = Field(None, gt=0)
    status: str
    confidence: Literal["high", "medium", "low"]
    sources: list[SourceId] = Field(min_length=1)
    notes: str | None = None


class RuleModel(_Strict):
    from_: str = Field(alias="from")
    to: str
    factor: RangeModel
    kind: Literal["rule", "derived", "practice"]
    sources: list[SourceId] = Field(min_length=1)
    note: str | None = None


class CreditSystemsFile(_Strict):
    schema_version: Literal[1]
    version: str
    sources: list[SourceModel] = Field(min_length=1)
    systems: list[CreditSystemModel] = Field(min_length=2)
    rules: list[RuleModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _integrity(self) -> CreditSystemsFile:
        declared = {s.id for s in self.sources}
        ids = {s.id for s in self.systems}
        if len(ids) != len(self.systems):
            raise ValueError("system ids must be unique")
        for system in self.systems:
            if missing := set(system.sources) - declared:
                raise ValueError(f"system {system.id} cites undeclared {sorted(missing)}")
        for rule in self.rules:
            for end in (rule.from_, rule.to):
                if end not in ids:
                    raise ValueError(f"rule {rule.from_}→{rule.to}: no system {end!r}")
            if missing := set(rule.sources) - declared:
                raise ValueError(f"rule {rule.from_}→{rule.to} cites undeclared {sorted(missing)}")
        return self


def _source(m: SourceModel) -> Source:
    return Source(m.id, m.title, m.url, m.retrieved, m.licence, m.note)


def load_credit_systems(path: Path) -> CreditSystems:
    """Validate the file (file:line:field errors) and build the core value."""
    model = _validate(CreditSystemsFile, path, f"mappings/{path.name}")
    sources = {s.id: _source(s) for s in model.sources}
    systems = {
        s.id: CreditSystem(
            id=s.id,
            title=s.title,
            unit=s.unit,
            jurisdiction=s.jurisdiction,
            status=s.status,
            confidence=s.confidence,
            sources=tuple(sources[x] for x in s.sources),
            hours_per_credit=Range(s.hours_per_credit.min, s.hours_per_credit.max)
            if s.hours_per_credit
            else None,
            credits_per_year=s.credits_per_year,
            notes=s.notes,
        )
        for s in model.systems
    }
    rules = tuple(
        ConversionRule(
            r.from_,
            r.to,
            Range(r.factor.min, r.factor.max),
            RuleKind(r.kind),
            tuple(sources[x] for x in r.sources),
            r.note,
        )
        for r in model.rules
    )
    return CreditSystems(version=model.version, systems=systems, rules=rules)
