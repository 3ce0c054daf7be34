"""Typed, frozen view of the learning-outcome policy (``mappings/policies/matching.yaml``).

The core reads thresholds and weights only from these values; ``app.reference.policies``
validates the YAML file and builds them. Tests build small policies by hand.

>>> p = MatchPolicy()
>>> p.for_model("all-MiniLM-L6-v2/onnx-int8").semantic_weight
0.8
>>> MatchPolicy(overrides=(ModelOverride("e5", semantic_weight=1.0, lexical_weight=0.0),)
...             ).for_model("multilingual-e5-small/q4").lexical_weight
0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

LEVELS = tuple(range(1, 9))  # EQF levels 1..8


@dataclass(frozen=True, slots=True)
class ModelOverride:
    """Fusion and thresholds for models whose id contains ``match`` (e.g. e5's narrow cosines)."""

    match: str
    semantic_weight: float | None = None
    lexical_weight: float | None = None
    min_score: float | None = None
    min_semantic: float | None = None


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How ESCO skills are retrieved, rescored and filtered for one outcome statement."""

    retrieval_rows: int = 150
    candidates: int = 50
    semantic_weight: float = 0.8
    lexical_weight: float = 0.2
    min_score: float = 0.45
    min_semantic: float = 0.30
    lexical_only_candidates: int = 200
    lexical_only_min_score: float = 0.70
    lexical_only_full_information: float = 0.63
    overrides: tuple[ModelOverride, ...] = ()

    def for_model(self, model_id: str | None) -> MatchPolicy:
        """This policy with the first override whose ``match`` is in ``model_id`` applied."""
        if model_id is None:
            return self
        for o in self.overrides:
            if o.match in model_id:
                return replace(
                    self,
                    semantic_weight=_pick(o.semantic_weight, self.semantic_weight),
                    lexical_weight=_pick(o.lexical_weight, self.lexical_weight),
                    min_score=_pick(o.min_score, self.min_score),
                    min_semantic=_pick(o.min_semantic, self.min_semantic),
                    overrides=(),
                )
        return self


def _pick(value: float | None, default: float) -> float:
    return default if value is None else value


@dataclass(frozen=True, slots=True)
class AlignPolicy:
    """Thresholds of outcome alignment; stricter ones apply without an embedding model.

    Lexically, two unrelated outcomes that share a verb ("design a database schema" / "design
    a marketing campaign") score 0.50–0.56, above a cover threshold meant for cosines, while
    paraphrases score 0.80–1.0: without a model the bar must be higher, or coverage (and with
    it recognition) is overstated.

    >>> AlignPolicy(0.4, 0.55, lexical_only_min_pair_score=0.6,
    ...             lexical_only_cover_threshold=0.75).thresholds(lexical_only=True)
    (0.6, 0.75)
    """

    min_pair_score: float = 0.50
    cover_threshold: float = 0.60
    lexical_weight: float = 0.3
    lexical_only_min_pair_score: float | None = None  # None: the same as with a model
    lexical_only_cover_threshold: float | None = None

    def thresholds(self, lexical_only: bool) -> tuple[float, float]:
        """``(min_pair_score, cover_threshold)`` for the mode the scores were computed in."""
        if not lexical_only:
            return self.min_pair_score, self.cover_threshold
        return (
            _pick(self.lexical_only_min_pair_score, self.min_pair_score),
            _pick(self.lexical_only_cover_threshold, self.cover_threshold),
        )


@dataclass(frozen=True, slots=True)
class BloomClass:
    name: str
    verbs: tuple[str, ...]
    profile: tuple[float, ...]  # one weight per EQF level 1..8


@dataclass(frozen=True, slots=True)
class Cue:
    phrases: tuple[str, ...]
    profile: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LevelPolicy:
    temperature: float = 0.05
    weight_descriptors: float = 1.0
    weight_verbs: float = 1.0
    weight_cues: float = 1.5
    weight_title: float = 2.5
    smoothing: float = 0.02
    title_min_score: float = 0.75
    title_top: int = 5
    bloom: tuple[BloomClass, ...] = ()
    cues: tuple[Cue, ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomePolicy:
    """The whole policy file: its version travels in every learning-outcome response."""

    version: str = "builtin"
    matching: MatchPolicy = field(default_factory=MatchPolicy)
    alignment: AlignPolicy = field(default_factory=AlignPolicy)
    level: LevelPolicy = field(default_factory=LevelPolicy)
