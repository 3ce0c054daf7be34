"""Ports: the protocols adapters implement for the core (embedding models, vector indexes).

Implementations live in ``app/adapters/embeddings`` and ``app/adapters/index``; a deterministic
fake embedder ships in the package (``app.adapters.embeddings.hashing``) for tests and demos.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    @property
    def model_id(self) -> str:
        """Stable id of the model and its runtime, e.g. ``all-MiniLM-L6-v2/onnx-int8``."""
        ...

    @property
    def model_version(self) -> str:
        """Version of the weights (package version or checksum prefix)."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def multilingual(self) -> bool:
        """Whether non-English text is embedded into the same space as English."""
        ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Shape ``(len(texts), dimension)``, rows of unit length."""
        ...


@runtime_checkable
class VectorIndex(Protocol):
    """Exact or approximate top-k inner-product search over a fixed set of vectors."""

    @property
    def size(self) -> int: ...

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and row indices of the ``k`` best rows per query, best first."""
        ...
