"""``passerelle serve`` and ``passerelle db ...``."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from app.cli._common import console, settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
        port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
        workers: Annotated[int, typer.Option(min=1, help="1 is best on 2 cores")] = 1,
    ) -> None:
        """Serve the HTTP API (migrates the database and loads the data at start)."""
        import uvicorn

        # BLAS threads would compete with the inference engine's (PERFORMANCE.md §6).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from app.adapters.logging_json import logging_config

        s = settings()
        uvicorn.run(
            "app.api.main:app",
            host=host,
            port=port,
            workers=workers,
            log_level=s.log_level,
            # JSON lines with the request id; passerelle.access replaces uvicorn's access line
            log_config=logging_config(s.log_level, s.log_format),
            access_log=False,
            proxy_headers=True,
        )

    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def db_upgrade(revision: str = "heads") -> None:
        """Apply Alembic migrations (all heads by default)."""
        from app.adapters.db import migrate
        from app.adapters.db.session import make_engine

        url = settings().database_url
        migrate.upgrade(url, revision)
        engine = make_engine(url)
        console.print(f"database at revision {', '.join(migrate.current_revisions(engine))}")
        engine.dispose()

    @db.command("downgrade")
    def db_downgrade(revision: str) -> None:
        """Revert migrations down to REVISION (e.g. ``base``)."""
        from app.adapters.db import migrate

        migrate.downgrade(settings().database_url, revision)
        console.print(f"downgraded to {revision}")
