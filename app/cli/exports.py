"""``passerelle export ...`` (frameworks as SKOS/CTDL, alignment maps, recognition and articulation
exports) and ``passerelle loq import`` (ELM learning opportunity/qualification documents into
the catalogue). ``docs/exports.md`` describes every format.

Reference data is exported from the data files (no database needed); recognition records and
articulation jobs are read from the database for ``--organisation`` (the CLI's global option).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli._common import console, err_console, print_json, registry_from_files, settings
from app.core.errors import DomainError


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(2)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        # plain print: no markup or wrapping in what other tools will parse
        console.file.write(text if text.endswith("\n") else text + "\n")
        return
    output.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {output} ({len(text.encode())} bytes)")


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


Output = Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout)")]


def register(app: typer.Typer) -> None:
    export = typer.Typer(
        help="Export frameworks, comparisons and decisions as SKOS, CTDL and Open Badges 3.0.",
        no_args_is_help=True,
    )
    app.add_typer(export, name="export")

    @export.command("frameworks")
    def frameworks_cmd(
        frameworks: Annotated[
            list[str] | None, typer.Argument(help="Framework ids (default: all)")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="turtle or jsonld")] = "turtle",
        output: Output = None,
    ) -> None:
        """Frameworks, levels and their typed, sourced edges as SKOS."""
        from app.services.exports import FRAMEWORK_FORMATS, ExportService

        if fmt not in ("turtle", "jsonld"):
            raise typer.BadParameter("turtle or jsonld", param_hint="--format")
        service = ExportService(registry_from_files())
        try:
            _write(service.frameworks_skos(frameworks or None, FRAMEWORK_FORMATS[fmt]), output)
        except DomainError as exc:
            raise _fail(exc) from exc

    @export.command("framework")
    def framework_cmd(
        framework: Annotated[str, typer.Argument(help="Any framework identifier")],
        fmt: Annotated[str, typer.Option("--format", help="turtle, jsonld or ctdl")] = "turtle",
        output: Output = None,
    ) -> None:
        """One framework as SKOS (Turtle, JSON-LD) or CTDL (QualificationsFramework)."""
        from app.services.exports import FRAMEWORK_FORMATS, ExportService

        if fmt not in FRAMEWORK_FORMATS:
            raise typer.BadParameter("turtle, jsonld or ctdl", param_hint="--format")
        service = ExportService(registry_from_files())
        try:
            if fmt == "ctdl":
                _write(_json(service.framework_ctdl(framework)), output)
            else:
                _write(service.frameworks_skos([framework], FRAMEWORK_FORMATS[fmt]), output)
        except DomainError as exc:
            raise _fail(exc) from exc

    @export.command("alignment-map")
    def alignment_map_cmd(
        source: Annotated[str, typer.Argument(help="Source framework")],
        target: Annotated[str, typer.Argument(help="Target framework")],
        basis: Annotated[
            str, typer.Option(help="compare (every level's comparison) or recorded (edges)")
        ] = "compare",
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Date YYYY-MM-DD for the comparison")
        ] = None,
        output: Output = None,
    ) -> None:
        """Every level of SOURCE against TARGET as a CTDL AlignmentMap."""
        from app.services.exports import ExportService

        service = ExportService(registry_from_files())
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise typer.BadParameter("a date YYYY-MM-DD", param_hint="--as-of") from exc
        try:
            _write(_json(service.alignment_map(source, target, basis=basis, as_of=day)), output)
        except DomainError as exc:
            raise _fail(exc) from exc

    @export.command("compare")
    def compare_cmd(
        source: Annotated[str, typer.Argument(help="Level identifier, e.g. IE:8")],
        target: Annotated[str, typer.Argument(help="Target framework")],
        output: Output = None,
    ) -> None:
        """One comparison (as GET /v1/compare answers it) as a CTDL AlignmentMap."""
        from app.services.exports import ExportService

        service = ExportService(registry_from_files())
        try:
            _write(_json(service.comparison_map(source, target)), output)
        except DomainError as exc:
            raise _fail(exc) from exc

    @export.command("recognition")
    def recognition_cmd(
        record_id: Annotated[str, typer.Argument(help="Recognition record id")],
        as_: Annotated[
            str, typer.Option("--as", help="ob3 (Alignments) or ctdl (TransferValueProfiles)")
        ] = "ob3",
        output: Output = None,
    ) -> None:
        """A recognition decision as Open Badges 3.0 Alignments or CTDL transfer values."""
        from app.adapters.db.session import session_scope
        from app.adapters.db.tenancy import organisation_of
        from app.services.exports import ExportService
        from app.services.startup import local_transfer

        if as_ not in ("ob3", "ctdl"):
            raise typer.BadParameter("ob3 or ctdl", param_hint="--as")
        try:
            with (
                local_transfer(settings()) as (ready, transfer),
                session_scope(ready.sessionmaker) as session,
            ):
                record = transfer.recognition.get(session, record_id)
                service = ExportService(ready.registry)
                document = (
                    service.recognition_alignments(record)
                    if as_ == "ob3"
                    else service.recognition_profiles(record, organisation=organisation_of(session))
                )
        except DomainError as exc:
            raise _fail(exc) from exc
        _write(_json(document), output)

    @export.command("job")
    def job_cmd(
        job_id: Annotated[str, typer.Argument(help="Articulation job id")],
        output: Output = None,
    ) -> None:
        """An articulation job's proposed exemptions as CTDL TransferValueProfiles."""
        from app.adapters.db.session import session_scope
        from app.adapters.db.tenancy import organisation_of
        from app.services.exports import ExportService
        from app.services.startup import local_transfer

        try:
            with (
                local_transfer(settings()) as (ready, transfer),
                session_scope(ready.sessionmaker) as session,
            ):
                results = transfer.articulation.results(session, job_id)
                document = ExportService(ready.registry).articulation_profiles(
                    results, organisation=organisation_of(session), job_id=job_id
                )
        except DomainError as exc:
            raise _fail(exc) from exc
        _write(_json(document), output)

    loq = typer.Typer(
        help="ELM learning opportunity/qualification (LOQ) documents.", no_args_is_help=True
    )
    app.add_typer(loq, name="loq")

    @loq.command("import")
    def loq_import(
        files: Annotated[list[Path], typer.Argument(help="ELM LOQ JSON-LD files")],
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report")] = False,
    ) -> None:
        """Import LOQ documents into the catalogue; bad files are reported (every problem, by
        JSON pointer) and skipped, the others imported (exit status 1 when any was skipped)."""
        from app.adapters.db.session import session_scope
        from app.adapters.importers.safety import ImportLimits, parse_json_bytes
        from app.core.catalogue import CatalogueInputError
        from app.services.catalogue import CatalogueService, issue_json
        from app.services.exports import ExportService
        from app.services.startup import prepare

        ready = prepare(settings())
        service = ExportService(ready.registry)
        catalogue = CatalogueService(ready.registry)
        report: list[dict[str, Any]] = []
        failed = 0
        for path in files:
            try:
                if not path.is_file():
                    raise FileNotFoundError(f"{path}: no such file")
                document = parse_json_bytes(path.read_bytes(), ImportLimits())
                imported = service.read_loq(document, source=str(path))
                with session_scope(ready.sessionmaker) as session:
                    results = catalogue.store(session, imported)
            except CatalogueInputError as exc:
                failed += 1
                report.append(
                    {"file": str(path), "ok": False, "errors": [issue_json(i) for i in exc.errors]}
                )
                continue
            except (DomainError, FileNotFoundError) as exc:
                failed += 1
                message = exc.message if isinstance(exc, DomainError) else str(exc)
                report.append({"file": str(path), "ok": False, "errors": [{"message": message}]})
                continue
            report.append(
                {
                    "file": str(path),
                    "ok": True,
                    "items": [
                        {
                            "id": r.id,
                            "created": r.created,
                            "title": r.title,
                            "where": r.where,
                            "warnings": [issue_json(w) for w in r.warnings],
                        }
                        for r in results
                    ],
                }
            )
        if as_json:
            print_json(report)
        else:
            for entry in report:
                if entry["ok"]:
                    for item in entry["items"]:
                        state = "imported" if item["created"] else "already stored"
                        console.print(f"{state} {item['id']} {item['title']} ({entry['file']})")
                else:
                    err_console.print(f"[red]skipped[/red] {entry['file']}")
                    for e in entry["errors"]:
                        where = e.get("where", "")
                        err_console.print(f"  {where}: {e['message']}")
        if failed:
            raise typer.Exit(1)
