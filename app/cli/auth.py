"""``passerelle auth``: the first admin key, and API keys from the operator's shell.

The operator runs these on the server (they need the database, not the API), which is how the
first key comes to exist: ``passerelle auth bootstrap --organisation <id>`` prints a one-time
admin key; that admin then issues further keys over ``/v1/admin/api-keys`` or with
``passerelle auth keys create``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError


@contextmanager
def _session() -> Iterator[Session]:
    from app.adapters.db import migrate
    from app.adapters.db.session import make_engine, make_sessionmaker, session_scope

    s = settings()
    engine = make_engine(s.database_url)
    try:
        migrate.upgrade_if_needed(engine, s.database_url)
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    auth = typer.Typer(help="Organisations and API keys.", no_args_is_help=True)
    keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
    auth.add_typer(keys, name="keys")
    app.add_typer(auth, name="auth")

    @auth.command()
    def bootstrap(
        organisation: Annotated[
            str, typer.Option("--organisation", "-o", help="organisation id (a slug)")
        ] = "default",
        name: Annotated[str, typer.Option(help="organisation name, if it is new")] = "",
        if_needed: Annotated[
            bool,
            typer.Option(
                "--if-needed", help="only if the organisation has no usable admin key yet"
            ),
        ] = False,
    ) -> None:
        """Create the organisation if needed and print a one-time admin API key."""
        from app.services.identity import bootstrap as do_bootstrap

        try:
            with _session() as session:
                issued = do_bootstrap(session, organisation, name=name, if_needed=if_needed)
        except DomainError as exc:
            raise _fail(exc) from exc
        if issued is None:
            err_console.print(
                f"Organisation {organisation!r} already has an admin key; no new key issued "
                "('passerelle auth keys list' shows them, 'keys create' makes another)."
            )
            return
        err_console.print(
            f"Admin key {issued.info.prefix} for organisation {organisation!r}. It is shown "
            "once and stored only hashed: keep it now. Send it as 'X-API-Key: <key>'."
        )
        console.print(issued.secret, highlight=False, soft_wrap=True)

    @keys.command("create")
    def create(
        organisation: Annotated[str, typer.Option("--organisation", "-o")],
        name: Annotated[str, typer.Option(help="what the key is for, e.g. 'SIS export'")],
        role: Annotated[
            list[str], typer.Option("--role", "-r", help="reader, evaluator, reviewer, admin")
        ],
        expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
    ) -> None:
        """Issue a key (printed once)."""
        from app.services.identity import create_key, roles_from

        expires = (
            dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days)
            if expires_in_days
            else None
        )
        try:
            with _session() as session:
                issued = create_key(
                    session,
                    organisation,
                    name=name,
                    roles=roles_from(role, pointer="--role"),
                    expires_at=expires,
                    created_by="cli",
                )
        except DomainError as exc:
            raise _fail(exc) from exc
        err_console.print(f"Key {issued.info.prefix} ({', '.join(issued.info.roles)}): shown once.")
        console.print(issued.secret, highlight=False, soft_wrap=True)

    @keys.command("list")
    def list_(
        organisation: Annotated[str | None, typer.Option("--organisation", "-o")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """List keys (prefix, roles, state); never the keys themselves."""
        from app.services.identity import list_keys

        with _session() as session:
            infos = list_keys(session, organisation)
        rows = [
            {
                "prefix": k.prefix,
                "organisation": k.organisation,
                "name": k.name,
                "roles": list(k.roles),
                "created_at": k.created_at.isoformat(),
                "expires_at": k.expires_at.isoformat() if k.expires_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in infos
        ]
        if as_json:
            print_json(rows)
            return
        for k in infos:
            state = "revoked" if k.revoked_at else f"expires {k.expires_at or 'never'}"
            roles = ",".join(k.roles)
            console.print(f"{k.prefix}  {k.organisation}  {roles}  {k.name}  ({state})")

    @keys.command("revoke")
    def revoke(prefix: str) -> None:
        """Revoke a key by its prefix (it stops working at once)."""
        from app.services.identity import revoke_key

        try:
            with _session() as session:
                info = revoke_key(session, None, prefix)
        except DomainError as exc:
            raise _fail(exc) from exc
        console.print(f"revoked {info.prefix} ({info.name})")
