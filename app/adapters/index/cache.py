"""On-disk cache of precomputed vectors, keyed by (model id, model version, content hash).

Encoding the ESCO catalogue takes tens of seconds with the fast backend and minutes with the
multilingual one, while loading the matrix back takes milliseconds (PERFORMANCE.md T5), so vectors
are computed once per (model, data) pair and reused until either changes.

Layout under the cache root, one pair of files per entry::

    <name>__<model slug>__<key16>.npy    float32 matrix, one row per text, in input order
    <name>__<model slug>__<key16>.json   manifest: model id and version, content hash, shape, ...

``key16`` is a SHA-256 prefix over model id, model version, dimension and content hash, so a new
model or a new data release never reads a stale matrix. The ``.npy`` is written first and the
manifest last, each through a temporary file and an atomic rename: a manifest on disk means a
complete entry, and a crashed build leaves nothing that looks valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.core.ports import Embedder

__all__ = ["CacheEntry", "VectorCache", "content_hash", "encode_all"]

log = logging.getLogger(__name__)

_FORMAT = 1
# Texts per ``encode`` call while building: large enough to amortise the call, small enough for
# the progress bar to move and for the inference engine's memory arena to stay small.
_BUILD_CHUNK = 256


def content_hash(texts: Sequence[str]) -> str:
    """SHA-256 over the texts in order (length-prefixed, so no two lists collide by joining)."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-")[:60] or "x"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """Where one (name, model, content) matrix lives and what it was built from."""

    name: str
    model_id: str
    model_version: str
    dimension: int
    content: str

    @property
    def key(self) -> str:
        raw = "\x1f".join(
            [str(_FORMAT), self.model_id, self.model_version, str(self.dimension), self.content]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def stem(self) -> str:
        return f"{_slug(self.name)}__{_slug(self.model_id)}__{self.key}"

    def manifest(self, count: int) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "name": self.name,
            "model_id": self.model_id,
            "model_version": self.model_version,
            "dimension": self.dimension,
            "content_hash": self.content,
            "count": count,
            "dtype": "float32",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }


class VectorCache:
    """Loads or builds (then stores) the vectors of a list of texts for one embedder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def entry(self, embedder: Embedder, name: str, content: str) -> CacheEntry:
        # An embedder whose catalogue side differs from its query side (the ONNX model encodes
        # statements in fp32 and the catalogue in int8) keys the cache on the catalogue side.
        version: str = getattr(embedder, "catalogue_version", embedder.model_version)
        return CacheEntry(
            name=name,
            model_id=embedder.model_id,
            model_version=version,
            dimension=embedder.dimension,
            content=content,
        )

    def paths(self, entry: CacheEntry) -> tuple[Path, Path]:
        return self.root / f"{entry.stem}.npy", self.root / f"{entry.stem}.json"

    def load(self, entry: CacheEntry) -> NDArray[np.float32] | None:
        """The cached matrix, or None on a miss (absent, incomplete or not matching the key)."""
        npy, manifest_path = self.paths(entry)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        expected = entry.manifest(0)
        for field in ("format", "model_id", "model_version", "dimension", "content_hash"):
            if manifest.get(field) != expected[field]:
                log.warning("vector cache %s: manifest does not match (%s); rebuilding", npy, field)
                return None
        try:
            matrix: NDArray[np.float32] = np.load(npy, allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("vector cache %s unreadable (%s); rebuilding", npy, exc)
            return None
        if matrix.dtype != np.float32 or matrix.shape != (manifest["count"], entry.dimension):
            log.warning("vector cache %s: shape %s does not match its manifest", npy, matrix.shape)
            return None
        return matrix

    def store(self, entry: CacheEntry, matrix: NDArray[np.float32]) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        npy, manifest_path = self.paths(entry)
        with _atomic(npy) as tmp, tmp.open("wb") as fh:
            np.save(fh, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
        with _atomic(manifest_path) as tmp:
            tmp.write_text(
                json.dumps(entry.manifest(int(matrix.shape[0])), indent=2) + "\n",
                encoding="utf-8",
            )
        return npy

    def get_or_build(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        *,
        name: str,
        content: str | None = None,
        progress: bool = False,
    ) -> tuple[NDArray[np.float32], bool]:
        """The vectors of ``texts`` (in order) and whether they came from the cache.

        Args:
            embedder: the model; its id, version and dimension are part of the key.
            texts: what to encode, in the order rows should have.
            name: a human label for the file name (e.g. ``esco-skills-labels``).
            content: the content key, e.g. the data release hash. Defaults to a hash of ``texts``,
                which is always safe; pass a release hash only if it determines ``texts``.
            progress: show a progress bar while building.
        """
        entry = self.entry(embedder, name, content if content is not None else content_hash(texts))
        cached = self.load(entry)
        if cached is not None:
            if cached.shape[0] == len(texts):
                return cached, True
            log.warning(
                "vector cache %s has %d rows for %d texts; rebuilding",
                entry.stem,
                cached.shape[0],
                len(texts),
            )
        log.info("building vectors %s with %s (%d texts)", name, embedder.model_id, len(texts))
        matrix = encode_all(embedder, texts, progress=progress, description=name)
        self.store(entry, matrix)
        return matrix, False


def encode_all(
    embedder: Embedder,
    texts: Sequence[str],
    *,
    progress: bool = False,
    description: str = "encoding",
) -> NDArray[np.float32]:
    """Encode catalogue texts in chunks, longest first, with an optional progress bar.

    Sorting by length keeps the texts of one chunk of similar length, so the model pads less
    (the batch padding waste on ESCO descriptions is otherwise large); rows are put back in input
    order before returning.
    """
    out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    if not texts:
        return out
    # Asymmetric models (e5: "passage:" vs "query:") embed catalogue texts with a separate
    # method; the port's ``encode`` is the query side.
    encode: Callable[[Sequence[str]], NDArray[np.float32]] = getattr(
        embedder, "encode_documents", embedder.encode
    )
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    chunks = [order[i : i + _BUILD_CHUNK] for i in range(0, len(order), _BUILD_CHUNK)]
    if progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(description, total=len(texts))
            for chunk in chunks:
                out[chunk] = encode([texts[i] for i in chunk])
                bar.advance(task, len(chunk))
    else:
        for chunk in chunks:
            out[chunk] = encode([texts[i] for i in chunk])
    return out


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)  # mkstemp creates 0600; the serving user may differ from the builder
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
