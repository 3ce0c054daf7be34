"""The FastAPI application: ``create_app(settings)`` wires settings, database, data and routers.

Start-up (lifespan): migrate the database (Alembic, all heads), load the reference files into a
hashed release, store it if the database does not have it yet (idempotent), then build the
registry (graph + identifier index) from the release as stored. Tests build their own app with
their own settings; nothing here is module-level state except the ASGI ``app`` used by uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app import __version__, web
from app.api import auth, observability, openapi, problems, rate_limit, security_headers
from app.api.middleware import RequestGuard
from app.api.routers import ROUTERS, outcomes
from app.services import startup
from app.settings import Settings, get_settings

log = logging.getLogger("passerelle")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = startup.prepare(settings)
        app.state.settings = settings
        app.state.engine = state.engine
        app.state.sessionmaker = state.sessionmaker
        app.state.registry = state.registry
        app.state.credit_systems = state.credit_systems
        log.info(
            "passerelle %s ready: data release %s (%d frameworks), schema %s",
            __version__,
            state.registry.release.label,
            len(state.registry.release.frameworks),
            ",".join(state.schema_revisions),
        )
        app.state.schema_revisions = state.schema_revisions
        # The outcome engine (model, inference thread) first: the transfer context aligns with
        # it. Its router's lifespan finds it built and leaves it to this one.
        engine = outcomes.start_engine(app)
        observability.instrument_engine(engine, app.state.metrics)
        app.state.transfer = startup.transfer(settings, state, engine)
        try:
            # The job worker starts in its router's lifespan, which FastAPI runs after this one.
            yield
        finally:
            if engine is not None:
                engine.close()
                app.state.outcomes = None
            state.engine.dispose()

    app = FastAPI(
        title="Passerelle",
        version=__version__,
        summary="Recognition and comparability engine across qualification frameworks",
        description=(
            "Compare levels across the EQF and 40+ national qualification frameworks, with the "
            "source and confidence of every mapping. Errors are RFC 9457 problem documents."
        ),
        lifespan=lifespan,
        # /docs and /redoc are served from vendored assets (security_headers.install), not a CDN
        docs_url=None,
        redoc_url=None,
        openapi_tags=openapi.TAGS,
        # operationIds from route names, readable and stable (app/api/openapi.py)
        generate_unique_id_function=openapi.operation_id,
    )
    problems.install(app)
    # The officer's workspace (app/web) before auth: its pages sign in with a session cookie
    # and check the same permissions themselves; the API dependencies below do not apply.
    web.install(app)
    # before the routers: it adds the authorisation dependency to every operation they bring
    auth.install(app, settings)
    # after authorisation (buckets are per organisation), before the routers (same reason)
    limiter = rate_limit.install(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    # Middleware: the last added runs first. Security headers (outermost), CORS, the per-address
    # rate limit, then the request guard (size, media type, JSON depth, NUL) before any router.
    app.add_middleware(
        RequestGuard, max_bytes=settings.max_body_bytes, max_json_depth=settings.max_json_depth
    )
    app.add_middleware(rate_limit.AddressLimit, limiter=limiter)
    security_headers.install(app, settings)
    # outermost: request id, access log and metrics see every answer (app/api/observability.py)
    observability.install(
        app, settings.metrics_token.get_secret_value() if settings.metrics_token else None
    )
    # last: error responses of every operation, the ones auth declares too, as problem+json
    problems.document_problems(app)
    # then: short schema names, declared tags, examples on every operation
    openapi.install(app)
    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn app.api.main:app`` builds the app lazily, so importing this module has no effects.
    if name == "app":
        return create_app()
    raise AttributeError(name)
