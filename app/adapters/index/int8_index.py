"""Exact top-k through an int8 pre-selection: VNNI int8 GEMM, then an exact fp32 re-rank.

On a CPU with AVX-512 VNNI, ONNX Runtime's int8 matrix product (``MatMulInteger``, MLAS u8×s8
kernels) scores 10 statements against ESCO's 27,792 rows several times faster than NumPy's fp32
GEMM, and reads a quarter of the memory (10.7 MB instead of 42.7 MB, which stays in L3). Its
scores are approximate, so it only **pre-selects** ``candidates`` rows per query (its TopK runs
in the same graph); those rows are then scored exactly in fp32 and the best ``k`` returned in
the same order as ``NumpyIndex`` (score descending, then row index). Rows whose fp32 scores are
equal to the last bit may swap places against ``NumpyIndex``, whose GEMM sums in another order
(2 of 300 benchmark statements had such a swap in their top 150; no row entered or left).

The result is **provably the exact top-k**, not merely usually: with unit vectors, an int8 score
differs from the fp32 one by at most ``‖e_q‖ + ‖e_d‖ + ‖e_q‖·‖e_d‖`` (Cauchy–Schwarz; ``e_q`` and
``e_d`` are the rounding errors of the query and of the catalogue row, both known). A row left
out scored at most the lowest pre-selected int8 score, so if the k-th exact score beats that
plus the bound, nothing left out can enter the top k. When the check fails (ties or a flat
score distribution), that query is searched exhaustively in fp32; ``benchmarks/matching.py``
prints how often that happens (``fallbacks``).

Vectors are L2-normalised rows; queries are quantised per row (symmetric, stored as uint8 with
zero point 128), catalogue rows per row (symmetric int8).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.index.numpy_index import blas_single_thread

__all__ = ["Int8PreselectIndex", "int8_available", "quantise_rows"]

# Slack for float32 rounding in the int8 graph's scaling and in the exact re-rank (both ~1e-7).
_ROUNDING = 1e-5


def int8_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


class Int8PreselectIndex:
    """Exact inner-product top-k with an int8 pre-selection (see the module docstring)."""

    def __init__(
        self, vectors: NDArray[np.floating[Any]], *, candidates: int = 400, threads: int = 1
    ) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]

        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise ValueError(f"expected a 2-D matrix, got shape {matrix.shape}")
        self._matrix = matrix
        q_t, scale, self._row_error, self._row_norm = quantise_rows(matrix)
        self._candidates = max(1, min(int(candidates), matrix.shape[0]))
        self._session: Any = ort.InferenceSession(
            _graph(q_t, scale, self._candidates),
            sess_options=_options(ort, threads),
            providers=["CPUExecutionProvider"],
        )
        self.fallbacks = 0  # queries searched exhaustively because the bound did not hold
        self.searches = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return int(self._matrix.shape[0])

    @property
    def dimension(self) -> int:
        return int(self._matrix.shape[1])

    @property
    def vectors(self) -> NDArray[np.float32]:
        view = self._matrix.view()
        view.flags.writeable = False
        return view

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Same contract as :meth:`NumpyIndex.search` (and the same answers)."""
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[np.newaxis, :]
        if q.ndim != 2 or q.shape[1] != self.dimension:
            raise ValueError(
                f"queries must have shape (n, {self.dimension}), got {np.shape(queries)}"
            )
        k = max(0, min(int(k), self.size))
        if k == 0 or q.shape[0] == 0 or k * 2 > self._candidates:
            return self._exhaustive(q, k)
        peak = np.abs(q).max(axis=1, keepdims=True)
        q_scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        q_int = np.clip(np.rint(q / q_scale), -127, 127)
        q_error = np.linalg.norm(q - q_int * q_scale, axis=1)
        approx, rows = self._session.run(None, {"q": (q_int + 128).astype(np.uint8)})
        floor = approx.min(axis=1) * q_scale[:, 0]  # lowest pre-selected int8 score, per query
        q_norm = np.linalg.norm(q, axis=1)
        # |int8 − fp32| ≤ ‖e_q‖‖d‖ + ‖q‖‖e_d‖ + ‖e_q‖‖e_d‖, plus float rounding of the scaling.
        bound = (
            q_error * self._row_norm
            + q_norm * self._row_error
            + q_error * self._row_error
            + _ROUNDING
        )
        scores_out = np.empty((q.shape[0], k), dtype=np.float32)
        ids_out = np.empty((q.shape[0], k), dtype=np.int64)
        fallbacks = []
        with blas_single_thread():
            for i in range(q.shape[0]):
                cand = rows[i]
                exact = self._matrix[cand] @ q[i]
                top = np.argpartition(exact, -k)[-k:]
                order = np.lexsort((cand[top], -exact[top]))
                best, best_rows = exact[top][order], cand[top][order]
                if best[-1] > floor[i] + bound[i]:
                    scores_out[i], ids_out[i] = best, best_rows
                else:
                    fallbacks.append(i)
        if fallbacks:
            s, r = self._exhaustive(q[fallbacks], k)
            scores_out[fallbacks], ids_out[fallbacks] = s, r
        with self._lock:
            self.searches += q.shape[0]
            self.fallbacks += len(fallbacks)
        return scores_out, ids_out

    def _exhaustive(
        self, q: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """The fp32 scan (rare: a failed bound check, or k too large for the pre-selection)."""
        scores_out = np.empty((q.shape[0], k), dtype=np.float32)
        ids_out = np.empty((q.shape[0], k), dtype=np.int64)
        if k == 0 or q.shape[0] == 0:
            return scores_out, ids_out
        with blas_single_thread():
            scores = q @ self._matrix.T
        for i in range(q.shape[0]):
            top = np.argpartition(scores[i], -k)[-k:] if k < self.size else np.arange(self.size)
            order = np.lexsort((top, -scores[i][top]))
            ids_out[i], scores_out[i] = top[order], scores[i][top][order]
        return scores_out, ids_out


def quantise_rows(
    matrix: NDArray[np.float32], chunk: int = 2048
) -> tuple[NDArray[np.int8], NDArray[np.float32], float, float]:
    """Symmetric int8 per row, transposed (dimension × rows), with the row scales, the largest
    row rounding error ``‖e_d‖`` and the largest row norm.

    In chunks of rows: every quantity is per row, so the result is the same as on the whole
    matrix at once, without its ten 42 MB temporaries (0.15–0.4 s of CPU at every start-up for
    ESCO's 27,792 rows; about a third of that in chunks).
    """
    rows, dim = matrix.shape
    q_t = np.empty((dim, rows), dtype=np.int8)
    scale = np.empty(rows, dtype=np.float32)
    row_error = row_norm = 0.0
    for start in range(0, rows, chunk):
        block = matrix[start : start + chunk]
        peak = np.abs(block).max(axis=1)
        s = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(block / s[:, None]), -127, 127).astype(np.int8)
        error = block - q.astype(np.float32) * s[:, None]
        scale[start : start + chunk] = s
        q_t[:, start : start + chunk] = q.T
        row_error = max(row_error, float(np.linalg.norm(error, axis=1).max()))
        row_norm = max(row_norm, float(np.linalg.norm(block, axis=1).max()))
    return q_t, scale, row_error, row_norm


