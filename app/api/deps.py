"""FastAPI dependencies, named once as ``Annotated`` aliases so routes read like types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.adapters.db.tenancy import bind_organisation
from app.services.registry import Registry
from app.services.startup import Transfer
from app.settings import Settings


# Plain look-ups are ``async def``: FastAPI runs a sync dependency in the thread pool, and that
# hop costs more than the look-up itself on every request.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request: commit on success, roll back on error; services only flush.

    The commit runs *before* the response is sent (``scope="function"`` below): a 2xx means
    the write is durable, so a GET right after a 201 finds the row, and a failed commit (a
    constraint, a lost connection) answers an error instead of a success that never happened.
    With FastAPI's default scope for ``yield`` dependencies ("request") the code after
    ``yield`` runs once the response has gone out. A ``yield`` dependency that itself depends on
    this one must also declare ``scope="function"`` (FastAPI refuses the other order).
    """
    session: Session = request.app.state.sessionmaker()
    principal = getattr(request.state, "principal", None)  # set by app/api/auth.py's authorise
    if principal is not None:
        # Every repository of organisation data on this session acts for the principal's
        # organisation (issue 12; app/adapters/db/tenancy.py).
        bind_organisation(session, principal.organisation)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


async def get_transfer(request: Request) -> Transfer:
    """Recognition, articulation and pathways over the context built once by the lifespan."""
    transfer: Transfer = request.app.state.transfer
    return transfer


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
RegistryDep = Annotated[Registry, Depends(get_registry)]
TransferDep = Annotated[Transfer, Depends(get_transfer)]
