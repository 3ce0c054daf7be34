"""The hubness (CSLS) correction of the multilingual channel: what it re-ranks and what not."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from app.core.multilingual import HubnessCorrectedIndex, hubness


class Exact:
    """An exact inner-product index that records how many rows it was asked for."""

    def __init__(self, matrix: NDArray[np.float32]) -> None:
        self.matrix = matrix
        self.asked: list[int] = []

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        self.asked.append(k)
        s = queries @ self.matrix.T
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(s, order, 1).astype(np.float32), order.astype(np.int64)


def _unit(rows: list[list[float]]) -> NDArray[np.float32]:
    m = np.asarray(rows, dtype=np.float32)
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


TARGETS = _unit([[1, 0, 0], [0.9, 0.3, 0.1], [0, 1, 0], [0, 0, 1]])


def test_a_hub_loses_its_place_to_a_close_non_hub() -> None:
    inner = Exact(TARGETS)
    query = _unit([[0.95, 0.25, 0.05]])
    plain = inner.search(query, 2)[1][0].tolist()
    # Target 1 is nearest; make it a hub (near many queries), the others not.
    r = np.array([0.5, 0.99, 0.5, 0.5], dtype=np.float32)
    scores, ids = HubnessCorrectedIndex(inner, r).search(query, 2)
    assert plain == [1, 0]
    assert ids[0].tolist() == [0, 1]
    assert scores[0, 0] >= scores[0, 1]  # best first, on the corrected scale


def test_a_uniform_penalty_changes_nothing() -> None:
    inner = Exact(TARGETS)
    queries = _unit([[0.95, 0.25, 0.05], [0.1, 0.2, 0.9]])
    flat = HubnessCorrectedIndex(inner, np.full(4, 0.7, dtype=np.float32))
    got_s, got_i = flat.search(queries, 3)
    want_s, want_i = Exact(TARGETS).search(queries, 3)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_s, want_s, atol=1e-6)  # centred: cosines keep their scale


def test_the_pool_is_wider_than_asked_but_never_a_full_scan_beyond_the_index() -> None:
    inner = Exact(_unit(np.random.default_rng(0).normal(size=(400, 8)).tolist()))
    ix = HubnessCorrectedIndex(inner, np.zeros(400, dtype=np.float32), widen=2, extra=50)
    ix.search(_unit([[1, 0, 0, 0, 0, 0, 0, 0]]), 150)
    ix.search(_unit([[1, 0, 0, 0, 0, 0, 0, 0]]), 10)
    ix.search(_unit([[1, 0, 0, 0, 0, 0, 0, 0]]), 390)
    assert inner.asked == [300, 60, 400]


def test_missing_rows_stay_missing_and_shapes_are_checked() -> None:
    class Short(Exact):
        def search(
            self, queries: NDArray[np.float32], k: int
        ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
            s, i = super().search(queries, k)
            i[:, -1] = -1  # an index that found fewer rows than asked
            return s, i

    ix = HubnessCorrectedIndex(Short(TARGETS), np.zeros(4, dtype=np.float32))
    _scores, ids = ix.search(_unit([[1, 0, 0]]), 4)
    assert ids[0, -1] == -1 and sorted(ids[0, :3].tolist()) == [0, 1, 2]
    with pytest.raises(ValueError, match="penalty"):
        HubnessCorrectedIndex(Exact(TARGETS), np.zeros(3, dtype=np.float32))


def test_hubness_is_the_mean_of_the_k_nearest_queries_without_itself() -> None:
    queries = TARGETS.copy()
    r = hubness(TARGETS, queries, 1)
    sims = TARGETS @ queries.T
    np.fill_diagonal(sims, -np.inf)
    np.testing.assert_allclose(r, sims.max(axis=1), atol=1e-6)
    # Target 0 and 1 are close to each other, so they are the hubs of this set.
    assert set(np.argsort(-r)[:2].tolist()) == {0, 1}
    other = _unit([[1, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(hubness(TARGETS, other, 2), (TARGETS @ other.T).mean(axis=1))
