"""``passerelle data load|check|info|schema``: the reference data release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli._common import console, err_console, print_json, settings


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Reference data (frameworks/ and mappings/).", no_args_is_help=True)
    app.add_typer(data, name="data")

    @data.command("check")
    def check(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Validate every data file (file, line and field of each problem); exit 1 on failure."""
        from app.reference.loader import ReferenceDataError
        from app.services.startup import load_files

        try:
            release = load_files(settings())
        except ReferenceDataError as exc:
            if as_json:
                print_json({"ok": False, "problems": [str(p) for p in exc.problems]})
            else:
                err_console.print(str(exc))
            raise typer.Exit(1) from exc
        summary = {
            "ok": True,
            "release": release.label,
            "content_hash": release.content_hash,
            "frameworks": len(release.frameworks),
            "levels": sum(len(f.levels) for f in release.frameworks.values()),
            "edges": len(release.edges),
            "qualification_types": len(release.qualification_types),
        }
        if as_json:
            print_json(summary)
        else:
            console.print(
                f"[green]ok[/green] release {summary['release']}: {summary['frameworks']} "
                f"frameworks, {summary['levels']} levels, {summary['edges']} edges, "
                f"{summary['qualification_types']} qualification types"
            )

    @data.command("load")
    def load(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Migrate the database and store the current data release (no-op if already stored)."""
        from app.adapters.db import migrate
        from app.adapters.db.session import make_engine, make_sessionmaker
        from app.services.startup import load_files, store_release

        s = settings()
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        release, created = store_release(make_sessionmaker(engine), load_files(s))
        engine.dispose()
        result = {
            "release": release.label,
            "content_hash": release.content_hash,
            "created": created,
        }
        if as_json:
            print_json(result)
        else:
            verb = "stored new" if created else "already had"
            console.print(f"{verb} data release {release.label}")

    @data.command("info")
    def info(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Releases stored in the database and the one the files give now."""
        from app.adapters.db import migrate
        from app.adapters.db.repositories import ReleaseRepository
        from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
        from app.services.startup import load_files

        s = settings()
        current = load_files(s)
        engine = make_engine(s.database_url)
        migrate.upgrade(s.database_url)
        with session_scope(make_sessionmaker(engine)) as session:
            rows = [
                {
                    "id": r.id,
                    "label": r.label,
                    "content_hash": r.content_hash,
                    "app_version": r.app_version,
                    "created_at": r.created_at.isoformat() if r.created_at else None,
                    "current": r.content_hash == current.content_hash,
                }
                for r in ReleaseRepository(session).all()
            ]
        schema = migrate.current_revisions(engine)
        engine.dispose()
        out = {
            "database_url": s.database_url.split("@")[-1],
            "schema_revision": list(schema),
            "files_release": current.label,
            "files_content_hash": current.content_hash,
            "stored_releases": rows,
        }
        if as_json:
            print_json(out)
            return
        console.print(f"files give release [bold]{current.label}[/bold] ({current.content_hash})")
        console.print(f"database schema revision {', '.join(schema)}")
        table = Table("id", "label", "app", "stored", "current")
        for r in rows:
            table.add_row(
                str(r["id"]),
                str(r["label"]),
                str(r["app_version"]),
                str(r["created_at"]),
                "yes" if r["current"] else "",
            )
        console.print(table)

    @data.command("schema")
    def schema(
        out_dir: Annotated[Path, typer.Option(help="Where to write the JSON Schemas")] = Path(
            "frameworks/_schema"
        ),
    ) -> None:
        """Regenerate the JSON Schemas of the data files from the Pydantic models."""
        from app.reference.jsonschema import write_schemas

        for path in write_schemas(out_dir):
            console.print(f"wrote {path}")
