"""pgvector index on a real PostgreSQL with the extension; the NumPy fallback without it."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from numpy.typing import NDArray

from app.adapters.index.cache import CacheEntry
from app.adapters.index.numpy_index import NumpyIndex
from app.adapters.index.pgvector import (
    PgVectorIndex,
    PgVectorUnavailable,
    libpq_url,
    open_vector_index,
    pgvector_status,
)
from app.core.ports import VectorIndex

pytestmark = pytest.mark.xdist_group("pgvector")


def _unit_rows(seed: int, n: int, d: int) -> NDArray[np.float32]:
    m = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _entry(content: str = "release-1", dimension: int = 32) -> CacheEntry:
    return CacheEntry(
        name="skills", model_id="test-model", model_version="1", dimension=dimension,
        content=content,
    )  # fmt: skip


def test_libpq_url() -> None:
    assert libpq_url("postgresql+psycopg://u@h:1/db") == "postgresql://u@h:1/db"
    assert libpq_url("postgres://u@h/db") == "postgresql://u@h/db"


def test_exact_search_matches_numpy(pg_database: str) -> None:
    vectors = _unit_rows(1, 2000, 32)
    queries = _unit_rows(2, 25, 32)
    index = open_vector_index(vectors, _entry(), database_url=pg_database)
    assert isinstance(index, PgVectorIndex)
    assert isinstance(index, VectorIndex)
    assert index.size == 2000
    scores, ids = index.search(queries, 10)
    ref_scores, ref_ids = NumpyIndex(vectors).search(queries, 10)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    _, single_ids = index.search(queries[0], 3)
    np.testing.assert_array_equal(single_ids, ref_ids[:1, :3])
    index.close()


def test_table_is_reused_and_keyed_by_content(pg_database: str) -> None:
    vectors = _unit_rows(3, 50, 32)
    conn = PgVectorIndex.connect(pg_database)
    first = PgVectorIndex.open_or_create(conn, _entry(), vectors)
    again = PgVectorIndex.open_or_create(conn, _entry(), vectors)
    other = PgVectorIndex.open_or_create(conn, _entry("release-2"), vectors[:10])
    assert first.table == again.table != other.table
    assert other.size == 10
    sets = conn.execute("SELECT count(*) FROM passerelle_vector_sets").fetchone()
    assert sets == (2,)
    conn.close()


def test_hnsw_index_recall(pg_database: str) -> None:
    vectors = _unit_rows(4, 3000, 32)
    queries = vectors[:40] + 0.05 * _unit_rows(5, 40, 32)
    index = open_vector_index(vectors, _entry(), database_url=pg_database, hnsw=True)
    assert isinstance(index, PgVectorIndex)
    plan = index._conn.execute(  # the planner must pick the HNSW index for a plain ORDER BY
        f"EXPLAIN SELECT id FROM {index.table} ORDER BY embedding <#> %s::vector LIMIT 10",
        ("[" + ",".join(["0.1"] * 32) + "]",),
    ).fetchall()
    assert any("hnsw" in row[0] or "Index Scan" in row[0] for row in plan)
    _, approx = index.search(queries, 10)
    _, exact = index.search(queries, 10, exact=True)
    _, reference = NumpyIndex(vectors).search(queries, 10)
    np.testing.assert_array_equal(exact, reference)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(approx, reference, strict=True)])
    assert recall >= 0.9
    index.close()


def test_rejects_wrong_dimension(pg_database: str) -> None:
    index = open_vector_index(_unit_rows(6, 5, 32), _entry(), database_url=pg_database)
    assert isinstance(index, PgVectorIndex)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones((1, 8), dtype=np.float32), 2)
    index.close()


def test_fallback_when_the_server_lacks_the_extension(
    pg_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    # A real server without pgvector: hide the extension's control files from this database.
    with psycopg.connect(pg_database, autocommit=True) as conn:
        name = pg_database.rsplit("/", 1)[1]
        conn.execute(f"ALTER DATABASE \"{name}\" SET extension_control_path = '/nonexistent'")
    with psycopg.connect(pg_database, autocommit=True) as conn, pytest.raises(PgVectorUnavailable):
        pgvector_status(conn)
    vectors = _unit_rows(7, 20, 32)
    with caplog.at_level(logging.WARNING, logger="app.adapters.index.pgvector"):
        index = open_vector_index(vectors, _entry(), database_url=pg_database)
    assert isinstance(index, NumpyIndex)
    assert "pgvector not available" in caplog.text
    assert "falling back to the in-process NumPy" in caplog.text


def test_fallback_when_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    vectors = _unit_rows(8, 5, 32)
    with caplog.at_level(logging.WARNING, logger="app.adapters.index.pgvector"):
        index = open_vector_index(
            vectors, _entry(), database_url="postgresql://nobody@127.0.0.1:1/none"
        )
    assert isinstance(index, NumpyIndex)
    assert "cannot connect" in caplog.text


def test_sqlite_and_disabled_use_numpy_silently(caplog: pytest.LogCaptureFixture) -> None:
    vectors = _unit_rows(9, 5, 32)
    with caplog.at_level(logging.WARNING):
        assert isinstance(
            open_vector_index(vectors, _entry(), database_url="sqlite:///x.db"), NumpyIndex
        )
        assert isinstance(
            open_vector_index(
                vectors, _entry(), database_url="postgresql://x@h/db", use_pgvector=False
            ),
            NumpyIndex,
        )
    assert caplog.text == ""


@pytest.mark.postgres
def test_fallback_on_the_project_postgres_without_pgvector(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The machine's own PostgreSQL 15 (Debian 12) has no pgvector package: NumPy it is."""
    import os

    import psycopg

    from tests.conftest import make_postgres_database

    if os.environ.get("PASSERELLE_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("PASSERELLE_TEST_SKIP_POSTGRES=1")
    url = libpq_url(make_postgres_database(f"passerelle_pgvector_{os.getpid()}"))
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            version = pgvector_status(conn)
        except PgVectorUnavailable:
            version = None
    with caplog.at_level(logging.WARNING, logger="app.adapters.index.pgvector"):
        index = open_vector_index(_unit_rows(10, 5, 32), _entry(), database_url=url)
    if version is None:
        assert isinstance(index, NumpyIndex)
        assert "falling back" in caplog.text
    else:  # a server that does have pgvector must be used
        assert isinstance(index, PgVectorIndex)
        index.close()
