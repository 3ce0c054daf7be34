"""Alignment of two lists of learning outcomes (e.g. a micro-credential's against a module's).

The similarity of two statements is ``(1 - w_lex) · cosine + w_lex · lexical`` with an
embedder, or the lexical score alone without one (``w_lex`` from the policy). An input outcome
may hold several statements; how well source outcome ``i`` covers target outcome ``j`` is the
mean, over ``j``'s statements, of the best similarity to any of ``i``'s statements.

Pairs reported: for every target its best source, and for every source its best target, when
the score reaches ``min_pair_score``; best first. A target is *covered* when its best score
reaches ``cover_threshold``; ``coverage`` is the covered fraction of the targets.

>>> r = align(["write SQL queries"], ["write SQL queries", "paint portraits in oil"])
>>> [(p.source_index, p.target_index, p.score) for p in r.pairs]
[(0, 0, 1.0)]
>>> r.coverage, r.uncovered_target
(0.5, (1,))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process

from app.core.lexical import process
from app.core.outcome_policy import AlignPolicy
from app.core.outcomes import SegmentedOutcome, segment
from app.core.ports import Embedder


@dataclass(frozen=True, slots=True)
class AlignedPair:
    source_index: int
    target_index: int
    score: float
    source_segment: int  # the statements that matched best (evidence)
    target_segment: int
    semantic: float | None
    lexical: float


@dataclass(frozen=True, slots=True)
class Alignment:
    pairs: tuple[AlignedPair, ...]
    coverage: float
    uncovered_target: tuple[int, ...]
    best_for_target: tuple[float, ...]  # best score of each target outcome
    source: tuple[SegmentedOutcome, ...]
    target: tuple[SegmentedOutcome, ...]


def _flatten(items: Sequence[SegmentedOutcome]) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    owner: list[int] = []
    for i, item in enumerate(items):
        for seg in item.segments:
            texts.append(seg.text)
            owner.append(i)
    return texts, owner


def statement_similarity(
    a: Sequence[str],
    b: Sequence[str],
    embedder: Embedder | None,
    lexical_weight: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64]]:
    """Fused, semantic (or None) and lexical similarity matrices, shape ``(len(a), len(b))``."""
    lex = (
        rf_process.cdist(
            [process(t) for t in a],
            [process(t) for t in b],
            scorer=fuzz.token_set_ratio,
            processor=None,
            workers=1,
        ).astype(np.float64)
        / 100.0
    )
    if embedder is None:
        return lex, None, lex
    vectors = embedder.encode([*a, *b])
    sem = np.clip(vectors[: len(a)] @ vectors[len(a) :].T, -1.0, 1.0).astype(np.float64)
    return (1.0 - lexical_weight) * sem + lexical_weight * lex, sem, lex


def align_segmented(
    source: Sequence[SegmentedOutcome],
    target: Sequence[SegmentedOutcome],
    embedder: Embedder | None = None,
    policy: AlignPolicy | None = None,
) -> Alignment:
    policy = policy or AlignPolicy()
    s_texts, s_owner = _flatten(source)
    t_texts, t_owner = _flatten(target)
    n_s, n_t = len(source), len(target)
    if not s_texts or not t_texts:
        return Alignment((), 0.0, tuple(range(n_t)), (0.0,) * n_t, tuple(source), tuple(target))
    fused, sem, lex = statement_similarity(s_texts, t_texts, embedder, policy.lexical_weight)
    min_pair, cover = policy.thresholds(lexical_only=embedder is None)

    # Statements come item after item, so each item's statements are one contiguous run.
    s_counts = np.bincount(np.asarray(s_owner, dtype=np.int64), minlength=n_s)
    t_counts = np.bincount(np.asarray(t_owner, dtype=np.int64), minlength=n_t)
    s_starts = np.cumsum(s_counts) - s_counts
    t_starts = np.cumsum(t_counts) - t_counts
    # item[i, j]: for each statement of target j, its best statement of source i; averaged.
    # (One reduction over the whole matrix: a Python loop over the item pairs took 90 ms for
    # 8 × 240 outcomes on a slow CPU.)
    best_of_source = np.zeros((n_s, fused.shape[1]))
    has_s = s_counts > 0
    best_of_source[has_s] = np.maximum.reduceat(fused, s_starts[has_s], axis=0)
    item = np.zeros((n_s, n_t))
    has_t = t_counts > 0
    item[:, has_t] = np.add.reduceat(best_of_source, t_starts[has_t], axis=1) / t_counts[has_t]

    def evidence(i: int, j: int) -> tuple[int, int]:
        """The statement pair that scored best between source item i and target item j."""
        r0, c0 = int(s_starts[i]), int(t_starts[j])
        block = fused[r0 : r0 + int(s_counts[i]), c0 : c0 + int(t_counts[j])]
        br, bc = divmod(int(np.argmax(block)), block.shape[1])
        return r0 + br, c0 + bc

    chosen: set[tuple[int, int]] = set()
    for j in range(n_t):
        chosen.add((int(np.argmax(item[:, j])), j))
    for i in range(n_s):
        chosen.add((i, int(np.argmax(item[i, :]))))

    pairs = []
    for i, j in chosen:
        score = round(float(item[i, j]), 6)
        if score < min_pair:
            continue
        r, c = evidence(i, j)
        pairs.append(
            AlignedPair(
                source_index=i,
                target_index=j,
                score=score,
                source_segment=r - int(s_starts[i]),
                target_segment=c - int(t_starts[j]),
                semantic=None if sem is None else round(float(sem[r, c]), 6),
                lexical=round(float(lex[r, c]), 6),
            )
        )
    pairs.sort(key=lambda p: (-p.score, p.target_index, p.source_index))
    best = item.max(axis=0)
    uncovered = tuple(int(j) for j in range(n_t) if best[j] < cover)
    coverage = round((n_t - len(uncovered)) / n_t, 6) if n_t else 0.0
    return Alignment(
        pairs=tuple(pairs),
        coverage=coverage,
        uncovered_target=uncovered,
        best_for_target=tuple(round(float(b), 6) for b in best),
        source=tuple(source),
        target=tuple(target),
    )


def align(
    source: Sequence[str],
    target: Sequence[str],
    embedder: Embedder | None = None,
    policy: AlignPolicy | None = None,
) -> Alignment:
    """Segment both lists, then :func:`align_segmented`."""
    return align_segmented(
        [segment(s) for s in source], [segment(t) for t in target], embedder, policy
    )
