"""Articulation: one-to-one, one-to-many within credits, many-to-one as a set cover, level and
credit checks, and the matrix pipeline (chunking, retrieval, lexical-only) giving the same
answers as the straightforward alignment."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.adapters.db.transfer_codec import (
    course_from_json,
    course_to_json,
    match_from_json,
    match_to_json,
)
from app.adapters.embeddings.hashing import HashingEmbedder
from app.core.alignment import align
from app.core.articulation import Kind, articulate, propose
from app.core.credits import Range
from app.core.outcome_policy import AlignPolicy
from app.core.transfer.align import index_target, match_courses
from app.core.transfer.rules import credit_check
from app.core.transfer.types import (
    ArticulationOptions,
    ArticulationPolicy,
    Course,
    Decision,
    TargetModule,
)
from tests.core.outcome_toys import WordEmbedder

POLICY = ArticulationPolicy()

DB = TargetModule(
    "DB",
    "Databases",
    (
        "design relational database schemas",
        "write SQL queries that join tables",
        "normalise tables to third normal form",
    ),
    Range(5, 5),
    6,
)
PY = TargetModule(
    "PY",
    "Programming",
    ("write Python programs with functions", "test Python code with unit tests"),
    Range(5, 5),
    6,
)
ETH = TargetModule(
    "ETH",
    "Data ethics",
    (
        "identify ethical dilemmas in data analysis",
        "assess a scenario against data protection law",
        "explain the principles of the GDPR",
    ),
    Range(5, 5),
    6,
)
ART = TargetModule("ART", "Portraits", ("paint portraits in oil",), Range(5, 5), 6)
SILENT = TargetModule("SIL", "No outcomes", (), Range(5, 5), 6)
MODULES = (DB, PY, ETH, ART, SILENT)


def course(cid: str, *outcomes: str, ects: float | None = 5, eqf: int | None = 6) -> Course:
    return Course(cid, cid, outcomes, Range(ects, ects) if ects is not None else None, eqf)


def proposals(result, code):  # type: ignore[no-untyped-def]
    return next(m for m in result.modules if m.module.code == code).proposals


@pytest.fixture(params=["lexical", "hashing", "words"])
def embedder(request: pytest.FixtureRequest) -> object:
    return {"lexical": None, "hashing": HashingEmbedder(256), "words": WordEmbedder()}[
        request.param
    ]


def test_one_to_one_replacement_with_evidence(embedder: object) -> None:
    c = course("c1", *DB.outcomes)
    result = articulate([c], MODULES, embedder, POLICY)  # type: ignore[arg-type]
    [p] = proposals(result, "DB")
    assert (p.kind, p.decision, p.courses, p.coverage) == (
        Kind.ONE_TO_ONE,
        Decision.REPLACE,
        ("c1",),
        1.0,
    )
    assert {(e.course_outcome, e.module_outcome) for e in p.pairs} == {(0, 0), (1, 1), (2, 2)}
    assert all(e.score >= POLICY.alignment.cover_threshold for e in p.pairs)
    assert p.level[0].compatible is True
    assert p.credits.sufficient is True and p.credits.ratio == 1.0
    assert p.uncovered == ()
    assert result.by_course == {"c1": ("DB",)}
    assert result.exempted_credits() == Range(5, 5)


def test_one_to_many_within_the_course_credits(embedder: object) -> None:
    both = course("big", *DB.outcomes, *PY.outcomes, ects=10)
    result = articulate([both], MODULES, embedder, POLICY)  # type: ignore[arg-type]
    db, py = proposals(result, "DB")[0], proposals(result, "PY")[0]
    assert db.kind is Kind.ONE_TO_MANY and py.kind is Kind.ONE_TO_MANY
    assert db.siblings == ("PY",) and py.siblings == ("DB",)
    assert db.decision is Decision.REPLACE and py.decision is Decision.REPLACE


def test_credits_already_allocated_make_the_second_module_conditional() -> None:
    # 5 ECTS cover one 5-ECTS module (4 needed at ratio 0.8), not two.
    small = course("small", *DB.outcomes, *PY.outcomes, ects=5)
    result = articulate([small], MODULES, None, POLICY)
    decisions = sorted(
        (p.module, p.kind.value, p.decision.value)
        for code in ("DB", "PY")
        for p in proposals(result, code)
    )
    assert decisions == [
        ("DB", "one_to_one", "replace"),  # best covered (3 outcomes) takes the credits
        ("PY", "one_to_one", "conditional"),
    ]
    py = proposals(result, "PY")[0]
    assert any("allocated to DB" in r for r in py.reasons)


def test_many_to_one_is_the_smallest_irredundant_group(embedder: object) -> None:
    a = course("a", ETH.outcomes[0], ects=3)
    b = course("b", ETH.outcomes[1], ects=3)
    c = course("c", ETH.outcomes[2], ects=3)
    noise = course("n", "paint portraits in oil", ects=5)
    result = articulate([a, b, c, noise], MODULES, embedder, POLICY)  # type: ignore[arg-type]
    groups = [p for p in proposals(result, "ETH") if p.kind is Kind.MANY_TO_ONE]
    assert groups, proposals(result, "ETH")
    best = groups[0]
    # 3 outcomes, 70% needed → 3 covered: all three courses, each covering its own outcome.
    assert sorted(best.courses) == ["a", "b", "c"]
    assert best.decision is Decision.REPLACE
    assert best.credits.courses_ects == Range(9, 9)
    assert {e.course for e in best.pairs} == {"a", "b", "c"}
    assert "n" not in {cid for p in proposals(result, "ETH") for cid in p.courses}


def test_many_to_one_needs_enough_credits_together() -> None:
    a = course("a", ETH.outcomes[0], ETH.outcomes[1], ects=1)
    b = course("b", ETH.outcomes[2], ects=1)
    result = articulate([a, b], MODULES, None, POLICY)
    groups = [p for p in proposals(result, "ETH") if p.kind is Kind.MANY_TO_ONE]
    # 2 ECTS against 5: below the bridgeable ratio (0.5), so no group is proposed.
    assert groups == []
    a2 = replace(a, credits_ects=Range(1.5, 1.5))
    b2 = replace(b, credits_ects=Range(1.5, 1.5))
    result = articulate([a2, b2], MODULES, None, POLICY)
    [group] = [p for p in proposals(result, "ETH") if p.kind is Kind.MANY_TO_ONE]
    assert group.decision is Decision.CONDITIONAL  # 3 of 5 ECTS: bridgeable
    assert group.credits.bridgeable


def test_a_course_below_the_module_level_is_not_proposed() -> None:
    low = course("low", *DB.outcomes, eqf=4)
    result = articulate([low], MODULES, None, POLICY)
    assert proposals(result, "DB") == ()
    assert result.unmatched_courses == ("low",)
    unknown = course("unknown", *DB.outcomes, eqf=None)
    [p] = proposals(articulate([unknown], MODULES, None, POLICY), "DB")
    assert p.level[0].compatible is None
    assert any("not known" in r for r in p.reasons)


def test_partial_coverage_is_conditional_and_names_what_to_assess() -> None:
    two_of_three = course("part", DB.outcomes[0], DB.outcomes[1])
    [p] = proposals(articulate([two_of_three], MODULES, None, POLICY), "DB")
    assert p.decision is Decision.CONDITIONAL
    assert p.uncovered == (2,)
    assert round(p.coverage, 2) == 0.67


def test_credit_check_follows_the_policy_ratios() -> None:
    rules = POLICY.rules
    assert credit_check(Range(4, 4), DB, rules).sufficient is True
    short = credit_check(Range(3, 3), DB, rules)
    assert (short.sufficient, short.bridgeable) == (False, True)
    far = credit_check(Range(1, 1), DB, rules)
    assert (far.sufficient, far.bridgeable) == (False, False)
    assert credit_check(None, DB, rules).sufficient is None
    # A range: the course's upper bound against the module's lower bound.
    assert credit_check(Range(3, 4), replace(DB, credits_ects=Range(5, 6)), rules).ratio == 0.8


def test_modules_without_outcomes_and_courses_without_outcomes_match_nothing() -> None:
    empty = Course("e", "e", ())
    ix = index_target(MODULES, None)
    assert ix.indexed == (0, 1, 2, 3)  # SIL has no outcomes
    [m] = match_courses([empty], ix, None, POLICY)
    assert m.modules == ()


def test_scores_agree_with_the_plain_alignment(embedder: object) -> None:
    # The matrix pipeline must give each module outcome the score align() gives it.
    outcomes = ("write SQL queries; design relational schemas", "lead a small team")
    c = course("c", *outcomes)
    ix = index_target(MODULES, embedder)  # type: ignore[arg-type]
    [m] = match_courses([c], ix, embedder, POLICY)  # type: ignore[arg-type]
    for mm in m.modules:
        module = next(x for x in MODULES if x.code == mm.module)
        reference = align(list(outcomes), list(module.outcomes), embedder, POLICY.alignment)  # type: ignore[arg-type]
        for pair in mm.pairs:
            assert pair.score == pytest.approx(
                reference.best_for_target[pair.module_outcome], abs=1e-4
            )


def test_chunking_does_not_change_the_answer() -> None:
    emb = HashingEmbedder(256)
    courses = [
        course("c1", *DB.outcomes),
        course("c2", ETH.outcomes[0]),
        course("c3", ETH.outcomes[1], ETH.outcomes[2]),
        course("c4", "paint portraits in oil", "mix oil colours"),
        Course("c5", "no outcomes", ()),
        course("c6", *PY.outcomes),
    ]
    ix = index_target(MODULES, emb)
    one = replace(POLICY, options=replace(POLICY.options, chunk_courses=1))
    many = replace(POLICY, options=replace(POLICY.options, chunk_courses=64))
    assert match_courses(courses, ix, emb, one) == match_courses(courses, ix, emb, many)
    seen: list[int] = []
    match_courses(courses, ix, emb, replace(one), progress=seen.append)
    assert seen == [1, 2, 3, 4, 5, 6]


def test_retrieval_keeps_only_the_best_candidate_modules() -> None:
    emb = HashingEmbedder(256)
    narrow = replace(POLICY, options=ArticulationOptions(candidate_modules=1))
    c = course("c", *DB.outcomes, *PY.outcomes, ects=10)
    ix = index_target(MODULES, emb)
    [m] = match_courses([c], ix, emb, narrow)
    assert len(m.modules) == 1
    [wide] = match_courses([c], ix, emb, POLICY)
    assert {"DB", "PY"} <= {mm.module for mm in wide.modules}


def test_thresholds_come_from_the_policies() -> None:
    c = course("c", DB.outcomes[0], DB.outcomes[1])  # 2 of 3 outcomes: 67 %
    lenient = replace(POLICY, rules=replace(POLICY.rules, replace_coverage=0.6))
    [p] = proposals(articulate([c], MODULES, None, lenient), "DB")
    assert p.decision is Decision.REPLACE
    strict = replace(POLICY, alignment=AlignPolicy(min_pair_score=0.99, cover_threshold=0.995))
    [p] = proposals(articulate([c], MODULES, None, strict), "DB")
    assert p.coverage == pytest.approx(2 / 3, abs=1e-3)  # identical texts still score 1.0
    fuzzy = course("f", "design relational schemas for databases")
    assert proposals(articulate([fuzzy], MODULES, None, strict), "DB") == ()


def test_index_and_embedder_must_agree() -> None:
    ix = index_target(MODULES, None)
    with pytest.raises(ValueError, match="different embedder"):
        match_courses([course("c", "x")], ix, HashingEmbedder(64), POLICY)


def test_json_round_trips() -> None:
    c = course("c1", *DB.outcomes, ects=7.5, eqf=7)
    assert course_from_json(course_to_json(c)) == c
    ix = index_target(MODULES, HashingEmbedder(128))
    matches = match_courses([c], ix, HashingEmbedder(128), POLICY)
    again = [match_from_json(match_to_json(m)) for m in matches]
    assert again == matches
    assert propose([c], MODULES, again, POLICY) == propose([c], MODULES, matches, POLICY)
