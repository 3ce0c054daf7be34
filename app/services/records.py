"""Decision records as evidence: review versions, signed checkpoints, proofs, personal data.

The recognition service writes records; this module answers for them afterwards:

- **review concurrency** — a review names the version it reviews; a stale one is refused
  (:class:`app.core.records.StaleVersion`);
- **checkpoints** — the chain head and a digest of the reviews, signed with an Ed25519 key held
  outside the database and appended to a JSON Lines file (also outside it);
- **proofs** — what a verification can and cannot prove, per record (``/verify``) or for the
  whole chain against exported checkpoints (``passerelle records verify``);
- **personal data** — erasure on request (GDPR Art. 17) and after the retention period.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from app.adapters.db.models_recognition import RecognitionSubjectRow
from app.adapters.db.recognition_repository import RecognitionRepository
from app.core.errors import InvalidInput, NotFound
from app.core.records import (
    ChainState,
    CheckpointError,
    compare_with_checkpoint,
    key_id,
    open_checkpoint,
    reviews_digests_at,
    sign_checkpoint,
    subject_commitment,
    verify_chain,
)
from app.settings import RecordSettings

# --- keys ----------------------------------------------------------------------------------------


def public_key_path(private_path: Path) -> Path:
    """Where ``keygen`` writes the public half: ``records-ed25519.pem`` → ``….pub.pem``."""
    return private_path.with_name(private_path.stem + ".pub.pem")


def generate_signing_key(path: Path, *, overwrite: bool = False) -> Ed25519PrivateKey:
    """Create an Ed25519 key at ``path`` (mode 0600) and its public half beside it."""
    if path.exists() and not overwrite:
        raise InvalidInput("signing_key", f"{path} exists; rotate by pointing to a new path")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_key_path(path).write_bytes(public_pem(key.public_key()))
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise NotFound(
            f"No signing key at {path}: create one with `passerelle records keygen`."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("signing_key", f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("public_key", f"{path} is not an Ed25519 public key")
    return key


def trusted_keys(
    settings: RecordSettings, extra: Sequence[Path] = ()
) -> dict[str, Ed25519PublicKey]:
    """Public keys that may have signed checkpoints, by key id: the current key's public half
    (from the key or the ``.pub.pem`` beside it), the configured old keys, and ``extra``."""
    keys: list[Ed25519PublicKey] = []
    if settings.signing_key.exists():
        keys.append(load_signing_key(settings.signing_key).public_key())
    elif public_key_path(settings.signing_key).exists():
        keys.append(load_public_key(public_key_path(settings.signing_key)))
    keys.extend(load_public_key(p) for p in (*settings.trusted_public_keys, *extra))
    return {key_id(k): k for k in keys}


# --- checkpoints -------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def create_checkpoint(session: Session, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Sign the current head of the chain (under the chain lock, so no append is half-way)."""
    repo = RecognitionRepository(session)
    repo.lock_chain()
    return sign_checkpoint(repo.chain_state(), key, created_at=_now())


