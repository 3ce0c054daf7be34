"""The ``credential`` table on SQLite and PostgreSQL: migration up/down, idempotent storage,
paging, and stored JSON read back unchanged."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect

from app.adapters.db import migrate
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.core.credentials import CredentialNotFound, credential_from_json
from app.services.credentials import CredentialService
from app.services.registry import Registry
from tests.adapters.importers.conftest import CERT_SAMPLE, MC_SAMPLE, OB_FULL


def test_migration_up_down_up(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(database_url)
        assert "credential" in inspect(engine).get_table_names()
        indexes = {i["name"] for i in inspect(engine).get_indexes("credential")}
        assert {"ix_credential_created_at", "ix_credential_data_release_id"} <= indexes
        migrate.downgrade(database_url, "0001_registry")
        assert "credential" not in inspect(engine).get_table_names()
        migrate.upgrade(database_url)
        assert "credential" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_store_is_idempotent_and_pages(database_url: str, registry: Registry) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    service = CredentialService(registry)
    try:
        reports = [service.read(p.read_bytes()) for p in (MC_SAMPLE, CERT_SAMPLE, OB_FULL)]
        with session_scope(factory) as session:
            stored = [service.store(session, r) for r in reports]
        assert all(s.created for s in stored)
        assert len({s.id for s in stored}) == 3
        # the same document again (spaced differently): same row, not created
        respaced = json.dumps(json.loads(MC_SAMPLE.read_text(encoding="utf-8")), indent=2)
        again_report = service.read(respaced)
        assert again_report.content_hash == reports[0].content_hash
        with session_scope(factory) as session:
            again = service.store(session, again_report)
        assert (again.id, again.created) == (stored[0].id, False)
        with session_scope(factory) as session:
            got = service.get(session, stored[0].id)
            items, total = service.page(session, limit=2, offset=0)
            rest, _ = service.page(session, limit=2, offset=2)
            original, text, source_format = service.original(session, stored[0].id)
        assert credential_from_json(got.credential) == reports[0].credential
        assert got.completeness["mandatory"] == {"present": 10, "total": 11}
        assert total == 3
        assert [i.id for i in items] + [i.id for i in rest] == [s.id for s in reversed(stored)]
        assert original is not None and original["id"] == reports[0].credential.id
        assert (text, source_format) == (None, "elm")
        with session_scope(factory) as session, pytest.raises(CredentialNotFound):
            service.get(session, "00000000-0000-0000-0000-000000000000")
    finally:
        engine.dispose()
