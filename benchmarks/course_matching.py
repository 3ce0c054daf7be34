"""Benchmark: course-level articulation on real course pairs (``benchmarks/data/course_pairs``).

53 University of Toronto anthropology courses — 47 from Mississauga, 6 from Scarborough — against
the 41-module St. George anthropology catalogue, labelled from the university's own published
exclusions (see PROVENANCE.md): 10 equivalent, 11 partial (a half course excluded by a full-year
one), 32 none (no exclusion; many with look-alike titles or course numbers). Texts are titles and
published descriptions; a description's sentences serve as its outcomes for the statement
alignment.

The set is split once, deterministically: within each label, courses sorted by code alternate
between the **calibration** half (weight and bar are chosen there) and the **held-out** half
(figures reported). Printed for the held-out half, side by side in one run:

* plain TF-IDF — scikit-learn's default ``TfidfVectorizer`` cosine over the whole text;
* dense only — the statement alignment (``match_courses``) ranked by mean outcome score; its
  proposals are the existing outcome-based ``propose`` (any module proposed for the course);
* sparse channel — the engine's TF-IDF alone (weight 1);
* fused — the engine (``app.core.transfer.sparse.rank_courses``), weight and bar as shipped and
  as chosen on the calibration half.

recall@k: the labelled module among the first k (equivalents; and equivalents + partials).
false proposals: "none" courses that get a proposal.

Run: ``PYTHONPATH=. python benchmarks/course_matching.py [--backend auto|onnx|fake|none]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.articulation import propose  # noqa: E402
from app.core.credits import Range  # noqa: E402
from app.core.ports import Embedder  # noqa: E402
from app.core.transfer.align import index_target, match_courses  # noqa: E402
from app.core.transfer.sparse import (  # noqa: E402
    PROPOSAL_BAR,
    SPARSE_WEIGHT,
    dense_scores,
    fuse,
    sparse_index,
    whole_text,
)
from app.core.transfer.types import ArticulationPolicy, Course, TargetModule  # noqa: E402

PAIRS = ROOT / "benchmarks" / "data" / "course_pairs"
DATA = PAIRS / "uoft_anthropology.json"
#: More incoming courses against the same catalogue (their file names it in ``catalogue_file``).
EXTRA = (PAIRS / "uoft_anthropology_utsc.json",)
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"'(])")
_HOURS = re.compile(r"\[[^\]]*\]")


def sentences(text: str) -> tuple[str, ...]:
    """A description's sentences (the contact-hour codes "[24L, 12P]" dropped)."""
    clean = _HOURS.sub("", text).strip()
    return tuple(s.strip() for s in _SENTENCE.split(clean) if len(s.strip()) > 3)


@dataclass(frozen=True)
class Pair:
    course: Course
    label: str  # equivalent | partial | none
    target: str | None
    split: str  # calibration | held-out


def load() -> tuple[list[TargetModule], list[Pair]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))

    def ects(credits: float) -> Range:
        # Both sides use the same unit, so only the ratio matters to the outcome-based proposals'
        # credit rule; 0.5 UofT credit (one term) is written as 5.
        return Range(credits * 10.0, credits * 10.0)

    modules = [
        TargetModule(
            m["code"],
            m["title"],
            sentences(m["description"]),
            ects(m["credits"]),
            description=_HOURS.sub("", m["description"]).strip(),
        )
        for m in data["catalogue"]
    ]
    incoming = list(data["courses"])
    for extra in EXTRA:
        more = json.loads(extra.read_text(encoding="utf-8"))
        assert more["catalogue_file"] == DATA.name, extra
        incoming += more["courses"]
    pairs: list[Pair] = []
    for label in ("equivalent", "partial", "none"):
        rows = sorted((c for c in incoming if c["label"] == label), key=lambda c: c["code"])
        for n, c in enumerate(rows):
            course = Course(
                c["code"],
                c["title"],
                sentences(c["description"]),
                ects(c["credits"]),
                description=_HOURS.sub("", c["description"]).strip(),
            )
            pairs.append(
                Pair(course, label, c["target"], "calibration" if n % 2 == 0 else "held-out")
            )
    return modules, pairs


