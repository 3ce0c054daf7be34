"""The int8 pre-selection index returns NumPy's exact top-k (ONNX Runtime's VNNI int8 GEMM,
then an fp32 re-rank and a proof that nothing left out could enter)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from app.adapters.index.int8_index import Int8PreselectIndex, int8_available
from app.adapters.index.numpy_index import NumpyIndex

pytestmark = pytest.mark.skipif(not int8_available(), reason="onnxruntime not installed")


def _unit(rows: int, dim: int, seed: int) -> NDArray[np.float32]:
    m = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _clustered(rows: int, dim: int, seed: int) -> NDArray[np.float32]:
    # Embeddings crowd into a cone (all cosines positive), which makes the int8 cut harder
    # than isotropic noise does.
    rng = np.random.default_rng(seed)
    centre = rng.standard_normal(dim).astype(np.float32)
    m = centre + 0.6 * rng.standard_normal((rows, dim)).astype(np.float32)
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("make", [_unit, _clustered])
def test_same_answers_as_the_exact_scan(make: object) -> None:
    assert callable(make)
    matrix = make(6000, 64, 0)
    queries = make(25, 64, 1)
    index = Int8PreselectIndex(matrix, candidates=200)
    scores, ids = index.search(queries, 50)
    ref_scores, ref_ids = NumpyIndex(matrix).search(queries, 50)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    assert index.searches == 25
    assert index.fallbacks < 25  # the pre-selection does the work, not the fallback


def test_a_flat_catalogue_falls_back_to_the_scan() -> None:
    # Every row alike: no gap for the bound, so each query is searched exhaustively.
    row = _unit(1, 32, 3)
    matrix = np.repeat(row, 500, axis=0) + 1e-4 * _unit(500, 32, 4)
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    index = Int8PreselectIndex(matrix, candidates=40)
    queries = _unit(3, 32, 5)
    _, ids = index.search(queries, 10)
    _, ref = NumpyIndex(matrix).search(queries, 10)
    np.testing.assert_array_equal(ids, ref)
    assert index.fallbacks == 3


def test_contract_edges() -> None:
    matrix = _unit(300, 16, 6)
    index = Int8PreselectIndex(matrix, candidates=64)
    assert (index.size, index.dimension) == (300, 16)
    scores, ids = index.search(matrix[0], 5)  # 1-D query, and a k the pre-selection covers
    assert ids[0, 0] == 0 and scores.shape == (1, 5)
    _, big = index.search(matrix[:2], 200)  # k beyond half the pre-selection: exhaustive
    _, ref = NumpyIndex(matrix).search(matrix[:2], 200)
    np.testing.assert_array_equal(big, ref)
    assert index.search(matrix[:2], 0)[1].shape == (2, 0)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.zeros((1, 3), dtype=np.float32), 5)
    assert not index.vectors.flags.writeable


def test_the_hand_written_graph_is_the_onnx_helper_graph() -> None:
    """The pre-selection graph is written as protobuf bytes (no ``onnx`` import at start-up);
    it must be exactly the model ``onnx.helper`` builds, and pass the full checker."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    from app.adapters.index.int8_index import _graph

    rng = np.random.default_rng(3)
    q_t = rng.integers(-127, 128, (16, 300)).astype(np.int8)
    scale = rng.random(300).astype(np.float32)
    ours = onnx.load_from_string(_graph(q_t, scale, 40))
    onnx.checker.check_model(ours, full_check=True)
    reference = helper.make_model(
        helper.make_graph(
            [
                helper.make_node("MatMulInteger", ["q", "catalogue", "q_zero", "c_zero"], ["acc"]),
                helper.make_node("Cast", ["acc"], ["acc_f"], to=TensorProto.FLOAT),
                helper.make_node("Mul", ["acc_f", "scale"], ["scores"]),
                helper.make_node("TopK", ["scores", "k"], ["values", "rows"], axis=1, sorted=0),
            ],
            "int8_preselect",
            [helper.make_tensor_value_info("q", TensorProto.UINT8, ["n", 16])],
            [
                helper.make_tensor_value_info("values", TensorProto.FLOAT, ["n", 40]),
                helper.make_tensor_value_info("rows", TensorProto.INT64, ["n", 40]),
            ],
            [
                numpy_helper.from_array(q_t, "catalogue"),
                numpy_helper.from_array(np.array(128, dtype=np.uint8), "q_zero"),
                numpy_helper.from_array(np.array(0, dtype=np.int8), "c_zero"),
                numpy_helper.from_array(scale, "scale"),
                numpy_helper.from_array(np.array([40], dtype=np.int64), "k"),
            ],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    assert ours == reference


def test_building_the_index_does_not_import_onnx() -> None:
    """onnx's import (ml_dtypes, the C++ checker) cost 0.5–2.5 s of every start-up."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from app.adapters.index.int8_index import Int8PreselectIndex\n"
        "m = np.eye(64, 32, dtype=np.float32)\n"
        "Int8PreselectIndex(m, candidates=8).search(m[:2], 3)\n"
        "print('onnx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_row_quantisation_in_chunks_equals_the_whole_matrix_at_once() -> None:
    from app.adapters.index.int8_index import quantise_rows

    matrix = _clustered(1000, 48, 7)
    matrix[5] = 0.0  # an all-zero row keeps scale 1
    peak = np.abs(matrix).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
    error = matrix - q.astype(np.float32) * scale[:, None]
    q_t, s, row_error, row_norm = quantise_rows(matrix, chunk=128)
    np.testing.assert_array_equal(q_t, q.T)
    np.testing.assert_array_equal(s, scale)
    assert row_error == float(np.linalg.norm(error, axis=1).max())
    assert row_norm == float(np.linalg.norm(matrix, axis=1).max())
