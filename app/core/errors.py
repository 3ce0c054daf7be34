"""Domain errors. They know nothing about HTTP; ``app/api/problems.py`` maps them to RFC 9457.

Hierarchy::

    DomainError
    ├── NotFound
    │   ├── UnknownFramework(identifier)
    │   ├── UnknownLevel(identifier, framework_id)
    │   └── UnknownCreditSystem(identifier, known)
    ├── AmbiguousIdentifier(identifier, candidates)
    ├── InvalidInput(field, message)
    ├── PayloadTooLarge(field, message)
    ├── Conflict(message)
    └── Gone(message)

Each error carries structured attributes so callers can say exactly what was wrong and where.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    field: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError, LookupError):
    """Something named by the caller does not exist."""


class UnknownFramework(NotFound):
    def __init__(self, identifier: str, field: str | None = None) -> None:
        super().__init__(f"No framework is known by {identifier!r}.")
        self.identifier = identifier
        self.field = field


class UnknownLevel(NotFound):
    def __init__(
        self, identifier: str, framework_id: str | None = None, field: str | None = None
    ) -> None:
        where = f" in framework {framework_id}" if framework_id else ""
        super().__init__(f"No level is known by {identifier!r}{where}.")
        self.identifier = identifier
        self.framework_id = framework_id
        self.field = field


class AmbiguousIdentifier(DomainError, ValueError):
    """An identifier names more than one thing (e.g. ``BE`` names three frameworks)."""

    def __init__(self, identifier: str, candidates: list[str], field: str | None = None) -> None:
        listed = ", ".join(candidates)
        super().__init__(f"{identifier!r} names more than one framework: {listed}.")
        self.identifier = identifier
        self.candidates = candidates
        self.field = field


class InvalidInput(DomainError, ValueError):
    """A value is well-formed but not acceptable (e.g. an impossible date range)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PayloadTooLarge(DomainError):
    """An input is over a size, depth or length limit. ``field`` is a JSON pointer to it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    """The request conflicts with stored state (e.g. a review of a record that moved on)."""


class Gone(DomainError):
    """Something existed and was removed on purpose (e.g. personal data erased on request)."""


class UnknownCreditSystem(NotFound):
    def __init__(self, identifier: str, known: list[str], field: str | None = None) -> None:
        super().__init__(f"No credit system {identifier!r}; known systems: {', '.join(known)}.")
        self.identifier = identifier
        self.field = field
