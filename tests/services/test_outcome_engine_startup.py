"""What the outcome engine leaves out of start-up (issue 15: cold start < 3 s) it builds on
first use, with the same answers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from app.core.level_estimation import LevelEstimator
from app.core.outcomes import segment
from app.core.release import Release
from app.reference.policies import load_policy
from app.services.outcomes import (
    OutcomeEngine,
    eqf_descriptors,
    lexical_parts,
    title_references,
)
from tests.conftest import MAPPINGS_DIR
from tests.core.outcome_toys import TAXONOMY, WordEmbedder, toy_index

OUTCOMES = ["lead a team of nurses on a hospital ward", "analyse financial statements"]


class Counting(WordEmbedder):
    def __init__(self) -> None:
        super().__init__(model_id="toy-en")
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        return super().encode(texts)


def _engine(release: Release, embedder: Counting, **kwargs: object) -> OutcomeEngine:
    return OutcomeEngine.build(
        taxonomy=TAXONOMY,
        policy=load_policy(MAPPINGS_DIR),
        policy_sha256="0" * 64,
        release=release,
        embedder=embedder,
        index=toy_index(embedder),
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_level_estimator_is_built_by_the_first_estimate_not_at_start(
    release: Release,
) -> None:
    embedder = Counting()
    engine = _engine(release, embedder)
    built = embedder.calls  # the toy index encodes the taxonomy
    assert engine._estimator is None
    assert embedder.calls == built  # no EQF descriptor encoded at start-up
    first = engine.level(OUTCOMES, "Nursing diploma")
    assert engine._estimator is not None and embedder.calls > built
    estimator = engine.estimator
    assert engine.level(OUTCOMES, "Nursing diploma") == first
    assert engine.estimator is estimator  # built once
    # the same estimate as an estimator built eagerly, as start-up used to
    eager = LevelEstimator(
        eqf_descriptors(release),
        title_references(release),
        load_policy(MAPPINGS_DIR).level,
        Counting(),
    )
    segmented = [segment(o) for o in OUTCOMES]
    assert estimator.estimate_segmented(segmented, "Nursing diploma") == (
        eager.estimate_segmented(segmented, "Nursing diploma")
    )


def test_lexical_parts_built_elsewhere_give_the_same_engine(release: Release) -> None:
    embedder = Counting()
    own = _engine(release, embedder)
    given = _engine(release, Counting(), lexical=lexical_parts(TAXONOMY))
    assert given.skills(OUTCOMES) == own.skills(OUTCOMES)
    assert given.matcher.labels.raw == own.matcher.labels.raw
