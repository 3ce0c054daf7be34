"""Lexical side of matching: text processing, stop-words and an inverted index over labels.

rapidfuzz's ``token_set_ratio`` scores 100 whenever one token set contains the other, so
function words ("to", "the", "and") would make unrelated texts look alike; they are removed
before scoring. The inverted index pre-selects concepts that share a content word with a
statement, which is what makes the lexical-only mode (no embedding model) fast enough: scoring
10 statements against all ~100k ESCO labels would take about 0.9 s (PERFORMANCE.md §4).

>>> process("The student will be able to use the Python language")
'python language'
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process

STOPWORDS = frozenset(
    """
    a an the and or nor but of to in on at by for from with within without into onto as about
    across after against along among around before behind below beneath beside between beyond
    during except inside near off out outside over since than through throughout till toward
    towards under until up upon via be been being am is are was were will would shall should
    can could may might must do does did done have has had having it its this that these those
    such their them they he she his her our we you your i me my one ones own other others so
    too very also not no yes all any both each few more most some either neither whether which
    who whom whose what when where why how able ability etc e g eg ie i e use using used
    student students learner learners participant participants
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
_TOKEN_RE = re.compile(r"[0-9a-z][0-9a-z+#]*")


def tokens(text: str) -> list[str]:
    """Lower-case content tokens (letters, digits, ``+`` and ``#`` kept for C++ / C#)."""
    return [t for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def process(text: str) -> str:
    """The string rapidfuzz compares: content tokens joined by single spaces."""
    return " ".join(tokens(text))


def lexical_similarity(a: str, b: str) -> float:
    """token_set_ratio of two processed strings, scaled to 0–1.

    >>> lexical_similarity("design database", "database design")
    1.0
    """
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b, processor=None)) / 100.0


class LabelIndex:
    """Every preferred and alternative label, processed once, grouped by concept (CSR layout).

    ``labels[offsets[i]:offsets[i+1]]`` are concept ``i``'s labels; the first is the preferred
    label. ``postings`` maps a content token to the concepts whose labels contain it.
    """

    def __init__(self, label_lists: Sequence[Sequence[str]]) -> None:
        self.raw: list[str] = []
        self.processed: list[str] = []
        offsets = [0]
        postings: dict[str, set[int]] = defaultdict(set)
        for i, labels in enumerate(label_lists):
            for label in labels:
                toks = tokens(label)
                self.raw.append(label)
                self.processed.append(" ".join(toks))
                for t in toks:
                    postings[t].add(i)
            offsets.append(len(self.raw))
        self.offsets: NDArray[np.int64] = np.asarray(offsets, dtype=np.int64)
        n = max(len(label_lists), 1)
        self.postings: dict[str, NDArray[np.int64]] = {
            t: np.fromiter(sorted(ids), dtype=np.int64, count=len(ids))
            for t, ids in postings.items()
        }
        # Smoothed IDF over concepts: a word found in few concepts' labels says more.
        self.idf: dict[str, float] = {
            t: math.log(1.0 + n / len(ids)) for t, ids in self.postings.items()
        }
        self.size = len(label_lists)
        # Information content of each label (summed IDF of its tokens): a label made only of
        # common words ("use of data") is weak lexical evidence even when fully contained.
        # Expressed as a fraction of the IDF of a word found in one concept only, so the same
        # policy value means the same on a toy taxonomy and on all of ESCO.
        self.max_idf = math.log(1.0 + n)
        self.information: NDArray[np.float64] = np.asarray(
            [
                sum(self.idf.get(t, 0.0) for t in set(p.split())) / self.max_idf
                for p in self.processed
            ],
            dtype=np.float64,
        )

    def best_labels(
        self, query: str, concepts: Sequence[int]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """For each concept, the best token_set_ratio (0–1) over its labels and that label's
        position in :attr:`raw`."""
        if not concepts or not query:
            return np.zeros(len(concepts)), np.zeros(len(concepts), dtype=np.int64)
        starts = self.offsets[np.asarray(concepts, dtype=np.int64)]
        ends = self.offsets[np.asarray(concepts, dtype=np.int64) + 1]
        flat = [self.processed[j] for s, e in zip(starts, ends, strict=True) for j in range(s, e)]
        scores = rf_process.cdist(
            [query], flat, scorer=fuzz.token_set_ratio, processor=None, workers=1
        )[0].astype(np.float64)
        best = np.zeros(len(concepts))
        where = np.zeros(len(concepts), dtype=np.int64)
        pos = 0
        for k, (s, e) in enumerate(zip(starts, ends, strict=True)):
            n = int(e - s)
            if n:
                local = int(np.argmax(scores[pos : pos + n]))
                best[k] = scores[pos + local] / 100.0
                where[k] = s + local
            pos += n
        return best, where

    def candidates(self, query_tokens: Sequence[str], limit: int) -> list[int]:
        """Concepts sharing content words with the query, by summed IDF of the shared words."""
        weights = np.zeros(self.size)
        for t in set(query_tokens):
            ids = self.postings.get(t)
            if ids is not None:
                weights[ids] += self.idf[t]
        hit = np.flatnonzero(weights)
        if hit.size == 0:
            return []
        order = hit[np.argsort(-weights[hit], kind="stable")][:limit]
        return [int(i) for i in order]
