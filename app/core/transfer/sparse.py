"""Course-level articulation over all of a course's text: a sparse lexical channel (TF-IDF over
title + description + outcomes) fused with the dense statement alignment, candidates ranked
best-first per course, and a proposal only above a calibrated bar.

Why a second channel: the statement alignment compares outcome with outcome, so a title, or a
description written as prose, never counts; on real catalogues a plain TF-IDF cosine over the
whole text ranks the equivalent module higher more often than the statement alignment does (issue
11). The two disagree in useful ways — TF-IDF rewards rare shared terms ("osteology",
"Mesoamerica"), the dense channel paraphrase — so they are fused rather than one replacing the
other. Weight and bar are measured, not guessed: ``benchmarks/course_matching.py`` chooses them on
the calibration half of ``benchmarks/data/course_pairs`` and reports the held-out half.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.core.transfer.types import Candidate, CandidateMatch, TargetModule

if TYPE_CHECKING:  # imported where an index is built: sklearn + scipy cost ~1 s of start-up
    # Neither ships type information; the two calls used are typed at the boundary below.
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

#: Chosen on the calibration half of benchmarks/data/course_pairs (see the module docstring):
#: the fused score is ``SPARSE_WEIGHT * tfidf + (1 - SPARSE_WEIGHT) * dense``.
SPARSE_WEIGHT = 0.6
#: The fused score a course's best module must reach to be proposed (calibrated likewise, at a
#: false-proposal rate ≤ 10 % on the calibration half's "none" courses).
PROPOSAL_BAR = 0.34
#: The bar when there is no dense channel (no outcomes matched, or a caller ranking on text
#: alone): the sparse channel's own calibrated bar (0.2285 on the calibration half).
SPARSE_ONLY_BAR = 0.23


def whole_text(title: str, description: str, outcomes: Sequence[str]) -> str:
    """Title, description and the outcomes the description does not already contain.

    >>> whole_text("Osteology", "Bones and teeth.", ["Bones and teeth.", "Age skeletons"])
    'Osteology. Bones and teeth. Age skeletons'
    """
    body = description.strip()
    parts = [title.strip(), body, *(o.strip() for o in outcomes if o.strip() not in body)]
    return ". ".join(p.rstrip(".") for p in parts if p)


def _text(item: Candidate | TargetModule) -> str:
    return whole_text(item.title, item.description, item.outcomes)


@dataclass(frozen=True)
class SparseIndex:
    """The catalogue's TF-IDF vectors (one L2-normalised row per module, every module — a module
    without outcomes still has a title)."""

    codes: tuple[str, ...]
    vectorizer: TfidfVectorizer
    matrix: csr_matrix

    def scores(self, courses: Sequence[Candidate]) -> NDArray[np.float32]:
        """Cosine of each course's whole text with every module's (courses × modules)."""
        if not courses or not self.codes:
            return np.zeros((len(courses), len(self.codes)), dtype=np.float32)
        q = self.vectorizer.transform([_text(c) for c in courses])
        return np.asarray((q @ self.matrix.T).toarray(), dtype=np.float32)

    def shared_terms(self, course: Candidate, code: str, limit: int = 5) -> list[str]:
        """The terms that weigh most in one course–module cosine (the sparse evidence)."""
        j = self.codes.index(code)
        q = self.vectorizer.transform([_text(course)])
        contrib = q.multiply(self.matrix[j])
        coo = contrib.tocoo()
        order = np.argsort(-coo.data)[:limit]
        names = self.vectorizer.get_feature_names_out()
        return [str(names[coo.col[k]]) for k in order if coo.data[k] > 0]


def sparse_index(modules: Sequence[TargetModule]) -> SparseIndex:
    """Fit TF-IDF on the catalogue's whole texts (its vocabulary and IDF are the catalogue's own:
    a term every module uses weighs little)."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        lowercase=True,
        stop_words="english",
        sublinear_tf=True,
        ngram_range=(1, 2),
        strip_accents="unicode",
    )
    texts = [_text(m) for m in modules]
    if not any(t.strip(". ") for t in texts):
        texts = ["-"] * len(texts)
    matrix = csr_matrix(vectorizer.fit_transform(texts))
    return SparseIndex(tuple(m.code for m in modules), vectorizer, matrix)


