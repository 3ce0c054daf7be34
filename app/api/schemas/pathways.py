"""Schemas of the stackability endpoints (``/v1/pathways``, ``/v1/pathways/stack-into``) and
the mappers of the service's typed answers to them; ``docs/credit-transfer.md`` has examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.adapters.db.transfer_codec import range_to_json
from app.api.schemas.articulation import RangeOut
from app.core.credits import Range
from app.core.pathways import ModuleStatus, Path
from app.core.transfer.types import Candidate, TargetModule
from app.services.pathways import MAX_HELD, HeldRef, PathwayAnswer, StackAnswer


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


# --- mappers: the service's typed answers as JSON --------------------------------------------


def _text(items: Sequence[str], i: int) -> str | None:
    return items[i] if 0 <= i < len(items) else None


def plan_json(answer: PathwayAnswer) -> dict[str, Any]:
    plan, programme = answer.plan, answer.programme
    done, total = plan.outcomes()
    covered = [s for s in plan.required if s.covered]
    remaining = [s for s in plan.required if s.required and not s.covered]
    return {
        "qualification": {
            "id": programme.id,
            "title": programme.title,
            "institution": programme.institution.name,
            "modules": len(programme.modules),
        },
        "objective": plan.objective.value,
        "held": [_course_json(c) for c in answer.held],
        "covered": {
            "modules": [s.module.code for s in covered],
            "credits_ects": range_to_json(_sum([s.module for s in covered])),
            "outcomes": done,
        },
        "remaining": {
            "modules": [s.module.code for s in remaining],
            "credits_ects": range_to_json(_sum([s.module for s in remaining])),
            "outcomes": total - done,
        },
        "outcomes_total": total,
        "modules": [_status_json(s) for s in plan.required],
        "paths": [
            _path_json(rank, p, {s.module.code: s.module for s in plan.required})
            for rank, p in enumerate(plan.paths, 1)
        ],
        "algorithm": plan.algorithm,
        "notes": list(plan.notes),
        "offerings_considered": plan.offerings_considered,
        "programmes_considered": answer.programmes,
        "warnings": list(answer.warnings),
        "versions": answer.versions,
    }


def stack_json(answer: StackAnswer) -> dict[str, Any]:
    items = []
    for p, r in answer.ranked:
        covered = [s for s in r.required if s.covered]
        remaining = [s for s in r.required if not s.covered]
        items.append(
            {
                "qualification": {
                    "id": p.id,
                    "title": p.title,
                    "institution": p.institution.name,
                    "award": p.award,
                    "eqf_level": p.eqf_level,
                },
                "share": r.share,
                "basis": r.basis,
                "covered_modules": [s.module.code for s in covered],
                "remaining_modules": [s.module.code for s in remaining],
                "covered_credits_ects": range_to_json(_sum([s.module for s in covered])),
                "remaining_credits_ects": range_to_json(_sum([s.module for s in remaining])),
                "outcomes": {
                    "covered": sum(
                        len(s.module.outcomes) if s.covered else len(s.covered_outcomes)
                        for s in r.required
                    ),
                    "total": sum(len(s.module.outcomes) for s in r.required),
                },
                "modules": [_status_json(s) for s in r.required],
            }
        )
    return {
        "held": [_course_json(c) for c in answer.held],
        "items": items,
        "programmes_considered": answer.programmes,
        "warnings": list(answer.warnings),
        "versions": answer.versions,
    }


def _sum(modules: Sequence[TargetModule]) -> Range | None:
    if any(m.credits_ects is None for m in modules):
        return None
    return Range(
        sum(m.credits_ects.minimum for m in modules if m.credits_ects),
        sum(m.credits_ects.maximum for m in modules if m.credits_ects),
    )


def _course_json(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "credits_ects": range_to_json(c.credits_ects),
        "eqf_level": c.eqf_level,
        "outcomes": len(c.outcomes),
    }


def _status_json(s: ModuleStatus) -> dict[str, Any]:
    status = "covered" if s.covered else ("partly_covered" if s.covered_outcomes else "remaining")
    if not s.required and not s.covered:
        status = "elective"
    return {
        "code": s.module.code,
        "title": s.module.title,
        "credits_ects": range_to_json(s.module.credits_ects),
        "eqf_level": s.module.eqf_level,
        "status": status,
        "covered_outcomes": [
            {"index": j, "text": _text(s.module.outcomes, j)} for j in s.covered_outcomes
        ],
        "outcomes": len(s.module.outcomes),
        "by": list(s.by),
        "reason": s.reason,
        "required": s.required,
    }


def _path_json(rank: int, path: Path, modules: dict[str, TargetModule]) -> dict[str, Any]:
    steps = []
    for order, step in enumerate(path.steps, 1):
        o = step.offering
        steps.append(
            {
                "order": order,
                "offering": {
                    "id": o.id,
                    "title": o.course.title,
                    "kind": o.kind,
                    "provider": o.provider,
                    "credits_ects": range_to_json(o.course.credits_ects),
                    "eqf_level": o.course.eqf_level,
                    "cost": {"amount": o.cost, "currency": o.currency}
                    if o.cost is not None
                    else None,
                },
                "requires": list(step.requires),
                "prerequisite_only": step.prerequisite_only,
                "contributions": [
                    {
                        "module": c.module,
                        "takes_module": o.covers_module == c.module,
                        "outcomes": list(c.outcomes),
                        "completes": c.completes,
                        "together_with": list(c.together_with),
                        "level": {
                            "course_eqf": c.level.course_eqf,
                            "module_eqf": c.level.module_eqf,
                            "compatible": c.level.compatible,
                            "reason": c.level.reason,
                        }
                        if c.level is not None
                        else None,
                        "pairs": [
                            {
                                "offering_outcome": e.course_outcome,
                                "module_outcome": e.module_outcome,
                                "score": e.score,
                                "offering_text": _text(o.course.outcomes, e.course_outcome),
                                "module_text": _text(modules[c.module].outcomes, e.module_outcome)
                                if c.module in modules
                                else None,
                            }
                            for e in c.pairs
                        ],
                    }
                    for c in step.contributions
                ],
            }
        )
    return {
        "rank": rank,
        "credits_ects": range_to_json(path.credits),
        "cost": {
            "amount": path.cost,
            "currency": path.currency,
            "steps_without_cost": path.unknown_cost_steps,
        },
        "steps": steps,
    }
