"""An embedder with a bounded LRU cache of vectors per text: catalogue outcomes are embedded once,
not per request (the transfer context wraps the outcome engine's model with it)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from app.core.ports import Embedder


class CachedEmbedder:
    """Wraps an embedder with a bounded LRU cache of vectors per text (catalogue outcomes are
    embedded once, not per request)."""

    def __init__(self, inner: Embedder, maxsize: int = 200_000) -> None:
        self.inner = inner
        self.maxsize = maxsize  # 200k texts × 384 floats = 300 MB at most
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def model_version(self) -> str:
        return self.inner.model_version

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def multilingual(self) -> bool:
        return self.inner.multilingual

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.inner.encode(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._cache[text] = vec
                while len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        with self._lock:
            out = (
                np.stack([self._cache[t] for t in texts])
                if texts
                else np.zeros((0, self.dimension), dtype=np.float32)
            )
            for t in texts:
                self._cache.move_to_end(t)
        return out.astype(np.float32, copy=False)
