"""Infrastructure settings, read from the environment (prefix ``PASSERELLE_``).

Recognition policy (thresholds, tolerances) is *not* here: it is versioned data under
``mappings/``, so every decision can cite the policy it used.

Resolution order for the reference-data directories (first that is set wins):
``PASSERELLE_FRAMEWORKS_DIR`` / ``PASSERELLE_MAPPINGS_DIR``, then the ``frameworks/`` and
``mappings/`` directories of the source tree or image this package was installed from.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PASSERELLE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'passerelle.db'}",
        description="SQLAlchemy URL: SQLite by default, postgresql+psycopg://... in production",
    )
    frameworks_dir: Path = PROJECT_ROOT / "frameworks"
    mappings_dir: Path = PROJECT_ROOT / "mappings"
    migrate_on_start: bool = True
    load_data_on_start: bool = True
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    log_level: str = "info"

    @field_validator("database_url")
    @classmethod
    def _psycopg3_driver(cls, value: str) -> str:
        # A bare postgresql:// URL would make SQLAlchemy look for psycopg2, which we do not ship.
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.removeprefix("postgres://")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
