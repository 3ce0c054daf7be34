"""Hash-chained, append-only decision records: canonical form, hashing and verification.

Every recognition record and every review appended to it is a *link*: its hash is the SHA-256
of the previous link's hash and the canonical JSON of its own content. Records chain to the
record before them (one chain over all records, in sequence order); reviews chain to their
record, then to the previous review. Changing any stored byte of a record, a review, or their
order breaks a link, and :func:`verify_chain` says which.

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8, floats as Python's repr —
the same content always gives the same bytes.

A chain alone proves internal consistency only: whoever can write the database can edit a
record and recompute every hash after it, or drop the newest record. So the head of the chain
(and a digest of every review) is signed from time to time with an Ed25519 key kept outside the
database (:func:`sign_checkpoint`); a checkpoint kept elsewhere pins everything up to it
(:func:`open_checkpoint`, :func:`compare_with_checkpoint`). Learners are not in the hashed
content: only a salted commitment to their identity is (:func:`subject_commitment`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.errors import Conflict

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


# --- personal data: a salted commitment instead of the learner in clear ------------------------


def subject_commitment(salt: bytes, subject: Any) -> str:
    """HMAC-SHA256 of the learner's identity under a per-record random salt.

    The hashed record holds only this value; the identity and the salt live in a separate table.
    Erasing that row (GDPR Art. 17) leaves a value nobody can link back to a person — a
    dictionary of names is useless without the 32-byte salt — while the record's hash, which
    covers the commitment and not the identity, still verifies.

    >>> a = subject_commitment(b"s" * 32, {"name": "Ada"})
    >>> a == subject_commitment(b"s" * 32, {"name": "Ada"})
    True
    >>> a == subject_commitment(b"t" * 32, {"name": "Ada"})
    False
    """
    return hmac.new(salt, canonical(subject), hashlib.sha256).hexdigest()


# --- signed checkpoints of the chain head --------------------------------------------------------

CHECKPOINT_TYPE = "passerelle.records.checkpoint/v1"


@dataclass(frozen=True, slots=True)
class ChainState:
    """What a checkpoint commits to: the head of the record chain and every review so far.

    Reviews chain per record, not into the record chain, so the head hash alone would not notice
    a deleted review: ``reviews_digest`` is the SHA-256 of every review hash with id up to
    ``reviews_max_id``, in id order.
    """

    records: int
    head_seq: int
    head_hash: str
    reviews: int
    reviews_max_id: int
    reviews_digest: str

    def as_json(self) -> dict[str, Any]:
        return {
            "records": {
                "count": self.records,
                "head_seq": self.head_seq,
                "head_hash": self.head_hash,
            },
            "reviews": {
                "count": self.reviews,
                "max_id": self.reviews_max_id,
                "digest": self.reviews_digest,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainState:
        r, v = data["records"], data["reviews"]
        return cls(
            int(r["count"]),
            int(r["head_seq"]),
            str(r["head_hash"]),
            int(v["count"]),
            int(v["max_id"]),
            str(v["digest"]),
        )


def reviews_digest(review_hashes: Sequence[str]) -> str:
    """SHA-256 over review hashes in id order (one per line).

    >>> reviews_digest([]) == hashlib.sha256(b"").hexdigest()
    True
    """
    return hashlib.sha256("".join(h + "\n" for h in review_hashes).encode("ascii")).hexdigest()


def reviews_digests_at(
    reviews: Sequence[tuple[int, str]], cutoffs: Sequence[int]
) -> dict[int, tuple[int, str]]:
    """(count, :func:`reviews_digest`) of the reviews with id up to each cutoff, in one pass
    over ``reviews`` (``(id, review_hash)`` in id order): checking a year of hourly checkpoints
    must not read every review once per checkpoint.

    >>> at = reviews_digests_at([(1, "a"), (3, "b")], [0, 2, 3])
    >>> at[2] == (1, reviews_digest(["a"])), at[3] == (2, reviews_digest(["a", "b"]))
    (True, True)
    >>> at[0] == (0, reviews_digest([]))
    True
    """
    digest, count, found = hashlib.sha256(), 0, {}
    pending = sorted(set(cutoffs))
    position = 0
    for cutoff in pending:
        while position < len(reviews) and reviews[position][0] <= cutoff:
            digest.update((reviews[position][1] + "\n").encode("ascii"))
            count += 1
            position += 1
        found[cutoff] = (count, digest.copy().hexdigest())
    return found


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(
    state: ChainState, private_key: Ed25519PrivateKey, *, created_at: str
) -> dict[str, Any]:
    """A checkpoint document: the state, when, which key, and an Ed25519 signature over the
    canonical JSON of everything else (so the file can be checked without this program)."""
    body: dict[str, Any] = {
        "type": CHECKPOINT_TYPE,
        "created_at": created_at,
        "key_id": key_id(private_key.public_key()),
        **state.as_json(),
    }
    signature = private_key.sign(canonical(body))
    return {**body, "signature": base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")}


class CheckpointError(ValueError):
    """A checkpoint document that is malformed, signed by an unknown key, or forged."""


def open_checkpoint(
    document: dict[str, Any], public_keys: Mapping[str, Ed25519PublicKey]
) -> ChainState:
    """Check a checkpoint's signature against the trusted keys; return the state it commits to."""
    if not isinstance(document, dict) or document.get("type") != CHECKPOINT_TYPE:
        raise CheckpointError("not a passerelle records checkpoint")
    body = {k: v for k, v in document.items() if k != "signature"}
    key = public_keys.get(str(document.get("key_id")))
    if key is None:
        raise CheckpointError(f"signed by key {document.get('key_id')!r}, which is not trusted")
    encoded = str(document.get("signature", ""))
    try:
        signature = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        key.verify(signature, canonical(body))
        return ChainState.from_json(body)
    except InvalidSignature as exc:
        raise CheckpointError("the signature does not match the checkpoint") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"malformed checkpoint: {exc}") from exc


