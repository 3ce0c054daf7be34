"""Deterministic hashing embedder: the fake behind the ``Embedder`` port.

Feature hashing of word unigrams, word bigrams and character 3–5-grams (with word-boundary
markers) into a fixed number of dimensions, each feature with a signed weight, then L2
normalisation. No model, no network, no randomness: the same text gives the same vector in every
process and on every platform, because features are hashed with BLAKE2b over their UTF-8 bytes
(Python's ``hash()`` is salted per process) and text is NFKC-normalised and case-folded first.

Texts that share words or word fragments get a positive cosine, so lexical neighbours look like
semantic neighbours. That is enough for unit tests of retrieval, fusion and alignment code; it is
not a language model (it knows no synonyms and no other language).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["HashingEmbedder"]

_WORD = re.compile(r"\w+", re.UNICODE)
_VERSION = "1"
# Character n-grams carry most of the signal for inflections ("manage"/"managing"); word
# features keep whole-word matches ahead of fragment matches.
_WEIGHT_WORD = 1.0
_WEIGHT_BIGRAM = 0.7
_WEIGHT_CHAR = 0.35
_EMPTY_FEATURE = "\x00empty"


@lru_cache(maxsize=1 << 18)
def _bucket(feature: str, dimension: int) -> tuple[int, float]:
    """Column and sign of one feature (cached: texts share most of their features)."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    # The low bit picks the sign so colliding features tend to cancel rather than pile up.
    sign = 1.0 if value & 1 else -1.0
    return (value >> 1) % dimension, sign


def _features(text: str) -> list[tuple[str, float]]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if not words:
        return [(_EMPTY_FEATURE, 1.0)]
    feats: list[tuple[str, float]] = [("w:" + w, _WEIGHT_WORD) for w in words]
    feats.extend(("b:" + a + " " + b, _WEIGHT_BIGRAM) for a, b in itertools.pairwise(words))
    for word in words:
        padded = f"<{word}>"
        for n in (3, 4, 5):
            feats.extend(
                ("c:" + padded[i : i + n], _WEIGHT_CHAR) for i in range(len(padded) - n + 1)
            )
    return feats


class HashingEmbedder:
    """Deterministic fake embedder (feature hashing), for tests, demos and offline development."""

    def __init__(self, dimension: int = 384) -> None:
        if dimension < 2:
            raise ValueError("dimension must be at least 2")
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"hashing-fake-{self._dimension}"

    @property
    def model_version(self) -> str:
        return _VERSION

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def multilingual(self) -> bool:
        return False

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit-length row per text; an empty or wordless text gets a fixed unit vector."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            vec = out[row]
            for feature, weight in _features(text):
                col, sign = _bucket(feature, self._dimension)
                vec[col] += sign * weight
            norm = float(np.linalg.norm(vec))
            if norm == 0.0:
                # All features cancelled out (vanishingly rare); fall back to the empty vector.
                col, sign = _bucket(_EMPTY_FEATURE, self._dimension)
                vec[col] = sign
                norm = 1.0
            vec /= norm
        return out.astype(np.float32)
