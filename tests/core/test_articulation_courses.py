"""Course-level articulation over all the text (``app.core.transfer.sparse``) on real course
texts from ``benchmarks/data/course_pairs`` (University of Toronto, published exclusions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.transfer.align import index_target, match_courses
from app.core.transfer.sparse import (
    SPARSE_ONLY_BAR,
    SPARSE_WEIGHT,
    dense_scores,
    fuse,
    rank_courses,
    sparse_index,
    whole_text,
)
from app.core.transfer.types import ArticulationPolicy, Candidate, TargetModule

DATA = (
    Path(__file__).resolve().parents[2]
    / "benchmarks"
    / "data"
    / "course_pairs"
    / "uoft_anthropology.json"
)


@pytest.fixture(scope="module")
def pairs() -> dict[str, Any]:
    return dict(json.loads(DATA.read_text(encoding="utf-8")))


def module(d: dict[str, Any], *, outcomes: bool = False) -> TargetModule:
    text = d["description"]
    return TargetModule(d["code"], d["title"], (text,) if outcomes else (), description=text)


def course(d: dict[str, Any]) -> Candidate:
    return Candidate(d["code"], d["title"], (d["description"],), description=d["description"])


def by_code(rows: list[dict[str, Any]], *codes: str) -> list[dict[str, Any]]:
    found = {r["code"]: r for r in rows}
    return [found[c] for c in codes]


def test_the_title_counts_even_when_no_outcome_repeats_it() -> None:
    text = whole_text("Human Osteology", "Includes normal anatomy of the human skeleton.", [])
    assert "Osteology" in text
    m = TargetModule("T", "Human Osteology", ())
    ix = sparse_index([m, TargetModule("U", "Archaeology of Inequality", ())])
    c = Candidate("c", "Human Osteology", ("Describe variation.",))
    scores = ix.scores([c])[0]
    assert scores[0] > 0.5 and scores[1] == 0.0


def test_equivalents_rank_first_among_look_alikes(pairs: dict[str, Any]) -> None:
    # ANT334H5 "Human Osteology" is excluded by (equivalent to) ANT334H1 "Human Skeletal
    # Biology" although the titles share only "Human"; ANT317H5 has the same title as its
    # equivalent but a one-sentence description.
    catalogue = [module(m) for m in pairs["catalogue"]]
    ix = sparse_index(catalogue)
    incoming = [course(c) for c in by_code(pairs["courses"], "ANT334H5", "ANT317H5", "ANT206H5")]
    ranked = rank_courses(incoming, catalogue, None, ix)
    assert [r.candidates[0].module for r in ranked] == ["ANT334H1", "ANT317H1", "ANT253H1"]
    # on text alone, the same-titled pair clears the sparse bar
    assert ranked[1].proposal is not None and ranked[1].proposal.module == "ANT317H1"
    # the sparse evidence names the shared terms
    assert "skeleton" in " ".join(ranked[0].candidates[0].terms)


def test_the_bar_holds_back_a_look_alike(pairs: dict[str, Any]) -> None:
    # ANT316H5 South Asian Archaeology: same course number as ANT316H1 (Mesoamerica), no
    # exclusion: nothing should be proposed, though candidates are still listed.
    catalogue = [module(m) for m in pairs["catalogue"]]
    ix = sparse_index(catalogue)
    (r,) = rank_courses([course(by_code(pairs["courses"], "ANT316H5")[0])], catalogue, None, ix)
    assert r.candidates and r.candidates[0].score < SPARSE_ONLY_BAR
    assert r.proposal is None
    # the same course with its bar lowered below its best score is proposed: the bar decides
    (low,) = rank_courses(
        [course(by_code(pairs["courses"], "ANT316H5")[0])],
        catalogue,
        None,
        ix,
        bar=r.candidates[0].score - 1e-3,
    )
    assert low.proposal is not None


def test_fusion_weighs_both_channels(pairs: dict[str, Any]) -> None:
    catalogue = [module(m, outcomes=True) for m in pairs["catalogue"]]
    incoming = [course(c) for c in by_code(pairs["courses"], "ANT220H5", "ANT357H5")]
    index = index_target(catalogue, None)
    policy = ArticulationPolicy()
    matches = match_courses(incoming, index, None, policy)
    dense = dense_scores(matches, catalogue)
    sparse = sparse_index(catalogue).scores(incoming)
    fused = fuse(sparse, dense)
    assert fused.shape == (2, len(catalogue))
    np.testing.assert_allclose(fused, SPARSE_WEIGHT * sparse + (1 - SPARSE_WEIGHT) * dense, 1e-6)
    ranked = rank_courses(incoming, catalogue, matches, sparse_index(catalogue))
    for r, row in zip(ranked, fused, strict=True):
        best = int(np.argmax(row))
        assert r.candidates[0].module == catalogue[best].code
        assert r.candidates[0].score == pytest.approx(float(row[best]), abs=1e-4)
        # best first
        scores = [c.score for c in r.candidates]
        assert scores == sorted(scores, reverse=True)


def test_a_module_without_outcomes_is_ranked_on_its_title_alone() -> None:
    # A module that publishes only a title has no dense evidence: the sparse channel is its
    # whole score instead of SPARSE_WEIGHT of it.
    titled = TargetModule("AI", "Artificial Intelligence", ())
    other = TargetModule("DB", "Database Design I", ("design relational database schemas",))
    c = Candidate(
        "CMSC421",
        "Introduction to Artificial Intelligence",
        ("Areas and issues in artificial intelligence, including search, inference.",),
    )
    ix = sparse_index([titled, other])
    matches = match_courses([c], index_target([titled, other], None), None, ArticulationPolicy())
    (r,) = rank_courses([c], [titled, other], matches, ix)
    assert r.candidates[0].module == "AI"
    assert r.candidates[0].score == pytest.approx(r.candidates[0].sparse, abs=1e-4)
    assert r.proposal is not None


def test_retrieval_adds_the_modules_the_sparse_channel_finds(pairs: dict[str, Any]) -> None:
    # With one module retrieved per course, the statements alone pick one module; the sparse
    # channel's best modules are added after it, so the equivalent is rescored too.
    from dataclasses import replace

    from app.core.transfer.align import _chunk, rank_modules

    catalogue = [module(m, outcomes=True) for m in pairs["catalogue"]]
    target = index_target(catalogue, None)
    policy = ArticulationPolicy()
    policy = replace(policy, options=replace(policy.options, candidate_modules=1))
    # ANT335H5 "Anthropology of Gender" is equivalent to ANT343H1 "Social Anthropology of
    # Gender"; the statements' shared words retrieve another module first.
    chunk = _chunk([course(c) for c in by_code(pairs["courses"], "ANT335H5")])
    plain = rank_modules(chunk, None, target, policy)
    with_sparse = rank_modules(chunk, None, target, policy, sparse_index(catalogue))

    def codes(found: list[int]) -> list[str]:
        return [catalogue[target.indexed[m]].code for m in found]

    assert "ANT343H1" not in codes(plain[0])
    assert with_sparse[0][: len(plain[0])] == plain[0]  # the statements' choice stays first
    assert "ANT343H1" in codes(with_sparse[0])
