"""all-MiniLM-L6-v2 on ONNX Runtime, int8 per channel: the fast CPU embedder and the default.

Needs only ``onnxruntime``, ``tokenizers`` and NumPy at run time (no torch: 0.15 s to load and
about 110 MB instead of 4.4 s and 440 MB; PERFORMANCE.md 2.2). The model is built beforehand by
``onnx_export.build_minilm_onnx`` (``scripts/build_models.py``); this module refuses an artefact
whose files do not match the checksums in its manifest. Those checksums catch corruption and
half-written builds; the trust anchor is the pinned source weights, verified at build time, so
the cache directory must be writable only by the user that builds (whoever can rewrite the model
can rewrite its manifest).

Thread safety: a ``tokenizers.Tokenizer`` whose padding or truncation is changed while another
thread encodes raises "Already borrowed" (PERFORMANCE.md 6). Padding and truncation are set once
here, and every forward pass (tokenise + run) holds one lock, which also keeps a single inference
at a time on the ORT intra-op pool: two concurrent runs on 2 cores would only contend.

Pooling (mean over the attention mask, then L2) is done in NumPy, as sentence-transformers does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.onnx_export import RECIPE
from app.adapters.embeddings.weights import MINILM_MAX_TOKENS, ModelIntegrityError, sha256_file

__all__ = ["OnnxEmbedder"]

# Texts per forward pass. On long texts smaller batches are faster (less padding, better cache
# use): 32 was best for ESCO descriptions (PERFORMANCE.md 2.1).
_BATCH = 32


class OnnxEmbedder:
    """int8 MiniLM behind the ``Embedder`` port."""

    def __init__(self, artefact: Path, *, threads: int = 2, verify: bool = True) -> None:
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

        tokenizer = Tokenizer.from_file(str(self._artefact / "tokenizer.json"))
        # The packaged tokenizer.json pads to a fixed 128 and truncates at 128; sentence-
        # transformers uses 256 and pads to the longest text of the batch.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # The graph is already fused offline; "extended" keeps start-up short.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        self._session: Any = ort.InferenceSession(
            str(self._artefact / "model.onnx"),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self._lock = threading.Lock()
        self._threads = threads

    @property
    def model_id(self) -> str:
        return "sentence-transformers/all-MiniLM-L6-v2/onnx-int8"

    @property
    def model_version(self) -> str:
        return self._version

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
        """Query side: each text runs alone, so its vector never depends on the rest of the batch.

        Dynamic int8 quantisation picks one activation scale per tensor, i.e. per batch: the
        same outcome encoded beside different texts (and their padding) moves by up to 0.01 in
        cosine. Scores in responses must be reproducible, and for outcome-length texts a batch
        of one is as fast per text as a padded batch (measured here), so requests do not batch.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            # Locked per text, so a long request does not hold off a short one for its whole
            # duration.
            with self._lock:
                out[row] = self._encode_batch([text])[0]
        return out

    def encode_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Catalogue side: batches of 32 texts of similar length (up to 2× faster on labels).

        Deterministic for a given list (the batching depends only on the texts), which is what
        the on-disk vector cache needs.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        # Longest first, so each batch holds texts of similar length and pads little. Ties keep
        # input order (sorted is stable), so equal inputs give equal batches.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with self._lock:
            for start in range(0, len(order), _BATCH):
                rows = order[start : start + _BATCH]
                out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, batch: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.zeros_like(ids)
        (hidden,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., np.newaxis].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
