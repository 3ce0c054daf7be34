"""Schemas of articulation and batch jobs (``/v1/articulations``, ``/v1/batch/articulations``,
``/v1/jobs``); ``docs/credit-transfer.md`` has examples."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.schemas.timestamps import TimestampText
from app.services.articulation import MAX_COURSES, MAX_OUTCOMES, MAX_SYNC_COURSES, IncomingCourse

Text = Annotated[str, StringConstraints(max_length=5000)]
#: Credits are finite: JSON parsers read ``NaN``, ``Infinity`` and ``1e999`` (infinity) as floats.
Credits = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]


class CreditsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Credits
    system: str = Field(min_length=1, max_length=100)


class IncomingCourseIn(BaseModel):
    """An incoming course or micro-credential."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None, max_length=200, description="Your id for it (default: its position, #1, #2…)"
    )
    title: str | None = Field(None, max_length=5000)
    credits: Credits | CreditsIn | None = Field(
        None, description="A number (in credit_system, default ECTS) or {value, system}"
    )
    credit_system: str | None = Field(
        None, max_length=100, description="ects, uk-cats, scqf, us-semester, hours, …"
    )
    eqf_level: int | None = Field(None, ge=1, le=8)
    level: str | None = Field(
        None, max_length=300, description="A framework level in any identifier form (IE:8, …)"
    )
    learning_outcomes: list[Text] = Field(min_length=1, max_length=MAX_OUTCOMES)
    description: str | None = Field(
        None,
        max_length=5000,
        description="Aims / description as published; read with the title and outcomes by the "
        "course-level ranking (candidates, proposal)",
    )
    aims: str | None = Field(
        None, max_length=5000, description="Aims, if published apart from the description"
    )

    def incoming(self, where: str) -> IncomingCourse:
        value, system = (
            (self.credits.value, self.credits.system)
            if isinstance(self.credits, CreditsIn)
            else (self.credits, self.credit_system)
        )
        return IncomingCourse(
            where=where,
            id=self.id,
            title=self.title,
            outcomes=tuple(self.learning_outcomes),
            credits=value,
            credit_system=system,
            eqf_level=self.eqf_level,
            level=self.level,
            description=" ".join(t for t in (self.aims, self.description) if t) or None,
        )


class ArticulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qualification_id: str = Field(min_length=1, max_length=64)
    courses: list[IncomingCourseIn] = Field(min_length=1, max_length=MAX_SYNC_COURSES)


class BatchArticulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qualification_id: str | None = Field(
        None, max_length=64, description="Or give it as the query parameter qualification_id"
    )
    courses: list[IncomingCourseIn] = Field(min_length=1, max_length=MAX_COURSES)


# --- jobs -------------------------------------------------------------------------------------


class ProgressOut(BaseModel):
    done: int
    failed: int
    total: int
    percent: float


class JobLinks(BaseModel):
    self: str
    results: str
    results_csv: str


class JobOut(BaseModel):
    id: str
    kind: str
    target: str = Field(description="What the job works on (articulation: the qualification id)")
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: ProgressOut
    attempts: int
    error: str | None
    created_at: TimestampText | None
    updated_at: TimestampText | None
    started_at: TimestampText | None
    finished_at: TimestampText | None
    content_hash: str
    params: dict[str, Any]
    created: bool = Field(True, description="False: the same batch was submitted before")
    links: JobLinks


class JobList(BaseModel):
    """A page of the organisation's jobs, newest first."""

    items: list[JobOut]
    total: int = Field(description="Jobs matching the filters, all pages")
    limit: int
    offset: int



# --- results ----------------------------------------------------------------------------------


class RangeOut(BaseModel):
    min: float
    max: float


class UncoveredOut(BaseModel):
    index: int
    text: str | None


class PairOut(BaseModel):
    course: str
    course_outcome: int
    module_outcome: int
    score: float
    semantic: float | None
    lexical: float
    course_text: str | None
    module_text: str | None


class LevelOut(BaseModel):
    course: str
    course_eqf: int | None
    module_eqf: int | None
    compatible: bool | None = Field(description="None: a level is not known, not checked")
    reason: str


class CreditsOut(BaseModel):
    courses_ects: RangeOut | None
    module_ects: RangeOut | None
    ratio: float | None
    sufficient: bool | None
    bridgeable: bool
    reason: str


class ProposalOut(BaseModel):
    module: str
    module_title: str
    kind: Literal["one_to_one", "one_to_many", "many_to_one"]
    decision: Literal["replace", "conditional"]
    courses: list[str]
    coverage: float
    covered_outcomes: list[int]
    uncovered_outcomes: list[UncoveredOut]
    pairs: list[PairOut]
    level: list[LevelOut]
    credits: CreditsOut
    siblings: list[str]
    reasons: list[str]


class ModuleResultOut(BaseModel):
    code: str
    title: str
    credits_ects: RangeOut | None
    eqf_level: int | None
    outcomes: int
    proposals: list[ProposalOut]
    miss: str | None = Field(None, description="With no proposal: why (level, outcomes, credits)")


class CourseCandidateOut(BaseModel):
    module: str
    score: float = Field(description="Fused: weight × sparse + (1 − weight) × dense")
    sparse: float = Field(description="TF-IDF cosine of the whole texts (catalogue vocabulary)")
    dense: float = Field(description="Statement alignment: mean best outcome score")
    terms: list[str] = Field(description="Shared terms that weigh most (first candidate only)")


class CourseResultOut(BaseModel):
    seq: int
    id: str
    title: str
    credits_ects: RangeOut | None
    eqf_level: int | None
    status: Literal["pending", "done", "failed"]
    modules: list[str]
    reason: str | None = Field(None, description="With no module proposed: why")
    error: str | None
    candidates: list[CourseCandidateOut] = Field(
        default_factory=list,
        description="Course-level ranking: the best modules over the whole text (title, "
        "description, outcomes), best first",
    )
    proposal: CourseCandidateOut | None = Field(
        None, description="The first candidate when its fused score reaches the calibrated bar"
    )


class QualificationRef(BaseModel):
    id: str | None
    title: str
    institution: str
    modules: int


class SummaryOut(BaseModel):
    courses: int
    courses_processed: int
    courses_failed: int
    courses_with_proposals: int
    modules: int
    modules_replaceable: int
    modules_conditional: int
    exempted_credits_ects: RangeOut | None


class ArticulationResults(BaseModel):
    job: JobOut | None = None
    complete: bool = Field(description="False while a job is still running: partial results")
    qualification: QualificationRef
    summary: SummaryOut
    modules: list[ModuleResultOut]
    courses: list[CourseResultOut]
    warnings: list[str]
    versions: dict[str, Any]
