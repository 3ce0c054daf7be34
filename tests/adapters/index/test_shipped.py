"""Shipped catalogue vectors: int8 per row, keyed like the cache, pinned by SHA-256."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.adapters.embeddings.weights import ModelIntegrityError
from app.adapters.index.cache import CacheEntry
from app.adapters.index.shipped import SHIPPED, export_shipped, load_shipped


def _entry(version: str = "1") -> CacheEntry:
    return CacheEntry("esco-skills", "toy/model", version, 48, "abc:rows-v1")


def _matrix() -> np.ndarray:
    m = np.random.default_rng(0).standard_normal((200, 48)).astype(np.float32)
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


def test_round_trip_keeps_the_vectors(tmp_path: Path) -> None:
    matrix = _matrix()
    path, digest = export_shipped(_entry(), matrix, directory=tmp_path)
    assert path.stat().st_size < matrix.nbytes / 3  # int8 plus one scale per row
    pins = {_entry().stem: digest}
    loaded = load_shipped(_entry(), directory=tmp_path, pinned=pins)
    assert loaded is not None and loaded.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(loaded, axis=1), 1.0, atol=1e-5)
    assert float((loaded * matrix).sum(axis=1).min()) > 0.9995
    # Another model version (or ESCO release) is another key: no match, build instead.
    assert load_shipped(_entry("2"), directory=tmp_path, pinned=pins) is None
    # Not pinned: never read.
    assert load_shipped(_entry(), directory=tmp_path, pinned={}) is None


def test_a_tampered_file_is_refused(tmp_path: Path) -> None:
    path, digest = export_shipped(_entry(), _matrix(), directory=tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        load_shipped(_entry(), directory=tmp_path, pinned={_entry().stem: digest})


def test_every_pinned_file_is_in_the_package() -> None:
    from app.adapters.embeddings.weights import sha256_file
    from app.adapters.index.shipped import SHIPPED_DIR

    for stem, digest in SHIPPED.items():
        assert sha256_file(SHIPPED_DIR / f"{stem}.int8.npz") == digest
