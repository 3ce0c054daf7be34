"""``POST /v1/outcomes/skills``, ``/level`` and ``/align``: thin, ``async def``.

Inference runs on the engine's single inference thread (awaited), never in FastAPI's ``def``
thread pool, where the tokenizer breaks under concurrency (PERFORMANCE.md §6). The engine is
built once at start-up by this router's lifespan (merged into the app's by FastAPI, after the
app's own start-up has loaded the data release) and kept on ``app.state.outcomes``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from fastapi import APIRouter, FastAPI, Request

from app.api.problems import SERVICE_UNAVAILABLE, ApiProblem, problem_responses
from app.api.schemas.frameworks import DataReleaseOut
from app.api.schemas.outcomes import (
    AlignRequest,
    AlignResponse,
    LevelEvidenceOut,
    LevelRequest,
    LevelResponse,
    ModelOut,
    OutcomeSkillsOut,
    PairEvidenceOut,
    PairOut,
    PolicyOut,
    SegmentOut,
    SkillEvidenceOut,
    SkillOut,
    SkillsRequest,
    SkillsResponse,
)
from app.core.outcome_policy import LEVELS
from app.services.outcomes import ModelInfo, OutcomeEngine, store_esco
from app.services.startup import release_freed_memory

log = logging.getLogger(__name__)


def start_engine(app: FastAPI) -> OutcomeEngine | None:
    """Build the engine from the app's settings and release; keep it on ``app.state``.

    A preset ``app.state.outcome_embedder`` (tests, demos) replaces the configured backend.
    Failure to build leaves the endpoints answering 503 rather than the app not starting, so
    the framework endpoints stay available.
    """
    if getattr(app.state, "outcomes", None) is not None:
        return None  # already built (e.g. by a caller that shares one engine)
    try:
        engine = OutcomeEngine.from_settings(
            app.state.settings,
            app.state.registry.release,
            embedder=getattr(app.state, "outcome_embedder", None),
        )
    except Exception:
        log.exception("learning-outcome engine failed to start; /v1/outcomes/* will answer 503")
        app.state.outcomes = None
        return None
    app.state.outcomes = engine
    _store_esco(app, engine)
    return engine


def _store_esco(app: FastAPI, engine: OutcomeEngine) -> None:
    """Load ESCO into the database with the data release (idempotent on the ESCO hash)."""
    if app.state.settings.load_data_on_start:
        store_esco(app.state.sessionmaker, engine.taxonomy)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = start_engine(app)
    # The app's start-up (reference files) and the engine's (ESCO, index) are the big parsers.
    release_freed_memory()
    try:
        yield
    finally:
        if engine is not None:
            engine.close()
            app.state.outcomes = None


router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], lifespan=lifespan)


def _engine(request: Request) -> OutcomeEngine:
    engine: OutcomeEngine | None = getattr(request.app.state, "outcomes", None)
    if engine is None:
        raise ApiProblem(
            SERVICE_UNAVAILABLE,
            "The learning-outcome engine is not available; see the server log.",
        )
    return engine


class _VersionFields(TypedDict):
    esco_version: str
    esco_content_hash: str
    model: ModelOut
    policy: PolicyOut
    data_release: DataReleaseOut
    lexical_only: bool


def _versions(request: Request, engine: OutcomeEngine, model: ModelInfo) -> _VersionFields:
    return {
        "esco_version": engine.taxonomy.version,
        "esco_content_hash": engine.taxonomy.content_hash,
        "model": ModelOut(id=model.id, version=model.version),
        "policy": PolicyOut(version=engine.policy.version, sha256=engine.policy_sha256),
        "data_release": DataReleaseOut.of(request.app.state.registry.release),
        "lexical_only": model.id == "lexical-only",
    }


@router.post(
    "/skills",
    response_model=SkillsResponse,
    summary="Tag learning outcomes with ESCO skills",
    responses=problem_responses(413, 422, 503),
)
async def skills(body: SkillsRequest, request: Request) -> SkillsResponse:
    """One result per input outcome, in input order, with the evidence of every skill."""
    engine = _engine(request)
    res = await engine.run(lambda: engine.skills(body.outcomes, body.top_k, body.language))
    results = []
    for n, item in enumerate(res.results):
        out = item.outcome
        results.append(
            OutcomeSkillsOut(
                outcome=out.original,
                stem=out.stem,
                segments=[
                    SegmentOut(text=s.text, original=s.original, start=s.start, end=s.end)
                    for s in out.segments
                ]
                if out.is_split
                else None,
                skills=[
                    SkillOut(
                        uri=m.uri,
                        label=m.label,
                        skill_type=m.skill_type,
                        score=m.score,
                        evidence=SkillEvidenceOut(
                            segment=m.evidence.segment,
                            statement=m.evidence.statement,
                            matched=m.evidence.matched_field.value,
                            matched_text=m.evidence.matched_text,
                            semantic=m.evidence.semantic,
                            semantic_field=(
                                m.evidence.semantic_field.value
                                if m.evidence.semantic_field
                                else None
                            ),
                            lexical=m.evidence.lexical,
                            lexical_label=m.evidence.lexical_label,
                        ),
                    )
                    for m in item.skills
                ],
                languages=res.languages[n] if res.languages else [],
            )
        )
    ml = res.multilingual_model
    return SkillsResponse(
        results=results,
        warnings=res.warnings,
        multilingual_model=ModelOut(id=ml.id, version=ml.version) if ml else None,
        **_versions(request, engine, res.model),
    )


@router.post(
    "/level",
    response_model=LevelResponse,
    summary="Estimate the EQF level of learning outcomes (and a title)",
    responses=problem_responses(413, 422, 503),
)
async def level(body: LevelRequest, request: Request) -> LevelResponse:
    """A distribution over EQF levels 1–8 with the evidence of each signal."""
    engine = _engine(request)
    res = await engine.run(lambda: engine.level(body.outcomes, body.title))
    est = res.estimate
    return LevelResponse(
        eqf_level=est.eqf_level,
        abstain_reason=est.abstain_reason,
        confidence=est.confidence,
        distribution={str(lv): p for lv, p in zip(LEVELS, est.distribution, strict=True)},
        evidence=[
            LevelEvidenceOut(
                signal=e.signal,
                level=e.level,
                weight=e.weight,
                detail=e.detail,
                outcome_index=e.outcome_index,
                segment=e.segment,
                score=e.score,
            )
            for e in est.evidence
        ],
        signals={
            name: {str(lv): p for lv, p in zip(LEVELS, dist, strict=True)}
            for name, dist in est.signals.items()
        },
        warnings=res.warnings,
        **_versions(request, engine, res.model),
    )


@router.post(
    "/align",
    response_model=AlignResponse,
    summary="Align two lists of learning outcomes",
    responses=problem_responses(413, 422, 503),
)
async def align(body: AlignRequest, request: Request) -> AlignResponse:
    """Best pairs with scores, the coverage of the target outcomes, and the uncovered ones."""
    engine = _engine(request)
    res = await engine.run(lambda: engine.align(body.source, body.target))
    a = res.alignment
    return AlignResponse(
        pairs=[
            PairOut(
                source_index=p.source_index,
                target_index=p.target_index,
                score=p.score,
                evidence=PairEvidenceOut(
                    source_segment=p.source_segment,
                    target_segment=p.target_segment,
                    source_statement=a.source[p.source_index].segments[p.source_segment].text,
                    target_statement=a.target[p.target_index].segments[p.target_segment].text,
                    semantic=p.semantic,
                    lexical=p.lexical,
                ),
            )
            for p in a.pairs
        ],
        coverage=a.coverage,
        uncovered_target=list(a.uncovered_target),
        best_for_target=list(a.best_for_target),
        warnings=res.warnings,
        **_versions(request, engine, res.model),
    )
