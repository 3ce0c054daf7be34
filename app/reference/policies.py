"""Schema and loader of ``mappings/policies/matching.yaml`` (the learning-outcome policy).

The file is validated strictly (unknown keys are errors naming the field), profiles must have
eight non-negative weights, and fusion weights must add up to 1. The result is the core's frozen
:class:`~app.core.outcome_policy.OutcomePolicy`.

>>> load_policy().version                                      # doctest: +SKIP
'2026.11.29-2'
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.core.outcome_policy import (
    AlignPolicy,
    BloomClass,
    Cue,
    LevelPolicy,
    MatchPolicy,
    ModelOverride,
    OutcomePolicy,
)
from app.reference.loader import YAML_LOADER

POLICY_PATH = Path("policies") / "matching.yaml"
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Profile = Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=8, max_length=8)]


class PolicyError(Exception):
    """The policy file is missing or invalid; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fusion(_Strict):
    semantic: Unit
    lexical: Unit

    @model_validator(mode="after")
    def _sums_to_one(self) -> Fusion:
        if abs(self.semantic + self.lexical - 1.0) > 1e-6:
            raise ValueError("semantic + lexical must be 1")
        return self


class LexicalOnly(_Strict):
    candidates: int = Field(ge=1, le=5000)
    min_score: Unit
    full_information: float = Field(gt=0, le=10)


class ModelOverrideModel(_Strict):
    match: str = Field(min_length=1)
    fusion: Fusion | None = None
    min_score: Unit | None = None
    min_semantic: Unit | None = None


class MatchingModel(_Strict):
    retrieval_rows: int = Field(ge=1, le=5000)
    candidates: int = Field(ge=1, le=1000)
    fusion: Fusion
    min_score: Unit
    min_semantic: Unit
    lexical_only: LexicalOnly
    models: list[ModelOverrideModel] = []


class LexicalOnlyAlignmentModel(_Strict):
    min_pair_score: Unit
    cover_threshold: Unit


class AlignmentModel(_Strict):
    min_pair_score: Unit
    cover_threshold: Unit
    lexical_weight: Unit
    lexical_only: LexicalOnlyAlignmentModel | None = None


class BloomModel(_Strict):
    profile: Profile
    verbs: list[str] = Field(min_length=1)

    @field_validator("verbs")
    @classmethod
    def _unique_lowercase(cls, verbs: list[str]) -> list[str]:
        seen: set[str] = set()
        for v in verbs:
            if v != v.lower().strip() or " " in v:
                raise ValueError(f"verb {v!r} must be one lower-case word")
            if v in seen:
                raise ValueError(f"verb {v!r} is listed twice")
            seen.add(v)
        return verbs


class CueModel(_Strict):
    phrases: list[str] = Field(min_length=1)
    profile: Profile


class LevelWeights(_Strict):
    descriptors: float = Field(ge=0)
    verbs: float = Field(ge=0)
    cues: float = Field(ge=0)
    title: float = Field(ge=0)


class TitleModel(_Strict):
    min_score: Unit
    top: int = Field(ge=1, le=100)


class LevelModel(_Strict):
    temperature: float = Field(gt=0, le=10)
    weights: LevelWeights
    smoothing: float = Field(ge=0, le=1)
    title: TitleModel
    bloom: dict[str, BloomModel]
    cues: list[CueModel]


class PolicyFile(_Strict):
    schema_version: int = Field(ge=1, le=1)
    version: str = Field(min_length=1)
    matching: MatchingModel
    alignment: AlignmentModel
    level: LevelModel


def _norm(profile: list[float]) -> tuple[float, ...]:
    total = sum(profile)
    if total <= 0:
        raise PolicyError("a level profile must have a positive sum")
    return tuple(p / total for p in profile)


def to_policy(model: PolicyFile) -> OutcomePolicy:
    m, a, lv = model.matching, model.alignment, model.level
    return OutcomePolicy(
        version=model.version,
        matching=MatchPolicy(
            retrieval_rows=m.retrieval_rows,
            candidates=m.candidates,
            semantic_weight=m.fusion.semantic,
            lexical_weight=m.fusion.lexical,
            min_score=m.min_score,
            min_semantic=m.min_semantic,
            lexical_only_candidates=m.lexical_only.candidates,
            lexical_only_min_score=m.lexical_only.min_score,
            lexical_only_full_information=m.lexical_only.full_information,
            overrides=tuple(
                ModelOverride(
                    match=o.match,
                    semantic_weight=o.fusion.semantic if o.fusion else None,
                    lexical_weight=o.fusion.lexical if o.fusion else None,
                    min_score=o.min_score,
                    min_semantic=o.min_semantic,
                )
                for o in m.models
            ),
        ),
        alignment=AlignPolicy(
            min_pair_score=a.min_pair_score,
            cover_threshold=a.cover_threshold,
            lexical_weight=a.lexical_weight,
            lexical_only_min_pair_score=a.lexical_only.min_pair_score if a.lexical_only else None,
            lexical_only_cover_threshold=(
                a.lexical_only.cover_threshold if a.lexical_only else None
            ),
        ),
        level=LevelPolicy(
            temperature=lv.temperature,
            weight_descriptors=lv.weights.descriptors,
            weight_verbs=lv.weights.verbs,
            weight_cues=lv.weights.cues,
            weight_title=lv.weights.title,
            smoothing=lv.smoothing,
            title_min_score=lv.title.min_score,
            title_top=lv.title.top,
            bloom=tuple(
                BloomClass(name, tuple(b.verbs), _norm(b.profile)) for name, b in lv.bloom.items()
            ),
            cues=tuple(Cue(tuple(p.lower() for p in c.phrases), _norm(c.profile)) for c in lv.cues),
        ),
    )


def load_policy(mappings_dir: Path | None = None) -> OutcomePolicy:
    """Validate ``<mappings_dir>/policies/matching.yaml`` and return the core policy.

    Raises:
        PolicyError: the file is missing, not YAML, or breaks the schema (field named).
    """
    if mappings_dir is None:
        from app.settings import get_settings

        mappings_dir = get_settings().mappings_dir
    path = mappings_dir / POLICY_PATH
    if not path.is_file():
        raise PolicyError(f"{path}: missing")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        model = PolicyFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise PolicyError(f"{path}: {where}: {err['msg']}") from exc
    return to_policy(model)


def policy_hash(mappings_dir: Path) -> str:
    """SHA-256 of the policy file's bytes (cited next to its version)."""
    return hashlib.sha256((mappings_dir / POLICY_PATH).read_bytes()).hexdigest()
