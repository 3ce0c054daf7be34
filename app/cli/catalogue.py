"""``passerelle catalogue import|list|show|schema``: the qualification and programme catalogue.

``import`` reads JSON and CSV files (``docs/catalogue.md``); a bad file is reported with every
problem and where it is, and skipped, the others are imported (one transaction per file, so a
file is stored whole or not at all). The exit status is 1 when any file was skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError


def _ready() -> Any:
    from app.services.startup import prepare

    return prepare(settings())


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    cat = typer.Typer(help="Qualification and programme catalogue.", no_args_is_help=True)
    app.add_typer(cat, name="catalogue")

    @cat.command("import")
    def import_files(
        files: Annotated[list[Path], typer.Argument(help="JSON or CSV catalogue files")],
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report")] = False,
    ) -> None:
        """Import catalogue files; bad files are reported and skipped, the rest imported."""
        from app.adapters.db.session import session_scope
        from app.core.catalogue import CatalogueInputError
        from app.services.catalogue import CatalogueService, issue_json

        ready = _ready()
        service = CatalogueService(ready.registry)
        report: list[dict[str, Any]] = []
        failed = 0
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=as_json,
            disable=as_json,
        ) as progress:
            task = progress.add_task("importing", total=len(files))
            for path in files:
                progress.update(task, description=f"importing {path.name}")
                try:
                    if not path.is_file():
                        raise FileNotFoundError(f"{path}: no such file")
                    imported = service.read_file(path)
                    with session_scope(ready.sessionmaker) as session:
                        results = service.store(session, imported)
                except CatalogueInputError as exc:
                    failed += 1
                    report.append(
                        {
                            "file": str(path),
                            "ok": False,
                            "errors": [issue_json(i) for i in exc.errors],
                        }
                    )
                    if not as_json:
                        progress.console.print(
                            f"[red]skipped[/red] {path}: {len(exc.errors)} error(s)"
                        )
                        for issue in exc.errors:
                            progress.console.print(f"  {issue.where or '/'}: {issue.message}")
                except (DomainError, OSError, UnicodeError) as exc:
                    failed += 1
                    message = exc.message if isinstance(exc, DomainError) else str(exc)
                    report.append(
                        {"file": str(path), "ok": False, "errors": [{"message": message}]}
                    )
                    if not as_json:
                        progress.console.print(f"[red]skipped[/red] {path}: {message}")
                else:
                    report.append(
                        {
                            "file": str(path),
                            "ok": True,
                            "programmes": [
                                {
                                    "id": r.id,
                                    "created": r.created,
                                    "title": r.title,
                                    "warnings": [issue_json(w) for w in r.warnings],
                                }
                                for r in results
                            ],
                        }
                    )
                    if not as_json:
                        for r in results:
                            verb = "imported" if r.created else "already stored"
                            warn = f", {len(r.warnings)} warning(s)" if r.warnings else ""
                            progress.console.print(
                                f"[green]{verb}[/green] {r.title} [dim]{r.id}[/dim]{warn}"
                            )
                progress.advance(task)
        ready.engine.dispose()
        if as_json:
            print_json({"files": report, "failed": failed})
        else:
            ok = len(files) - failed
            console.print(f"{ok} file(s) imported, {failed} skipped")
        if failed:
            raise typer.Exit(1)

    @cat.command("list")
    def list_programmes(
        q: Annotated[str | None, typer.Option("--q", "-q", help="Fuzzy text")] = None,
        framework: Annotated[str | None, typer.Option(help="Any framework identifier")] = None,
        level: Annotated[str | None, typer.Option(help="Any level identifier")] = None,
        limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """List or search stored programmes (newest first, or best match with --q)."""
        from app.adapters.db.session import session_scope
        from app.services.catalogue import CatalogueService

        ready = _ready()
        service = CatalogueService(ready.registry)
        try:
            with session_scope(ready.sessionmaker) as session:
                page = service.search(
                    session, q=q, framework=framework, level=level, limit=limit, offset=offset
                )
        except DomainError as exc:
            raise _fail(exc) from exc
        finally:
            ready.engine.dispose()
        if as_json:
            from app.api.schemas.catalogue import ProgrammeSummaryOut

            print_json(
                {
                    "items": [
                        ProgrammeSummaryOut.of(s, service.level_label(s.level)).model_dump(
                            mode="json"
                        )
                        for s in page.items
                    ],
                    "total": page.total,
                    "next_offset": page.next_offset,
                }
            )
            return
        table = Table("id", "title", "institution", "level", "EQF", "credits", "modules")
        if q:
            table.add_column("score")
        for s in page.items:
            cells = [
                s.id,
                s.title,
                s.institution.name,
                str(s.level) if s.level else "",
                str(s.eqf_level or ""),
                str(s.credits) if s.credits else "",
                str(s.module_count),
            ]
            if q:
                cells.append(f"{s.score:g}" if s.score is not None else "")
            table.add_row(*cells)
        console.print(table)
        console.print(f"{page.total} programme(s)")

    @cat.command("show")
    def show(
        programme_id: Annotated[str, typer.Argument(metavar="ID")],
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """One programme with its modules and their learning outcomes."""
        from app.adapters.db.session import session_scope
        from app.api.schemas.catalogue import ProgrammeOut
        from app.api.schemas.frameworks import DataReleaseOut
        from app.services.catalogue import CatalogueService

        ready = _ready()
        service = CatalogueService(ready.registry)
        try:
            with session_scope(ready.sessionmaker) as session:
                stored = service.get(session, programme_id)
        except DomainError as exc:
            raise _fail(exc) from exc
        finally:
            ready.engine.dispose()
        out = ProgrammeOut.of(
            stored,
            data_release=DataReleaseOut.of(ready.registry.release),
            label=service.level_label,
        )
        if as_json:
            print_json(out.model_dump(mode="json"))
            return
        level = f"{out.level.id} ({out.level.label})" if out.level else "no level"
        eqf = f", EQF {out.eqf_level}" if out.eqf_level else ""
        credits = f", {out.credits.value:g} {out.credits.label}" if out.credits else ""
        console.print(f"[bold]{out.title}[/bold] — {out.institution.name}")
        console.print(f"{out.award or 'award not given'}; {level}{eqf}{credits}")
        for source in out.sources:
            console.print(f"source: {source.url or source.title} ({source.retrieved or 'undated'})")
        for m in out.modules:
            mc = f"{m.credits.value:g} {m.credits.system}" if m.credits else "no credits"
            lv = m.level.id if m.level else ""
            req = f" requires {', '.join(m.prerequisites)}" if m.prerequisites else ""
            console.print(f"\n[bold]{m.code}[/bold] {m.title} [dim]({mc} {lv}){req}[/dim]")
            for outcome in m.learning_outcomes:
                console.print(f"  • {outcome}")
        for w in out.warnings:
            console.print(f"[yellow]warning[/yellow] {w.where}: {w.detail}")

    @cat.command("schema")
    def schema(
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
        ] = None,
    ) -> None:
        """The JSON Schema of the catalogue JSON form (docs/catalogue.schema.json)."""
        from app.adapters.importers.catalogue import render_schema

        text = render_schema()
        if output is None:
            console.out(text, end="")
            return
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
