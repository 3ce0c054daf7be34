"""``passerelle recognise CREDENTIAL_FILE --target FRAMEWORK [--qualification ID] [--purpose P]``.

Prints a readable report (or ``--json``) and stores the decision record.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError

_VERDICT = {
    True: "[red]substantial[/red]",
    False: "[green]not substantial[/green]",
    None: "[yellow]not assessable[/yellow]",
}


def _report(record: dict[str, Any]) -> None:
    cred, target = record["credential"], record["target"]
    qual = target.get("qualification")
    console.print(
        Panel.fit(
            f"[bold]{cred.get('title') or 'micro-credential'}[/bold] → {target['framework']}"
            + (f" / {qual['title']} ({qual['institution']})" if qual else "")
            + f"\npurpose: {record['purpose']}   as of: {record.get('as_of') or '—'}"
            + f"\n[bold]{record['outcome'].replace('_', ' ').upper()}[/bold]"
            + f"   confidence {record['confidence']:.2f}",
            title="Recognition recommendation",
        )
    )
    table = Table("element", "finding", "difference", "reason")
    for name, element in record["elements"].items():
        table.add_row(
            name.replace("_", " "),
            element["finding"],
            _VERDICT[element["substantial"]],
            element["reason"],
        )
    console.print(table)
    if record["modules"]:
        modules = Table("module", "title", "decision", "coverage", "ECTS")
        for m in record["modules"][:15]:
            ects = m["credits_ects"]
            modules.add_row(
                m["code"],
                m["title"],
                m["decision"],
                f"{m['coverage']:.0%}",
                f"{ects['min']:g}" if ects else "",
            )
        console.print(modules)
    for item in record["conditions"]:
        console.print(f"condition: {item}")
    if record.get("missing"):
        console.print("not assessable: " + ", ".join(record["missing"]))
    for item in record.get("documents_to_request", ()):
        console.print(f"document to request: {item}")
    for item in record.get("confidence_notes", ()):
        console.print(f"[dim]confidence: {item}[/dim]")
    if record.get("alternative"):
        console.print(f"alternative: {record['alternative']}")
    for p in record["precedents"]:
        flag = " [red](disagrees)[/red]" if p["disagrees"] else ""
        console.print(f"precedent {p['id']}: {p['outcome']} ({p['similarity']:.0f}% similar){flag}")
    for w in record["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print()
    console.print(record["justification"])
    versions = record["versions"]
    console.print(
        f"\nrecord {record['id']} (hash {record['record']['record_hash'][:16]}…), policy "
        f"{versions['policy']['version']}, data {versions['data_release']['id']}"
        f", model {versions['model']['id']}"
    )


def register(app: typer.Typer) -> None:
    from app.cli import records  # passerelle records … (keys, checkpoints, personal data)

    records.register(app)

    @app.command()
    def recognise(
        credential_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
        target: Annotated[str, typer.Option(help="Target framework, e.g. UK-RQF, IE, DE-DQR")],
        qualification: Annotated[
            str | None, typer.Option(help="Catalogue qualification/programme id")
        ] = None,
        purpose: Annotated[
            str, typer.Option(help="admission | credit_transfer | employment | further_study")
        ] = "credit_transfer",
        as_of: Annotated[str | None, typer.Option("--as-of")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Recommend recognition of a credential file and store the decision record."""
        from app.adapters.db.session import session_scope
        from app.core.recognition import Purpose
        from app.services.recognition import RecognitionCommand
        from app.services.startup import local_transfer

        try:
            chosen = Purpose(purpose)
        except ValueError as exc:
            err_console.print(f"[red]error:[/red] unknown purpose {purpose!r}")
            raise typer.Exit(2) from exc
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
            with (
                local_transfer(settings()) as (ready, transfer),
                session_scope(ready.sessionmaker) as session,
            ):
                record = transfer.recognition.recommend(
                    session,
                    RecognitionCommand(
                        target=target,
                        purpose=chosen,
                        credential_document=credential_file.read_bytes(),
                        qualification_id=qualification,
                        as_of=day,
                    ),
                )
        except DomainError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(2) from exc
        except ValueError as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        if as_json:
            print_json(record)
        else:
            _report(record)
