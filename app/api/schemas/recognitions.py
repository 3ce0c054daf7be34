"""Request and response schemas of the recognition endpoints (see docs/API.md, "Recognition")."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.timestamps import TimestampText

PurposeName = Literal["admission", "credit_transfer", "employment", "further_study"]
OutcomeName = Literal[
    "full", "partial", "conditional", "alternative", "refusal", "insufficient_information"
]


class RecognitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] | None = Field(
        None, description="An ELM v3 / EDC, Open Badges 3.0 or plain-JSON credential, inline"
    )
    credential_id: str | None = Field(
        None, max_length=64, description="Or the id of a stored credential (POST /v1/credentials)"
    )
    credential_format: Literal["elm", "ob3", "plain"] | None = None
    target: str = Field(min_length=1, max_length=300, description="Target framework identifier")
    qualification_id: str | None = Field(
        None, max_length=64, description="A catalogue qualification/programme (its modules)"
    )
    purpose: PurposeName = "credit_transfer"
    as_of: dt.date | None = Field(
        None, description="Date whose framework versions apply; default: the award date"
    )
    language: str | None = Field(None, max_length=12)


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["confirm", "amend"]
    reviewer: str | None = Field(
        None,
        max_length=200,
        deprecated=True,
        description="Ignored, accepted for compatibility: the reviewer recorded is the "
        "authenticated principal",
    )
    reason: str = Field(min_length=1, max_length=5000)
    outcome: OutcomeName | None = Field(None, description="Required to amend")
    conditions: list[str] = Field(default_factory=list, max_length=50)
    note: str | None = Field(None, max_length=5000)
    based_on: str | None = Field(
        None,
        min_length=64,
        max_length=64,
        pattern="^[0-9a-f]{64}$",
        description="The version reviewed (the record's ETag without quotes); or send If-Match",
    )


class EvidenceOut(BaseModel):
    kind: str
    reference: str
    detail: str


class ElementOut(BaseModel):
    finding: str
    substantial: bool | None = Field(description="None: cannot be assessed from the input")
    reason: str
    confidence: float
    evidence: list[EvidenceOut]
    request: list[str] = Field(
        default_factory=list, description="Documents that would let this element be assessed"
    )


class ModuleOut(BaseModel):
    code: str
    title: str
    decision: Literal["replace", "conditional", "not_replaced"]
    coverage: float
    credits_ects: dict[str, float] | None
    reasons: list[str]
    uncovered_outcomes: list[str]
    compulsory: bool = Field(True, description="False: an elective module")


class PrecedentOut(BaseModel):
    id: str
    created_at: TimestampText
    credential_title: str | None
    purpose: str
    outcome: str
    reviewed: bool
    similarity: float
    disagrees: bool


class ReviewOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    seq: int
    created_at: TimestampText
    action: str
    outcome: str
    reviewer: str
    reason: str
    review_hash: str
    prev_hash: str


class RecordLinkOut(BaseModel):
    input_hash: str
    record_hash: str
    prev_hash: str
    policy_version: str
    data_release: str
    model_id: str | None


class RecognitionRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    seq: int
    created_at: TimestampText
    purpose: PurposeName
    as_of: str | None
    credential: dict[str, Any]
    target: dict[str, Any]
    outcome: OutcomeName
    current_outcome: OutcomeName
    status: Literal["pending_review", "reviewed"]
    confidence: float
    elements: dict[str, ElementOut]
    modules: list[ModuleOut]
    recognised_credits_ects: dict[str, float] | None
    conditions: list[str]
    alternative: str | None
    missing: list[str] = Field(
        default_factory=list,
        description="With insufficient_information: the elements that could not be assessed",
    )
    documents_to_request: list[str] = Field(
        default_factory=list, description="From the applicant or the awarding body"
    )
    confidence_notes: list[str] = Field(
        default_factory=list, description="Why the confidence is below 1, element by element"
    )
    justification: str
    precedents: list[PrecedentOut]
    warnings: list[str]
    versions: dict[str, Any]
    reviews: list[ReviewOut]
    record: RecordLinkOut


class RecognitionSummary(BaseModel):
    id: str
    seq: int
    created_at: TimestampText
    purpose: str
    outcome: str
    current_outcome: str
    status: str
    confidence: float
    target_framework: str
    qualification_id: str | None
    credential_id: str | None
    credential_title: str | None
    record_hash: str


class RecognitionList(BaseModel):
    items: list[RecognitionSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class VerifyCheckpointOut(BaseModel):
    line: int = Field(description="line of the checkpoints file")
    created_at: TimestampText
    key_id: str
    head_seq: int


class VerifyOut(BaseModel):
    id: str
    valid: bool
    checked_links: int
    problems: list[str]
    record_hash: str
    prev_hash: str
    algorithm: str
    checkpoint: VerifyCheckpointOut | None = Field(
        None, description="the first signed checkpoint that covers this record, if any"
    )
    proves: list[str] = Field(
        default_factory=list, description="what the signed checkpoints prove about the record"
    )
    cannot_prove: list[str] = Field(
        default_factory=list, description="what no check here can prove (the threat model)"
    )
    personal_data: dict[str, Any] | None = Field(
        None, description="whether the learner behind the record is held apart, or erased"
    )
