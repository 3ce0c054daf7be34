"""Alignment of two outcome lists: pairs, coverage, uncovered targets, thresholds from policy."""

from __future__ import annotations

import pytest

from app.core.alignment import align
from app.core.outcome_policy import AlignPolicy
from tests.core.outcome_toys import WordEmbedder

SOURCE = ["write SQL queries against a relational database", "lead a small team"]
TARGET = ["query a relational database with SQL", "paint portraits in oil", "lead a team"]


def test_pairs_coverage_and_uncovered() -> None:
    result = align(SOURCE, TARGET, WordEmbedder(), AlignPolicy(0.3, 0.5, 0.3))
    pairs = {(p.source_index, p.target_index) for p in result.pairs}
    assert (0, 0) in pairs
    assert (1, 2) in pairs
    assert result.uncovered_target == (1,)
    assert result.coverage == round(2 / 3, 6)
    assert [p.score for p in result.pairs] == sorted((p.score for p in result.pairs), reverse=True)


def test_thresholds_come_from_the_policy() -> None:
    strict = align(SOURCE, TARGET, WordEmbedder(), AlignPolicy(0.99, 0.99, 0.3))
    assert strict.pairs == ()
    assert strict.coverage == 0.0
    assert strict.uncovered_target == (0, 1, 2)


def test_lexical_only_alignment() -> None:
    result = align(["write SQL queries"], ["write SQL queries", "paint portraits"])
    assert result.pairs[0].semantic is None
    assert result.pairs[0].score == 1.0
    assert result.uncovered_target == (1,)


def test_multi_statement_target_is_averaged() -> None:
    # Target 0 has two statements; the source covers only one, so coverage of it is partial.
    result = align(
        ["write SQL queries"],
        ["write SQL queries; paint portraits in oil"],
        policy=AlignPolicy(0.1, 0.9, 0.3),
    )
    assert result.target[0].is_split
    assert 0.4 < result.best_for_target[0] < 0.9
    assert result.uncovered_target == (0,)
    assert result.pairs[0].target_segment == 0


# Unrelated outcomes that share only a verb, and paraphrases (the examples behind the
# lexical-only thresholds of mappings/policies/matching.yaml).
SHARED_VERB = [
    ("analyse financial statements of small companies", "analyse patient data"),
    ("design a relational database schema", "design a marketing campaign"),
    ("evaluate research literature in nursing", "evaluate teaching methods"),
    ("write SQL queries to retrieve data", "write a business report"),
    ("apply hazard analysis in food production", "apply first aid"),
]
PARAPHRASES = [
    ("design a relational database schema", "design relational database structures"),
    ("write SQL queries to retrieve data", "retrieve data with SQL queries"),
    ("evaluate research literature in nursing", "critically evaluate nursing research"),
    ("communicate effectively with patients and families", "communicate with patients and kin"),
]


def test_lexical_only_does_not_cover_on_a_shared_verb() -> None:
    from app.reference.policies import load_policy

    policy = load_policy().alignment
    for source, target in SHARED_VERB:
        result = align([source], [target], None, policy)
        assert result.coverage == 0.0, (source, target, result.best_for_target)
        assert result.pairs == ()
        # With a model's thresholds the same lexical score would have covered it.
        assert result.best_for_target[0] >= policy.cover_threshold - 0.05
    for source, target in PARAPHRASES:
        assert align([source], [target], None, policy).coverage == 1.0, (source, target)


def test_lexical_only_thresholds_default_to_the_model_ones() -> None:
    plain = AlignPolicy(0.4, 0.55, 0.3)
    assert plain.thresholds(lexical_only=True) == plain.thresholds(lexical_only=False)
    strict = AlignPolicy(0.4, 0.55, 0.3, 0.6, 0.75)
    assert strict.thresholds(lexical_only=True) == (0.6, 0.75)
    assert strict.thresholds(lexical_only=False) == (0.4, 0.55)


def _item_score(source: list[str], target: list[str]) -> float:
    from app.core.alignment import statement_similarity

    fused = statement_similarity(source, target, WordEmbedder(), 0.3)[0]
    return float(fused.max(axis=0).mean())


def test_item_scores_are_the_mean_of_best_statement_scores() -> None:
    # Reference by brute force: for target outcome j and source outcome i, each statement of j
    # takes its best statement of i; the item score is their mean; best_for_target its maximum.
    import random

    from app.core.alignment import statement_similarity
    from app.core.outcomes import segment

    words = [
        "analyse",
        "design",
        "database",
        "manage",
        "team",
        "write",
        "report",
        "apply",
        "safety",
        "lead",
        "data",
    ]
    rng = random.Random(3)

    def outcome() -> str:
        return "; ".join(
            " ".join(rng.sample(words, rng.randint(2, 4))) for _ in range(rng.randint(1, 3))
        )

    policy = AlignPolicy(0.0, 0.5, 0.3)
    for _ in range(40):
        source = [outcome() for _ in range(rng.randint(1, 5))]
        target = [outcome() for _ in range(rng.randint(1, 6))]
        s_seg = [[s.text for s in segment(o).segments] for o in source]
        t_seg = [[s.text for s in segment(o).segments] for o in target]
        result = align(source, target, WordEmbedder(), policy)
        for j, t_statements in enumerate(t_seg):
            expected = max(_item_score(s_statements, t_statements) for s_statements in s_seg)
            assert result.best_for_target[j] == pytest.approx(round(expected, 6), abs=1e-6)
        for p in result.pairs:
            fused = statement_similarity(s_seg[p.source_index], t_seg[p.target_index], None, 0.3)
            assert 0 <= p.source_segment < len(s_seg[p.source_index])
            assert 0 <= p.target_segment < len(t_seg[p.target_index])
            assert fused[2][p.source_segment, p.target_segment] == pytest.approx(p.lexical)
