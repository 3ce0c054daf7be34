"""ESCO in the database: the migration, an idempotent load keyed on the content hash, and a
round trip that gives back the taxonomy loaded from the files (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from app.adapters.db import migrate
from app.adapters.db.esco_repository import EscoRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.core.taxonomy import Taxonomy
from app.reference.esco import cached_esco
from app.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return cached_esco(PROJECT_ROOT / "mappings" / "esco")


def test_store_is_idempotent_and_round_trips(database_url: str, taxonomy: Taxonomy) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions(database_url)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as session:
            row, created = EscoRepository(session).save(taxonomy)
            assert created and row.version == "v1.1.1"
        with session_scope(factory) as session:
            _row, created = EscoRepository(session).save(taxonomy)
            assert not created
        with session_scope(factory) as session:
            repo = EscoRepository(session)
            assert repo.counts(taxonomy.content_hash) == {
                "concepts": 13_896,
                "groups": len(taxonomy.groups),
                "broader_links": sum(
                    len(n.broader) for n in (*taxonomy.concepts, *taxonomy.groups)
                ),
            }
            stored = repo.load(taxonomy.content_hash)
            assert stored is not None
            assert stored.concepts == taxonomy.concepts
            assert stored.groups == taxonomy.groups
            assert stored.version == taxonomy.version
            under_s = repo.narrower_concepts(
                taxonomy.content_hash, "http://data.europa.eu/esco/isced-f/06"
            )
            assert "http://data.europa.eu/esco/isced-f/061" in under_s
            assert repo.load("0" * 64) is None
    finally:
        engine.dispose()


def test_downgrade_removes_the_esco_tables(database_url: str) -> None:
    from sqlalchemy import inspect

    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0001_registry")
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert not {"esco_release", "esco_concept", "esco_group", "esco_broader"} & tables
        assert "data_release" in tables
    finally:
        engine.dispose()
    migrate.upgrade(database_url)
