"""``passerelle records …``: keys, signed checkpoints, offline verification, personal data.

    passerelle records keygen                      # the Ed25519 key of settings.records.signing_key
    passerelle records checkpoint                  # sign the chain head, append to the file
    passerelle records verify --checkpoints FILE --public-key KEY.pub.pem
    passerelle records erase --learner LA-234218   # GDPR Art. 17 (or --record ID)
    passerelle records purge                       # erase learners past the retention period

``verify`` needs the database and the checkpoints file, not the server nor the private key:
run it from a machine the database administrator does not control, with the public key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from app.cli._common import console, err_console, print_json, settings
from app.core.errors import DomainError

records_app = typer.Typer(
    help="Decision records: signing keys, checkpoints, verification, personal data.",
    no_args_is_help=True,
)


def _sessions() -> sessionmaker[Session]:
    """Sessions on the configured database, migrated (no data release, no models: fast)."""
    from app.adapters.db.migrate import upgrade_if_needed
    from app.adapters.db.session import make_engine, make_sessionmaker

    s = settings()
    engine = make_engine(s.database_url)
    upgrade_if_needed(engine, s.database_url)
    return make_sessionmaker(engine)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@records_app.command("keygen")
def keygen(
    out: Annotated[
        Path | None, typer.Option("--out", help="default: settings.records.signing_key")
    ] = None,
) -> None:
    """Create the Ed25519 checkpoint signing key (mode 0600) and its public half (.pub.pem).

    To rotate: create a new key with --out, point PASSERELLE_RECORDS__SIGNING_KEY at it, and add
    the old .pub.pem to PASSERELLE_RECORDS__TRUSTED_PUBLIC_KEYS so old checkpoints still verify.
    """
    from app.core.records import key_id
    from app.services import records

    path = out or settings().records.signing_key
    try:
        key = records.generate_signing_key(path)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    console.print(
        f"key {key_id(key.public_key())}: private {path}, public {records.public_key_path(path)}"
    )


@records_app.command("checkpoint")
def checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="default: settings.records.checkpoints_file")
    ] = None,
) -> None:
    """Sign the current head of the chain and append the checkpoint to the file (JSON Lines).

    Creates the signing key first if there is none. Run it on a schedule (cron, a systemd
    timer) and copy the file somewhere the database administrator cannot write.
    """
    from app.adapters.db.session import session_scope
    from app.services import records

    s = settings().records
    if not s.signing_key.exists():
        records.generate_signing_key(s.signing_key)
        err_console.print(f"created the signing key {s.signing_key}")
    key = records.load_signing_key(s.signing_key)
    with session_scope(_sessions()) as session:
        document = records.create_checkpoint(session, key)
    target = out or s.checkpoints_file
    records.append_checkpoint(target, document)
    print_json(document)
    err_console.print(f"appended to {target}")


@records_app.command("verify")
def verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option("--checkpoints", help="default: settings.records.checkpoints_file"),
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="trusted Ed25519 public key (PEM), repeatable; default: the configured keys",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Walk the whole chain and hold it against every signed checkpoint. Exit 1 if anything
    was altered or removed; the report also says what the checkpoints cannot prove."""
    from app.core.records import key_id
    from app.services import records

    s = settings().records
    try:
        documents = records.read_checkpoints(checkpoints or s.checkpoints_file)
        if public_key:
            loaded = [records.load_public_key(p) for p in public_key]
            keys = {key_id(k): k for k in loaded}
        else:
            keys = records.trusted_keys(s)
    except (DomainError, OSError, ValueError) as exc:
        raise _fail(getattr(exc, "message", str(exc))) from exc
    with _sessions()() as session:
        report = records.verify_chain_with_checkpoints(session, documents, keys)
    if as_json:
        print_json(report.as_json())
    else:
        verdict = "[green]valid[/green]" if report.valid else "[red]NOT VALID[/red]"
        console.print(
            f"{verdict}: {report.records} records, {report.checkpoints} signed checkpoints"
        )
        for line in report.problems:
            console.print(f"  [red]✗[/red] {line}")
        for line in report.proves:
            console.print(f"  [green]✓[/green] {line}")
        for line in report.cannot_prove:
            console.print(f"  [yellow]?[/yellow] {line}")
    if not report.valid:
        raise typer.Exit(1)


@records_app.command("erase")
def erase(
    learner: Annotated[
        str | None, typer.Option("--learner", help="the learner's id or an identifier value")
    ] = None,
    record: Annotated[str | None, typer.Option("--record", help="one record's id")] = None,
    all_organisations: Annotated[
        bool,
        typer.Option(
            "--all-organisations",
            help="erase in every organisation's records (default: --organisation's only)",
        ),
    ] = False,
) -> None:
    """Erase the learner behind records (GDPR Art. 17). The decisions stay and still verify."""
    from app.adapters.db.session import session_scope
    from app.services import records

    try:
        with session_scope(_sessions()) as session:
            erased = records.erase_personal_data(
                session, learner=learner, record_id=record, everywhere=all_organisations
            )
    except DomainError as exc:
        raise _fail(exc.message) from exc
    console.print(f"personal data erased behind {len(erased)} record(s)")
    for record_id in erased:
        console.print(f"  {record_id}")


@records_app.command("purge")
def purge(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            "--older-than-days", help="default: settings.records.personal_data_retention_days"
        ),
    ] = None,
) -> None:
    """Erase the learner behind every record older than the retention period."""
    from app.adapters.db.session import session_scope
    from app.services import records

    days = older_than_days or settings().records.personal_data_retention_days
    if days is None:
        raise _fail(
            "no retention period: set PASSERELLE_RECORDS__PERSONAL_DATA_RETENTION_DAYS "
            "or pass --older-than-days"
        )
    try:
        with session_scope(_sessions()) as session:
            erased = records.purge_expired(session, older_than_days=days)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    console.print(f"personal data older than {days} days erased behind {len(erased)} record(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
