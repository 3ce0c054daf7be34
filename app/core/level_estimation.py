"""Estimate the EQF level (1–8) of a set of learning outcomes and an optional title.

Four signals, each a distribution over the eight levels with its evidence, pooled log-linearly
with the weights of the policy file (a signal that did not fire takes no part):

- **descriptors**: similarity of each statement to the EQF descriptors (knowledge, skills,
  responsibility and autonomy; 3 × 8 texts): cosine with an embedder, word overlap without;
  per statement a softmax over levels (``temperature``), averaged over statements;
- **verbs**: the leading action verb of each statement looked up in the Bloom classes of the
  policy, each class carrying an EQF profile;
- **cues**: phrases of the EQF vocabulary ("under supervision", "highly specialised", ...);
- **title**: fuzzy match of the title to qualification types with a known EQF level (Europass
  data in the release); the best ``top`` names above ``min_score``, weighted by score.

``confidence`` is the probability of the returned level. The evidence lists what each signal saw.

>>> from app.core.outcome_policy import LevelPolicy, BloomClass
>>> pol = LevelPolicy(bloom=(BloomClass("create", ("design",), (0,0,0,0,0,0.2,0.4,0.4)),))
>>> est = LevelEstimator([], [TitleReference("Master of Science", 7, "IE")], pol)
>>> r = est.estimate(["Design a research programme"], title="Master of Science in Physics")
>>> r.eqf_level, [e.signal for e in r.evidence]
(7, ['verbs', 'title'])
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.core.lexical import tokens
from app.core.outcome_policy import LEVELS, LevelPolicy
from app.core.outcomes import SegmentedOutcome, segment
from app.core.ports import Embedder
from app.core.qualification_search import NameIndex
from app.core.types import QualificationType

N_LEVELS = len(LEVELS)

#: Title references within this many points of the best match pool their levels.
_TITLE_NEAR = 5.0
_TITLE_MAX_REFERENCES = 25

#: Pooled top probability → observed accuracy, measured on the Europass check set
#: (tests/data/level_checkset.csv, each item with its own jurisdiction held out) by
#: ``benchmarks/levels.py --calibrate``; interpolated linearly between the points. The held-out
#: set of real mentions (benchmarks/data/level_mentions.csv) is never used to fit it.
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (0.2, 0.06), (0.3, 0.329), (0.4, 0.357), (0.5, 0.585), (0.6, 0.585),
    (0.7, 0.771), (0.8, 0.771), (0.9, 0.771), (1.0, 0.771),
)  # fmt: skip

#: Below this calibrated confidence the estimator abstains (``eqf_level: null``).
ABSTAIN_BELOW = 0.3


@dataclass(frozen=True, slots=True)
class Descriptor:
    level: int
    domain: str  # knowledge | skills | responsibility_autonomy
    text: str


@dataclass(frozen=True, slots=True)
class TitleReference:
    """A qualification type (or Europass example) whose EQF level is known."""

    name: str
    eqf_level: int
    jurisdiction: str
    alt_labels: tuple[str, ...] = ()  # abbreviations and other names (e.g. "HNC")


@dataclass(frozen=True, slots=True)
class LevelEvidence:
    signal: str  # descriptors | verbs | cues | title
    level: int  # the level this piece of evidence points to most
    weight: float  # the signal's pooling weight
    detail: str  # human-readable: what matched
    outcome_index: int | None = None
    segment: int | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class LevelEstimate:
    """The estimate; ``eqf_level`` is ``None`` when the estimator abstains (``abstain_reason``).

    ``confidence`` is calibrated: the share of correct answers among check-set items that had
    the same pooled probability (:data:`CALIBRATION`), not the pooled probability itself, which
    ``distribution`` keeps. ``most_likely`` is the distribution's peak, abstention or not.
    """

    eqf_level: int | None
    confidence: float
    distribution: tuple[float, ...]  # P(level 1..8)
    evidence: tuple[LevelEvidence, ...]
    signals: dict[str, tuple[float, ...]]  # each fired signal's own distribution
    abstain_reason: str | None = None

    @property
    def most_likely(self) -> int:
        return _peak(self.distribution)


def _peak(dist: Sequence[float]) -> int:
    return int(np.argmax(np.asarray(dist))) + 1


def _softmax(x: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    z = (x - x.max()) / temperature
    e = np.exp(z)
    out: NDArray[np.float64] = e / e.sum()
    return out


def _verb_forms(word: str) -> list[str]:
    """A few inflections back to the base form ("analyses" → "analyse", "designing" → "design")."""
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    return forms


_ADVERB_SLOTS = 3  # "critically evaluate", "effectively and safely use": look a few words in


class LevelEstimator:
    """Built once (descriptor vectors, processed title references); ``estimate`` is cheap."""

    def __init__(
        self,
        descriptors: Sequence[Descriptor],
        titles: Sequence[TitleReference],
        policy: LevelPolicy,
        embedder: Embedder | None = None,
    ) -> None:
        self.policy = policy
        self.embedder = embedder
        self.descriptors = [d for d in descriptors if d.text and 1 <= d.level <= N_LEVELS]
        self.titles = [t for t in titles if 1 <= t.eqf_level <= N_LEVELS]
        # The same word-aware lookup as GET /v1/qualification-types, in "contained" mode: the
        # title ("HNC Electrical Engineering") holds the type's name or one of its labels.
        self._title_index = NameIndex(
            [t.name for t in self.titles], [t.alt_labels for t in self.titles]
        )
        self._verbs: dict[str, list[int]] = {}
        for k, cls in enumerate(policy.bloom):
            for v in cls.verbs:
                self._verbs.setdefault(v, []).append(k)
        self._desc_vectors: NDArray[np.float32] | None = None
        if embedder is not None and self.descriptors:
            self._desc_vectors = embedder.encode([d.text for d in self.descriptors])
        self._desc_tokens = [set(tokens(d.text)) for d in self.descriptors]

    # --- signals ---------------------------------------------------------------------------

    def _descriptor_signal(
        self, statements: list[tuple[int, int, str]]
    ) -> tuple[NDArray[np.float64], list[LevelEvidence]] | None:
        if not self.descriptors or not statements:
            return None
        texts = [t for _o, _s, t in statements]
        if self._desc_vectors is not None and self.embedder is not None:
            sims = (self.embedder.encode(texts) @ self._desc_vectors.T).astype(np.float64)
        else:
            sims = np.zeros((len(texts), len(self.descriptors)))
            for i, text in enumerate(texts):
                toks = set(tokens(text))
                for j, dt in enumerate(self._desc_tokens):
                    inter = len(toks & dt)
                    sims[i, j] = inter / math.sqrt(max(len(toks), 1) * max(len(dt), 1))
        per_level = np.full((len(texts), N_LEVELS), -1.0)
        best_desc = np.zeros((len(texts), N_LEVELS), dtype=np.int64)
        for j, d in enumerate(self.descriptors):
            col = sims[:, j]
            better = col > per_level[:, d.level - 1]
            per_level[better, d.level - 1] = col[better]
            best_desc[better, d.level - 1] = j
        # Without a model, a statement sharing no word with any descriptor says nothing.
        informative = [i for i in range(len(texts)) if per_level[i].max() > 0]
        if not informative:
            return None
        dists = np.vstack([_softmax(per_level[i], self.policy.temperature) for i in informative])
        evidence = []
        for i in informative:
            o, s, _t = statements[i]
            lvl = int(np.argmax(per_level[i])) + 1
            d = self.descriptors[int(best_desc[i, lvl - 1])]
            evidence.append(
                LevelEvidence(
                    signal="descriptors",
                    level=lvl,
                    weight=self.policy.weight_descriptors,
                    detail=f"closest EQF {d.level} {d.domain} descriptor: {d.text}",
                    outcome_index=o,
                    segment=s,
                    score=round(float(per_level[i, lvl - 1]), 4),
                )
            )
        return dists.mean(axis=0), evidence

    def _verb_signal(
        self, statements: list[tuple[int, int, str]]
    ) -> tuple[NDArray[np.float64], list[LevelEvidence]] | None:
        found: list[NDArray[np.float64]] = []
        evidence = []
        for o, s, text in statements:
            words = [w for w in text.lower().replace("/", " ").split() if w.isalpha()]
            hit: tuple[str, list[int]] | None = None
            for w in words[:_ADVERB_SLOTS]:
                for form in _verb_forms(w):
                    if form in self._verbs:
                        hit = (form, self._verbs[form])
                        break
                if hit:
                    break
            if hit is None:
                continue
            verb, classes = hit
            prof = np.mean([self.policy.bloom[k].profile for k in classes], axis=0)
            found.append(prof)
            names = "/".join(self.policy.bloom[k].name for k in classes)
            evidence.append(
                LevelEvidence(
                    signal="verbs",
                    level=_peak(prof),
                    weight=self.policy.weight_verbs,
                    detail=f"action verb '{verb}' (Bloom: {names})",
                    outcome_index=o,
                    segment=s,
                )
            )
        if not found:
            return None
        return np.mean(found, axis=0), evidence

    def _cue_signal(
        self, statements: list[tuple[int, int, str]]
    ) -> tuple[NDArray[np.float64], list[LevelEvidence]] | None:
        found: list[NDArray[np.float64]] = []
        evidence = []
        for o, s, text in statements:
            low = f" {' '.join(text.lower().split())} "
            for cue in self.policy.cues:
                for phrase in cue.phrases:
                    if f" {phrase} " in low or f" {phrase}," in low or f" {phrase};" in low:
                        found.append(np.asarray(cue.profile))
                        evidence.append(
                            LevelEvidence(
                                signal="cues",
                                level=_peak(cue.profile),
                                weight=self.policy.weight_cues,
                                detail=f"phrase '{phrase}'",
                                outcome_index=o,
                                segment=s,
                            )
                        )
                        break  # one phrase per cue group and statement
        if not found:
            return None
        return np.mean(found, axis=0), evidence

    def _title_signal(
        self, title: str | None, exclude: frozenset[str]
    ) -> tuple[NDArray[np.float64], list[LevelEvidence]] | None:
        if not title or not self.titles:
            return None
        floor = 100.0 * self.policy.title_min_score
        hits: list[tuple[int, float]] = []
        # A title usually holds a type's name ("HNC Electrical Engineering"); a short title may
        # instead be most of a longer name ("Apprenticeship Bricklayer"): tried second.
        for mode in ("contained", "query"):
            hits = [
                (i, score)
                for i, score in self._title_index.search(title, mode=mode, floor=floor)
                if self.titles[i].jurisdiction not in exclude
            ]
            if hits:
                break
        if not hits:
            return None
        # Every reference within a few points of the best counts: one name ("Bachelor") is
        # placed by many countries, and their levels together are the evidence.
        best = hits[0][1]
        near = [(i, sc) for i, sc in hits if sc >= best - _TITLE_NEAR][:_TITLE_MAX_REFERENCES]
        dist = np.zeros(N_LEVELS)
        for i, sc in near:
            dist[self.titles[i].eqf_level - 1] += sc / 100.0
        evidence = []
        for i, sc in near[: self.policy.title_top]:
            ref = self.titles[i]
            evidence.append(
                LevelEvidence(
                    signal="title",
                    level=ref.eqf_level,
                    weight=self.policy.weight_title,
                    detail=f"title matches '{ref.name}' ({ref.jurisdiction}, EQF {ref.eqf_level})",
                    score=round(sc / 100.0, 4),
                )
            )
        return dist / dist.sum(), evidence

    # --- public ----------------------------------------------------------------------------

    def estimate_segmented(
        self,
        outcomes: Sequence[SegmentedOutcome],
        title: str | None = None,
        *,
        exclude_jurisdictions: frozenset[str] = frozenset(),
    ) -> LevelEstimate:
        """Pool the signals; ``exclude_jurisdictions`` hides title references (for evaluation)."""
        statements = [
            (o, s, seg.text) for o, out in enumerate(outcomes) for s, seg in enumerate(out.segments)
        ]
        p = self.policy
        pooled = np.zeros(N_LEVELS)
        total_weight = 0.0
        signals: dict[str, tuple[float, ...]] = {}
        evidence: list[LevelEvidence] = []
        for name, weight, result in (
            ("descriptors", p.weight_descriptors, self._descriptor_signal(statements)),
            ("verbs", p.weight_verbs, self._verb_signal(statements)),
            ("cues", p.weight_cues, self._cue_signal(statements)),
            ("title", p.weight_title, self._title_signal(title, exclude_jurisdictions)),
        ):
            if result is None or weight <= 0:
                continue
            dist, ev = result
            signals[name] = tuple(round(float(x), 6) for x in dist)
            evidence.extend(ev)
            pooled += weight * np.log(dist + p.smoothing)
            total_weight += weight
        if total_weight == 0:
            final = np.full(N_LEVELS, 1.0 / N_LEVELS)
        else:
            final = _softmax(pooled / total_weight, 1.0)
        final = final / final.sum()
        level = int(np.argmax(final)) + 1
        confidence = calibrated(float(final[level - 1]))
        reason = None
        if not signals:
            reason = (
                "no evidence: no statement gave a verb, cue or descriptor signal and the title "
                "matched no qualification type"
            )
        elif confidence < ABSTAIN_BELOW:
            reason = (
                f"evidence too weak: EQF {level} is the most likely level, but items with "
                f"this little agreement were right only {confidence:.0%} of the time"
            )
        return LevelEstimate(
            eqf_level=None if reason else level,
            confidence=0.0 if not signals else round(confidence, 6),
            distribution=tuple(round(float(x), 6) for x in final),
            evidence=tuple(evidence),
            signals=signals,
            abstain_reason=reason,
        )

    def estimate(
        self,
        outcomes: Sequence[str],
        title: str | None = None,
        *,
        exclude_jurisdictions: frozenset[str] = frozenset(),
    ) -> LevelEstimate:
        return self.estimate_segmented(
            [segment(o) for o in outcomes], title, exclude_jurisdictions=exclude_jurisdictions
        )


def title_references(types: Iterable[QualificationType]) -> list[TitleReference]:
    """The qualification types whose EQF level is known, as title references.

    QF-EHEA rows repeat a national type at its cycle: they are counted once, at the national
    level.
    """
    return [
        TitleReference(q.name, q.eqf_level, q.jurisdiction, q.alt_labels)
        for q in types
        if q.eqf_level is not None and q.framework != "QF-EHEA"
    ]


def calibrated(raw: float) -> float:
    """The calibrated confidence of a pooled top probability ``raw`` (:data:`CALIBRATION`).

    >>> calibrated(0.0), calibrated(1.0) <= 1.0
    (0.0, True)
    """
    xs = [x for x, _y in CALIBRATION]
    ys = [y for _x, y in CALIBRATION]
    return float(np.interp(raw, xs, ys))


def level_histogram(levels: Sequence[int]) -> dict[int, int]:
    """Count of items per EQF level (for reports)."""
    c = Counter(levels)
    return {lvl: c.get(lvl, 0) for lvl in LEVELS}
