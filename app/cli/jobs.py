"""``passerelle worker`` and ``passerelle jobs list|show|cancel|queue`` (docs/jobs.md).

``worker`` runs batch jobs in the foreground until Ctrl-C / SIGTERM: on PostgreSQL a Procrastinate
worker (start as many as you like, on as many machines: each takes the next waiting turn); on
SQLite the in-process runner (one process at a time is the embedded default's limit). ``jobs``
commands read the configured database for ``--organisation``, or a running service with
``--server URL`` (sending ``PASSERELLE_API_KEY``).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError

_STATUSES = ("queued", "running", "done", "failed", "cancelled")


def _local(action: Any) -> Any:
    """Run ``action(jobs_service, session)`` on the configured database, for --organisation."""
    from app.adapters.db.session import session_scope
    from app.services.jobs import JobService
    from app.services.startup import prepare

    ready = prepare(settings())
    try:
        with session_scope(ready.sessionmaker) as session:
            return action(JobService(ready.sessionmaker, None, settings().jobs), session)
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    finally:
        ready.engine.dispose()


def _http(method: str, url: str) -> Any:
    from app.cli.articulation import _http as http

    return http(method, url)


def _line(job: dict[str, Any]) -> str:
    p = job["progress"]
    return (
        f"job {job['id']} ({job['kind']}): [bold]{job['status']}[/bold], "
        f"{p['done']} done, {p['failed']} failed of {p['total']} ({p['percent']:.0f}%)"
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        name: Annotated[str | None, typer.Option(help="Worker name in logs")] = None,
    ) -> None:
        """Run batch jobs in the foreground (PostgreSQL: one of any number of workers)."""
        import socket

        from app.adapters.logging_json import configure
        from app.services.jobs import InProcessRunner, ProcrastinateRunner, make_runner
        from app.services.startup import local_transfer

        # the same log lines as `passerelle serve` (JSON by default: one shape for the fleet)
        configure(settings().log_level, settings().log_format)
        current = settings()
        label = name or f"{socket.gethostname()}-worker"
        with local_transfer(current) as (ready, transfer):
            runner = make_runner(
                current, ready.sessionmaker, [transfer.articulation.handler()], worker=True
            )
            if isinstance(runner, ProcrastinateRunner):
                err_console.print(f"worker {label}: Procrastinate on PostgreSQL, Ctrl-C to stop")
                runner.run_forever(label)
                runner.queue.close()
                return
            assert isinstance(runner, InProcessRunner)
            err_console.print(f"worker {label}: in-process runner on SQLite, Ctrl-C to stop")
            runner.run_forever()

    jobs = typer.Typer(help="Batch jobs: list, show, cancel.", no_args_is_help=True)
    app.add_typer(jobs, name="jobs")

    @jobs.command("list")
    def list_(
        status: Annotated[str | None, typer.Option(help=" | ".join(_STATUSES))] = None,
        kind: Annotated[str | None, typer.Option(help="e.g. articulation")] = None,
        limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        server: Annotated[str | None, typer.Option(help="Ask this running service")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The organisation's jobs, newest first."""
        if status is not None and status not in _STATUSES:
            err_console.print(f"[red]error:[/red] --status must be one of {', '.join(_STATUSES)}")
            raise typer.Exit(2)
        if server:
            query = urllib.parse.urlencode(
                {
                    k: v
                    for k, v in {
                        "status": status,
                        "kind": kind,
                        "limit": limit,
                        "offset": offset,
                    }.items()
                    if v is not None
                }
            )
            found = _http("GET", f"{server.rstrip('/')}/v1/jobs?{query}")["items"]
        else:
            found = _local(
                lambda service, session: service.list(
                    session, status=status, kind=kind, limit=limit, offset=offset
                )
            )
        if as_json:
            print_json(found)
            return
        table = Table("id", "kind", "status", "done", "failed", "total", "created")
        for job in found:
            p = job["progress"]
            table.add_row(
                job["id"],
                job["kind"],
                job["status"],
                str(p["done"]),
                str(p["failed"]),
                str(p["total"]),
                job["created_at"] or "",
            )
        console.print(table)

    @jobs.command("show")
    def show(
        job_id: Annotated[str, typer.Argument(help="Job id")],
        server: Annotated[str | None, typer.Option(help="Ask this running service")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """A job's status and progress."""
        if server:
            job = _http("GET", f"{server.rstrip('/')}/v1/jobs/{job_id}")
        else:
            job = _local(lambda service, session: service.get(session, job_id))
        if as_json:
            print_json(job)
            return
        console.print(_line(job))
        for label in ("created_at", "started_at", "finished_at", "updated_at"):
            if job.get(label):
                console.print(f"  {label.replace('_', ' ')}: {job[label]}")
        if job.get("error"):
            console.print(f"  [red]error:[/red] {job['error']}")

    @jobs.command("cancel")
    def cancel(
        job_id: Annotated[str, typer.Argument(help="Job id")],
        server: Annotated[str | None, typer.Option(help="Ask this running service")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Cancel a queued or running job (work stops at the next chunk)."""
        if server:
            job = _http("POST", f"{server.rstrip('/')}/v1/jobs/{job_id}/cancel")
        else:
            job = _local(lambda service, session: service.cancel(session, job_id))
        if as_json:
            print_json(job)
            return
        console.print(_line(job))

    @jobs.command("queue")
    def queue(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """The turns waiting or running in Procrastinate's queue (PostgreSQL; operators)."""
        from app.services.jobs import runner_kind

        current = settings()
        if runner_kind(current) != "procrastinate":
            err_console.print("[red]error:[/red] the queue is Procrastinate's, on PostgreSQL only")
            raise typer.Exit(2)
        from app.adapters.tasks.procrastinate import TaskQueue

        task_queue = TaskQueue(current.database_url)
        try:
            waiting = task_queue.waiting()
        finally:
            task_queue.close()
        if as_json:
            print_json(waiting)
            return
        table = Table("turn", "status", "organisation", "lane", "attempts")
        for turn in waiting:
            table.add_row(
                str(turn["id"]),
                str(turn["status"]),
                str(turn["organisation"]),
                str(turn["lane"]),
                str(turn["attempts"]),
            )
        console.print(table)
