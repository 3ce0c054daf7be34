"""Which organisation a unit of work acts for (issue 12).

Repositories of organisation data (catalogue, credentials, recognition records, jobs) take the
organisation as a constructor argument, and filter every query and stamp every insert with it.
Callers that do not pass one explicitly get the organisation *bound to the session*: the API's
authorisation dependency binds the principal's organisation to the request's session before any
route runs, the job worker binds each job's organisation, and the CLI binds ``--organisation``.
A session with no organisation bound makes these repositories raise
:class:`MissingOrganisation` — a query cannot silently run across organisations. The one
exception is the ``passerelle`` command line, a single-operator process: it sets a process-wide
organisation (``--organisation``, default ``default``) with :func:`set_process_organisation`;
the API never does.

(The organisation travels with the session rather than as one more parameter of every service
method because services hand the session down through several layers; binding it once where the
unit of work begins keeps that one place.)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

_KEY = "passerelle.organisation"
_process_organisation: str | None = None


class MissingOrganisation(RuntimeError):
    """A repository of organisation data was used on a session with no organisation bound."""


def bind_organisation(session: Session, organisation: str) -> None:
    """Make ``organisation`` the tenant of every repository built on ``session``."""
    bound = session.info.get(_KEY)
    if bound is not None and bound != organisation:
        # One unit of work never serves two organisations: that is how data would leak.
        raise MissingOrganisation(
            f"session already bound to organisation {bound!r}, not {organisation!r}"
        )
    session.info[_KEY] = organisation


def unbind_organisation(session: Session) -> None:
    """Forget the tenant (the job worker reuses a session across jobs of different tenants)."""
    session.info.pop(_KEY, None)


def set_process_organisation(organisation: str | None) -> None:
    """The command line's organisation, for sessions with none bound (never set by the API)."""
    global _process_organisation
    _process_organisation = organisation


def organisation_of(session: Session, organisation: str | None = None) -> str:
    """``organisation`` if given, else the one bound to ``session`` (else the command line's);
    raises if none."""
    if organisation is not None:
        return organisation
    bound = session.info.get(_KEY, _process_organisation)
    if not isinstance(bound, str):
        raise MissingOrganisation(
            "no organisation: pass one to the repository or bind one to the session"
        )
    return bound
