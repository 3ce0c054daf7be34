"""``passerelle articulate FILE --qualification ID`` (``passerelle jobs``: ``app/cli/jobs.py``).

``articulate`` takes a JSON or CSV file of incoming courses (the body of ``POST
/v1/batch/articulations``; ``docs/credit-transfer.md``). By default it runs the batch in this
process, as a job in the configured database, with a progress bar: interrupted (Ctrl-C, a crash),
it resumes where it stopped when run again with the same file, because the job and every
finished course are in the database. With ``--server URL`` it submits the file to a running
service instead and follows the job's progress there. Either way ``--out FILE`` writes the
proposed exemptions (``.csv`` or ``.json``).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=quiet,
        disable=quiet,
    )


def _read(path: Path) -> tuple[str | None, list[Any]]:
    """The qualification named in the file (if any) and its incoming courses."""
    from app.api.schemas.articulation import BatchArticulationRequest, IncomingCourseIn
    from app.services.articulation import read_courses_csv

    data = path.read_bytes()
    if path.suffix.casefold() == ".csv":
        return None, read_courses_csv(data)
    document = json.loads(data)
    if isinstance(document, list):
        from pydantic import TypeAdapter

        courses = TypeAdapter(list[IncomingCourseIn]).validate_python(document)
        return None, [c.incoming(f"/{n}") for n, c in enumerate(courses)]
    parsed = BatchArticulationRequest.model_validate(document)
    return parsed.qualification_id, [
        c.incoming(f"/courses/{n}") for n, c in enumerate(parsed.courses)
    ]


def _summary(payload: dict[str, Any], job: dict[str, Any] | None) -> None:
    s = payload["summary"]
    q = payload["qualification"]
    console.print(
        f"[bold]{q['title']}[/bold] ({q['institution']}): {s['courses']} courses, "
        f"{s['modules_replaceable']} of {s['modules']} modules replaceable, "
        f"{s['modules_conditional']} conditional"
        + (f"; job {job['id']} {job['status']}" if job else "")
    )
    table = Table("module", "decision", "kind", "courses", "coverage", "evidence")
    for m in payload["modules"]:
        for p in m["proposals"][:2]:
            best = max(p["pairs"], key=lambda e: e["score"], default=None)
            table.add_row(
                m["code"],
                p["decision"],
                p["kind"],
                ", ".join(p["courses"]),
                f"{p['coverage']:.0%}",
                f"{best['score']:.2f} «{best['course_text']}»" if best else "",
            )
    console.print(table)
    for w in payload.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {w}")


def _write(out: Path, payload: dict[str, Any]) -> None:
    from app.services.articulation import results_csv

    if out.suffix.casefold() == ".csv":
        out.write_text(results_csv(payload), encoding="utf-8", newline="")
    else:
        out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    err_console.print(f"results written to {out}")


def _http(method: str, url: str, body: bytes | None = None, media: str | None = None) -> Any:
    request = urllib.request.Request(url, data=body, method=method)
    if media:
        request.add_header("content-type", media)
    api_key = os.environ.get("PASSERELLE_API_KEY")
    if api_key:  # the service answers organisation data only to a caller (README "Security")
        request.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            kind = response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError):
            detail = json.loads(detail).get("detail", detail)
        err_console.print(f"[red]error:[/red] {exc.code}: {detail}")
        raise typer.Exit(2) from exc
    except urllib.error.URLError as exc:
        err_console.print(f"[red]error:[/red] cannot reach {url}: {exc.reason}")
        raise typer.Exit(2) from exc
    return json.loads(raw) if "json" in kind else raw.decode("utf-8")


def _remote(
    server: str, path: Path, qualification: str, out: Path | None, as_json: bool, poll: float
) -> None:
    base = server.rstrip("/")
    media = "text/csv" if path.suffix.casefold() == ".csv" else "application/json"
    query = urllib.parse.urlencode({"qualification_id": qualification})
    job = _http("POST", f"{base}/v1/batch/articulations?{query}", path.read_bytes(), media)
    with _progress(as_json) as bar:
        task = bar.add_task(f"job {job['id'][:8]}", total=job["progress"]["total"])
        while job["status"] not in ("done", "failed", "cancelled"):
            time.sleep(poll)
            job = _http("GET", f"{base}/v1/jobs/{job['id']}")
            progress = job["progress"]
            bar.update(task, completed=progress["done"] + progress["failed"])
        bar.update(task, completed=job["progress"]["total"])
    if job["status"] in ("failed", "cancelled"):
        err_console.print(f"[red]job {job['status']}:[/red] {job['error'] or ''}")
        raise typer.Exit(1)
    payload = _http("GET", f"{base}/v1/jobs/{job['id']}/results")
    payload.pop("job", None)
    _finish(payload, job, out, as_json)


def _finish(payload: dict[str, Any], job: dict[str, Any], out: Path | None, as_json: bool) -> None:
    if out is not None:
        _write(out, payload)
    if as_json:
        print_json({"job": job, **payload})
    else:
        _summary(payload, job)


def _local(path: Path, qualification: str, out: Path | None, as_json: bool, chunk: int) -> None:
    from app.services.startup import local_transfer

    _, incoming = _read(path)
    with local_transfer(settings()) as (ready, transfer):
        _run_local(ready, transfer.articulation, qualification, incoming, out, as_json, chunk)


def _run_local(
    ready: Any,
    service: Any,
    qualification: str,
    incoming: Any,
    out: Path | None,
    as_json: bool,
    chunk: int,
) -> None:
    from app.adapters.db.session import session_scope
    from app.adapters.db.tenancy import organisation_of
    from app.services.articulation import BatchInputError
    from app.services.jobs import JobService, make_executor

    try:
        with ready.sessionmaker() as probe:
            organisation = organisation_of(probe)  # --organisation
        # --chunk: how a new job is cut (a job submitted before keeps its chunks)
        shape = settings().jobs.model_copy(update={"chunk_size": chunk})
        jobs = JobService(ready.sessionmaker, None, shape)
        job, created = jobs.submit(
            organisation, lambda session: service.submit(session, qualification, incoming)
        )
        if not created:
            err_console.print(f"the same batch was submitted before: job {job['id']}")
        with _progress(as_json) as bar:
            task = bar.add_task(f"job {job['id'][:8]}", total=job["progress"]["total"])
            bar.update(task, completed=job["progress"]["done"] + job["progress"]["failed"])

            def moved(_: str, finished: int, total: int) -> None:
                bar.update(task, completed=finished, total=total)

            executor = make_executor(
                ready.sessionmaker, [service.handler()], shape, on_progress=moved
            )
            executor.drain(organisation, job["id"])
        with session_scope(ready.sessionmaker) as session:
            payload = service.results(session, job["id"])
        job = payload.pop("job")
        if job["status"] in ("failed", "cancelled"):
            err_console.print(f"[red]job {job['status']}:[/red] {job['error'] or ''}")
            raise typer.Exit(1)
        _finish(payload, job, out, as_json)
    except BatchInputError as exc:
        for issue in exc.issues:
            place = issue.get("pointer") or f"row {issue['row']}" + (
                f", column {issue['column']}" if "column" in issue else ""
            )
            err_console.print(f"[red]error:[/red] {place}: {issue['detail']}")
        raise typer.Exit(2) from exc
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    @app.command()
    def articulate(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON or CSV")],
        qualification: Annotated[
            str | None, typer.Option(help="Target qualification/programme id (catalogue)")
        ] = None,
        server: Annotated[
            str | None, typer.Option(help="Submit to this running service instead, e.g. URL")
        ] = None,
        out: Annotated[
            Path | None, typer.Option(help="Write the results to this .csv or .json file")
        ] = None,
        chunk: Annotated[int, typer.Option(min=1, help="Courses per committed chunk")] = 25,
        poll: Annotated[float, typer.Option(help="Seconds between polls (--server)")] = 1.0,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Which incoming courses can replace which modules of a programme (a batch job)."""
        from pydantic import ValidationError

        from app.services.articulation import BatchInputError

        try:
            named, _ = _read(file)
        except (ValueError, ValidationError, BatchInputError) as exc:
            err_console.print(f"[red]error:[/red] {file}: {exc}")
            raise typer.Exit(2) from exc
        target = qualification or named
        if not target:
            err_console.print("[red]error:[/red] give --qualification (or qualification_id)")
            raise typer.Exit(2)
        if server:
            _remote(server, file, target, out, as_json, poll)
        else:
            _local(file, target, out, as_json, chunk)
