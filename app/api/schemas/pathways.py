"""Schemas of the stackability endpoints (``/v1/pathways``, ``/v1/pathways/stack-into``);
``docs/credit-transfer.md`` has examples."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.schemas.articulation import RangeOut
from app.services.pathways import MAX_HELD, HeldRef


class HeldIn(BaseModel):
    """A held micro-credential: a stored one by id, or an inline plain-JSON credential."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str | None = Field(None, max_length=64)
    credential: dict[str, Any] | None = Field(
        None, description="Plain JSON form (docs/credentials.md); read, not stored"
    )

    @model_validator(mode="after")
    def _one(self) -> HeldIn:
        if (self.credential_id is None) == (self.credential is None):
            raise ValueError("give exactly one of credential_id and credential")
        return self


def held_refs(items: list[str | HeldIn]) -> list[HeldRef]:
    out = []
    for n, item in enumerate(items):
        where = f"/held/{n}"
        if isinstance(item, str):
            out.append(HeldRef(where, credential_id=item, id_where=where))
        else:
            out.append(HeldRef(where, item.credential_id, item.credential))
    return out


class PathwayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qualification_id: str = Field(min_length=1, max_length=64)
    held: list[str | HeldIn] = Field(
        default_factory=list,
        max_length=MAX_HELD,
        description="Credential ids (strings) or {credential_id} / {credential} objects",
    )
    objective: Literal["credits", "cost"] = Field(
        "credits", description="Rank paths by fewest ECTS credits or by lowest published cost"
    )
    limit: int = Field(3, ge=1, le=10, description="How many ranked paths")
    use_catalogue: bool = Field(
        True, description="Offer modules of other catalogue programmes, not only the target's"
    )
    electives: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Codes of the elective modules the learner has chosen: planned for like "
        "compulsory ones (electives are chosen freely, so otherwise never required)",
    )


class StackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held: list[str | HeldIn] = Field(min_length=1, max_length=MAX_HELD)
    limit: int = Field(10, ge=1, le=50)


class HeldOut(BaseModel):
    id: str
    title: str
    credits_ects: RangeOut | None
    eqf_level: int | None
    outcomes: int


class OutcomeRef(BaseModel):
    index: int
    text: str | None


class ModuleStatusOut(BaseModel):
    code: str
    title: str
    credits_ects: RangeOut | None
    eqf_level: int | None
    status: Literal["covered", "partly_covered", "remaining", "elective"]
    required: bool = True
    covered_outcomes: list[OutcomeRef]
    outcomes: int
    by: list[str] = Field(description="Held credentials whose outcomes count here")
    reason: str


class CoveredOut(BaseModel):
    modules: list[str]
    credits_ects: RangeOut | None
    outcomes: int


class CostOut(BaseModel):
    amount: float | None
    currency: str | None


class OfferingOut(BaseModel):
    id: str
    title: str
    kind: Literal["target_module", "module", "micro_credential"]
    provider: str | None
    credits_ects: RangeOut | None
    eqf_level: int | None
    cost: CostOut | None


class StepPairOut(BaseModel):
    offering_outcome: int
    module_outcome: int
    score: float
    offering_text: str | None
    module_text: str | None


class StepLevelOut(BaseModel):
    course_eqf: int | None
    module_eqf: int | None
    compatible: bool | None
    reason: str


class ContributionOut(BaseModel):
    module: str
    takes_module: bool = Field(description="The step is the module itself")
    outcomes: list[int]
    completes: bool = Field(description="The module is done once this step is taken")
    together_with: list[str]
    level: StepLevelOut | None
    pairs: list[StepPairOut]


class StepOut(BaseModel):
    order: int
    offering: OfferingOut
    requires: list[str]
    prerequisite_only: bool
    contributions: list[ContributionOut]


class PathCostOut(BaseModel):
    amount: float | None
    currency: str | None
    steps_without_cost: int


class PathOut(BaseModel):
    rank: int
    credits_ects: RangeOut | None
    cost: PathCostOut
    steps: list[StepOut]


class QualificationOut(BaseModel):
    id: str | None
    title: str
    institution: str
    modules: int


class PathwayResponse(BaseModel):
    qualification: QualificationOut
    objective: Literal["credits", "cost"]
    held: list[HeldOut]
    covered: CoveredOut
    remaining: CoveredOut
    outcomes_total: int
    modules: list[ModuleStatusOut]
    paths: list[PathOut]
    algorithm: Literal["exact", "greedy", "none"]
    notes: list[str]
    offerings_considered: int
    programmes_considered: int
    warnings: list[str]
    versions: dict[str, Any]


class StackQualificationOut(BaseModel):
    id: str | None
    title: str
    institution: str
    award: str | None
    eqf_level: int | None


class StackOutcomesOut(BaseModel):
    covered: int
    total: int


class StackItemOut(BaseModel):
    qualification: StackQualificationOut
    share: float = Field(description="Covered share of the required credits (or modules)")
    basis: Literal["credits", "modules"]
    covered_modules: list[str]
    remaining_modules: list[str]
    covered_credits_ects: RangeOut | None
    remaining_credits_ects: RangeOut | None
    outcomes: StackOutcomesOut
    modules: list[ModuleStatusOut]


class StackResponse(BaseModel):
    held: list[HeldOut]
    items: list[StackItemOut]
    programmes_considered: int
    warnings: list[str]
    versions: dict[str, Any]
