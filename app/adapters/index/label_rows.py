"""One vector per concept presented as the label row of a two-rows-per-concept index.

The matcher reads an index whose row ``2i`` is concept ``i``'s label and row ``2i + 1`` its
description (``app.core.taxonomy.index_entries``). The multilingual model's ESCO index holds the
labels only; repeating each vector to fill both rows would double its memory (42 MB instead of
21 MB of float32, plus the int8 copy) and its search work for nothing. This adapter searches the
label vectors and answers with label rows only: the matcher sees the same candidates, and its
evidence says, truthfully, that the label matched.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.core.ports import VectorIndex

__all__ = ["LabelRowsIndex"]


class LabelRowsIndex:
    """``VectorIndex`` of ``rows_per_concept × n`` rows over ``n`` label vectors."""

    def __init__(self, labels: VectorIndex, rows_per_concept: int = 2) -> None:
        self._labels = labels
        self._rows = rows_per_concept

    @property
    def size(self) -> int:
        return self._labels.size * self._rows

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        # k rows of the full index hold at least k / rows distinct concepts; asking the label
        # index for k concepts gives the matcher at least as many candidates as before.
        scores, ids = self._labels.search(queries, min(int(k), self._labels.size))
        rows = np.where(ids >= 0, ids * self._rows, ids).astype(np.int64)
        return scores, rows
