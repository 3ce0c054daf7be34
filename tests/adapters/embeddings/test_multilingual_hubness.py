"""The shipped hubness vector of the multilingual ESCO index: pinned, keyed, and applied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.adapters.embeddings.multilingual_hubness import (
    HUBNESS_DIR,
    HUBNESS_K,
    SHIPPED_HUBNESS,
    load_hubness,
    with_hubness,
)
from app.adapters.embeddings.weights import ModelIntegrityError
from app.adapters.index import NumpyIndex
from app.core.multilingual import HubnessCorrectedIndex

(STEM,) = SHIPPED_HUBNESS
ESCO_CONCEPTS = 13896


def test_the_shipped_vector_loads_with_its_pinned_checksum() -> None:
    r = load_hubness(STEM, ESCO_CONCEPTS)
    assert r is not None and r.shape == (ESCO_CONCEPTS,) and r.dtype == np.float32
    # Mean cosines of e5 vectors sit in a narrow band; a hub stands out by a few hundredths.
    assert 0.7 < float(r.mean()) < 0.95 and float(r.std()) > 0.005


def test_another_model_version_or_esco_release_finds_none() -> None:
    assert load_hubness(STEM.replace("3a878d", "000000"), ESCO_CONCEPTS) is None
    index = NumpyIndex(np.eye(4, dtype=np.float32))
    same, corrected = with_hubness(index, "esco-skills__other-model__abc", 2, 2)
    assert same is index and corrected is False


def test_a_tampered_or_misshapen_file_is_refused(tmp_path: Path) -> None:
    name = f"{STEM}.hubness-k{HUBNESS_K}.npy"
    data = bytearray((HUBNESS_DIR / name).read_bytes())
    data[-1] ^= 1
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_hubness(STEM, ESCO_CONCEPTS, directory=tmp_path)
    with pytest.raises(ModelIntegrityError, match="shape"):
        load_hubness(STEM, ESCO_CONCEPTS + 1)


def test_the_index_is_wrapped_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    r = np.array([0.9, 0.5], dtype=np.float32)
    monkeypatch.setattr(
        "app.adapters.embeddings.multilingual_hubness.load_hubness", lambda stem, n: r
    )
    inner = NumpyIndex(np.eye(4, dtype=np.float32))  # two concepts, two rows each
    wrapped, corrected = with_hubness(inner, STEM, 2, 2)
    assert corrected and isinstance(wrapped, HubnessCorrectedIndex)
    assert wrapped.inner is inner and wrapped.size == 4
    # Rows 0 and 1 belong to concept 0 (the hub), rows 2 and 3 to concept 1.
    q = np.array([[0.6, 0.0, 0.55, 0.0]], dtype=np.float32)
    assert wrapped.search(q, 2)[1][0].tolist() == [2, 0]