def content_key(modules: Sequence[TargetModule]) -> str:
    """A hash of what the sparse index is built from (cache key when no stored hash exists)."""
    h = hashlib.sha256()
    for m in modules:
        h.update(_text(m).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


# --- fusion and the bar --------------------------------------------------------------------


def dense_scores(
    matches: Sequence[CandidateMatch], modules: Sequence[TargetModule]
) -> NDArray[np.float32]:
    """The statement alignment as one number per course and module: the mean, over the module's
    outcomes, of the best course outcome's fused score (an outcome without a pair counts 0)."""
    position = {m.code: j for j, m in enumerate(modules)}
    out = np.zeros((len(matches), len(modules)), dtype=np.float32)
    for i, match in enumerate(matches):
        for mm in match.modules:
            j = position.get(mm.module)
            if j is not None and mm.outcomes:
                out[i, j] = sum(p.score for p in mm.pairs) / mm.outcomes
    return out


def fuse(
    sparse: NDArray[np.float32],
    dense: NDArray[np.float32],
    weight: float | NDArray[np.float32] = SPARSE_WEIGHT,
) -> NDArray[np.float32]:
    """Weighted sum of the two channels (both cosines in [0, 1]); ``weight`` may be one per
    module (column).

    >>> fuse(np.array([[0.5, 0.0]], np.float32), np.array([[0.0, 1.0]], np.float32), 0.5)
    array([[0.25, 0.5 ]], dtype=float32)
    """
    return np.asarray(weight * sparse + (1.0 - weight) * dense, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class CourseCandidate:
    """One module for one course, with both channels' evidence."""

    module: str
    score: float  # fused
    sparse: float
    dense: float
    proposed: bool  # the best module, at or above the bar
    terms: tuple[str, ...] = ()  # the shared terms that weigh most (sparse evidence)


@dataclass(frozen=True, slots=True)
class CourseRanking:
    course: str
    candidates: tuple[CourseCandidate, ...]  # best first

    @property
    def proposal(self) -> CourseCandidate | None:
        return self.candidates[0] if self.candidates and self.candidates[0].proposed else None


def rank_courses(
    courses: Sequence[Candidate],
    modules: Sequence[TargetModule],
    matches: Sequence[CandidateMatch] | None,
    index: SparseIndex,
    *,
    weight: float = SPARSE_WEIGHT,
    bar: float | None = None,
    top: int = 3,
) -> list[CourseRanking]:
    """Each course's ``top`` modules by fused score, best first; the first is proposed when it
    reaches ``bar`` (default: :data:`PROPOSAL_BAR`, or :data:`SPARSE_ONLY_BAR` without
    ``matches``). ``matches`` (one per course, same order) carry the dense channel; None:
    sparse only. The bars were calibrated with the default model's dense scores."""
    if bar is None:
        bar = PROPOSAL_BAR if matches is not None else SPARSE_ONLY_BAR
    sparse = index.scores(courses)
    dense = (
        dense_scores(matches, modules)
        if matches is not None
        else np.zeros_like(sparse, dtype=np.float32)
    )
    # A side without outcomes has no dense evidence to weigh (a module that publishes only a
    # title): there the sparse channel is the whole score rather than a fraction of it.
    has_outcomes = np.asarray([bool(m.outcomes) for m in modules], dtype=bool)
    weights = np.where(has_outcomes, weight if matches is not None else 1.0, 1.0)
    fused = fuse(sparse, dense, weights.astype(np.float32))
    out: list[CourseRanking] = []
    for i, course in enumerate(courses):
        order = np.argsort(-fused[i], kind="stable")[:top]
        ranked = []
        for rank, j in enumerate(order):
            score = float(fused[i, j])
            if score <= 0.0:
                break
            proposed = rank == 0 and score >= bar
            ranked.append(
                CourseCandidate(
                    modules[j].code,
                    round(score, 4),
                    round(float(sparse[i, j]), 4),
                    round(float(dense[i, j]), 4),
                    proposed,
                    tuple(index.shared_terms(course, modules[j].code)) if rank == 0 else (),
                )
            )
        out.append(CourseRanking(course.id, tuple(ranked)))
    return out
