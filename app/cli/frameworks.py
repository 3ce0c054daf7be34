"""``passerelle frameworks [list|show ID]`` and ``passerelle compare SOURCE_LEVEL TARGET``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from app.cli._common import console, err_console, print_json, registry_from_files
from app.core.errors import DomainError


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(2)


def register(app: typer.Typer) -> None:
    fw = typer.Typer(help="Qualification frameworks and their levels.", invoke_without_command=True)
    app.add_typer(fw, name="frameworks")

    @fw.callback()
    def _default(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            ctx.invoke(list_frameworks)

    @fw.command("list")
    def list_frameworks(
        jurisdiction: Annotated[str | None, typer.Option()] = None,
        q: Annotated[str | None, typer.Option(help="Text in id, acronym or title")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """List frameworks."""
        registry = registry_from_files()
        items = registry.frameworks(jurisdiction=jurisdiction, q=q)
        if as_json:
            from app.api.schemas.frameworks import FrameworkOut

            print_json([FrameworkOut.of(f).model_dump(mode="json") for f in items])
            return
        table = Table("id", "title", "jurisdictions", "levels", "EQF referenced", "version")
        for f in items:
            table.add_row(
                f.id,
                f.title,
                ", ".join(f.jurisdictions),
                str(len(f.levels)),
                "yes" if f.eqf_referenced else "no",
                f.version,
            )
        console.print(table)
        console.print(f"data release {registry.release.label}")

    @fw.command("show")
    def show(
        framework: str,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """One framework with its levels and their EQF referencing."""
        registry = registry_from_files()
        try:
            f = registry.framework(framework)
        except DomainError as exc:
            raise _fail(exc) from exc
        if as_json:
            from app.api.schemas.frameworks import FrameworkOut, LevelOut

            print_json(
                {
                    **FrameworkOut.of(f).model_dump(mode="json"),
                    "levels": [
                        LevelOut.of(lvl, registry.eqf_edges(lvl.key)).model_dump(mode="json")
                        for lvl in f.levels
                    ],
                }
            )
            return
        console.print(f"[bold]{f.id}[/bold] {f.title} ({', '.join(f.jurisdictions)}), v{f.version}")
        for uri in f.uris:
            console.print(f"  {uri}")
        table = Table("code", "label", "EQF", "match", "confidence", "valid", "qualification types")
        for lvl in f.levels:
            edges = registry.eqf_edges(lvl.key)
            valid = ""
            if lvl.validity.valid_from or lvl.validity.valid_to:
                valid = f"{lvl.validity.valid_from or '…'} – {lvl.validity.valid_to or '…'}"
            table.add_row(
                lvl.code,
                lvl.label,
                ", ".join(e.target.code for e in edges) or "not referenced",
                ", ".join(e.match_type.value for e in edges),
                ", ".join(e.confidence_class.value for e in edges),
                valid,
                "; ".join(lvl.qualification_types[:3])
                + (" …" if len(lvl.qualification_types) > 3 else ""),
            )
        console.print(table)

    @app.command()
    def compare(
        source_level: Annotated[str, typer.Argument(help="Level, e.g. IE-NFQ:8, IE:8 or a URI")],
        target_framework: Annotated[str, typer.Argument(help="Framework, e.g. DE-DQR, EQF, DE")],
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Date whose framework versions apply")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Comparable levels of SOURCE_LEVEL in TARGET_FRAMEWORK, best first, with sources."""
        registry = registry_from_files()
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            err_console.print(f"[red]error:[/red] --as-of {as_of!r} is not a YYYY-MM-DD date")
            raise typer.Exit(2) from exc
        try:
            result = registry.compare(source_level, target_framework, as_of=day)
        except DomainError as exc:
            raise _fail(exc) from exc
        if as_json:
            from app.api.schemas.frameworks import ComparisonOut, DataReleaseOut

            out = ComparisonOut.of(result, registry.eqf_edges(result.source.key, day))
            print_json(
                {
                    **out.model_dump(mode="json"),
                    "data_release": DataReleaseOut.of(registry.release).model_dump(),
                }
            )
            return
        src = result.source
        console.print(
            f"[bold]{src.framework}:{src.code}[/bold] ({src.label}) in "
            f"[bold]{result.target.id}[/bold]" + (f" as of {day}" if day else "")
        )
        if not result.matches:
            console.print(
                f"[yellow]no match: {result.reason.value if result.reason else ''}[/yellow]"
            )
            for note in result.notes:
                console.print(f"  {note}")
            raise typer.Exit(0)
        table = Table("level", "label", "EQF", "relation", "confidence", "path", "sources")
        for m in result.matches:
            sources = sorted({s.title for step in m.steps for s in step.sources})
            table.add_row(
                m.level.code,
                m.level.label,
                str(m.eqf_level or ""),
                m.match_type.value,
                f"{m.confidence:.2f}",
                " → ".join(str(k) for k in m.path),
                "; ".join(sources),
            )
        console.print(table)
        for m in result.matches:
            for note in m.notes:
                console.print(f"  {m.level.code}: {note}")
        console.print(f"data release {registry.release.label}")
