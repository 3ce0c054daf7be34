"""The one batched aligner: a target's outcome index, and candidates matched against it.

:func:`index_target` segments and (with a model) embeds every module outcome once; the index is
kept per programme content and model by the service's vector cache. :func:`match_courses` takes
candidates in chunks:

1. *retrieve* (:func:`rank_modules`): one matrix product of the chunk's statements with every
   module statement, reduced with ``np.maximum.reduceat`` / ``np.add.reduceat`` to a
   (candidate × module) score; the ``candidate_modules`` best modules of each candidate go on
   (without a model, modules sharing content words, by IDF, are retrieved instead). A further
   ranking channel (e.g. sparse TF-IDF) slots in here;
2. *rescore*: only those pairs get the lexical score (rapidfuzz ``token_set_ratio``), fused with
   the cosine as the alignment policy says, and are reduced to outcome-level scores exactly as
   :func:`app.core.alignment.align_segmented` does (the best candidate outcome for each target
   outcome; an outcome of several statements scores the mean of its statements).

Recognition asks the same with one candidate and every module rescored (``candidate_modules``
at least the number of modules), so a credential weighs the same in all three uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process

from app.core.lexical import LabelIndex, process, tokens
from app.core.outcomes import segment
from app.core.ports import Embedder
from app.core.transfer.sparse import SparseIndex
from app.core.transfer.types import (
    ArticulationPolicy,
    Candidate,
    CandidateMatch,
    ModuleMatch,
    OutcomeMatch,
    TargetModule,
)

# --- the target's outcome index ------------------------------------------------------------


def statements(outcomes: Sequence[str]) -> tuple[list[str], list[int]]:
    """Each outcome's statements (stems and list markers removed) and the outcome they belong
    to. An outcome that segments to nothing keeps its stripped text, so no outcome vanishes.

    >>> statements(["use SQL; design schemas", "lead a team"])
    (['use SQL', 'design schemas', 'lead a team'], [0, 0, 1])
    """
    texts: list[str] = []
    owner: list[int] = []
    for i, outcome in enumerate(outcomes):
        segs = [s.text for s in segment(outcome).segments if s.text.strip()]
        for text in segs or [outcome.strip() or "?"]:
            texts.append(text)
            owner.append(i)
    return texts, owner


def _starts(owner: Sequence[int], groups: int) -> NDArray[np.int64]:
    """First position of each group in a sorted owner list (every group non-empty)."""
    arr = np.asarray(owner, dtype=np.int64)
    return np.searchsorted(arr, np.arange(groups, dtype=np.int64)).astype(np.int64)


@dataclass(frozen=True)
class TargetIndex:
    """The target programme's outcomes, flattened once: statements, owners, vectors, lexical
    forms. Only modules with outcomes are indexed (the others cannot be covered by outcomes).

    Layout: statements are grouped by outcome, outcomes by module, so ``reduceat`` over the
    ``*_starts`` arrays reduces a (rows × statements) matrix to outcomes and to modules.
    """

    modules: tuple[TargetModule, ...]  # every module of the target, in order
    indexed: tuple[int, ...]  # positions in ``modules`` of the modules with outcomes
    texts: tuple[str, ...]  # statements
    processed: tuple[str, ...]  # lexical forms of the statements
    stmt_outcome: NDArray[np.int64]  # statement → global outcome
    outcome_starts: NDArray[np.int64]  # global outcome → its first statement
    outcome_sizes: NDArray[np.float32]  # statements per outcome
    module_starts: NDArray[np.int64]  # indexed module → its first global outcome
    module_sizes: NDArray[np.float32]  # outcomes per indexed module
    stmt_module_range: tuple[tuple[int, int], ...]  # indexed module → statement slice
    vectors: NDArray[np.float32] | None  # one unit row per statement (None: lexical only)
    lexicon: LabelIndex | None  # for retrieval without a model

    @property
    def outcome_count(self) -> int:
        return len(self.outcome_starts)


def index_target(
    modules: Sequence[TargetModule],
    embedder: Embedder | None,
) -> TargetIndex:
    """Segment, process and (with a model) embed every module outcome statement once.

    >>> ix = index_target([TargetModule("A", "A", ("use SQL; design schemas",)),
    ...                    TargetModule("B", "B", ())], None)
    >>> ix.indexed, ix.texts, ix.outcome_count
    ((0,), ('use SQL', 'design schemas'), 1)
    """
    indexed: list[int] = []
    texts: list[str] = []
    stmt_outcome: list[int] = []
    outcome_module: list[int] = []
    ranges: list[tuple[int, int]] = []
    for position, module in enumerate(modules):
        if not module.outcomes:
            continue
        local_texts, local_owner = statements(module.outcomes)
        first_outcome = len(outcome_module)
        start = len(texts)
        texts.extend(local_texts)
        stmt_outcome.extend(first_outcome + o for o in local_owner)
        outcome_module.extend([len(indexed)] * len(module.outcomes))
        ranges.append((start, len(texts)))
        indexed.append(position)
    n_outcomes = len(outcome_module)
    outcome_starts = _starts(stmt_outcome, n_outcomes)
    module_starts = _starts(outcome_module, len(indexed))
    outcome_sizes = np.diff(np.append(outcome_starts, len(texts))).astype(np.float32)
    module_sizes = np.diff(np.append(module_starts, n_outcomes)).astype(np.float32)
    processed = tuple(process(t) for t in texts)
    vectors: NDArray[np.float32] | None = None
    lexicon: LabelIndex | None = None
    if embedder is not None and texts:
        vectors = np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    else:
        lexicon = LabelIndex(
            [[texts[k] for k in range(s, e)] for s, e in ranges]
        )  # one "concept" per module, its statements as labels
    return TargetIndex(
        modules=tuple(modules),
        indexed=tuple(indexed),
        texts=tuple(texts),
        processed=processed,
        stmt_outcome=np.asarray(stmt_outcome, dtype=np.int64),
        outcome_starts=outcome_starts,
        outcome_sizes=outcome_sizes,
        module_starts=module_starts,
        module_sizes=module_sizes,
        stmt_module_range=tuple(ranges),
        vectors=vectors,
        lexicon=lexicon,
    )


# --- matching ----------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """The statements of a chunk of courses (only courses with outcomes)."""

    courses: list[Candidate]
    texts: list[str]
    processed: list[str]
    stmt_outcome: list[int]  # statement → outcome index within its course
    course_starts: list[int]  # course → first statement row


def _chunk(courses: Sequence[Candidate]) -> _Chunk:
    chunk = _Chunk([], [], [], [], [])
    for course in courses:
        if not course.outcomes:
            continue
        local_texts, owner = statements(course.outcomes)
        chunk.courses.append(course)
        chunk.course_starts.append(len(chunk.texts))
        chunk.texts.extend(local_texts)
        chunk.stmt_outcome.extend(owner)
    chunk.processed = [process(t) for t in chunk.texts]
    return chunk


def _semantic_candidates(
    sim: NDArray[np.float32], chunk: _Chunk, target: TargetIndex, policy: ArticulationPolicy
) -> list[list[int]]:
    """For each course of the chunk, the indexed modules worth rescoring, best first."""
    ends = [*chunk.course_starts[1:], sim.shape[0]]
    # Best cosine of any of the course's statements, for every target statement (row slices:
    # ``np.maximum.reduceat`` along axis 0 is ten times slower on a 320 × 16,000 matrix) ...
    per_course = np.stack(
        [sim[s:e].max(axis=0) for s, e in zip(chunk.course_starts, ends, strict=True)]
    )
    # ... averaged over each outcome's statements, then over each module's outcomes.
    if target.texts and len(target.outcome_starts) == len(target.texts):
        per_outcome = per_course  # one statement per outcome: nothing to average
    else:
        per_outcome = (
            np.add.reduceat(per_course, target.outcome_starts, axis=1) / target.outcome_sizes
        )
    module_mean = np.add.reduceat(per_outcome, target.module_starts, axis=1) / target.module_sizes
    module_max = np.maximum.reduceat(per_outcome, target.module_starts, axis=1)
    w = policy.alignment.lexical_weight
    # The best fused score a module's best outcome could reach, were its lexical score perfect:
    # a module below min_pair_score even then cannot produce a single pair.
    reachable = (1.0 - w) * module_max + w >= policy.alignment.min_pair_score
    score = np.where(reachable, module_mean, -np.inf)
    k = min(policy.options.candidate_modules, score.shape[1])
    if k <= 0:
        return [[] for _ in chunk.courses]
    top = np.argpartition(-score, k - 1, axis=1)[:, :k]
    out: list[list[int]] = []
    for row, cols in enumerate(top):
        ordered = cols[np.argsort(-score[row, cols], kind="stable")]
        out.append([int(c) for c in ordered if np.isfinite(score[row, c])])
    return out


def _lexical_candidates(chunk: _Chunk, target: TargetIndex, k: int) -> list[list[int]]:
    assert target.lexicon is not None
    out = []
    for c in range(len(chunk.courses)):
        start = chunk.course_starts[c]
        end = chunk.course_starts[c + 1] if c + 1 < len(chunk.courses) else len(chunk.texts)
        words = [t for text in chunk.texts[start:end] for t in tokens(text)]
        out.append(target.lexicon.candidates(words, k))
    return out


def rank_modules(
    chunk: _Chunk,
    sim: NDArray[np.float32] | None,
    target: TargetIndex,
    policy: ArticulationPolicy,
    sparse: SparseIndex | None = None,
) -> list[list[int]]:
    """The retrieval step: for each candidate of the chunk, the indexed modules worth rescoring,
    best first (by cosine with a model, by shared content words without one); with ``sparse``
    (the catalogue's TF-IDF over whole texts), its ``candidate_modules`` best modules are added
    after those, so a module the statements miss but the title or description find is rescored
    too (its dense evidence then counts in the course-level ranking)."""
    k = policy.options.candidate_modules
    if sim is not None:
        ranked = _semantic_candidates(sim, chunk, target, policy)
    else:
        ranked = _lexical_candidates(chunk, target, k)
    if sparse is None or k <= 0:
        return ranked
    scores = sparse.scores(chunk.courses)
    position = {target.modules[i].code: n for n, i in enumerate(target.indexed)}
    for row, found in enumerate(ranked):
        seen = set(found)
        for j in np.argsort(-scores[row], kind="stable")[:k]:
            if scores[row, j] <= 0.0:
                break
            m = position.get(sparse.codes[j])
            if m is not None and m not in seen:
                found.append(m)
                seen.add(m)
    return ranked


def _rescore(
    chunk: _Chunk,
    c: int,
    sim: NDArray[np.float32] | None,
    candidates: Sequence[int],
    target: TargetIndex,
    policy: ArticulationPolicy,
) -> CandidateMatch:
    """Exact fused scores of one course against its candidate modules."""
    course = chunk.courses[c]
    rows_start = chunk.course_starts[c]
    rows_end = chunk.course_starts[c + 1] if c + 1 < len(chunk.courses) else len(chunk.texts)
    if not candidates:
        return CandidateMatch(course.id, ())
    cols = np.concatenate(
        [np.arange(*target.stmt_module_range[m], dtype=np.int64) for m in candidates]
    )
    lex = rf_process.cdist(
        chunk.processed[rows_start:rows_end],
        [target.processed[k] for k in cols],
        scorer=fuzz.token_set_ratio,
        processor=None,
        workers=1,
    ).astype(np.float32) / np.float32(100.0)
    sem: NDArray[np.float32] | None = None
    if sim is not None:
        sem = np.clip(sim[rows_start:rows_end][:, cols], -1.0, 1.0)
        w = np.float32(policy.alignment.lexical_weight)
        fused = (np.float32(1.0) - w) * sem + w * lex
    else:
        fused = lex
    row_outcome = np.asarray(chunk.stmt_outcome[rows_start:rows_end], dtype=np.int64)
    n_course_outcomes = int(row_outcome.max()) + 1
    row_starts = _starts(row_outcome.tolist(), n_course_outcomes)
    # Outcome × target statement: the best statement of each course outcome.
    colmax = np.maximum.reduceat(fused, row_starts, axis=0)
    col_outcome = target.stmt_outcome[cols]
    # Local outcome groups along the candidate columns (contiguous by construction).
    change = np.flatnonzero(np.diff(col_outcome)) + 1
    group_starts = np.concatenate([[0], change]).astype(np.int64)
    sizes = np.diff(np.append(group_starts, len(cols))).astype(np.float32)
    item = np.add.reduceat(colmax, group_starts, axis=1) / sizes  # course outcome × module outcome
    best_source = np.argmax(item, axis=0)
    best = item[best_source, np.arange(item.shape[1])]
    # Evidence: for each target statement, the best row within the chosen course outcome.
    group_of_col = np.repeat(np.arange(len(group_starts)), sizes.astype(np.int64))
    chosen = best_source[group_of_col]
    masked = np.where(row_outcome[:, None] == chosen[None, :], fused, -np.inf)
    best_row = np.argmax(masked, axis=0)
    col_index = np.arange(len(cols))
    sem_ev = (
        np.add.reduceat(sem[best_row, col_index], group_starts) / sizes if sem is not None else None
    )
    lex_ev = np.add.reduceat(lex[best_row, col_index], group_starts) / sizes

    min_pair, cover = policy.alignment.thresholds(lexical_only=sim is None)
    matches: list[ModuleMatch] = []
    g = 0
    for m in candidates:
        module = target.modules[target.indexed[m]]
        n = len(module.outcomes)
        pairs: list[OutcomeMatch] = []
        covered: list[int] = []
        for j in range(n):
            score = float(best[g + j])
            if score >= min_pair:
                pairs.append(
                    OutcomeMatch(
                        j,
                        int(best_source[g + j]),
                        round(score, 4),
                        None if sem_ev is None else round(float(sem_ev[g + j]), 4),
                        round(float(lex_ev[g + j]), 4),
                    )
                )
                if score >= cover:
                    covered.append(j)
        g += n
        if pairs:
            matches.append(ModuleMatch(module.code, n, tuple(pairs), tuple(covered)))
    matches.sort(key=lambda mm: (-mm.coverage, -sum(p.score for p in mm.pairs)))
    return CandidateMatch(course.id, tuple(matches))


def match_courses(
    courses: Sequence[Candidate],
    target: TargetIndex,
    embedder: Embedder | None,
    policy: ArticulationPolicy,
    *,
    progress: Callable[[int], None] | None = None,
    sparse: SparseIndex | None = None,
) -> list[CandidateMatch]:
    """Each course's coverage of the target's modules (one :class:`CandidateMatch` per course,
    in input order; a course without outcomes matches nothing).

    ``embedder`` must be the one ``target`` was indexed with (or None for both). ``progress``
    is called with the number of courses finished after each chunk; ``sparse``: see
    :func:`rank_modules`.

    >>> ix = index_target([TargetModule("M", "M", ("lead a team", "paint portraits"))], None)
    >>> [m.coverage for m in match_courses([Candidate("c", "c", ("lead a team",))], ix, None,
    ...                                   ArticulationPolicy())[0].modules]
    [0.5]
    """
    if (embedder is None) != (target.vectors is None) and target.texts:
        raise ValueError("the target was indexed with a different embedder")
    out: dict[str, CandidateMatch] = {}
    size = max(1, policy.options.chunk_courses)
    done = 0
    for start in range(0, len(courses), size):
        part = courses[start : start + size]
        chunk = _chunk(part)
        if chunk.courses and target.texts:
            sim: NDArray[np.float32] | None = None
            if embedder is not None and target.vectors is not None:
                q = np.ascontiguousarray(embedder.encode(chunk.texts), dtype=np.float32)
                sim = q @ target.vectors.T
            candidates = rank_modules(chunk, sim, target, policy, sparse)
            for c in range(len(chunk.courses)):
                match = _rescore(chunk, c, sim, candidates[c], target, policy)
                out[chunk.courses[c].id] = match
        done += len(part)
        if progress is not None:
            progress(done)
    return [out.get(c.id, CandidateMatch(c.id, ())) for c in courses]
