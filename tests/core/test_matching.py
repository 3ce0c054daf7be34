"""Hybrid matching: retrieval, lexical rescoring, fusion and thresholds from the policy."""

from __future__ import annotations

import pytest

from app.core.lexical import lexical_similarity, process
from app.core.matching import SkillMatcher
from app.core.outcome_policy import MatchPolicy, ModelOverride
from app.core.taxonomy import IndexField
from tests.core.outcome_toys import TAXONOMY, WordEmbedder, toy_index


def _matcher(policy: MatchPolicy | None = None, model_id: str = "toy-words") -> SkillMatcher:
    emb = WordEmbedder(model_id=model_id)
    return SkillMatcher(
        TAXONOMY, policy or MatchPolicy(min_score=0.0, min_semantic=0.0), emb, toy_index(emb)
    )


def test_one_result_per_outcome_in_input_order() -> None:
    outcomes = ["paint portraits in oil", "write SQL queries", "apply first aid"]
    results = _matcher().match(outcomes, top_k=3)
    assert [r.outcome.original for r in results] == outcomes
    assert [r.skills[0].uri for r in results] == ["u:paint", "u:sql", "u:aid"]


def test_fusion_weights_come_from_the_policy() -> None:
    policy = MatchPolicy(semantic_weight=0.6, lexical_weight=0.4, min_score=0.0, min_semantic=0.0)
    best = _matcher(policy).match(["apply first aid to a colleague"], top_k=1)[0].skills[0]
    ev = best.evidence
    assert ev.semantic is not None
    assert best.score == pytest.approx(0.6 * ev.semantic + 0.4 * ev.lexical, abs=1e-5)
    # the lexical part is token_set_ratio against the best of preferred + alternative labels
    assert ev.lexical_label == "apply first aid"
    assert ev.lexical == pytest.approx(
        lexical_similarity(process(ev.statement), process("apply first aid"))
    )


def test_min_score_and_min_semantic_filter() -> None:
    text = ["paint portraits in oil"]
    loose = _matcher(MatchPolicy(min_score=0.0, min_semantic=0.0)).match(text, top_k=5)[0]
    strict = _matcher(MatchPolicy(min_score=0.9, min_semantic=0.0)).match(text, top_k=5)[0]
    assert len(loose.skills) > len(strict.skills)
    assert all(s.score >= 0.9 for s in strict.skills)
    no_sem = _matcher(MatchPolicy(min_score=0.0, min_semantic=0.99)).match(text, top_k=5)[0]
    assert all((s.evidence.semantic or 0) >= 0.99 for s in no_sem.skills)


def test_model_override_applies_by_model_id() -> None:
    policy = MatchPolicy(
        min_score=0.0,
        min_semantic=0.0,
        overrides=(ModelOverride("e5", semantic_weight=1.0, lexical_weight=0.0),),
    )
    m = _matcher(policy, model_id="multilingual-e5-small")
    assert (m.policy.semantic_weight, m.policy.lexical_weight) == (1.0, 0.0)
    best = m.match(["paint portraits"], top_k=1)[0].skills[0]
    assert best.score == pytest.approx(best.evidence.semantic or 0.0, abs=1e-5)
    assert _matcher(policy).policy.lexical_weight == 0.2


def test_split_outcome_merges_skills_and_names_the_statement() -> None:
    text = "Students will be able to: 1. write SQL queries; 2. paint portraits"
    result = _matcher().match([text], top_k=5)[0]
    assert result.outcome.is_split
    by_uri = {s.uri: s for s in result.skills}
    assert by_uri["u:sql"].evidence.segment == 0
    assert by_uri["u:paint"].evidence.segment == 1
    assert [s.score for s in result.skills] == sorted(
        (s.score for s in result.skills), reverse=True
    )


def test_evidence_names_label_or_description() -> None:
    result = _matcher().match(["administer cardiopulmonary resuscitation"], top_k=1)[0]
    ev = result.skills[0].evidence
    assert result.skills[0].uri == "u:aid"
    assert ev.semantic_field is IndexField.DESCRIPTION
    assert ev.matched_field is IndexField.DESCRIPTION
    assert "cardiopulmonary" in ev.matched_text


def test_lexical_only_mode() -> None:
    m = SkillMatcher(TAXONOMY, MatchPolicy(lexical_only_full_information=0.01))
    assert m.lexical_only
    result = m.match(["give first aid", "juggle"], top_k=3)
    best = result[0].skills[0]
    assert best.uri == "u:aid"
    assert best.evidence.semantic is None
    assert best.evidence.matched_field is IndexField.ALT_LABEL
    assert best.evidence.lexical_label == "give first aid"
    assert result[1].skills == ()  # nothing shares a word with "juggle"


def test_lexical_only_threshold_from_policy() -> None:
    text = ["lead people"]
    loose = SkillMatcher(
        TAXONOMY, MatchPolicy(lexical_only_min_score=0.1, lexical_only_full_information=0.01)
    )
    strict = SkillMatcher(
        TAXONOMY, MatchPolicy(lexical_only_min_score=0.99, lexical_only_full_information=0.01)
    )
    assert loose.match(text)[0].skills
    assert not strict.match(text)[0].skills


def test_embedder_and_index_go_together() -> None:
    emb = WordEmbedder()
    with pytest.raises(ValueError, match="together"):
        SkillMatcher(TAXONOMY, embedder=emb)
    from tests.core.outcome_toys import ExactIndex

    with pytest.raises(ValueError, match="rows"):
        SkillMatcher(TAXONOMY, embedder=emb, index=ExactIndex(emb.encode(["x"])))


def test_one_encode_call_per_request() -> None:
    emb = WordEmbedder()
    m = SkillMatcher(TAXONOMY, MatchPolicy(), emb, toy_index(emb))
    before = emb.calls
    m.match(["write SQL", "paint portraits; lead a team"], top_k=2)
    assert emb.calls == before + 1  # all statements of all outcomes in one batch


@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_top_k_is_the_head_of_the_full_ranking(top_k: int) -> None:
    # Each statement reports only its own top_k before outcomes merge their statements; the
    # result must be what ranking everything and cutting at top_k gives.
    m = _matcher()
    outcomes = [
        "write SQL queries; paint portraits; lead a team",
        "apply first aid",
        "1. manage people 2. query databases 3. give first aid",
    ]
    full = m.match(outcomes, top_k=100)
    cut = m.match(outcomes, top_k=top_k)
    for whole, head in zip(full, cut, strict=True):
        assert head.skills == whole.skills[:top_k]
