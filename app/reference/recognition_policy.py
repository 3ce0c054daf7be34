"""Schema and loader of ``mappings/policies/recognition.yaml`` (substantial-difference rules)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field

from app.core.recognition import Purpose, RecognitionPolicy
from app.core.transfer.types import PurposePolicy
from app.reference.loader import _validate
from app.reference.schema import _Strict


class _Level(_Strict):
    substantial_if_below_by: int = Field(ge=0, le=7)
    # Below in one framework's own order or through a published crosswalk (NFQ 7 vs NFQ 8).
    national_below_substantial: bool


class _Workload(_Strict):
    min_ratio: float = Field(ge=0, le=2)
    bridgeable_ratio: float = Field(ge=0, le=2)


class _Outcomes(_Strict):
    replace_coverage: float = Field(gt=0, le=1)
    conditional_coverage: float = Field(ge=0, le=1)


class _Quality(_Strict):
    required: bool


class PurposeModel(_Strict):
    description: str
    level: _Level
    workload: _Workload
    outcomes: _Outcomes
    quality: _Quality


class ConfidenceModel(_Strict):
    credit_conversion: dict[Literal["rule", "derived", "practice", "identity"], float]
    missing_level: float = Field(gt=0, le=1)
    missing_credits: float = Field(gt=0, le=1)
    lexical_only: float = Field(gt=0, le=1)
    weak_outcomes: float = Field(gt=0, le=1)
    unknown_country: float = Field(gt=0, le=1)
    unverified_signature: float = Field(gt=0, le=1)


class RecognitionPolicyFile(_Strict):
    schema_version: Literal[1]
    version: str
    purposes: dict[
        Literal["credit_transfer", "admission", "employment", "further_study"], PurposeModel
    ]
    confidence: ConfidenceModel


def load_recognition_policy(path: Path) -> tuple[RecognitionPolicy, str]:
    """The policy and the SHA-256 of its file (recorded with every decision)."""
    model = _validate(RecognitionPolicyFile, path, f"mappings/policies/{path.name}")
    purposes = {
        Purpose(name): PurposePolicy(
            level_substantial_if_below_by=p.level.substantial_if_below_by,
            workload_min_ratio=p.workload.min_ratio,
            workload_bridgeable_ratio=p.workload.bridgeable_ratio,
            replace_coverage=p.outcomes.replace_coverage,
            conditional_coverage=p.outcomes.conditional_coverage,
            quality_required=p.quality.required,
            national_below_substantial=p.level.national_below_substantial,
        )
        for name, p in model.purposes.items()
    }
    missing = set(Purpose) - set(purposes)
    if missing:
        from app.reference.loader import Problem, ReferenceDataError

        raise ReferenceDataError(
            [
                Problem(
                    f"mappings/policies/{path.name}",
                    None,
                    "purposes",
                    f"missing purposes: {', '.join(sorted(m.value for m in missing))}",
                )
            ]
        )
    policy = RecognitionPolicy(
        version=model.version,
        purposes=purposes,
        conversion_confidence={str(k): v for k, v in model.confidence.credit_conversion.items()},
        missing_level_confidence=model.confidence.missing_level,
        missing_credits_confidence=model.confidence.missing_credits,
        lexical_only_confidence=model.confidence.lexical_only,
        weak_outcomes_confidence=model.confidence.weak_outcomes,
        unknown_country_confidence=model.confidence.unknown_country,
        unverified_signature_confidence=model.confidence.unverified_signature,
    )
    return policy, hashlib.sha256(path.read_bytes()).hexdigest()
