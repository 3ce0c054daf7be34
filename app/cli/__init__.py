"""The ``passerelle`` command line.

Each capability registers its commands from its own module (``app/cli/<area>.py`` exposing
``register(app: typer.Typer) -> None``), listed in ``_AREAS`` below.
"""

from __future__ import annotations

import typer

from app.cli import (
    articulation,
    auth,
    catalogue,
    credentials,
    data,
    exports,
    frameworks,
    jobs,
    outcomes,
    recognition,
    server,
)

cli = typer.Typer(
    name="passerelle",
    help="Recognition and comparability engine across qualification frameworks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def _organisation(
    ctx: typer.Context,
    organisation: str = typer.Option(
        "default",
        "--organisation",
        envvar="PASSERELLE_ORGANISATION",
        help="The organisation whose catalogue, credentials, records and jobs commands act on.",
    ),
) -> None:
    # Commands run for one operator in one organisation. Not ``serve``: the API binds each
    # request's own, and a process-wide organisation there would hide a forgotten binding.
    from app.adapters.db.tenancy import set_process_organisation

    if ctx.invoked_subcommand not in ("serve", "worker"):  # a worker binds each job's own
        set_process_organisation(organisation)


_AREAS = [
    server,
    data,
    frameworks,
    outcomes,
    credentials,
    catalogue,
    recognition,
    articulation,
    jobs,
    auth,
    exports,
]
for _area in _AREAS:
    _area.register(cli)


def main() -> None:
    cli()
