"""Exact NumPy top-k: identical to a brute-force sort, edge cases, BLAS pinned during search."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from app.adapters.index.numpy_index import NumpyIndex, blas_single_thread
from app.core.ports import VectorIndex


def _unit_rows(rng: np.random.Generator, n: int, d: int) -> NDArray[np.float32]:
    m = rng.standard_normal((n, d)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_implements_the_port() -> None:
    index = NumpyIndex(np.eye(4, dtype=np.float32))
    assert isinstance(index, VectorIndex)
    assert index.size == 4
    assert index.dimension == 4


@pytest.mark.parametrize("k", [1, 10, 50])
def test_matches_brute_force(k: int) -> None:
    rng = np.random.default_rng(7)
    matrix = _unit_rows(rng, 3000, 64)
    queries = _unit_rows(rng, 300, 64)  # more than one GEMM block
    scores, ids = NumpyIndex(matrix).search(queries, k)
    assert scores.dtype == np.float32
    assert ids.dtype == np.int64
    assert scores.shape == ids.shape == (300, k)
    full = queries @ matrix.T
    expected = np.argsort(-full, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(full, expected, axis=1), rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_k_larger_than_index_returns_everything_sorted() -> None:
    matrix = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    scores, ids = NumpyIndex(matrix).search(np.array([[0.0, 1.0]], dtype=np.float32), 10)
    assert ids.tolist() == [[1, 2, 0]]
    np.testing.assert_allclose(scores, [[1.0, 0.8, 0.0]], atol=1e-6)


def test_ties_are_ordered_by_row() -> None:
    matrix = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.float32)
    _, ids = NumpyIndex(matrix).search(np.array([1.0, 0.0], dtype=np.float32), 4)
    assert ids.tolist() == [[0, 1, 3, 2]]


def test_empty_cases() -> None:
    index = NumpyIndex(np.eye(3, dtype=np.float32))
    scores, ids = index.search(np.zeros((0, 3), dtype=np.float32), 2)
    assert scores.shape == ids.shape == (0, 2)
    scores, ids = index.search(np.eye(3, dtype=np.float32), 0)
    assert scores.shape == (3, 0)
    empty = NumpyIndex(np.zeros((0, 3), dtype=np.float32))
    assert empty.search(np.eye(3, dtype=np.float32), 5)[1].shape == (3, 0)


def test_rejects_wrong_dimension() -> None:
    with pytest.raises(ValueError, match="shape"):
        NumpyIndex(np.eye(3, dtype=np.float32)).search(np.ones((1, 4), dtype=np.float32), 1)
    with pytest.raises(ValueError, match="2-D"):
        NumpyIndex(np.ones(3, dtype=np.float32))


def test_vectors_are_read_only() -> None:
    index = NumpyIndex(np.eye(3, dtype=np.float64))
    assert index.vectors.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        index.vectors[0, 0] = 2.0


def test_blas_is_pinned_to_one_thread_inside_the_context() -> None:
    from threadpoolctl import threadpool_info

    with blas_single_thread():
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        assert all(p["num_threads"] == 1 for p in blas)


def test_a_blas_loaded_after_the_first_search_is_pinned_too() -> None:
    """scipy (TF-IDF) and torch are imported lazily, after the first search built the thread
    pool controller: their BLAS must be limited as well (in a fresh process, so that the import
    order is the one of a service that starts, searches, then builds a TF-IDF index)."""
    import subprocess
    import sys

    script = (
        "from app.adapters.index.numpy_index import blas_single_thread\n"
        "with blas_single_thread():\n"
        "    pass\n"
        "import sklearn.feature_extraction.text, scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "with blas_single_thread():\n"
        "    blas = [p for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "print(len(blas), all(p['num_threads'] == 1 for p in blas))\n"
    )
    env = {"OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=str(__import__("app.settings").settings.PROJECT_ROOT),
    ).stdout.split()
    assert int(out[0]) >= 1 and out[1] == "True", out
