"""Shared fixtures: the real data release, databases (SQLite and PostgreSQL), an API client.

Databases: ``database_url`` is parametrised over ``sqlite`` (a file in a temp dir) and
``postgres`` (a scratch database per xdist worker on the server named by
``PASSERELLE_TEST_POSTGRES_URL``, default 127.0.0.1:5432, user postgres). Each is created
empty and migrated by the code under test. The PostgreSQL leg fails (it does not skip) when the
server is unreachable, unless ``PASSERELLE_TEST_SKIP_POSTGRES=1`` says so explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.release import Release
from app.reference.loader import load_release
from app.services.registry import Registry
from app.settings import PROJECT_ROOT, Settings
from tests import identity

FRAMEWORKS_DIR = PROJECT_ROOT / "frameworks"
MAPPINGS_DIR = PROJECT_ROOT / "mappings"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def release() -> Release:
    return load_release(FRAMEWORKS_DIR, MAPPINGS_DIR)


@pytest.fixture(scope="session")
def registry(release: Release) -> Registry:
    return Registry(release)


def _worker() -> str:
    # PASSERELLE_TEST_DB_PREFIX keeps two test runs on one server (two checkouts, two people)
    # from dropping each other's scratch databases.
    prefix = os.environ.get("PASSERELLE_TEST_DB_PREFIX", "")
    return prefix + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_admin_url() -> str:
    return os.environ.get("PASSERELLE_TEST_POSTGRES_URL", DEFAULT_PG)


def make_postgres_database(name: str) -> str:
    """Create (or re-create) an empty database ``name``; return its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(_postgres_admin_url())
    conninfo = (
        f"host={admin.host or '127.0.0.1'} port={admin.port or 5432} "
        f"user={admin.username or 'postgres'} dbname={admin.database or 'postgres'}"
    )
    if admin.password:
        conninfo += f" password={admin.password}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def _backend_url(backend: str, tmp_path_factory: pytest.TempPathFactory, tag: str) -> str:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp(f"db-{tag}") / "passerelle.db"
        return f"sqlite:///{path}"
    if os.environ.get("PASSERELLE_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("PASSERELLE_TEST_SKIP_POSTGRES=1")
    return make_postgres_database(f"passerelle_test_{tag}_{_worker()}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database per test, on each backend."""
    tag = "".join(c for c in request.node.name.lower() if c.isalnum())[:30]
    return _backend_url(request.param, tmp_path_factory, tag)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings. The embedding backend is the deterministic fake unless a test asks for a
    real model (tests of the real model build their own settings), so an API test never spends
    CI time building a model index it does not look at."""
    from app.settings import EmbeddingSettings, RateLimitSettings

    overrides.setdefault("embeddings", EmbeddingSettings(backend="fake"))
    # Every test app trusts the suite's own OIDC issuer (tests/identity.py); the clients below
    # send an admin token of the default organisation unless a test asks for another identity.
    overrides.setdefault("auth", identity.auth_settings())
    # No rate limits unless a test asks for them (tests/api/test_hardening_limits.py): the suite
    # sends hundreds of writes a minute as one organisation.
    overrides.setdefault("rate_limits", RateLimitSettings(enabled=False))
    return Settings(
        database_url=database_url,
        frameworks_dir=FRAMEWORKS_DIR,
        mappings_dir=MAPPINGS_DIR,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings for an API app on each backend (one database per backend per worker)."""
    return make_settings(_backend_url(request.param, tmp_path_factory, "api"))


@pytest.fixture(scope="session")
def client(api_settings: Settings) -> Iterator[TestClient]:
    """An API client on each backend; the app migrates and loads the data at start-up."""
    from app.api.main import create_app

    with TestClient(create_app(api_settings), headers=identity.ADMIN_HEADERS) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An API client on SQLite only, for tests whose subject is not the database."""
    from app.api.main import create_app

    settings = make_settings(_backend_url("sqlite", tmp_path_factory, "sqlite-api"))
    with TestClient(create_app(settings), headers=identity.ADMIN_HEADERS) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def client_for(client: TestClient) -> Callable[..., TestClient]:
    """``client_for(role, organisation="default")``: a client on the same app (and backend) as
    ``client`` that authenticates with that role in that organisation (created if needed).
    ``client_for(None)`` is anonymous."""
    return _client_factory(client)


@pytest.fixture(scope="session")
def sqlite_client_for(sqlite_client: TestClient) -> Callable[..., TestClient]:
    """As ``client_for``, on the ``sqlite_client`` app."""
    return _client_factory(sqlite_client)


def _client_factory(base: TestClient) -> Callable[..., TestClient]:
    made: dict[tuple[object, str, str | None], TestClient] = {}

    def client_for(
        role: str | list[str] | None = "admin",
        organisation: str = identity.DEFAULT_ORG,
        *,
        subject: str | None = None,
    ) -> TestClient:
        key = (role if not isinstance(role, list) else tuple(role), organisation, subject)
        if key not in made:
            identity.ensure_organisation(base.app, organisation)
            extra = {} if role is None else identity.headers(role, organisation, subject=subject)
            # Not entered as a context manager: the app is already started by ``base``.
            made[key] = TestClient(base.app, headers=extra, raise_server_exceptions=False)
        return made[key]

    return client_for


@pytest.fixture(autouse=True)
def _default_organisation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Outside tests/api, repositories built on a bare session act for the default organisation
    (as the CLI does). API tests get none: the app must bind each request's organisation."""
    from app.adapters.db.tenancy import set_process_organisation

    api = "tests/api/" in str(request.node.path).replace("\\", "/")
    set_process_organisation(None if api else identity.DEFAULT_ORG)
    yield
    set_process_organisation(None)


@pytest.fixture
def data_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of frameworks/ and mappings/ for tests that break files on purpose."""
    import shutil

    fw = tmp_path / "frameworks"
    mp = tmp_path / "mappings"
    shutil.copytree(FRAMEWORKS_DIR, fw)
    shutil.copytree(MAPPINGS_DIR, mp)
    return fw, mp
