"""Exact top-k inner-product search in NumPy: the embedded default ``VectorIndex``.

At ESCO scale (about 14k rows × 384 dimensions, 20 MB of float32, which fits in L3) an exact
scan is one GEMM of well under a millisecond of arithmetic, so no ANN index is worth building,
persisting or keeping in sync (PERFORMANCE.md 3.1). Two details matter on a 2-core machine:

- BLAS is held to one thread around the GEMM. OpenBLAS's threads would otherwise spin against
  the inference engine's threads (ONNX Runtime's lanes or intra-op pool, torch's OpenMP pool)
  and double the latency of a request (PERFORMANCE.md 6: 16 → 10 ms with ONNX, 52 → 25 ms with
  torch); two BLAS threads measured no faster here either.
- The matrix is kept **transposed** (dimension × rows, C-contiguous), so the product is
  ``queries @ matrix_t``, whose operand OpenBLAS streams without a transposing copy: 10 queries
  × 27,792 rows took 11 ms instead of 18 ms on this project's AVX2 machine (1 BLAS thread).
- ``argpartition`` selects the k best in linear time; only those k are then sorted.

Vectors are expected L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["NumpyIndex", "blas_single_thread"]

# Queries per GEMM block: bounds the temporary score matrix (256 × 14k float32 ≈ 14 MB).
_QUERY_BLOCK = 256

_controller_lock = threading.Lock()
_controller: Any = None
#: Packages that bring a BLAS of their own when first imported. They are imported lazily (at the
#: first TF-IDF index, model load, ...), so a controller built before that would not know their
#: BLAS and leave it multi-threaded: the controller is rebuilt when one of them appears.
_BLAS_CARRIERS = ("scipy", "sklearn", "torch", "onnxruntime")
_carriers_seen: tuple[bool, ...] = ()


def _threadpool_controller() -> Any:
    """The process's ``ThreadpoolController`` (building one inspects every loaded library, so
    it is built again only when a package bringing a BLAS has been imported since)."""
    global _controller, _carriers_seen
    seen = tuple(name in sys.modules for name in _BLAS_CARRIERS)
    if _controller is None or seen != _carriers_seen:
        with _controller_lock:
            if _controller is None or seen != _carriers_seen:
                from threadpoolctl import (  # type: ignore[import-untyped]
                    ThreadpoolController,
                )

                _controller = ThreadpoolController()
                _carriers_seen = seen
    return _controller


def blas_single_thread() -> Any:
    """Context manager limiting BLAS to one thread (a no-op context if no BLAS is found)."""
    return _threadpool_controller().limit(limits=1, user_api="blas")


class NumpyIndex:
    """Exact top-k over a fixed float32 matrix of unit-length rows (inner product = cosine)."""

    def __init__(self, vectors: NDArray[np.floating[Any]], *, pin_blas: bool = True) -> None:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise ValueError(f"expected a 2-D matrix, got shape {matrix.shape}")
        self._matrix_t = np.ascontiguousarray(matrix.T)
        self._pin_blas = pin_blas

    @property
    def size(self) -> int:
        return int(self._matrix_t.shape[1])

    @property
    def dimension(self) -> int:
        return int(self._matrix_t.shape[0])

    @property
    def vectors(self) -> NDArray[np.float32]:
        """The indexed matrix (read-only view)."""
        view = self._matrix_t.T
        view.flags.writeable = False
        return view

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and row indices of the ``k`` best rows per query, best first.

        ``k`` is clipped to the index size; equal scores within the k are ordered by row index
        so results are reproducible. A 1-D query is treated as a batch of one.
        """
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[np.newaxis, :]
        if q.ndim != 2 or q.shape[1] != self.dimension:
            raise ValueError(
                f"queries must have shape (n, {self.dimension}), got {np.shape(queries)}"
            )
        k = max(0, min(int(k), self.size))
        n = q.shape[0]
        scores_out = np.empty((n, k), dtype=np.float32)
        ids_out = np.empty((n, k), dtype=np.int64)
        if k == 0 or n == 0:
            return scores_out, ids_out
        if self._pin_blas:
            with blas_single_thread():
                self._search_into(q, k, scores_out, ids_out)
        else:
            self._search_into(q, k, scores_out, ids_out)
        return scores_out, ids_out

    def _search_into(
        self,
        q: NDArray[np.float32],
        k: int,
        scores_out: NDArray[np.float32],
        ids_out: NDArray[np.int64],
    ) -> None:
        for start in range(0, q.shape[0], _QUERY_BLOCK):
            block = q[start : start + _QUERY_BLOCK]
            scores = block @ self._matrix_t
            if k < self.size:
                # The k largest end up in the last k columns (no negated copy of the scores).
                part = np.argpartition(scores, -k, axis=1)[:, -k:]
            else:
                part = np.broadcast_to(np.arange(self.size), scores.shape)
            part_scores = np.take_along_axis(scores, part, axis=1)
            # Sort by score descending, then by row index ascending (lexsort: last key first).
            for row in range(block.shape[0]):
                order = np.lexsort((part[row], -part_scores[row]))
                ids_out[start + row] = part[row][order]
                scores_out[start + row] = part_scores[row][order]