def _options(ort: Any, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def _graph(q_t: NDArray[np.int8], scale: NDArray[np.float32], candidates: int) -> bytes:
    """``TopK(MatMulInteger(q, catalogue) × row scales)``: int8 scores, best ``candidates``.

    The ONNX model is written here as protobuf bytes (``_Proto``) rather than with the ``onnx``
    package, whose import (ml_dtypes, its C++ checker) cost 0.5–2.5 s of every start-up for
    these five nodes; ``tests/adapters/index/test_int8_index.py`` checks the bytes with ``onnx``.
    """
    dim = q_t.shape[0]
    p = _Proto
    nodes = [
        p.node("MatMulInteger", ["q", "catalogue", "q_zero", "c_zero"], ["acc"]),
        p.node("Cast", ["acc"], ["acc_f"], to=_FLOAT),
        p.node("Mul", ["acc_f", "scale"], ["scores"]),
        p.node("TopK", ["scores", "k"], ["values", "rows"], axis=1, sorted=0),
    ]
    initializers = [
        p.tensor("catalogue", q_t),
        p.tensor("q_zero", np.array(128, dtype=np.uint8)),
        p.tensor("c_zero", np.array(0, dtype=np.int8)),
        p.tensor("scale", scale),
        p.tensor("k", np.array([candidates], dtype=np.int64)),
    ]
    # Messages holding the catalogue stay lists of buffers until the one final join, so its
    # 10.7 MB are copied once (nesting by concatenation copied them five times, peak RSS).
    graph: list[bytes | memoryview] = [
        *(p.field(1, n) for n in nodes),
        p.field(2, b"int8_preselect"),
        *(chunk for t in initializers for chunk in p.field_chunks(5, t)),
        p.field(11, p.value_info("q", _UINT8, ["n", dim])),
        p.field(12, p.value_info("values", _FLOAT, ["n", candidates])),
        p.field(12, p.value_info("rows", _INT64, ["n", candidates])),
    ]
    opset = p.field(1, b"") + p.varint_field(2, 17)  # default domain, opset 17
    # ModelProto: ir_version 8 (ONNX 1.10+, what opset 17 needs), opset_import, graph
    head = p.varint_field(1, 8) + p.field(8, opset)
    return b"".join([head, *p.field_chunks(7, graph)])


# onnx.TensorProto.DataType values
_FLOAT, _UINT8, _INT8, _INT64 = 1, 2, 3, 7
_DTYPES = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint8): _UINT8}
_DTYPES |= {np.dtype(np.int8): _INT8, np.dtype(np.int64): _INT64}


