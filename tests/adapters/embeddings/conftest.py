"""Real-model fixtures, loaded once per test session (per xdist worker).

The ONNX artefact is the one ``scripts/build_models.py`` built into the configured cache
directory (``make install`` runs it); if it is missing, it is built into a temp directory
(about 15–30 s), so these tests never silently skip on a machine where the model is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.adapters.embeddings.onnx_export import build_minilm_onnx, find_artefact
from app.settings import EmbeddingSettings


@pytest.fixture(scope="session")
def onnx_artefact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = find_artefact(EmbeddingSettings().cache_dir)
    if built is not None:
        return built
    return build_minilm_onnx(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def onnx_embedder(onnx_artefact: Path) -> Any:
    from app.adapters.embeddings.onnx import OnnxEmbedder

    return OnnxEmbedder(onnx_artefact, threads=2)


@pytest.fixture(scope="session")
def torch_embedder() -> Any:
    from app.adapters.embeddings.sentence_transformers import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(threads=2)
