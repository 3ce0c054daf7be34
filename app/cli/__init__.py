"""The ``passerelle`` command line.

Each capability registers its commands from its own module (``app/cli/<area>.py`` exposing
``register(app: typer.Typer) -> None``), listed in ``_AREAS`` below.
"""

from __future__ import annotations

import typer

from app.cli import (
    articulation,
    catalogue,
    credentials,
    data,
    frameworks,
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

_AREAS = [server, data, frameworks, outcomes, credentials, catalogue, recognition, articulation]
for _area in _AREAS:
    _area.register(cli)


def main() -> None:
    cli()