# --- scoring ---------------------------------------------------------------------------------


def plain_tfidf(modules: Sequence[TargetModule], courses: Sequence[Course]) -> NDArray[np.float32]:
    vec = TfidfVectorizer()
    m = vec.fit_transform([whole_text(x.title, x.description, x.outcomes) for x in modules])
    q = vec.transform([whole_text(x.title, x.description, x.outcomes) for x in courses])
    return np.asarray((q @ m.T).toarray(), dtype=np.float32)


@dataclass(frozen=True)
class Figures:
    r1_eq: float
    r3_eq: float
    r1_all: float
    r3_all: float
    false_rate: float
    proposed_right: float  # equivalents + partials whose proposal is the labelled module


def figures(
    scores: NDArray[np.float32],
    proposed: Sequence[str | None],
    pairs: Sequence[Pair],
    codes: Sequence[str],
) -> Figures:
    def rank_of(i: int, target: str) -> int:
        order = np.argsort(-scores[i], kind="stable")
        return int(np.flatnonzero(np.asarray(codes)[order] == target)[0]) + 1

    eq = [i for i, p in enumerate(pairs) if p.label == "equivalent"]
    pos = [i for i, p in enumerate(pairs) if p.label != "none"]
    none = [i for i, p in enumerate(pairs) if p.label == "none"]

    def recall(idx: list[int], k: int) -> float:
        return sum(rank_of(i, pairs[i].target or "") <= k for i in idx) / max(1, len(idx))

    return Figures(
        recall(eq, 1),
        recall(eq, 3),
        recall(pos, 1),
        recall(pos, 3),
        sum(proposed[i] is not None for i in none) / max(1, len(none)),
        sum(proposed[i] == pairs[i].target for i in pos) / max(1, len(pos)),
    )


def bar_proposals(fused: NDArray[np.float32], codes: Sequence[str], bar: float) -> list[str | None]:
    best = np.argmax(fused, axis=1)
    return [codes[j] if fused[i, j] >= bar else None for i, j in enumerate(best)]


def calibrate(
    sparse: NDArray[np.float32],
    dense: NDArray[np.float32],
    pairs: Sequence[Pair],
    codes: Sequence[str],
) -> tuple[float, float]:
    """Weight and bar on the calibration half: the weight with the best recall@3 on equivalents
    + partials (ties: recall@1), then the lowest bar keeping false proposals ≤ 10 %."""
    best: tuple[tuple[float, float, float], float, float] | None = None
    for w in np.round(np.arange(0.0, 1.01, 0.1), 2):
        fused = fuse(sparse, dense, float(w))
        none = [i for i, p in enumerate(pairs) if p.label == "none"]
        tops = sorted(float(fused[i].max()) for i in none)
        # the lowest bar with at most 10 % of the "none" courses at or above it
        allowed = int(0.10 * len(none))
        bar = tops[len(tops) - allowed - 1] + 1e-4 if len(tops) > allowed else 0.0
        f = figures(fused, bar_proposals(fused, codes, bar), pairs, codes)
        key = (f.r3_all, f.r1_all, f.proposed_right)
        if best is None or key > best[0]:
            best = (key, float(w), bar)
    assert best is not None
    return best[1], round(best[2], 4)


