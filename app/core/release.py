"""A data release: every framework, level edge and qualification type of one hashed snapshot.

The release is what the service runs on. It is built by ``app.reference`` from the files, or
rebuilt by the database adapter from stored rows; both must give equal releases (a test checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.types import EQF_ID, Framework, Level, LevelEdge, LevelKey, QualificationType


@dataclass(frozen=True, slots=True)
class ConfidenceScale:
    version: str
    high: float
    medium: float
    low: float

    def value(self, name: str) -> float:
        return {"high": self.high, "medium": self.medium, "low": self.low}[name]


@dataclass(frozen=True, slots=True)
class Release:
    """One snapshot of the reference data, identified by the hash of its files."""

    content_hash: str
    label: str
    frameworks: dict[str, Framework]
    edges: tuple[LevelEdge, ...]
    qualification_types: tuple[QualificationType, ...]
    confidence_scale: ConfidenceScale
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def eqf(self) -> Framework:
        return self.frameworks[EQF_ID]

    def level(self, key: LevelKey) -> Level | None:
        framework = self.frameworks.get(key.framework)
        return framework.level(key.code) if framework else None
