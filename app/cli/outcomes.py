"""``passerelle skills|level|align`` and ``passerelle index build``: learning outcomes offline.

Each command builds the same engine as the API (ESCO, policy, backend from settings, cached
index) straight from the files, without a database, and answers with the same evidence.
``--json`` prints the API's response shape.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli._common import console, err_console, print_json, registry_from_files, settings


def _engine() -> Any:
    from app.services.outcomes import OutcomeEngine

    registry = registry_from_files()
    return OutcomeEngine.from_settings(settings(), registry.release, progress=True)


def _read_outcomes(path: Path) -> list[str]:
    """One outcome per non-empty line (a stem line followed by items stays separate lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot read {path}: {exc.strerror}")
        raise typer.Exit(2) from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {w}")


def register(app: typer.Typer) -> None:
    @app.command("skills")
    def skills(
        texts: Annotated[list[str], typer.Argument(help="Learning outcomes (quote each one)")],
        top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 10,
        language: Annotated[
            str | None,
            typer.Option(help="Language of every outcome (default: detected per statement)"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Tag learning outcomes with ESCO skills (with the evidence of each)."""
        engine = _engine()
        res = engine.run_sync(lambda: engine.skills(texts, top_k, language))
        if as_json:
            print_json(
                {
                    "results": [
                        {
                            "outcome": r.outcome.original,
                            "segments": r.outcome.texts if r.outcome.is_split else None,
                            "skills": [
                                {
                                    "uri": m.uri,
                                    "label": m.label,
                                    "score": m.score,
                                    "evidence": {
                                        "statement": m.evidence.statement,
                                        "matched": m.evidence.matched_field.value,
                                        "matched_text": m.evidence.matched_text,
                                        "semantic": m.evidence.semantic,
                                        "lexical": m.evidence.lexical,
                                    },
                                }
                                for m in r.skills
                            ],
                        }
                        for r in res.results
                    ],
                    "esco_version": engine.taxonomy.version,
                    "model": {"id": res.model.id, "version": res.model.version},
                    "languages": res.languages,
                    "warnings": res.warnings,
                }
            )
            return
        _warn(res.warnings)
        for r in res.results:
            console.print(f"[bold]{r.outcome.original}[/bold]")
            if r.outcome.is_split:
                for i, seg in enumerate(r.outcome.segments):
                    console.print(f"  [dim]statement {i}: {seg.text}[/dim]")
            table = Table("score", "skill", "type", "matched", "semantic", "lexical")
            for m in r.skills:
                ev = m.evidence
                table.add_row(
                    f"{m.score:.3f}",
                    m.label,
                    m.skill_type or "",
                    f"{ev.matched_field.value}: {ev.matched_text[:60]}",
                    "" if ev.semantic is None else f"{ev.semantic:.3f}",
                    f"{ev.lexical:.2f}",
                )
            console.print(table)
        console.print(f"ESCO {engine.taxonomy.version}, model {res.model.id} {res.model.version}")
        if res.multilingual_model is not None:
            ml = res.multilingual_model
            langs = sorted({lang for row in res.languages for lang in row if lang != "en"})
            console.print(f"statements in {', '.join(langs)}: model {ml.id} {ml.version}")

    @app.command("level")
    def level(
        outcomes_file: Annotated[
            Path, typer.Option("--outcomes-file", help="One learning outcome per line")
        ],
        title: Annotated[str | None, typer.Option(help="Qualification title")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Estimate the EQF level of a set of learning outcomes (and an optional title)."""
        outcomes = _read_outcomes(outcomes_file)
        engine = _engine()
        res = engine.run_sync(lambda: engine.level(outcomes, title))
        est = res.estimate
        if as_json:
            print_json(
                {
                    "eqf_level": est.eqf_level,
                    "abstain_reason": est.abstain_reason,
                    "confidence": est.confidence,
                    "distribution": {str(i + 1): p for i, p in enumerate(est.distribution)},
                    "evidence": [
                        {"signal": e.signal, "level": e.level, "detail": e.detail}
                        for e in est.evidence
                    ],
                    "model": {"id": res.model.id, "version": res.model.version},
                    "warnings": res.warnings,
                }
            )
            return
        _warn(res.warnings)
        if est.eqf_level is None:
            console.print(f"[bold]No EQF level[/bold]: {est.abstain_reason}")
        else:
            console.print(
                f"[bold]EQF level {est.eqf_level}[/bold] (confidence {est.confidence:.2f})"
            )
        bars = Table("level", "p", "")
        for i, p in enumerate(est.distribution):
            bars.add_row(str(i + 1), f"{p:.3f}", "█" * round(p * 40))
        console.print(bars)
        ev = Table("signal", "points to", "evidence")
        for e in est.evidence:
            ev.add_row(e.signal, str(e.level), e.detail[:100])
        console.print(ev)

    @app.command("align")
    def align(
        source: Annotated[Path, typer.Argument(help="Source outcomes, one per line")],
        target: Annotated[Path, typer.Argument(help="Target outcomes, one per line")],
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Align two lists of outcomes: best pairs, coverage of the target, uncovered ones."""
        src, tgt = _read_outcomes(source), _read_outcomes(target)
        engine = _engine()
        res = engine.run_sync(lambda: engine.align(src, tgt))
        a = res.alignment
        if as_json:
            print_json(
                {
                    "pairs": [
                        {
                            "source_index": p.source_index,
                            "target_index": p.target_index,
                            "score": p.score,
                        }
                        for p in a.pairs
                    ],
                    "coverage": a.coverage,
                    "uncovered_target": list(a.uncovered_target),
                    "model": {"id": res.model.id, "version": res.model.version},
                    "warnings": res.warnings,
                }
            )
            return
        _warn(res.warnings)
        table = Table("score", "source", "target")
        for p in a.pairs:
            table.add_row(
                f"{p.score:.3f}",
                f"[{p.source_index}] {src[p.source_index][:50]}",
                f"[{p.target_index}] {tgt[p.target_index][:50]}",
            )
        console.print(table)
        console.print(f"coverage of the target: {a.coverage:.0%}")
        for j in a.uncovered_target:
            console.print(f"  uncovered [{j}] {tgt[j]}")

    index = typer.Typer(help="The ESCO skill vector index.", no_args_is_help=True)
    app.add_typer(index, name="index")

    @index.command("build")
    def build(
        multilingual: Annotated[
            bool | None,
            typer.Option(
                "--multilingual/--no-multilingual",
                help="Also provide the multilingual model's index (default: from settings, on)",
            ),
        ] = None,
    ) -> None:
        """Embed every ESCO label and description once and cache the vectors (progress bar).

        The multilingual model's index ships with the package for the pinned model version, so
        it is only checked here; another version is built (15–25 min on 2 cores).
        """
        from app.adapters.embeddings.registry import select_embedders
        from app.reference.esco import cached_esco
        from app.services.outcomes import build_index

        cfg = settings()
        taxonomy = cached_esco(cfg.mappings_dir / "esco")
        emb_settings = cfg.embeddings
        if multilingual is not None:
            emb_settings = emb_settings.model_copy(update={"multilingual": multilingual})
        choice = select_embedders(emb_settings)
        _warn(list(choice.warnings))
        targets = [e for e in (choice.embedder,) if e is not None]
        if choice.multilingual is not None:
            targets.append(choice.multilingual.embedder)
        if not targets:
            err_console.print("[red]error:[/red] no embedding model is available; nothing to build")
            raise typer.Exit(1)
        for embedder in targets:
            started = time.perf_counter()
            idx, cached = build_index(embedder, taxonomy, cfg.embeddings.vectors_dir, progress=True)
            elapsed = time.perf_counter() - started
            state = "cached or shipped" if cached else f"built in {elapsed:.1f} s"
            size = idx.size if idx is not None else 0
            console.print(
                f"{embedder.model_id}: {size} vectors ({len(taxonomy.concepts)} ESCO "
                f"{taxonomy.version} concepts × "
                f"{'label' if embedder.multilingual else 'label + description'}), {state}, in "
                f"{cfg.embeddings.vectors_dir}"
            )
