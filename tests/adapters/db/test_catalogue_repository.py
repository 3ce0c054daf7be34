"""The catalogue tables on SQLite and PostgreSQL: migration up and down (and agreement with the
models), store and read back, idempotent re-import, fuzzy search, filters, pagination."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from app.adapters.db import migrate
from app.adapters.db.catalogue_repository import CatalogueRepository, ProgrammeFilter
from app.adapters.db.models_catalogue import ModuleOutcomeRow, ModuleRow, ProgrammeRow
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.core.catalogue import (
    Cost,
    CreditValue,
    Cycle,
    Institution,
    Module,
    ModuleStatus,
    Programme,
    Provenance,
    content_hash,
)
from app.core.types import LevelKey

CATALOGUE_TABLES = {"programme", "module", "module_outcome"}


def programme(title: str = "MSc in Data Analytics", **kw: object) -> Programme:
    p = Programme(
        title=title,
        institution=Institution("National College of Ireland", "IE"),
        code="MSCDAD",
        award="Master of Science",
        level=LevelKey("IE-NFQ", "9"),
        eqf_level=7,
        credits=CreditValue(90, "ects"),
        isced_f="0613",
        language="en",
        url="https://example.org/msc",
        cost=Cost(9500, "EUR", "EU applicants"),
        sources=(Provenance("https://example.org/msc", "Programme page", None, "terms", None),),
        notes="partial",
        modules=(
            Module(
                "H9DAP",
                "Database and Analytics Programming",
                CreditValue(10, "ects"),
                description="Data pipelines and the databases behind them.",
                level=LevelKey("IE-NFQ", "9"),
                semester="1",
                learning_outcomes=("Analyse data pipelines.", "Evaluate database systems."),
                isced_f="0612",
                status=ModuleStatus.COMPULSORY,
                cost=Cost(1200.5, "EUR"),
            ),
            Module(
                "H9RP",
                "Research Project",
                CreditValue(30, "ects"),
                cycle=Cycle.SECOND,
                year=1,
                prerequisites=("H9DAP",),
                learning_outcomes=("Conduct research.",),
                status=ModuleStatus.ELECTIVE,
            ),
        ),
    )
    return replace(p, **kw)  # type: ignore[arg-type]


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _add(factory: sessionmaker[Session], p: Programme) -> tuple[str, bool]:
    with session_scope(factory) as session:
        return CatalogueRepository(session).add(p, content_hash=content_hash(p))


def test_migration_up_down_up_and_models_agree(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.adapters.db.base import Base

    migrate.upgrade(database_url)
    engine: Engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= CATALOGUE_TABLES
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diffs if CATALOGUE_TABLES & set(str(d).split("'"))]
        assert ours == []
        migrate.downgrade(database_url, "0001_registry")
        assert not CATALOGUE_TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(database_url)
        assert set(inspect(engine).get_table_names()) >= CATALOGUE_TABLES
    finally:
        engine.dispose()


def test_store_and_read_back_equal(factory: sessionmaker[Session]) -> None:
    p = programme()
    pid, created = _add(factory, p)
    assert created
    with session_scope(factory) as session:
        stored = CatalogueRepository(session).get(pid)
        assert stored is not None
        assert stored.programme == replace(p, id=pid)
        assert stored.programme.modules[0].description == p.modules[0].description
        assert stored.programme.modules[1].description is None
        assert stored.content_hash == content_hash(p)
        assert content_hash(stored.programme) == stored.content_hash
        ids = CatalogueRepository(session).outcome_ids(pid)
        assert set(ids) == {("H9DAP", 0), ("H9DAP", 1), ("H9RP", 0)}
        assert CatalogueRepository(session).get("no-such-id") is None


def test_re_import_is_idempotent(factory: sessionmaker[Session]) -> None:
    first, created = _add(factory, programme())
    assert created
    again, created_again = _add(factory, programme())
    assert (again, created_again) == (first, False)
    other, created_other = _add(factory, programme(title="MSc in Data Analytics (2026)"))
    assert created_other and other != first
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(ProgrammeRow)) == 2
        assert session.scalar(select(func.count()).select_from(ModuleRow)) == 4
        assert session.scalar(select(func.count()).select_from(ModuleOutcomeRow)) == 6


def test_delete_cascades_to_modules_and_outcomes(factory: sessionmaker[Session]) -> None:
    pid, _ = _add(factory, programme())
    with session_scope(factory) as session:
        assert CatalogueRepository(session).delete(pid)
        assert not CatalogueRepository(session).delete(pid)
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(ModuleOutcomeRow)) == 0


def _seed(factory: sessionmaker[Session]) -> dict[str, str]:
    items = {
        "nci": programme(),
        "gla": programme(
            "Data Analytics PgCert",
            institution=Institution("University of Glasgow", "GB"),
            code="PGCERT-DA",
            level=LevelKey("UK-SCT-SCQF", "11"),
            eqf_level=7,
            credits=CreditValue(60, "scqf"),
            modules=(),
        ),
        "una": programme(
            "Micro-credential in Sustainability",
            institution=Institution("University of Helsinki", "FI"),
            code=None,
            level=None,
            eqf_level=None,
            credits=CreditValue(10, "ects"),
            modules=(Module("SUS1", "Introduction to Sustainability"),),
        ),
        "bach": programme(
            "BSc in Computing",
            code="BSC",
            level=LevelKey("IE-NFQ", "8"),
            eqf_level=6,
            modules=(),
        ),
    }
    return {name: _add(factory, p)[0] for name, p in items.items()}


def test_search_text_filters_and_pages(factory: sessionmaker[Session]) -> None:
    ids = _seed(factory)
    with session_scope(factory) as session:
        repo = CatalogueRepository(session)
        newest, total = repo.search(limit=2)
        assert total == 4
        assert [s.id for s in newest] == [ids["bach"], ids["una"]]
        rest, _ = repo.search(limit=2, offset=2)
        assert [s.id for s in rest] == [ids["gla"], ids["nci"]]

        hits, total = repo.search(q="data analytics")
        assert {h.id for h in hits} == {ids["nci"], ids["gla"]}
        assert total == 2
        assert all(h.score is not None and h.score >= 70 for h in hits)

        [hit], _ = repo.search(q="sustainabilty")  # a typo still finds it
        assert hit.id == ids["una"]
        assert hit.module_count == 1
        [hit], _ = repo.search(q="h9dap")  # a module code finds its programme
        assert hit.id in {ids["nci"]}
        [hit], _ = repo.search(q="glasgow")
        assert hit.id == ids["gla"]
        assert repo.search(q="zzzz qqqq")[1] == 0

        def found(where: ProgrammeFilter, q: str | None = None) -> set[str]:
            return {s.id for s in repo.search(q=q, where=where)[0]}

        assert found(ProgrammeFilter(framework="IE-NFQ")) == {ids["nci"], ids["bach"]}
        assert found(ProgrammeFilter(level=LevelKey("IE-NFQ", "9"))) == {ids["nci"]}
        assert found(ProgrammeFilter(eqf_level=7)) == {ids["nci"], ids["gla"]}
        assert found(ProgrammeFilter(any_eqf_level=True)) == {ids["nci"], ids["gla"], ids["bach"]}
        assert found(ProgrammeFilter(framework="IE-NFQ"), q="data") == {ids["nci"]}

        [summary] = [s for s in repo.search()[0] if s.id == ids["gla"]]
        assert summary.credits == CreditValue(60, "scqf")
        assert summary.level == LevelKey("UK-SCT-SCQF", "11")
        assert summary.module_count == 0
