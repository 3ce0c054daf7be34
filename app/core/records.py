"""Hash-chained, append-only decision records: canonical form, hashing and verification.

Every recognition record and every review appended to it is a *link*: its hash is the SHA-256
of the previous link's hash and the canonical JSON of its own content. Records chain to the
record before them (one chain over all records, in sequence order); reviews chain to their
record, then to the previous review. Changing any stored byte of a record, a review, or their
order breaks a link, and :func:`verify_chain` says which.

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8, floats as Python's repr —
the same content always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(payload: Any) -> bytes:
    """The canonical JSON bytes of ``payload``.

    >>> canonical({"b": 1, "a": [1.5, "é"]})
    b'{"a":[1.5,"\\xc3\\xa9"],"b":1}'
    """
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def link_hash(previous: str, payload: Any) -> str:
    """Hash of one link: ``sha256(previous + "\\n" + canonical(payload))``.

    >>> h = link_hash(GENESIS, {"outcome": "full"})
    >>> len(h), h == link_hash(GENESIS, {"outcome": "full"})
    (64, True)
    >>> h == link_hash(GENESIS, {"outcome": "partial"})
    False
    """
    digest = hashlib.sha256()
    digest.update(previous.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(payload))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """A stored link as read back: what it claims and what it holds."""

    label: str  # e.g. "record 12" or "review 2 of record 12"
    previous: str
    stored_hash: str
    payload: Any


@dataclass(frozen=True, slots=True)
class ChainCheck:
    valid: bool
    checked: int
    problems: tuple[str, ...]


def verify_chain(links: Sequence[Link], *, start: str = GENESIS) -> ChainCheck:
    """Check each link's hash and that each points at the one before it.

    >>> a = Link("a", GENESIS, link_hash(GENESIS, {"x": 1}), {"x": 1})
    >>> b = Link("b", a.stored_hash, link_hash(a.stored_hash, {"x": 2}), {"x": 2})
    >>> verify_chain([a, b]).valid
    True
    >>> verify_chain([a, Link("b", a.stored_hash, b.stored_hash, {"x": 3})]).problems
    ('b: content does not match its hash',)
    """
    problems: list[str] = []
    expected_previous = start
    for link in links:
        if link.previous != expected_previous:
            problems.append(f"{link.label}: does not follow the link before it")
        if link_hash(link.previous, link.payload) != link.stored_hash:
            problems.append(f"{link.label}: content does not match its hash")
        expected_previous = link.stored_hash
    return ChainCheck(not problems, len(links), tuple(problems))