class _Proto:
    """The few protobuf messages of onnx.proto this graph needs (field numbers from onnx.proto)."""

    @staticmethod
    def varint(value: int) -> bytes:
        value &= (1 << 64) - 1  # int64 fields: two's complement, as protobuf encodes them
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                return bytes(out)

    @classmethod
    def varint_field(cls, number: int, value: int) -> bytes:
        return cls.varint(number << 3) + cls.varint(value)

    @classmethod
    def field(cls, number: int, payload: bytes | str) -> bytes:
        """A length-delimited field (string, bytes or embedded message)."""
        data = payload.encode() if isinstance(payload, str) else payload
        return cls.varint(number << 3 | 2) + cls.varint(len(data)) + data

    @classmethod
    def field_chunks(
        cls, number: int, chunks: list[bytes | memoryview]
    ) -> list[bytes | memoryview]:
        """:meth:`field` of a payload given as buffers, without joining them."""
        size = sum(c.nbytes if isinstance(c, memoryview) else len(c) for c in chunks)
        return [cls.varint(number << 3 | 2) + cls.varint(size), *chunks]

    @classmethod
    def node(cls, op: str, inputs: list[str], outputs: list[str], **ints: int) -> bytes:
        """NodeProto: input 1, output 2, op_type 4, attribute 5 (AttributeProto: name 1, i 3,
        type 20 = INT)."""
        attributes = [
            cls.field(5, cls.field(1, name) + cls.varint_field(3, value) + cls.varint_field(20, 2))
            for name, value in ints.items()
        ]
        return b"".join(
            [
                *(cls.field(1, i) for i in inputs),
                *(cls.field(2, o) for o in outputs),
                cls.field(4, op),
                *attributes,
            ]
        )

    @classmethod
    def tensor(cls, name: str, array: NDArray[Any]) -> list[bytes | memoryview]:
        """TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian), as buffers
        (the data is a view of ``array``, not a copy)."""
        data = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")  # keeps 0-d
        head = b"".join(
            [
                *(cls.varint_field(1, int(d)) for d in array.shape),
                cls.varint_field(2, _DTYPES[np.dtype(array.dtype)]),
                cls.field(8, name),
            ]
        )
        raw = memoryview(data.reshape(-1).data).cast("B")
        return [head, *cls.field_chunks(9, [raw])]

    @classmethod
    def value_info(cls, name: str, elem_type: int, shape: list[int | str]) -> bytes:
        """ValueInfoProto{name 1, type 2: TypeProto{tensor_type 1: {elem_type 1, shape 2:
        TensorShapeProto{dim 1: {dim_value 1 | dim_param 2}}}}}."""
        dims = b"".join(
            cls.field(1, cls.field(2, d) if isinstance(d, str) else cls.varint_field(1, d))
            for d in shape
        )
        tensor_type = cls.varint_field(1, elem_type) + cls.field(2, dims)
        return cls.field(1, name) + cls.field(2, cls.field(1, tensor_type))
