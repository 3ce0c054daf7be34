"""Toy taxonomy, a bag-of-words fake embedder and an exact index for core outcome tests.

The fake embeds each content word into its own hashed dimension, so cosine similarity is plain
word overlap: predictable enough to assert exact fused scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from app.core.lexical import tokens
from app.core.taxonomy import SkillConcept, Taxonomy, index_entries

CONCEPTS = (
    SkillConcept(
        "u:sql",
        "SQL",
        "knowledge",
        alt_labels=("structured query language",),
        description="The computer language SQL for querying relational databases.",
    ),
    SkillConcept(
        "u:py",
        "Python (computer programming)",
        "knowledge",
        alt_labels=("Python",),
        description="Programming in Python: analysis, algorithms, coding and testing.",
    ),
    SkillConcept(
        "u:aid",
        "provide first aid",
        "skill",
        alt_labels=("give first aid", "apply first aid"),
        description="Administer cardiopulmonary resuscitation or first aid to a sick person.",
    ),
    SkillConcept(
        "u:paint",
        "paint portraits",
        "skill",
        alt_labels=("create portraits",),
        description="Paint likenesses of people in oil or acrylic.",
    ),
    SkillConcept(
        "u:team",
        "lead a team",
        "skill",
        alt_labels=("manage a team",),
        description="Lead, supervise and motivate a group of people.",
    ),
)
TAXONOMY = Taxonomy("toy-1", "f" * 64, CONCEPTS)


class WordEmbedder:
    """Deterministic fake: one hashed dimension per content word."""

    def __init__(self, dimension: int = 512, model_id: str = "toy-words") -> None:
        self._dimension = dimension
        self._model_id = model_id
        self.calls = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def model_version(self) -> str:
        return "1"

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def multilingual(self) -> bool:
        return False

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += 1
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in set(tokens(text)):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "big")
                out[i, h % self._dimension] = 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


class ExactIndex:
    """Exact inner-product top-k (what the NumPy adapter does, without the adapter)."""

    def __init__(self, vectors: NDArray[np.float32]) -> None:
        self.vectors = vectors

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        scores = queries @ self.vectors.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, axis=1), order.astype(np.int64)


def toy_index(embedder: WordEmbedder, taxonomy: Taxonomy = TAXONOMY) -> ExactIndex:
    return ExactIndex(embedder.encode([e.text for e in index_entries(taxonomy.concepts)]))
