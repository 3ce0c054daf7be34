"""Schema and loader of ``mappings/policies/articulation.yaml`` (articulation and pathways).

The file holds search sizes; the thresholds come from ``recognition.yaml`` (the purpose the file
names, ``credit_transfer``) and ``matching.yaml`` (outcome alignment), combined here into one
:class:`~app.core.articulation.ArticulationPolicy`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field

from app.core.recognition import Purpose
from app.core.transfer.types import ArticulationOptions, ArticulationPolicy
from app.reference.loader import _validate
from app.reference.policies import load_policy
from app.reference.recognition_policy import load_recognition_policy
from app.reference.schema import _Strict

POLICY_PATH = Path("policies") / "articulation.yaml"


class _ManyToOne(_Strict):
    max_courses: int = Field(ge=2, le=4)
    candidates: int = Field(ge=2, le=16)


class _Articulation(_Strict):
    purpose: Literal["credit_transfer", "admission", "employment", "further_study"]
    candidate_modules: int = Field(ge=1, le=500)
    chunk_courses: int = Field(ge=1, le=4096)
    proposals_per_module: int = Field(ge=1, le=50)
    many_to_one: _ManyToOne


class _Pathways(_Strict):
    candidate_modules: int = Field(ge=1, le=500)
    exact_limit: int = Field(ge=0, le=40)
    node_limit: int = Field(ge=1)
    unknown_credits_ects: float = Field(gt=0)


class ArticulationPolicyFile(_Strict):
    schema_version: Literal[1]
    version: str
    articulation: _Articulation
    pathways: _Pathways


def load_articulation_policy(mappings_dir: Path) -> tuple[ArticulationPolicy, str]:
    """The combined policy and a SHA-256 over the three files it is made of."""
    path = mappings_dir / POLICY_PATH
    model = _validate(ArticulationPolicyFile, path, f"mappings/{POLICY_PATH.as_posix()}")
    recognition_path = mappings_dir / "policies" / "recognition.yaml"
    recognition, _ = load_recognition_policy(recognition_path)
    matching = load_policy(mappings_dir)
    options = ArticulationOptions(
        candidate_modules=model.articulation.candidate_modules,
        chunk_courses=model.articulation.chunk_courses,
        max_group=model.articulation.many_to_one.max_courses,
        group_candidates=model.articulation.many_to_one.candidates,
        proposals_per_module=model.articulation.proposals_per_module,
        exact_limit=model.pathways.exact_limit,
        node_limit=model.pathways.node_limit,
        unknown_credits_ects=model.pathways.unknown_credits_ects,
        pathway_candidates=model.pathways.candidate_modules,
        version=model.version,
    )
    policy = ArticulationPolicy(
        rules=recognition.for_purpose(Purpose(model.articulation.purpose)),
        alignment=matching.alignment,
        options=options,
        recognition_version=recognition.version,
    )
    digest = hashlib.sha256()
    for part in (path, recognition_path, mappings_dir / "policies" / "matching.yaml"):
        digest.update(part.read_bytes())
    return policy, digest.hexdigest()
