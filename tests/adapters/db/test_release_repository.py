"""The registry tables on SQLite and PostgreSQL: migrations up and down, idempotent loading,
and a release read back from the database equal to the one read from the files."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, inspect, select

from app.adapters.db import migrate
from app.adapters.db.models import DataRelease, FrameworkRow, LevelEdgeRow
from app.adapters.db.repositories import ReleaseRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.core.release import Release
from app.services.startup import store_release

REGISTRY_TABLES = {
    "data_release",
    "framework",
    "framework_level",
    "level_edge",
    "qualification_type",
}


def test_migrations_up_down_up(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(database_url)
        assert set(inspect(engine).get_table_names()) >= REGISTRY_TABLES
        assert migrate.current_revisions(engine) == migrate.head_revisions(database_url)
        migrate.downgrade(database_url, "base")
        assert not REGISTRY_TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(database_url)
        assert set(inspect(engine).get_table_names()) >= REGISTRY_TABLES
    finally:
        engine.dispose()


def test_release_round_trip_and_idempotent_load(database_url: str, release: Release) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    try:
        stored, created = store_release(factory, release)
        assert created
        assert stored == release

        again, created_again = store_release(factory, release)
        assert not created_again
        assert again.content_hash == release.content_hash
        with session_scope(factory) as session:
            assert session.scalar(select(func.count()).select_from(DataRelease)) == 1
            assert session.scalar(select(func.count()).select_from(FrameworkRow)) == len(
                release.frameworks
            )
            assert session.scalar(select(func.count()).select_from(LevelEdgeRow)) == len(
                release.edges
            )
    finally:
        engine.dispose()


def test_a_new_release_is_added_and_the_old_one_kept(database_url: str, release: Release) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    try:
        store_release(factory, release)
        changed = dataclasses.replace(release, content_hash="f" * 64, label="next")
        _, created = store_release(factory, changed)
        assert created
        with session_scope(factory) as session:
            repo = ReleaseRepository(session)
            assert [r.label for r in repo.all()] == [release.label, "next"]
            latest = repo.latest()
            assert latest is not None and latest.content_hash == "f" * 64
            old = repo.load(release.content_hash)
            assert old is not None and old.frameworks == release.frameworks
    finally:
        engine.dispose()


def test_unknown_hash_loads_nothing(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            assert ReleaseRepository(session).load("0" * 64) is None
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db"])
def test_bare_postgres_urls_use_psycopg3(url: str) -> None:
    from app.settings import Settings

    assert Settings(database_url=url).database_url.startswith("postgresql+psycopg://")
