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
# Pairs from which best_labels_many scores on every core.
_PARALLEL_PAIRS = 1000
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
        # Built at every start-up over ~100k ESCO labels, hence token ids and one NumPy sum
        # instead of a Python sum per label (0.76 → 0.65 s on this project's AVX2 machine).
        self.raw: list[str] = []
        processed_labels: list[str] = []
        offsets = [0]
        vocabulary: dict[str, int] = {}
        concepts_of: list[list[int]] = []  # token id → concepts whose labels contain it
        flat_tokens: list[int] = []  # each label's distinct token ids, label after label
        flat_labels: list[int] = []  # the label each of those belongs to
        for i, labels in enumerate(label_lists):
            for label in labels:
                toks = tokens(label)
                label_no = len(self.raw)
                self.raw.append(label)
                processed = " ".join(toks)
                # Most ESCO labels are already lower-case content words: share the string.
                processed_labels.append(label if processed == label else processed)
                for t in dict.fromkeys(toks):
                    tid = vocabulary.get(t)
                    if tid is None:
                        tid = vocabulary[t] = len(concepts_of)
                        concepts_of.append([])
                    seen = concepts_of[tid]
                    if not seen or seen[-1] != i:  # concepts arrive in order: no duplicates
                        seen.append(i)
                    flat_tokens.append(tid)
                    flat_labels.append(label_no)
            offsets.append(len(self.raw))
        self.offsets: NDArray[np.int64] = np.asarray(offsets, dtype=np.int64)
        # The strings rapidfuzz compares, as an object array: a request gathers thousands of
        # them by position.
        self.processed: NDArray[np.object_] = np.empty(len(processed_labels), dtype=object)
        self.processed[:] = processed_labels
        n = max(len(label_lists), 1)
        self.postings: dict[str, NDArray[np.int64]] = {
            t: np.asarray(concepts_of[tid], dtype=np.int64) for t, tid in vocabulary.items()
        }
        # Smoothed IDF over concepts: a word found in few concepts' labels says more.
        df = np.asarray([len(c) for c in concepts_of], dtype=np.float64)
        idf = np.log1p(n / df) if len(df) else np.zeros(0)
        self.idf: dict[str, float] = {t: float(idf[tid]) for t, tid in vocabulary.items()}
        self.size = len(label_lists)
        # Information content of each label (summed IDF of its tokens): a label made only of
        # common words ("use of data") is weak lexical evidence even when fully contained.
        # Expressed as a fraction of the IDF of a word found in one concept only, so the same
        # policy value means the same on a toy taxonomy and on all of ESCO.
        self.max_idf = math.log(1.0 + n)
        summed = np.bincount(
            np.asarray(flat_labels, dtype=np.int64),
            weights=idf[np.asarray(flat_tokens, dtype=np.int64)],
            minlength=len(self.raw),
        )
        self.information: NDArray[np.float64] = summed / self.max_idf

    def best_labels(
        self, query: str, concepts: Sequence[int]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """For each concept, the best token_set_ratio (0–1) over its labels and that label's
        position in :attr:`raw` (the first of equal best labels, so the preferred label wins
        a tie).

        >>> ix = LabelIndex([["SQL", "structured query language"], ["Python"]])
        >>> best, where = ix.best_labels(process("query language"), [0, 1])
        >>> best.tolist(), [ix.raw[i] for i in where]
        ([1.0, 0.1], ['structured query language', 'Python'])
        """
        return self.best_labels_many([query], [concepts])[0]

    def best_labels_many(
        self, queries: Sequence[str], concept_lists: Sequence[Sequence[int]]
    ) -> list[tuple[NDArray[np.float64], NDArray[np.int64]]]:
        """:meth:`best_labels` for several queries, each with its own concepts, in one pass.

        Every (query, label) pair goes to rapidfuzz in a single ``cpdist`` call, which can
        spread them over the cores (one ``cdist`` per statement cannot: each call is too small).
        """
        per_query: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
        left: list[str] = []
        right: list[str] = []
        for query, concepts in zip(queries, concept_lists, strict=True):
            ids = np.asarray(concepts, dtype=np.int64)
            starts = self.offsets[ids]
            counts = self.offsets[ids + 1] - starts
            if not query:  # nothing to compare: no pairs, every score 0
                counts = np.zeros_like(counts)
            # Positions of every label of every concept, concept after concept (CSR gather).
            seg_first = np.cumsum(counts) - counts
            positions = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(
                starts - seg_first, counts
            )
            per_query.append((starts, counts, positions))
            left.extend([query] * len(positions))
            right.extend(self.processed[positions].tolist())
        # Spread over the cores for a whole request's pairs (3,700 for 10 statements: 8.5 → 5.2
        # ms on 2 cores; at this point of a request the inference lanes are idle); a few pairs
        # do not pay for the threads.
        workers = -1 if len(left) >= _PARALLEL_PAIRS else 1
        all_scores = (
            rf_process.cpdist(
                left, right, scorer=fuzz.token_set_ratio, processor=None, workers=workers
            )
            if left
            else np.zeros(0)
        )
        out: list[tuple[NDArray[np.float64], NDArray[np.int64]]] = []
        offset = 0
        for starts, counts, positions in per_query:
            scores = np.asarray(all_scores[offset : offset + len(positions)], dtype=np.float64)
            offset += len(positions)
            n = len(starts)
            best = np.zeros(n)
            where = starts.copy()
            has = counts > 0
            if len(positions):
                # Sort by concept, then score descending; lexsort is stable, so among equal
                # scores the earliest label (the preferred one first) leads its concept's run.
                order = np.lexsort((-scores, np.repeat(np.arange(n), counts)))
                lead = order[(np.cumsum(counts) - counts)[has]]
                best[has] = scores[lead] / 100.0
                where[has] = positions[lead]
            out.append((best, where))
        return out

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
