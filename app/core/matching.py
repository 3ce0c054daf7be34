"""Hybrid matching of learning outcomes to ESCO skills, with evidence for every score.

Per statement (see :mod:`app.core.outcomes` for segmentation):

1. **Retrieve** by meaning: the statement is embedded and the vector index returns its best
   rows (each concept has a label row and a description row, :mod:`app.core.taxonomy`); the
   best ``candidates`` distinct concepts are kept with their best cosine and which row gave it.
2. **Rescore** lexically: rapidfuzz ``token_set_ratio`` of the statement against each
   candidate's preferred and alternative labels (never a full scan: PERFORMANCE.md §4).
3. **Fuse**: ``score = w_sem · cosine + w_lex · lexical``; weights and the thresholds
   ``min_score`` / ``min_semantic`` come from the policy file, per model.

Without an embedding model (**lexical-only mode**) concepts sharing content words with the
statement are pre-selected through an inverted index, and the score is the lexical one alone.

An input that splits into several statements gets one result whose skills are merged (best score
per concept over its statements; the evidence names the statement).

>>> from app.core.taxonomy import SkillConcept, Taxonomy
>>> tax = Taxonomy("test", "0" * 64, (
...     SkillConcept("u:py", "Python", "knowledge", alt_labels=("Python programming",)),
...     SkillConcept("u:sql", "SQL", "knowledge", alt_labels=("structured query language",)),
... ))
>>> m = SkillMatcher(tax)            # no embedder: lexical-only
>>> [s.uri for s in m.match(["Write programs in Python"], top_k=3)[0].skills]
['u:py']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.core.lexical import LabelIndex, process, tokens
from app.core.outcome_policy import MatchPolicy
from app.core.outcomes import SegmentedOutcome, segment
from app.core.ports import Embedder, VectorIndex
from app.core.taxonomy import IndexField, Taxonomy, description_text

ROWS_PER_CONCEPT = 2  # label row, description row (see app.core.taxonomy.index_entries)


@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """Why a skill was proposed: which statement, which text of the concept, which scores."""

    segment: int  # index of the statement within the input outcome
    statement: str
    matched_field: IndexField  # the concept text most similar to the statement
    matched_text: str
    semantic: float | None  # cosine of the best index row; None in lexical-only mode
    semantic_field: IndexField | None  # label or description row
    lexical: float  # token_set_ratio / 100 against the best label
    lexical_label: str | None  # that label (preferred or alternative)


@dataclass(frozen=True, slots=True)
class SkillMatch:
    concept: int
    uri: str
    label: str
    skill_type: str | None
    score: float
    evidence: SkillEvidence


@dataclass(frozen=True, slots=True)
class OutcomeSkills:
    outcome: SegmentedOutcome
    skills: tuple[SkillMatch, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    concept: int
    cosine: float | None
    row_field: IndexField | None


class SkillMatcher:
    """Matches outcome statements to the concepts of one taxonomy.

    ``embedder`` and ``index`` go together: the index must hold the vectors of
    :func:`app.core.taxonomy.index_entries` for ``taxonomy``, embedded by ``embedder``. With
    neither, the matcher runs lexical-only.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        policy: MatchPolicy | None = None,
        embedder: Embedder | None = None,
        index: VectorIndex | None = None,
        labels: LabelIndex | None = None,
    ) -> None:
        if (embedder is None) != (index is None):
            raise ValueError("embedder and index must be given together")
        if index is not None and index.size != ROWS_PER_CONCEPT * len(taxonomy.concepts):
            raise ValueError(
                f"index has {index.size} rows, expected {ROWS_PER_CONCEPT} per concept "
                f"({ROWS_PER_CONCEPT * len(taxonomy.concepts)})"
            )
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.index = index
        base = policy or MatchPolicy()
        self.policy = base.for_model(embedder.model_id if embedder else None)
        self.labels = labels or LabelIndex([c.labels for c in taxonomy.concepts])

    @property
    def lexical_only(self) -> bool:
        return self.embedder is None

    # --- retrieval -----------------------------------------------------------------------

    def _semantic_candidates(self, vectors: NDArray[np.float32]) -> list[list[_Candidate]]:
        assert self.index is not None
        rows_wanted = min(self.policy.retrieval_rows, self.index.size)
        scores, rows = self.index.search(vectors, rows_wanted)
        out: list[list[_Candidate]] = []
        for srow, rrow in zip(scores, rows, strict=True):
            valid = rrow >= 0
            row_ids, row_scores = rrow[valid], srow[valid]
            concepts = row_ids // ROWS_PER_CONCEPT
            # Rows come best first, so a concept's first row is its best: keep the first
            # occurrence of each concept, in rank order.
            _, first = np.unique(concepts, return_index=True)
            first = np.sort(first)[: self.policy.candidates]
            out.append(
                [
                    _Candidate(
                        int(concepts[j]),
                        float(row_scores[j]),
                        IndexField.LABEL
                        if row_ids[j] % ROWS_PER_CONCEPT == 0
                        else IndexField.DESCRIPTION,
                    )
                    for j in first.tolist()
                ]
            )
        return out

    def _lexical_candidates(self, statement: str) -> list[_Candidate]:
        ids = self.labels.candidates(tokens(statement), self.policy.lexical_only_candidates)
        return [_Candidate(i, None, None) for i in ids]

    # --- scoring ---------------------------------------------------------------------------

    def _reachable(self, cands: list[_Candidate]) -> list[_Candidate]:
        """Drop candidates whose cosine cannot reach the thresholds even with a perfect lexical
        score, before the (comparatively costly) lexical rescoring."""
        p = self.policy
        floor = max(p.min_semantic, (p.min_score - p.lexical_weight) / max(p.semantic_weight, 1e-9))
        return [c for c in cands if c.cosine is None or c.cosine >= floor]

    def _score_statement(
        self,
        seg_index: int,
        statement: str,
        cands: list[_Candidate],
        lexical: tuple[NDArray[np.float64], NDArray[np.int64]],
        limit: int | None = None,
    ) -> list[SkillMatch]:
        """The candidates that pass the thresholds, best first (at most ``limit`` of them).

        ``cands`` are the statement's reachable candidates (:meth:`_reachable`) and
        ``lexical`` their :meth:`LabelIndex.best_labels`, computed for all statements of a
        request at once. Scores are computed for every candidate at once; only the ``limit``
        reported ones become :class:`SkillMatch` objects with their evidence (building all 50
        cost more than the lexical rescoring itself).
        """
        p = self.policy
        if not cands:
            return []
        lex, where = lexical
        if cands[0].cosine is None:  # lexical-only (a statement's candidates are all one kind)
            info = self.labels.information[where] * (lex > 0)
            scores = lex * np.minimum(1.0, info / p.lexical_only_full_information)
            keep = scores >= p.lexical_only_min_score
        else:
            cosines = np.asarray([c.cosine for c in cands], dtype=np.float64)
            scores = p.semantic_weight * cosines + p.lexical_weight * lex
            keep = (cosines >= p.min_semantic) & (scores >= p.min_score)
        preferred = where == self.labels.offsets[[c.concept for c in cands]]
        kept = np.flatnonzero(keep)
        if limit is not None and len(kept) > limit:
            # Reported scores are rounded to 6 decimals (a move of at most 5e-7), so only the
            # candidates within 1e-6 of the limit-th best raw score can make the exact ranking.
            cut = len(kept) - limit
            kth = np.partition(scores[kept], cut)[cut]
            kept = kept[scores[kept] >= kth - 1e-6]
        ranked: list[tuple[float, float, bool, str, int]] = []
        for i in kept.tolist():
            cand = cands[i]
            score, lex_score = round(float(scores[i]), 6), round(float(lex[i]), 6)
            # Mirrors the matched field chosen in _skill_match.
            if cand.cosine is None or (lex[i] > 0 and lex[i] >= cand.cosine):
                on_label = bool(preferred[i])
            else:
                on_label = cand.row_field is IndexField.LABEL
            uri = self.taxonomy.concepts[cand.concept].uri
            # The reporting order (see match_segmented): score, lexical, preferred label, URI.
            ranked.append((-score, -lex_score, not on_label, uri, i))
        ranked.sort()
        return [
            self._skill_match(seg_index, statement, cands[i], float(lex[i]), int(where[i]), -neg)
            for neg, _lex, _label, _uri, i in ranked[:limit]
        ]

    def _skill_match(
        self,
        seg_index: int,
        statement: str,
        cand: _Candidate,
        lex_score: float,
        label_pos: int,
        score: float,
    ) -> SkillMatch:
        concept = self.taxonomy.concepts[cand.concept]
        lexical_label = self.labels.raw[label_pos] if lex_score > 0 else None
        lex_field = (
            IndexField.LABEL
            if label_pos == int(self.labels.offsets[cand.concept])
            else IndexField.ALT_LABEL
        )
        if cand.cosine is None:
            matched_field, matched_text = lex_field, lexical_label or concept.label
        elif lexical_label is not None and lex_score >= cand.cosine:
            matched_field, matched_text = lex_field, lexical_label
        elif cand.row_field is IndexField.DESCRIPTION:
            matched_field, matched_text = IndexField.DESCRIPTION, description_text(concept)
        else:
            matched_field, matched_text = IndexField.LABEL, concept.label
        return SkillMatch(
            concept=cand.concept,
            uri=concept.uri,
            label=concept.label,
            skill_type=concept.skill_type,
            score=score,
            evidence=SkillEvidence(
                segment=seg_index,
                statement=statement,
                matched_field=matched_field,
                matched_text=matched_text,
                semantic=None if cand.cosine is None else round(cand.cosine, 6),
                semantic_field=cand.row_field,
                lexical=round(lex_score, 6),
                lexical_label=lexical_label,
            ),
        )

    # --- public ----------------------------------------------------------------------------

    def match_statements(
        self, statements: Sequence[tuple[int, str]], top_k: int = 10
    ) -> list[list[SkillMatch]]:
        """Each statement's own best ``top_k`` skills, best first.

        ``statements`` are ``(segment index, text)`` pairs; the segment index is what the
        evidence names. All statements are encoded in one call and rescored in one lexical pass,
        which is why callers hand over a whole request at once.
        """
        if self.embedder is not None and statements:
            vectors = self.embedder.encode([t for _s, t in statements])
            cand_lists = self._semantic_candidates(vectors)
        else:
            cand_lists = [self._lexical_candidates(t) for _s, t in statements]
        cand_lists = [self._reachable(c) for c in cand_lists]
        lexical = self.labels.best_labels_many(
            [process(t) for _s, t in statements], [[c.concept for c in cl] for cl in cand_lists]
        )
        return [
            self._score_statement(s, text, cands, lex, limit=top_k)
            for (s, text), cands, lex in zip(statements, cand_lists, lexical, strict=True)
        ]

    def match_segmented(
        self, outcomes: Sequence[SegmentedOutcome], top_k: int = 10
    ) -> list[OutcomeSkills]:
        """Skills for already segmented outcomes: one result per outcome, in input order."""
        owners = [o for o, out in enumerate(outcomes) for _seg in out.segments]
        statements = [(s, seg.text) for out in outcomes for s, seg in enumerate(out.segments)]
        per_statement = self.match_statements(statements, top_k=top_k)
        return merge_statement_matches(outcomes, owners, per_statement, top_k)

    def match(self, outcomes: Sequence[str], top_k: int = 10) -> list[OutcomeSkills]:
        """Segment each outcome, then :meth:`match_segmented`."""
        return self.match_segmented([segment(o) for o in outcomes], top_k=top_k)


def merge_statement_matches(
    outcomes: Sequence[SegmentedOutcome],
    owners: Sequence[int],
    per_statement: Sequence[Sequence[SkillMatch]],
    top_k: int,
) -> list[OutcomeSkills]:
    """One result per outcome: the best score per concept over the outcome's statements.

    ``owners[i]`` is the outcome of ``per_statement[i]``. Each statement's own top_k suffices:
    a concept outside it is beaten by top_k others whose merged scores can only be higher.
    """
    merged: list[dict[int, SkillMatch]] = [{} for _ in outcomes]
    for owner, matches in zip(owners, per_statement, strict=True):
        for m in matches:
            best = merged[owner].get(m.concept)
            if best is None or m.score > best.score:
                merged[owner][m.concept] = m
    results = []
    for out, found in zip(outcomes, merged, strict=True):
        # Ties: a stronger lexical match, then a preferred-label match, then URI (stable).
        ranked = sorted(
            found.values(),
            key=lambda m: (
                -m.score,
                -m.evidence.lexical,
                m.evidence.matched_field is not IndexField.LABEL,
                m.uri,
            ),
        )
        results.append(OutcomeSkills(out, tuple(ranked[:top_k])))
    return results
