"""``passerelle credentials import FILE...`` and ``passerelle credentials validate FILE``.

``import`` stores every credential of the given files (JSON, JSON-LD, JWT, or CSV with one
credential per row), each file in its own transaction: a bad file (or CSV row) is reported and
skipped, the rest imported; the exit code is 1 when anything was skipped. ``validate`` reads one
file and prints the completeness report and warnings; nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from app.cli._common import console, err_console, print_json, registry_from_files, settings
from app.core.credentials import SourceFormat
from app.core.errors import DomainError

FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="Force the format: elm, ob3 or plain")
]
LanguageOpt = Annotated[
    str | None, typer.Option("--language", "-l", help="Preferred language of texts")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _is_csv(path: Path) -> bool:
    return path.suffix.casefold() in (".csv", ".tsv")


def _forced(value: str | None) -> SourceFormat | None:
    from app.adapters.importers.detect import parse_format

    try:
        return parse_format(value)
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc


def _problem(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        where = f" at {exc.field}" if exc.field else ""
        return f"{exc.message}{where}"
    return f"{type(exc).__name__}: {exc}"


def register(app: typer.Typer) -> None:
    cred = typer.Typer(help="Micro-credentials: import and validate.", no_args_is_help=True)
    app.add_typer(cred, name="credentials")

    @cred.command("import")
    def import_files(
        files: Annotated[list[Path], typer.Argument(help="Credential files (JSON, JWT, CSV)")],
        format: FormatOpt = None,
        language: LanguageOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Import credentials into the database; bad files are reported and skipped."""
        from app.adapters.db.session import session_scope
        from app.services.credentials import CredentialService
        from app.services.startup import prepare

        forced = _forced(format)
        s = settings()
        ready = prepare(s)
        service = CredentialService.from_settings(ready.registry, s)
        results: list[dict[str, Any]] = []

        def record(path: Path, row: int | None, **fields: Any) -> None:
            results.append({"file": str(path), "row": row, **fields})

        with Progress(console=err_console, transient=True, disable=len(files) < 2) as progress:
            task = progress.add_task("importing", total=len(files))
            for path in files:
                progress.update(task, description=f"importing {path.name}")
                try:
                    data = path.read_bytes()
                    if _is_csv(path):
                        outcomes = service.read_csv(data, language=language)
                        with session_scope(ready.sessionmaker) as session:
                            for o in outcomes:
                                if o.report is None:
                                    assert o.error is not None
                                    record(path, o.row, status="skipped", problem=_problem(o.error))
                                    continue
                                stored = service.store(session, o.report)
                                record(
                                    path,
                                    o.row,
                                    status="created" if stored.created else "already stored",
                                    id=stored.id,
                                    title=o.report.credential.title,
                                    mandatory=o.report.completeness.mandatory_present,
                                    warnings=len(o.report.warnings),
                                )
                    else:
                        report = service.read(data, forced=forced, language=language)
                        with session_scope(ready.sessionmaker) as session:
                            stored = service.store(session, report)
                        record(
                            path,
                            None,
                            status="created" if stored.created else "already stored",
                            id=stored.id,
                            title=report.credential.title,
                            mandatory=report.completeness.mandatory_present,
                            warnings=len(report.warnings),
                        )
                except (DomainError, OSError) as exc:
                    record(path, None, status="skipped", problem=_problem(exc))
                progress.advance(task)
        ready.engine.dispose()
        skipped = sum(1 for r in results if r["status"] == "skipped")
        if as_json:
            print_json({"results": results, "skipped": skipped})
        else:
            table = Table("file", "row", "status", "id", "title", "mandatory", "warnings / problem")
            for r in results:
                table.add_row(
                    Path(r["file"]).name,
                    "" if r["row"] is None else str(r["row"]),
                    r["status"],
                    r.get("id", ""),
                    r.get("title") or "",
                    f"{r['mandatory']}/11" if "mandatory" in r else "",
                    r.get("problem") or str(r.get("warnings", "")),
                )
            console.print(table)
            done = len(results) - skipped
            console.print(f"{done} imported or already stored, {skipped} skipped")
        if skipped:
            raise typer.Exit(1)

    @cred.command("validate")
    def validate(
        file: Annotated[Path, typer.Argument(help="A credential file (JSON, JWT or CSV)")],
        format: FormatOpt = None,
        language: LanguageOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Read a credential and print its completeness report and warnings (nothing stored)."""
        from app.services.credentials import CredentialReport, CredentialService

        forced = _forced(format)
        service = CredentialService.from_settings(registry_from_files(), settings())
        try:
            data = file.read_bytes()
            if _is_csv(file):
                outcomes = service.read_csv(data, language=language)
                reports: list[tuple[str, CredentialReport | None, str | None]] = [
                    (
                        f"row {o.row}",
                        o.report,
                        _problem(o.error) if o.error is not None else None,
                    )
                    for o in outcomes
                ]
            else:
                reports = [(file.name, service.read(data, forced=forced, language=language), None)]
        except (DomainError, OSError) as exc:
            if as_json:
                print_json({"file": str(file), "ok": False, "problem": _problem(exc)})
            else:
                err_console.print(f"[red]{file}: cannot be read:[/red] {_problem(exc)}")
            raise typer.Exit(2) from exc
        if as_json:
            print_json(
                [
                    {"item": name, **report.to_json(), "source_format": report.source_format.value}
                    if report is not None
                    else {"item": name, "ok": False, "problem": problem}
                    for name, report, problem in reports
                ]
            )
        else:
            for name, report, problem in reports:
                if report is None:
                    err_console.print(f"[red]{name}: skipped:[/red] {problem}")
                    continue
                _print_report(name, report)
        if any(r is None for _n, r, _p in reports):
            raise typer.Exit(1)


def _print_report(name: str, report: Any) -> None:
    c = report.credential
    comp = report.completeness
    console.print(
        f"[bold]{name}[/bold]: {c.title or '(no title)'} — {report.source_format.value}, "
        f"{comp.mandatory_present}/{comp.mandatory_total} mandatory and "
        f"{comp.optional_present}/{comp.optional_total} optional elements"
    )
    table = Table("element", "", "status", "where found")
    for e in comp.elements:
        status = "[green]present[/green]" if e.present else "[red]missing[/red]"
        table.add_row(
            e.label, "mandatory" if e.mandatory else "optional", status, "\n".join(e.where)
        )
    console.print(table)
    level = c.level
    if level.nqf is not None or level.eqf is not None:
        console.print(
            f"level: EQF {level.eqf if level.eqf is not None else '?'}"
            + (f", {level.nqf} ({level.nqf_label})" if level.nqf else "")
        )
    console.print(f"proof: {c.proof.type or 'none'} — {c.proof.note}")
    for w in report.warnings:
        where = f" [dim]{w.pointer}[/dim]" if w.pointer else ""
        console.print(f"[yellow]warning[/yellow] {w.code.value}: {w.message}{where}")
