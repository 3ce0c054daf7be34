"""Bring a process to a ready state: migrate, load and store the data release, build the registry;
then build the transfer capabilities over one typed context (:func:`transfer`).

Used by the API lifespan and by the CLI, so both run on exactly the same data and wiring.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import __version__
from app.adapters.db import migrate
from app.adapters.db.repositories import ReleaseRepository
from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
from app.core.credits import CreditSystems
from app.core.release import Release
from app.reference.credit_systems import load_credit_systems
from app.reference.loader import load_release
from app.services.articulation import ArticulationService
from app.services.pathways import PathwayService
from app.services.recognition import RecognitionService
from app.services.registry import Registry
from app.services.transfer import Aligner, OutcomeModel, TransferContext
from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Ready:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    registry: Registry
    schema_revisions: tuple[str, ...]
    created: bool
    credit_systems: CreditSystems


def load_files(settings: Settings) -> Release:
    return load_release(settings.frameworks_dir, settings.mappings_dir)


def load_credits(settings: Settings) -> CreditSystems:
    return load_credit_systems(settings.mappings_dir / "credit_systems.yaml")


def store_release(factory: sessionmaker[Session], release: Release) -> tuple[Release, bool]:
    """Store ``release`` if new; return the release as the database holds it."""
    with session_scope(factory) as session:
        repo = ReleaseRepository(session)
        _row, created = repo.save(release, app_version=__version__)
    with session_scope(factory) as session:
        stored = ReleaseRepository(session).load(release.content_hash)
    assert stored is not None
    return stored, created


def release_freed_memory() -> None:
    """Hand the memory freed by start-up's parsing back to the operating system.

    Loading ESCO and the reference files allocates about twice what it keeps (JSON text,
    validation records, then the frozen core objects); glibc keeps the freed heap for reuse, so
    the serving process would carry ~30 MB it never touches again. ``malloc_trim`` returns it.
    A no-op where the C library is not glibc.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def prepare(settings: Settings) -> Ready:
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    if settings.migrate_on_start:
        migrate.upgrade_if_needed(engine, settings.database_url)
    release = load_files(settings)
    created = False
    if settings.load_data_on_start:
        release, created = store_release(factory, release)
        if created:
            log.info("stored new data release %s", release.label)
    return Ready(
        engine=engine,
        sessionmaker=factory,
        registry=Registry(release),
        schema_revisions=migrate.current_revisions(engine),
        created=created,
        credit_systems=load_credits(settings),
    )


@dataclass(frozen=True, slots=True)
class Transfer:
    """The transfer capabilities of a process, over one shared context (built once)."""

    context: TransferContext
    recognition: RecognitionService
    articulation: ArticulationService
    pathways: PathwayService


def transfer(
    settings: Settings,
    ready: Ready,
    engine: OutcomeModel | None = None,
    *,
    aligner: Aligner | None = None,
) -> Transfer:
    """Recognition, articulation and pathways over one context; ``engine`` is the outcome engine
    (its model and inference thread) when the process has one, else alignment is lexical."""
    ctx = TransferContext.build(
        settings, ready.registry, ready.credit_systems, engine, aligner=aligner
    )
    return Transfer(ctx, RecognitionService(ctx), ArticulationService(ctx), PathwayService(ctx))


@contextmanager
def local_transfer(settings: Settings) -> Iterator[tuple[Ready, Transfer]]:
    """A ready process for the CLI: migrated, data stored, the outcome engine loaded when the
    matching engine is installed (else lexical alignment); closed on exit."""
    ready = prepare(settings)
    engine = None
    try:
        from app.services.outcomes import OutcomeEngine

        engine = OutcomeEngine.from_settings(settings, ready.registry.release)
    except ImportError:  # the matching engine is not installed: lexical alignment
        pass
    try:
        yield ready, transfer(settings, ready, engine)
    finally:
        if engine is not None:
            engine.close()
        ready.engine.dispose()
