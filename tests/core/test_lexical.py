"""The label index: one-pass rescoring agrees with scoring each label on its own."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz

from app.core.lexical import LabelIndex, process

WORDS = [
    "analyse",
    "data",
    "design",
    "database",
    "manage",
    "team",
    "write",
    "report",
    "apply",
    "safety",
    "lead",
    "project",
    "financial",
    "statements",
    "nursing",
    "care",
    "patient",
    "record",
    "quality",
    "food",
    "hazard",
    "contract",
    "supplier",
    "teach",
    "learners",
    "assess",
    "evaluate",
    "research",
    "plan",
    "budget",
    "python",
    "programming",
    "query",
    "language",
]


def _labels(seed: int, concepts: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        [" ".join(rng.sample(WORDS, rng.randint(1, 4))) for _ in range(rng.randint(1, 6))]
        for _ in range(concepts)
    ]


def _naive(ix: LabelIndex, query: str, concepts: list[int]) -> tuple[list[float], list[int]]:
    best, where = [], []
    for c in concepts:
        scores = [
            fuzz.token_set_ratio(query, ix.processed[j], processor=None) if query else 0.0
            for j in range(int(ix.offsets[c]), int(ix.offsets[c + 1]))
        ]
        k = int(np.argmax(scores))  # the first of equal best labels
        best.append(scores[k] / 100.0)
        where.append(int(ix.offsets[c]) + k)
    return best, where


@pytest.mark.parametrize("statements", [1, 3, 40])  # 40 × 50 concepts crosses the parallel path
def test_one_pass_agrees_with_label_by_label(statements: int) -> None:
    ix = LabelIndex(_labels(1, 300))
    rng = random.Random(statements)
    queries = [process(" ".join(rng.sample(WORDS, 3))) for _ in range(statements)]
    queries[0] = ""  # an empty statement scores 0 everywhere and pays for no pairs
    lists = [rng.sample(range(300), 50) for _ in range(statements)]
    lists[-1] = lists[-1][:0] if statements > 1 else lists[-1]  # and an empty candidate list
    got = ix.best_labels_many(queries, lists)
    assert len(got) == statements
    for query, concepts, (best, where) in zip(queries, lists, got, strict=True):
        want_best, want_where = _naive(ix, query, concepts)
        assert best.tolist() == pytest.approx(want_best)
        assert where.tolist() == want_where


def test_information_is_the_idf_of_the_label_words() -> None:
    ix = LabelIndex([["Python programming"], ["Java programming"], ["Python"]])
    # "programming" is in 2 of 3 concepts' labels, "python" in 2, "java" in 1.
    idf = {t: np.log1p(3 / df) for t, df in (("programming", 2), ("python", 2), ("java", 1))}
    assert ix.idf == pytest.approx(idf)
    expected = [
        (idf["python"] + idf["programming"]) / np.log1p(3),
        (idf["java"] + idf["programming"]) / np.log1p(3),
        idf["python"] / np.log1p(3),
    ]
    assert ix.information.tolist() == pytest.approx(expected)
    assert ix.postings["python"].tolist() == [0, 2]
