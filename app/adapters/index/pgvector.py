"""The ``VectorIndex`` port on PostgreSQL with the pgvector extension, with a NumPy fallback.

For deployments whose PostgreSQL has pgvector: many stateless API workers can share one copy of
the catalogue vectors, and large catalogues get an HNSW index. At ESCO scale an exact scan in
PostgreSQL takes about 5–6 ms per query (PERFORMANCE.md 3.5), so HNSW is optional.

One table per (model id, model version, dimension, content hash) — the same key as the on-disk
cache — named ``passerelle_vec_<key16>``, with ``id`` = row number of the catalogue matrix, so
``search`` returns the same row indices as ``NumpyIndex``. A catalogue table
``passerelle_vector_sets`` records what each table holds. Tables are written once (binary COPY)
and never updated: a new model or data release gets a new table.

``open_vector_index`` is the entry point: it uses pgvector when the database is PostgreSQL and the
extension is installed (or can be created), and otherwise logs one clear line and returns the
in-process ``NumpyIndex`` (Debian 12's PostgreSQL 15, for one, has no pgvector package).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.adapters.index.cache import CacheEntry
from app.adapters.index.numpy_index import NumpyIndex
from app.core.ports import VectorIndex

__all__ = [
    "PgVectorIndex",
    "PgVectorUnavailable",
    "libpq_url",
    "open_vector_index",
    "pgvector_status",
]

log = logging.getLogger(__name__)

_SETS = "passerelle_vector_sets"


class PgVectorUnavailable(RuntimeError):
    """The server has no usable pgvector extension."""


def libpq_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return url


def _vector_literal(row: NDArray[np.float32]) -> str:
    # float32 has 9 significant digits at most; pgvector parses the text form.
    return "[" + ",".join(format(float(x), ".9g") for x in row) + "]"


def pgvector_status(conn: Any) -> str | None:
    """The installed pgvector version, creating the extension if the server offers it.

    Raises ``PgVectorUnavailable`` with the reason when it cannot be used.
    """
    row = conn.execute(
        "SELECT default_version, installed_version FROM pg_available_extensions "
        "WHERE name = 'vector'"
    ).fetchone()
    if row is None:
        raise PgVectorUnavailable("the server does not offer the pgvector extension")
    if row[1] is None:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except Exception as exc:  # psycopg.Error; the message names the missing privilege
            raise PgVectorUnavailable(f"CREATE EXTENSION vector failed: {exc}") from exc
        row = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        return str(row[0]) if row else None
    return str(row[1])


class PgVectorIndex:
    """Exact (or HNSW) inner-product top-k over one pgvector table."""

    def __init__(self, conn: Any, table: str, dimension: int, *, ef_search: int = 100) -> None:
        self._conn = conn
        self._table = table
        self._dimension = dimension
        self._ef_search = ef_search
        self._lock = threading.Lock()
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        self._size = int(row[0])

    @classmethod
    def connect(cls, url: str) -> Any:
        import psycopg

        return psycopg.connect(libpq_url(url), autocommit=True)

    @classmethod
    def table_for(cls, entry: CacheEntry) -> str:
        return f"passerelle_vec_{entry.key}"

    @classmethod
    def open_or_create(
        cls,
        conn: Any,
        entry: CacheEntry,
        vectors: NDArray[np.float32],
        *,
        hnsw: bool = False,
        ef_search: int = 100,
    ) -> PgVectorIndex:
        """The table for ``entry``, created and filled from ``vectors`` if it does not exist."""
        pgvector_status(conn)
        table = cls.table_for(entry)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_SETS} ("
            " table_name text PRIMARY KEY, name text NOT NULL, model_id text NOT NULL,"
            " model_version text NOT NULL, dimension integer NOT NULL,"
            " content_hash text NOT NULL, count integer NOT NULL, hnsw boolean NOT NULL,"
            " created timestamptz NOT NULL DEFAULT now())"
        )
        existing = conn.execute(
            f"SELECT count FROM {_SETS} WHERE table_name = %s", (table,)
        ).fetchone()
        if existing is not None and int(existing[0]) == len(vectors):
            return cls(conn, table, entry.dimension, ef_search=ef_search)
        cls._create(conn, table, entry, vectors, hnsw=hnsw)
        return cls(conn, table, entry.dimension, ef_search=ef_search)

    @staticmethod
    def _create(
        conn: Any,
        table: str,
        entry: CacheEntry,
        vectors: NDArray[np.float32],
        *,
        hnsw: bool,
    ) -> None:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        with conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"DELETE FROM {_SETS} WHERE table_name = %s", (table,))
            conn.execute(
                f"CREATE TABLE {table} (id integer PRIMARY KEY, "
                f"embedding vector({entry.dimension}) NOT NULL)"
            )
            with conn.cursor().copy(f"COPY {table} (id, embedding) FROM STDIN") as copy:
                for i, row in enumerate(matrix):
                    copy.write_row((i, _vector_literal(row)))
            if hnsw:
                # m / ef_construction as measured in PERFORMANCE.md 3.5.
                conn.execute(
                    f"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops) "
                    "WITH (m = 16, ef_construction = 64)"
                )
            conn.execute(
                f"INSERT INTO {_SETS} (table_name, name, model_id, model_version, dimension,"
                " content_hash, count, hnsw) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    table,
                    entry.name,
                    entry.model_id,
                    entry.model_version,
                    entry.dimension,
                    entry.content,
                    len(matrix),
                    hnsw,
                ),
            )
        conn.execute(f"ANALYZE {table}")
        log.info("pgvector: built %s (%d rows, hnsw=%s)", table, len(matrix), hnsw)

    @property
    def size(self) -> int:
        return self._size

    @property
    def table(self) -> str:
        return self._table

    def search(
        self, queries: NDArray[np.float32], k: int, *, exact: bool = False
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and row indices of the ``k`` best rows per query, best first.

        One round trip for the whole batch (a LATERAL join over the queries). ``exact`` turns
        index scans off so an HNSW table is scanned exhaustively.
        """
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[np.newaxis, :]
        if q.ndim != 2 or q.shape[1] != self._dimension:
            raise ValueError(
                f"queries must have shape (n, {self._dimension}), got {np.shape(queries)}"
            )
        k = max(0, min(int(k), self._size))
        n = q.shape[0]
        scores = np.empty((n, k), dtype=np.float32)
        ids = np.empty((n, k), dtype=np.int64)
        if k == 0 or n == 0:
            return scores, ids
        literals = [_vector_literal(row) for row in q]
        # <#> is the negative inner product; ties are broken by row id like NumpyIndex. The
        # queries are cast to vectors once, in a materialised CTE: cast in the ORDER BY, the
        # text was parsed again for every row scanned (an exact scan took seconds, not ms).
        sql = (
            "WITH q AS MATERIALIZED (SELECT u.v::vector AS v, u.ord"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, ord)) "
            "SELECT q.ord, t.id, t.score FROM q CROSS JOIN LATERAL ("
            f" SELECT id, -(embedding <#> q.v) AS score FROM {self._table}"
            f" ORDER BY embedding <#> q.v, id LIMIT {k}"
            ") AS t ORDER BY q.ord, t.score DESC, t.id"
        )
        with self._lock, self._conn.transaction():
            if exact:
                self._conn.execute("SET LOCAL enable_indexscan = off")
            else:
                self._conn.execute(f"SET LOCAL hnsw.ef_search = {int(self._ef_search)}")
            rows = self._conn.execute(sql, (literals,)).fetchall()
        if len(rows) != n * k:
            raise RuntimeError(f"pgvector returned {len(rows)} rows, expected {n * k}")
        flat = np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(n, k, 2)
        ids[:] = flat[:, :, 0].astype(np.int64)
        scores[:] = flat[:, :, 1].astype(np.float32)
        return scores, ids

    def close(self) -> None:
        self._conn.close()


def open_vector_index(
    vectors: NDArray[np.float32],
    entry: CacheEntry,
    *,
    database_url: str | None = None,
    use_pgvector: bool = True,
    hnsw: bool = False,
) -> VectorIndex:
    """pgvector when ``database_url`` is PostgreSQL with the extension, else NumPy in-process.

    The fallback is logged once per call with the reason, at WARNING when pgvector was wanted.
    """
    if (
        not use_pgvector
        or not database_url
        or not database_url.startswith(("postgresql", "postgres://"))
    ):
        return NumpyIndex(vectors)
    try:
        conn = PgVectorIndex.connect(database_url)
    except Exception as exc:  # psycopg.OperationalError and friends
        log.warning("pgvector: cannot connect (%s); using the in-process NumPy index", exc)
        return NumpyIndex(vectors)
    try:
        return PgVectorIndex.open_or_create(conn, entry, vectors, hnsw=hnsw)
    except PgVectorUnavailable as exc:
        conn.close()
        log.warning(
            "pgvector not available on this PostgreSQL server (%s); "
            "falling back to the in-process NumPy exact index",
            exc,
        )
        return NumpyIndex(vectors)
