"""Request and response bodies of the learning-outcome endpoints (API.md, "Learning outcomes").

The contract fields are ``results[].outcome``, ``results[].skills[].{uri,label,score,evidence}``,
``esco_version`` and ``model`` (skills); ``eqf_level``, ``confidence``, ``distribution``,
``evidence`` (level); ``pairs[].{source_index,target_index,score}``, ``coverage``,
``uncovered_target`` (align). Everything else is an addition: ``segments`` when an input was
split, ``warnings`` (e.g. lexical-only), ``data_release``, ``policy``, ``esco_content_hash``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.schemas.frameworks import DataReleaseOut

MAX_ITEMS = 200
Outcome = Annotated[str, Field(min_length=1, max_length=5000)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkillsRequest(_Request):
    outcomes: list[Outcome] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="Learning outcomes as written; each may hold a stem and an enumeration",
        examples=[["By the end of this course students will be able to write SQL queries."]],
    )
    top_k: int = Field(default=10, ge=1, le=50, description="Skills per outcome")
    language: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="BCP 47 language of every outcome; when omitted, each statement's language "
        "is detected and non-English statements go to the multilingual model",
    )


class LevelRequest(_Request):
    outcomes: list[Outcome] = Field(default_factory=list, max_length=MAX_ITEMS)
    title: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="Title of the qualification or credential, if known"
    )

    @model_validator(mode="after")
    def _something_to_read(self) -> LevelRequest:
        if not self.outcomes and not self.title:
            raise ValueError("give at least one outcome or a title")
        return self


class AlignRequest(_Request):
    source: list[Outcome] = Field(min_length=1, max_length=MAX_ITEMS)
    target: list[Outcome] = Field(min_length=1, max_length=MAX_ITEMS)


class ModelOut(BaseModel):
    id: str = Field(description="Embedding model and runtime, or 'lexical-only'")
    version: str


class PolicyOut(BaseModel):
    version: str = Field(description="Version of mappings/policies/matching.yaml")
    sha256: str


class _Versions(BaseModel):
    esco_version: str = Field(description="ESCO version of the skills taxonomy, e.g. v1.1.1")
    esco_content_hash: str
    model: ModelOut
    policy: PolicyOut
    data_release: DataReleaseOut
    lexical_only: bool = Field(description="True when no embedding model is in use")
    warnings: list[str] = Field(default_factory=list)


class SegmentOut(BaseModel):
    text: str = Field(description="The statement as matched (stem and markers removed)")
    original: str = Field(description="The statement as written")
    start: int = Field(description="Character offset of the statement in the input")
    end: int


class SkillEvidenceOut(BaseModel):
    segment: int = Field(description="Index of the statement (in `segments`) that matched")
    statement: str
    matched: str = Field(description="label | alt_label | description: the concept text closest")
    matched_text: str
    semantic: float | None = Field(description="Cosine similarity; null in lexical-only mode")
    semantic_field: str | None = Field(description="Index row that matched: label | description")
    lexical: float = Field(description="rapidfuzz token_set_ratio / 100 against the best label")
    lexical_label: str | None


class SkillOut(BaseModel):
    uri: str
    label: str
    skill_type: str | None = Field(description="skill | knowledge")
    score: float
    evidence: SkillEvidenceOut


class OutcomeSkillsOut(BaseModel):
    outcome: str = Field(description="The input outcome, unchanged")
    stem: str | None = Field(default=None, description="The lead-in stem that was removed")
    segments: list[SegmentOut] | None = Field(
        default=None, description="The statements, when the outcome was split into several"
    )
    skills: list[SkillOut]
    languages: list[str] = Field(
        default_factory=list,
        description="Language of each statement as routed (ISO 639-1; 'en' → the English model)",
    )


class SkillsResponse(_Versions):
    results: list[OutcomeSkillsOut]
    multilingual_model: ModelOut | None = Field(
        default=None, description="The multilingual model, when it matched some statements"
    )


class LevelEvidenceOut(BaseModel):
    signal: str = Field(description="descriptors | verbs | cues | title")
    level: int
    weight: float
    detail: str
    outcome_index: int | None = None
    segment: int | None = None
    score: float | None = None


class LevelResponse(_Versions):
    eqf_level: int | None = Field(
        ge=1, le=8, description="null when the evidence is too weak: see abstain_reason"
    )
    abstain_reason: str | None = Field(
        None, description="Why no level is given (no signal, or a flat distribution)"
    )
    confidence: float = Field(
        ge=0,
        le=1,
        description="Calibrated: the share of check-set answers with this agreement that were "
        "right (0 when nothing was read)",
    )
    distribution: dict[str, float] = Field(description="P(level) for '1'..'8'")
    evidence: list[LevelEvidenceOut]
    signals: dict[str, dict[str, float]] = Field(
        description="Each signal's own distribution (only the signals that fired)"
    )


class PairEvidenceOut(BaseModel):
    source_segment: int
    target_segment: int
    source_statement: str
    target_statement: str
    semantic: float | None
    lexical: float


class PairOut(BaseModel):
    source_index: int
    target_index: int
    score: float
    evidence: PairEvidenceOut


class AlignResponse(_Versions):
    pairs: list[PairOut]
    coverage: float = Field(ge=0, le=1)
    uncovered_target: list[int]
    best_for_target: list[float] = Field(description="Best pair score of each target outcome")
