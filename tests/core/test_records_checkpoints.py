"""Signed checkpoints can be checked without this program: canonical JSON and Ed25519 only."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.records import (
    ChainState,
    CheckpointError,
    key_id,
    open_checkpoint,
    reviews_digest,
    sign_checkpoint,
)

STATE = ChainState(3, 3, "a" * 64, 2, 9, reviews_digest(["b" * 64, "c" * 64]))


def _independent_check(document: dict, public_key: object) -> None:  # type: ignore[type-arg]
    """What an auditor would write: drop the signature, canonical JSON, Ed25519 verify."""
    body = {k: v for k, v in document.items() if k != "signature"}
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    signature = base64.urlsafe_b64decode(document["signature"] + "==")
    public_key.verify(signature, message.encode("utf-8"))  # type: ignore[attr-defined]


def test_a_checkpoint_verifies_with_plain_ed25519() -> None:
    key = Ed25519PrivateKey.generate()
    document = sign_checkpoint(STATE, key, created_at="2026-12-03T05:00:00+00:00")
    _independent_check(document, key.public_key())
    assert open_checkpoint(document, {key_id(key.public_key()): key.public_key()}) == STATE
    assert document["records"] == {"count": 3, "head_seq": 3, "head_hash": "a" * 64}


def test_any_change_to_a_checkpoint_breaks_its_signature() -> None:
    key = Ed25519PrivateKey.generate()
    keys = {key_id(key.public_key()): key.public_key()}
    document = sign_checkpoint(STATE, key, created_at="2026-12-03T05:00:00+00:00")
    for forged in (
        {**document, "created_at": "2027-01-01T00:00:00+00:00"},
        {**document, "records": {**document["records"], "head_hash": "f" * 64}},
        {**document, "reviews": {**document["reviews"], "count": 1}},
    ):
        with pytest.raises(InvalidSignature):
            _independent_check(forged, key.public_key())
        with pytest.raises(CheckpointError, match="signature does not match"):
            open_checkpoint(forged, keys)
    with pytest.raises(CheckpointError, match="not trusted"):
        open_checkpoint(document, {})
    with pytest.raises(CheckpointError, match="not a passerelle"):
        open_checkpoint({"type": "something else"}, keys)