# --- run ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", default="auto", choices=["auto", "onnx", "torch", "fake", "none"]
    )
    args = parser.parse_args()
    from benchmarks.machine import cpu_description

    print(f"cpu: {cpu_description()}")
    modules, pairs = load()
    codes = [m.code for m in modules]
    embedder: Embedder | None = None
    backend = "none"
    if args.backend != "none":
        from app.adapters.embeddings.registry import select_embedders
        from app.settings import EmbeddingSettings

        choice = select_embedders(EmbeddingSettings(backend=args.backend))  # type: ignore[arg-type]
        embedder, backend = choice.embedder, choice.backend
    from app.reference.articulation_policy import load_articulation_policy

    policy: ArticulationPolicy
    policy, _ = load_articulation_policy(ROOT / "mappings")
    model = embedder.model_id if embedder else "none (lexical only)"
    print(f"backend: {backend}, model {model}; policy {policy.version}")
    print(
        f"data: {len(modules)} catalogue modules, {len(pairs)} courses "
        f"({sum(p.label == 'equivalent' for p in pairs)} equivalent, "
        f"{sum(p.label == 'partial' for p in pairs)} partial, "
        f"{sum(p.label == 'none' for p in pairs)} none); "
        f"calibration {sum(p.split == 'calibration' for p in pairs)}, "
        f"held-out {sum(p.split == 'held-out' for p in pairs)}"
    )

    index = index_target(modules, embedder)
    every = [p.course for p in pairs]
    # The dense channel rescoring every module (the catalogue is small).
    wide = replace(policy, options=replace(policy.options, candidate_modules=len(modules)))
    matches = match_courses(every, index, embedder, wide)
    sparse_ix = sparse_index(modules)
    sparse_all = sparse_ix.scores(every)
    dense_all = dense_scores(matches, modules)
    plain_all = plain_tfidf(modules, every)
    outcome_props = propose(every, modules, matches, policy)

    cal = [i for i, p in enumerate(pairs) if p.split == "calibration"]
    held = [i for i, p in enumerate(pairs) if p.split == "held-out"]
    w, bar = calibrate(sparse_all[cal], dense_all[cal], [pairs[i] for i in cal], codes)
    print(
        f"calibration half: weight {w}, bar {bar}  "
        f"(shipped: weight {SPARSE_WEIGHT}, bar {PROPOSAL_BAR})"
    )

    def run(name: str, scores: NDArray[np.float32], proposed: list[str | None]) -> None:
        hp = [pairs[i] for i in held]
        f = figures(scores[held], [proposed[i] for i in held], hp, codes)
        print(
            f"  {name:<34} R@1 eq {f.r1_eq:.2f}  R@3 eq {f.r3_eq:.2f}  "
            f"R@1 eq+partial {f.r1_all:.2f}  R@3 eq+partial {f.r3_all:.2f}  "
            f"right proposal {f.proposed_right:.2f}  false proposals on none {f.false_rate:.2f}"
        )

    print(f"held-out half ({len(held)} courses):")
    plain_bar = calibrate(plain_all[cal], plain_all[cal], [pairs[i] for i in cal], codes)[1]
    run(f"plain TF-IDF (bar {plain_bar})", plain_all, bar_proposals(plain_all, codes, plain_bar))
    dense_props: list[str | None] = []
    for p in pairs:
        got = outcome_props.by_course.get(p.course.id, ())
        dense_props.append(got[0] if got else None)
    run("dense only (outcome proposals)", dense_all, dense_props)
    sparse_bar = calibrate(sparse_all[cal], sparse_all[cal], [pairs[i] for i in cal], codes)[1]
    run(
        f"sparse channel (bar {sparse_bar})",
        sparse_all,
        bar_proposals(sparse_all, codes, sparse_bar),
    )
    shipped = fuse(sparse_all, dense_all, SPARSE_WEIGHT)
    run(
        f"fused, shipped (w {SPARSE_WEIGHT}, bar {PROPOSAL_BAR})",
        shipped,
        bar_proposals(shipped, codes, PROPOSAL_BAR),
    )
    chosen = fuse(sparse_all, dense_all, w)
    run(f"fused, calibrated (w {w}, bar {bar})", chosen, bar_proposals(chosen, codes, bar))
    print("targets: R@3 on equivalents >= 0.90, false proposals on none <= 0.10")


if __name__ == "__main__":
    main()