def compare_with_checkpoint(
    checkpoint: ChainState, current: ChainState, head_hash_at_seq: str | None
) -> tuple[str, ...]:
    """What the database has lost or changed since a (verified) checkpoint.

    ``current`` is the same state computed from the database now, with the reviews digest taken
    over the checkpoint's ``reviews_max_id``; ``head_hash_at_seq`` is the stored hash of the
    record at the checkpoint's head sequence (None if there is none).

    >>> cp = ChainState(2, 2, "h2", 1, 7, "d")
    >>> compare_with_checkpoint(cp, ChainState(3, 3, "h3", 1, 7, "d"), "h2")
    ()
    >>> compare_with_checkpoint(cp, ChainState(1, 1, "h1", 0, 0, "e"), None)[0]
    'record 2 (the head at the checkpoint) is missing'
    """
    problems: list[str] = []
    if head_hash_at_seq is None:
        problems.append(f"record {checkpoint.head_seq} (the head at the checkpoint) is missing")
    elif head_hash_at_seq != checkpoint.head_hash:
        problems.append(
            f"record {checkpoint.head_seq} has hash {head_hash_at_seq[:16]}…, the checkpoint "
            f"signed {checkpoint.head_hash[:16]}…: the chain up to it was rewritten"
        )
    if current.reviews_digest != checkpoint.reviews_digest:
        problems.append(
            f"the {checkpoint.reviews} reviews signed at the checkpoint (ids up to "
            f"{checkpoint.reviews_max_id}) are not all there unchanged"
        )
    return tuple(problems)


class StaleVersion(Conflict):
    """A review names a version of the record that is no longer the current one."""

    def __init__(self, record_id: str, based_on: str, current: str) -> None:
        super().__init__(
            f"The review is based on version {based_on!r} of record {record_id!r}, but the "
            f"current version is {current!r}: another review was added since. Reload the record "
            "and review its current state."
        )
        self.record_id = record_id
        self.based_on = based_on
        self.current = current
