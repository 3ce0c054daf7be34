"""Verification never touches the network: every socket operation fails during these checks."""

from __future__ import annotations

import json
import socket
from typing import Any, NoReturn

import pytest

from app.adapters.importers.registry import read_document
from app.adapters.verification.data_integrity import embedded_proof
from app.adapters.verification.jose import verify_jws_json
from app.adapters.verification.trust import TrustStore
from tests.adapters.verification.helpers import SEALED, W3C_VECTOR


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def blocked(*args: object, **kwargs: object) -> NoReturn:
            attempts.append(name)
            raise OSError(f"network access attempted during verification ({name})")

        return blocked

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_the_socket_block_works(no_network: list[str]) -> None:
    with pytest.raises(OSError, match="network access attempted"):
        socket.create_connection(("example.org", 80))
    assert no_network == ["create_connection"]
    no_network.clear()


def test_nothing_is_fetched_while_verifying(no_network: list[str]) -> None:
    for path in SEALED.values():
        assert verify_jws_json(json.loads(path.read_text()), TrustStore()).valid is True
    vector = json.loads(W3C_VECTOR.read_text())
    proof = embedded_proof(vector)
    assert proof is not None and proof.verified
    # a context that would have to be fetched is reported, not fetched
    vector["@context"].append("https://contexts.example/not-bundled")
    unfetched = embedded_proof(vector)
    assert unfetched is not None and unfetched.verification.valid is None
    read = read_document(SEALED["mc"].read_bytes())
    assert read.imported.credential.proof.verified
    assert no_network == []