def append_checkpoint(path: Path, document: Mapping[str, Any]) -> None:
    """Append one checkpoint as a line of JSON and fsync it: the file is the evidence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(document, sort_keys=True, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    """Checkpoints of a JSON Lines file, oldest first (none if there is no file)."""
    if not path.exists():
        return []
    documents = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput("checkpoints", f"{path}:{number}: not JSON ({exc})") from exc
    return documents


@dataclass(frozen=True, slots=True)
class SignedState:
    line: int
    created_at: str
    key_id: str
    state: ChainState


def _open_all(
    documents: Sequence[dict[str, Any]], keys: Mapping[str, Ed25519PublicKey]
) -> tuple[list[SignedState], list[str]]:
    opened, problems = [], []
    for line, document in enumerate(documents, 1):
        try:
            state = open_checkpoint(document, keys)
        except CheckpointError as exc:
            problems.append(f"checkpoint {line}: {exc}")
            continue
        opened.append(
            SignedState(line, str(document["created_at"]), str(document["key_id"]), state)
        )
    for a, b in itertools.pairwise(opened):
        if b.state.head_seq < a.state.head_seq or b.state.reviews < a.state.reviews:
            problems.append(
                f"checkpoint {b.line} signs a shorter history than checkpoint {a.line} before it"
            )
    return opened, problems


UNPROVABLE_AFTER = (
    "records and reviews added after the last checkpoint are only as trustworthy as the "
    "database: whoever can write it can alter or delete them without a trace"
)
NO_CHECKPOINT = (
    "no signed checkpoint is available: the chain proves only that it is consistent with "
    "itself; whoever can write the database can edit a record and recompute every hash after "
    "it, or delete the newest records and reviews"
)


@dataclass(slots=True)
class ChainReport:
    """The whole chain against exported checkpoints (``passerelle records verify``)."""

    valid: bool
    records: int
    checkpoints: int
    problems: list[str] = field(default_factory=list)
    proves: list[str] = field(default_factory=list)
    cannot_prove: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "problems": self.problems,
            "proves": self.proves,
            "cannot_prove": self.cannot_prove,
        }


def verify_chain_with_checkpoints(
    session: Session,
    documents: Sequence[dict[str, Any]],
    keys: Mapping[str, Ed25519PublicKey],
) -> ChainReport:
    """Walk the whole chain, then hold it against every signed checkpoint."""
    repo = RecognitionRepository(session)
    chain = repo.verify_all()
    problems = list(chain.problems)
    opened, checkpoint_problems = _open_all(documents, keys)
    problems.extend(checkpoint_problems)
    # one read of the review hashes and of the signed heads, whatever the number of checkpoints
    digests = reviews_digests_at(
        repo.review_hashes(), [signed.state.reviews_max_id for signed in opened]
    )
    heads = repo.record_hashes_at([signed.state.head_seq for signed in opened])
    for signed in opened:
        count, digest = digests[signed.state.reviews_max_id]
        current = replace(signed.state, reviews=count, reviews_digest=digest)
        for problem in compare_with_checkpoint(
            signed.state, current, heads.get(signed.state.head_seq)
        ):
            problems.append(f"checkpoint {signed.line} ({signed.created_at}): {problem}")
    report = ChainReport(not problems, chain.checked, len(opened), problems)
    if opened and not problems:
        last = opened[-1]
        report.proves.append(
            f"records 1 to {last.state.head_seq} and the {last.state.reviews} reviews up to id "
            f"{last.state.reviews_max_id} are as signed on {last.created_at} by key {last.key_id}"
        )
    head = repo.head_seq()
    covered = opened[-1].state.head_seq if opened else 0
    if not opened:
        report.cannot_prove.append(NO_CHECKPOINT)
    elif head > covered or repo.chain_state().reviews > opened[-1].state.reviews:
        report.cannot_prove.append(f"{UNPROVABLE_AFTER} (records after {covered})")
    return report


def record_proof(
    session: Session,
    record_id: str,
    documents: Sequence[dict[str, Any]],
    keys: Mapping[str, Ed25519PublicKey],
) -> dict[str, Any]:
    """What ``/verify`` can prove about one record, beyond its own links.

    The first checkpoint at or after the record pins it (its hash is linked, record by record,
    to the signed head); the last checkpoint pins the newest records and every review up to it.
    """
    repo = RecognitionRepository(session)
    record = repo.get(record_id)
    opened, problems = _open_all(documents, keys)
    proves: list[str] = []
    cannot: list[str] = []
    covering = next((s for s in opened if s.state.head_seq >= record.seq), None)
    checkpoint: dict[str, Any] | None = None
    if not opened:
        cannot.append(NO_CHECKPOINT)
    elif covering is None:
        cannot.append(
            f"this record (seq {record.seq}) was added after the last checkpoint (seq "
            f"{opened[-1].state.head_seq}): it is only as trustworthy as the database"
        )
    else:
        links = repo.links_between(record.seq, covering.state.head_seq)
        check = verify_chain(links, start=record.prev_hash)
        problems.extend(check.problems)
        head_hash = links[-1].stored_hash if links else None
        if head_hash != covering.state.head_hash:
            problems.append(
                f"the chain from this record does not reach the head signed by checkpoint "
                f"{covering.line} ({covering.created_at})"
            )
        else:
            proves.append(
                f"the record is as it was when checkpoint {covering.line} signed the chain "
                f"up to seq {covering.state.head_seq} ({covering.created_at}, key "
                f"{covering.key_id})"
            )
        checkpoint = {
            "line": covering.line,
            "created_at": covering.created_at,
            "key_id": covering.key_id,
            "head_seq": covering.state.head_seq,
        }
    if opened:
        last = opened[-1]
        current = repo.chain_state(reviews_max_id=last.state.reviews_max_id)
        found = compare_with_checkpoint(
            last.state, current, repo.record_hash_at(last.state.head_seq)
        )
        problems.extend(f"checkpoint {last.line}: {p}" for p in found)
        later = [r for r in repo.reviews(record_id) if r.id > last.state.reviews_max_id]
        if not found:
            proves.append(
                f"no record up to seq {last.state.head_seq} and no review signed by the last "
                f"checkpoint ({last.created_at}) was removed or altered"
            )
        if later:
            cannot.append(
                f"review(s) {', '.join(str(r.seq) for r in later)} of this record were added "
                "after the last checkpoint: they are only as trustworthy as the database, and "
                "a deleted newer review could not be noticed"
            )
        elif covering is not None:
            cannot.append(
                "a review added after the last checkpoint and then deleted could not be noticed"
            )
    personal, personal_problems = _personal_data(record.subject_commitment, repo.subject(record_id))
    problems.extend(personal_problems)
    return {
        "checkpoint": checkpoint,
        "checkpoint_problems": problems,
        "proves": proves,
        "cannot_prove": cannot,
        "personal_data": personal,
    }


def _personal_data(
    commitment: str | None, subject: RecognitionSubjectRow | None
) -> tuple[dict[str, Any] | None, list[str]]:
    """Whose decision: the learner held apart must open the record's commitment, or someone
    re-attributed the decision to another person (the subject table is not append-only, so
    that it can be erased)."""
    if commitment is None:
        return None, []
    if subject is None:
        return {"status": "missing"}, [
            "the record commits to a learner, but the learner's row is gone without an erasure"
        ]
    if subject.erased_at is not None:
        return {
            "status": "erased",
            "erased_at": subject.erased_at,
            "reason": subject.erasure_reason,
        }, []
    if subject.salt is None or subject_commitment(bytes.fromhex(subject.salt), subject.subject) != (
        commitment
    ):
        return {"status": "altered"}, [
            "the learner held for this record does not match the commitment in the record"
        ]
    return {"status": "held apart from the record; matches its commitment"}, []


# --- personal data -------------------------------------------------------------------------------


def erase_personal_data(
    session: Session,
    *,
    learner: str | None = None,
    record_id: str | None = None,
    reason: str = "request",
    everywhere: bool = False,
) -> list[str]:
    """Erase the learner behind records (GDPR Art. 17): by learner id or identifier, or by
    record. Returns the ids of the records whose learner was erased (empty if none held).

    Scoped to the organisation bound to ``session`` — each organisation is the controller of
    the personal data it holds, and one organisation's request must not erase (or reveal, by
    its answer) another's. ``everywhere`` is for the operator's command line only.
    """
    repo = RecognitionRepository(session)
    if (learner is None) == (record_id is None):
        raise InvalidInput("learner", "name either a learner identifier or a record")
    if record_id is not None:
        if not repo.record_exists(record_id, everywhere=everywhere):
            raise NotFound(f"No recognition record {record_id!r}.")
        subject = repo.subject(record_id)
        subjects = [subject] if subject is not None and subject.erased_at is None else []
        return repo.erase(subjects, reason=reason)
    if not str(learner).strip():
        raise InvalidInput("learner", "the learner's id or identifier value is empty")
    erased = repo.erase(
        repo.subjects_of_learner(str(learner), everywhere=everywhere), reason=reason
    )
    # credentials of this learner that no record points at hold the learner too
    repo.erase_credentials(repo.credentials_of_learner(str(learner), everywhere=everywhere))
    return erased


def purge_expired(session: Session, *, older_than_days: int) -> list[str]:
    """Erase the learner behind every record older than the retention period."""
    if older_than_days <= 0:
        raise InvalidInput("older_than_days", "the retention period is a positive number of days")
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
    repo = RecognitionRepository(session)
    return repo.erase(
        repo.subjects_created_before(cutoff.isoformat(timespec="microseconds")), reason="retention"
    )
