"""all-MiniLM-L6-v2 on ONNX Runtime, int8 per channel: the fast CPU embedder and the default.

Needs only ``onnxruntime``, ``tokenizers`` and NumPy at run time (no torch: 0.15 s to load and
about 110 MB instead of 4.4 s and 440 MB; PERFORMANCE.md 2.2). The model is built beforehand by
``onnx_export.build_minilm_onnx`` (``scripts/build_models.py``); this module refuses an artefact
whose files do not match the checksums in its manifest. Those checksums catch corruption and
half-written builds; the trust anchor is the pinned source weights, verified at build time, so
the cache directory must be writable only by the user that builds (whoever can rewrite the model
can rewrite its manifest).

Statements (``encode``) run **one per int8 pass on the lanes** by default. An option
(``batch_queries``, setting ``embeddings.batch_queries``) runs them instead in fp32 batches of
similar length through the fused fp32 graph (``model.fp32.onnx``, kept beside the int8 one):
padding plus the attention mask keep each statement's vector independent of its neighbours (fp32
has no per-batch quantities; alone and batched were bitwise identical on the benchmark
statements, and ``tests/adapters/embeddings/test_minilm.py`` holds them to 1e-6), whereas int8
cannot batch, because dynamic quantisation picks one activation scale per tensor, i.e. per batch.
It is off because it lost where it was measured (2-core Zen 4 with AVX-512 VNNI, shared with
other jobs, one process alternating both): 10 short outcomes 392 vs 246 ms, 10 benchmark
sentences 814 vs 340 ms p50 (int8 VNNI compute is 2–3× fp32's, more than batching saves), and
fp32 statements against the int8 catalogue changed the top-10 set of 55 % of 1,200 sentences
(top 1: 8 %; scores by 0.005 at the median). The catalogue side (``encode_documents``) always
uses the int8 graph and keys the vector cache (``catalogue_version``).

Threads as lanes: the int8
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
# Statement buckets: the longest statement of a bucket has at most this many times the tokens of
# its shortest (or _BUCKET_MIN_TOKENS, so short outcomes of 8–16 tokens share one pass).
_BUCKET_SPREAD = 1.5
_BUCKET_MIN_TOKENS = 16


class OnnxEmbedder:
    """int8 MiniLM behind the ``Embedder`` port."""

    def __init__(
        self,
        artefact: Path,
        *,
        threads: int = 2,
        verify: bool = True,
        batch_queries: bool = False,
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
        # ``batch_queries`` (setting ``embeddings.batch_queries``, off by default) switches
        # statements to the fp32 graph; otherwise it is not even loaded.
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
                return self._encode_buckets(list(texts))
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

    def _encode_buckets(self, texts: list[str]) -> NDArray[np.float32]:
        """Statements in fp32 batches of similar length (less padding, same vectors).

        One batch pads every statement to the longest; a request mixing 5- and 40-word outcomes
        then spends most of its work on padding. Sorted by token count, statements are cut into
        buckets whose longest is at most ``_BUCKET_SPREAD`` × their shortest (padding stays at the
        end, so a bucket is the full batch with its extra padding columns dropped). Vectors do not
        depend on the grouping (padding and the mask keep each one what it is alone).
        """
        encodings = self._tokenizer().encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        lengths = mask.sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        start = 0
        while start < len(order):
            stop = start + 1
            limit = max(_BUCKET_MIN_TOKENS, _BUCKET_SPREAD * int(lengths[order[start]]))
            while stop < len(order) and lengths[order[stop]] <= limit:
                stop += 1
            rows = order[start:stop]
            width = int(lengths[rows].max())
            out[rows] = self._run_pooled(ids[rows, :width], mask[rows, :width], self._query_session)
            start = stop
        return out

    def _encode_batch(self, batch: list[str], session: Any = None) -> NDArray[np.float32]:
        encodings = self._tokenizer().encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return self._run_pooled(ids, mask, session or self._session)

    def _run_pooled(self, ids: Any, mask: Any, session: Any) -> NDArray[np.float32]:
        types = np.zeros_like(ids)
        (hidden,) = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., np.newaxis].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
