"""Vector cache: a hit needs the same model id, model version and content; misses rebuild."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.adapters.embeddings.hashing import HashingEmbedder
from app.adapters.index.cache import VectorCache, content_hash, encode_all

TEXTS = ["manage a team", "bake bread", "repair engines", "a much longer text " * 20, ""]


class CountingEmbedder(HashingEmbedder):
    """The fake, counting the texts it was asked to encode."""

    def __init__(self, version: str = "1", dimension: int = 32) -> None:
        super().__init__(dimension)
        self.calls = 0
        self._version = version

    @property
    def model_version(self) -> str:
        return self._version

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += len(texts)
        return super().encode(texts)


def test_content_hash_is_order_and_boundary_sensitive() -> None:
    assert content_hash(["ab", "c"]) != content_hash(["a", "bc"])
    assert content_hash(["a", "b"]) != content_hash(["b", "a"])
    assert content_hash(["a"]) == content_hash(["a"])


def test_encode_all_keeps_input_order() -> None:
    embedder = HashingEmbedder(32)
    np.testing.assert_array_equal(encode_all(embedder, TEXTS), embedder.encode(TEXTS))
    assert encode_all(embedder, []).shape == (0, 32)


def test_miss_then_hit(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    embedder = CountingEmbedder()
    first, hit = cache.get_or_build(embedder, TEXTS, name="skills")
    assert not hit
    assert embedder.calls == len(TEXTS)
    second, hit = cache.get_or_build(embedder, TEXTS, name="skills")
    assert hit
    assert embedder.calls == len(TEXTS)
    np.testing.assert_array_equal(first, second)
    manifests = list(tmp_path.glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["model_id"] == embedder.model_id
    assert manifest["count"] == len(TEXTS)
    assert manifest["content_hash"] == content_hash(TEXTS)


@pytest.mark.parametrize(
    ("embedder", "texts"),
    [
        (CountingEmbedder(version="2"), TEXTS),  # new weights
        (CountingEmbedder(dimension=16), TEXTS),  # another model
        (CountingEmbedder(), [*TEXTS, "one more"]),  # new data
    ],
)
def test_key_covers_model_and_content(
    tmp_path: Path, embedder: CountingEmbedder, texts: list[str]
) -> None:
    cache = VectorCache(tmp_path)
    cache.get_or_build(CountingEmbedder(), TEXTS, name="skills")
    _, hit = cache.get_or_build(embedder, texts, name="skills")
    assert not hit
    assert embedder.calls == len(texts)


def test_explicit_release_key(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    embedder = CountingEmbedder()
    cache.get_or_build(embedder, TEXTS, name="skills", content="release-abc")
    _, hit = cache.get_or_build(embedder, TEXTS, name="skills", content="release-abc")
    assert hit
    _, hit = cache.get_or_build(embedder, TEXTS, name="skills", content="release-def")
    assert not hit


def test_corrupt_or_incomplete_entries_are_rebuilt(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    embedder = CountingEmbedder()
    good, _ = cache.get_or_build(embedder, TEXTS, name="skills")
    npy = next(tmp_path.glob("*.npy"))
    npy.write_bytes(b"not a numpy file")
    again, hit = cache.get_or_build(embedder, TEXTS, name="skills")
    assert not hit
    np.testing.assert_array_equal(good, again)
    # A matrix without its manifest (a crash between the two writes) is not trusted.
    next(tmp_path.glob("*.json")).unlink()
    _, hit = cache.get_or_build(embedder, TEXTS, name="skills")
    assert not hit
    assert not list(tmp_path.glob("*.tmp"))


def test_progress_bar_build(tmp_path: Path) -> None:
    vectors, hit = VectorCache(tmp_path).get_or_build(
        HashingEmbedder(32), TEXTS * 100, name="skills", progress=True
    )
    assert not hit
    assert vectors.shape == (500, 32)


class AsymmetricEmbedder(HashingEmbedder):
    """Like e5: catalogue texts go through ``encode_documents``."""

    def __init__(self) -> None:
        super().__init__(32)
        self.documents = 0

    def encode_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.documents += len(texts)
        return self.encode(["passage: " + t for t in texts])


def test_catalogue_side_of_asymmetric_models_is_used(tmp_path: Path) -> None:
    embedder = AsymmetricEmbedder()
    vectors, _ = VectorCache(tmp_path).get_or_build(embedder, TEXTS, name="skills")
    assert embedder.documents == len(TEXTS)
    np.testing.assert_array_equal(vectors, embedder.encode_documents(TEXTS))
