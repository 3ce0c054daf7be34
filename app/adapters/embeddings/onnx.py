"""all-MiniLM-L6-v2 on ONNX Runtime, int8 per channel: the fast CPU embedder and the default.

Needs only ``onnxruntime``, ``tokenizers`` and NumPy at run time (no torch: 0.15 s to load and
about 110 MB instead of 4.4 s and 440 MB; PERFORMANCE.md 2.2). The model is built beforehand by
``onnx_export.build_minilm_onnx`` (``scripts/build_models.py``); this module refuses an artefact
whose files do not match the checksums in its manifest. Those checksums catch corruption and
half-written builds; the trust anchor is the pinned source weights, verified at build time, so
the cache directory must be writable only by the user that builds (whoever can rewrite the model
can rewrite its manifest).

Statements (``encode``) run in **one padded batch through the fp32 graph** when the artefact has
it (``model.fp32.onnx``, built beside the int8 one). Padding plus the attention mask keep each
statement's vector independent of its neighbours: fp32 has no per-batch quantities, and the
vectors of a statement encoded alone and inside a batch were bitwise identical on the benchmark
statements (max abs difference 0.0; ``tests/adapters/embeddings/test_minilm.py`` checks it to
1e-6). int8 could not batch, because dynamic quantisation picks one activation scale per tensor,
i.e. per batch. On a CPU with AVX-512 VNNI the batched fp32 pass of 10 statements is about twice
as fast as 10 int8 passes on two lanes (issue 11: 11.8 vs 20.4 ms). The catalogue side
(``encode_documents``) keeps the int8 graph, which is 2× faster in bulk, and the vector cache is
keyed on it (``catalogue_version``), so the cached ESCO vectors stay valid; statements encoded in
fp32 are compared with catalogue vectors encoded in int8 (cosine of the two encodings of a
text: 0.993 on average), which the matching benchmark measures as agreement before/after.

Threads as lanes (catalogue side, and statements when the fp32 graph is absent): the int8
session runs with ONE intra-op thread, and a pool of ``threads`` workers
runs that many forward passes side by side. For outcome-length texts (10–30 tokens) a second
intra-op thread mostly waits on the first (the matrices are too small to split), while a
second lane does a whole text of its own: on 2 cores, 10 outcomes encode about 20 % faster as
two lanes than as one two-thread pass (``benchmarks/matching.py`` prints both). Every text is
still encoded alone, so its vector never depends on what shares the request.

The pool also bounds the whole process to ``threads`` forward passes at a time, whoever calls
(the outcome engine's inference thread, a batch job), which is what the former global lock did.
Each lane has its own ``tokenizers.Tokenizer``, configured once: a tokenizer whose padding or
truncation changes while another thread encodes raises "Already borrowed" (PERFORMANCE.md 6).

Pooling (mean over the attention mask, then L2) is done in NumPy, as sentence-transformers does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.onnx_export import QUERY_MODEL, RECIPE
from app.adapters.embeddings.weights import MINILM_MAX_TOKENS, ModelIntegrityError, sha256_file

__all__ = ["OnnxEmbedder"]

# Texts per forward pass. On long texts smaller batches are faster (less padding, better cache
# use): 32 was best for ESCO descriptions (PERFORMANCE.md 2.1).
_BATCH = 32


class OnnxEmbedder:
    """int8 MiniLM behind the ``Embedder`` port."""

    def __init__(
        self, artefact: Path, *, threads: int = 2, verify: bool = True, batch_queries: bool = True
    ) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        self._artefact = Path(artefact)
        try:
            manifest = json.loads((self._artefact / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelIntegrityError(f"no readable manifest in {self._artefact}: {exc}") from exc
        if manifest.get("recipe") != RECIPE:
            raise ModelIntegrityError(
                f"{self._artefact} was built with recipe {manifest.get('recipe')!r}, "
                f"expected {RECIPE!r}; rebuild with scripts/build_models.py"
            )
        files: dict[str, str] = manifest["files"]
        if verify:
            for name, expected in files.items():
                actual = sha256_file(self._artefact / name)
                if actual != expected:
                    raise ModelIntegrityError(
                        f"checksum mismatch for {self._artefact / name}: expected {expected}, "
                        f"found {actual}; refusing to load"
                    )
        self._version = (
            f"{manifest['source_version']}+{manifest['source_weights_sha256'][:12]}"
            f".onnx-{files['model.onnx'][:12]}"
        )

        self._tokenizer_path = str(self._artefact / "tokenizer.json")
        Tokenizer.from_file(self._tokenizer_path)  # fail here, not in a lane, if unreadable
        self._local = threading.local()

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # The graph is already fused offline; "extended" keeps start-up short.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        # ``run`` is thread-safe: the lanes share one session (one copy of the weights).
        self._session: Any = ort.InferenceSession(
            str(self._artefact / "model.onnx"),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self._threads = max(1, int(threads))
        self._lanes = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="onnx-lane")
        self._catalogue_version = self._version
        self._query_session: Any = None
        # ``batch_queries=False`` keeps the former one-statement-per-pass int8 path (the
        # benchmark's "before"); the fp32 graph is then not loaded.
        if QUERY_MODEL in files and batch_queries:
            query = ort.SessionOptions()
            # One batch per request: the batch is big enough (statements × tokens rows) for
            # the intra-op pool to split its matrix products across the cores.
            query.intra_op_num_threads = self._threads
            query.inter_op_num_threads = 1
            query.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            query.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            self._query_session = ort.InferenceSession(
                str(self._artefact / QUERY_MODEL),
                sess_options=query,
                providers=["CPUExecutionProvider"],
            )
            self._version = f"{self._version}.q-fp32-{files[QUERY_MODEL][:12]}"
            self._query_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return "sentence-transformers/all-MiniLM-L6-v2/onnx-int8"

    @property
    def model_version(self) -> str:
        """Both graphs: int8 for the catalogue, fp32 for statements (when built)."""
        return self._version

    @property
    def catalogue_version(self) -> str:
        """The catalogue side alone (the int8 graph): what the vector cache is keyed on."""
        return self._catalogue_version

    @property
    def batched_queries(self) -> bool:
        """Whether statements are encoded in one fp32 batch (else one at a time on lanes)."""
        return self._query_session is not None

    @property
    def dimension(self) -> int:
        return 384

    @property
    def multilingual(self) -> bool:
        return False

    @property
    def artefact(self) -> Path:
        return self._artefact

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Query side: one padded fp32 batch, or each text alone on the int8 lanes.

        Either way a statement's vector never depends on the rest of the request.

        Dynamic int8 quantisation picks one activation scale per tensor, i.e. per batch: the
        same outcome encoded beside different texts (and their padding) moves by up to 0.01 in
        cosine. Scores in responses must be reproducible, and for outcome-length texts a batch
        of one is as fast per text as a padded batch (measured here), so requests do not batch;
        the lanes encode texts side by side instead.
        """
        if self._query_session is not None:
            if not texts:
                return np.empty((0, self.dimension), dtype=np.float32)
            # One tokenizer per thread (lane tokenizers are thread-local); ``run`` is thread-safe
            # but two batches at once would only fight over the same cores.
            with self._query_lock:
                return self._encode_batch(list(texts), self._query_session)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # Longest first, so the last text to start is a short one and the lanes finish together.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for row, vector in zip(
            order, self._lanes.map(lambda i: self._encode_batch([texts[i]])[0], order), strict=True
        ):
            out[row] = vector
        return out

    def encode_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Catalogue side: batches of 32 texts of similar length (up to 2× faster on labels).

        Deterministic for a given list (the batching depends only on the texts, never on which
        lane runs a batch), which is what the on-disk vector cache needs.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        # Longest first, so each batch holds texts of similar length and pads little. Ties keep
        # input order (sorted is stable), so equal inputs give equal batches.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        batches = [order[start : start + _BATCH] for start in range(0, len(order), _BATCH)]
        encoded = self._lanes.map(
            lambda rows: self._encode_batch([texts[i] for i in rows]), batches
        )
        for rows, vectors in zip(batches, encoded, strict=True):
            out[rows] = vectors
        return out

    def close(self) -> None:
        """Stop the lanes (idle worker threads); the embedder cannot encode afterwards."""
        self._lanes.shutdown(wait=True)

    def _tokenizer(self) -> Any:
        """This lane's tokenizer: padded to the longest text of a batch, truncated at 256."""
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(self._tokenizer_path)
            # The packaged tokenizer.json pads to a fixed 128 and truncates at 128; sentence-
            # transformers uses 256 and pads to the longest text of the batch.
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self._local.tokenizer = tokenizer
        return tokenizer

    def _encode_batch(self, batch: list[str], session: Any = None) -> NDArray[np.float32]:
        encodings = self._tokenizer().encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.zeros_like(ids)
        (hidden,) = (session or self._session).run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., np.newaxis].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
