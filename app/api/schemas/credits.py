"""Request and response schemas of ``POST /v1/credits/convert``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.frameworks import SourceOut
from app.core.credits import Conversion, CreditSystem


class ConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    value: float = Field(ge=0, le=1_000_000, description="Amount in the source system")
    from_: str = Field(
        alias="from", min_length=1, max_length=80, description="Source system, e.g. uk-cats"
    )
    to: str | list[str] = Field(
        description="Target system, or a list of them (at most 10)",
    )


class RangeOut(BaseModel):
    min: float
    max: float
    central: float = Field(description="Midpoint of the range")
    exact: bool


class StepOut(BaseModel):
    source: str
    target: str
    factor: RangeOut
    kind: str = Field(description="rule | derived | practice")
    note: str | None
    sources: list[SourceOut]
    value: RangeOut = Field(description="The amount after this step")


class ConversionOut(BaseModel):
    value: float
    source: str
    target: str
    result: RangeOut
    kind: str = Field(description="The weakest kind of step used: rule, derived or practice")
    steps: list[StepOut]
    warnings: list[str]


class SystemOut(BaseModel):
    id: str
    title: str
    unit: str
    jurisdiction: str
    status: str
    confidence: str
    hours_per_credit: RangeOut | None
    credits_per_year: float | None
    notes: str | None
    sources: list[SourceOut]

    @classmethod
    def of(cls, s: CreditSystem) -> SystemOut:
        h = s.hours_per_credit
        return cls(
            id=s.id,
            title=s.title,
            unit=s.unit,
            jurisdiction=s.jurisdiction,
            status=s.status,
            confidence=s.confidence,
            hours_per_credit=RangeOut(
                min=h.minimum, max=h.maximum, central=h.central, exact=h.exact
            )
            if h
            else None,
            credits_per_year=s.credits_per_year,
            notes=s.notes,
            sources=[SourceOut.of(x) for x in s.sources],
        )


class ConvertResponse(BaseModel):
    conversions: list[ConversionOut]
    credit_systems_version: str


class SystemsResponse(BaseModel):
    items: list[SystemOut]
    credit_systems_version: str


def _range(minimum: float, maximum: float) -> RangeOut:
    lo, hi = round(minimum, 4), round(maximum, 4)
    return RangeOut(min=lo, max=hi, central=round((lo + hi) / 2, 4), exact=lo == hi)


def conversion_out(c: Conversion) -> ConversionOut:
    return ConversionOut(
        value=c.value,
        source=c.source,
        target=c.target,
        result=_range(c.result.minimum, c.result.maximum),
        kind=c.kind.value if c.steps else "identity",
        steps=[
            StepOut(
                source=s.rule.source,
                target=s.rule.target,
                factor=_range(s.rule.factor.minimum, s.rule.factor.maximum),
                kind=s.rule.kind.value,
                note=s.rule.note,
                sources=[SourceOut.of(x) for x in s.rule.sources],
                value=_range(s.value.minimum, s.value.maximum),
            )
            for s in c.steps
        ],
        warnings=list(c.warnings),
    )
