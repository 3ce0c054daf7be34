"""Erasure of a learner's personal data over HTTP (GDPR Art. 17), per organisation.

Each organisation is the controller of the personal data it holds: an administrator erases
only in their own organisation, another organisation's learner with the same identifier is
untouched, and another organisation's record answers 404 like a missing one. After erasure the
decision still verifies and the document as received answers 410 Gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.settings import PROJECT_ROOT
from tests.api.test_frameworks_api import assert_problem

PLAIN = PROJECT_ROOT / "tests/data/credentials/plain/plain-full.json"
ERASE = "/v1/admin/personal-data-erasures"
_counter = iter(range(1_000_000))


def _decision(api: TestClient, learner_id: str) -> tuple[str, str]:
    """A stored credential of ``learner_id`` and a recognition record about it."""
    document = json.loads(PLAIN.read_text(encoding="utf-8"))
    document["title"] = f"{document['title']} [erasure test {next(_counter)}]"
    document["learner"]["identifiers"][0]["value"] = learner_id
    stored = api.post("/v1/credentials", json=document)
    assert stored.status_code == 201, stored.text
    credential_id = stored.json()["id"]
    record = api.post("/v1/recognitions", json={"credential_id": credential_id, "target": "IE-NFQ"})
    assert record.status_code == 201, record.text
    return credential_id, record.json()["id"]


def test_an_admin_erases_a_learner_of_their_organisation_only(
    client: TestClient, client_for: Callable[..., TestClient]
) -> None:
    learner = f"S-ERASE-{next(_counter)}"
    mine_credential, mine = _decision(client, learner)
    other_org = client_for("admin", "erasure-other")
    theirs_credential, theirs = _decision(other_org, learner)
    assert client.get(f"/v1/credentials/{mine_credential}/original").status_code == 200

    r = client.post(ERASE, json={"learner": learner})
    assert r.status_code == 200, r.text
    assert r.json() == {"erased_records": [mine]}

    # the decision stays and verifies; the learner reads as erased; the original is gone
    verified = client.get(f"/v1/recognitions/{mine}/verify")
    assert verified.status_code == 200 and verified.json()["valid"] is True, verified.text
    gone = assert_problem(client.get(f"/v1/credentials/{mine_credential}/original"), 410)
    assert gone["type"].endswith("gone") and "erased" in gone["detail"]
    # the erasure is in the organisation's personal-data log
    log = client.get("/v1/admin/personal-data-access", params={"record_id": mine}).json()
    assert [e["action"] for e in log["items"]] == ["erase"]

    # the other organisation's learner with the same identifier is untouched
    assert other_org.get(f"/v1/credentials/{theirs_credential}/original").status_code == 200
    assert other_org.post(ERASE, json={"record_id": theirs}).json() == {"erased_records": [theirs]}


def test_another_organisations_record_is_not_found_and_not_erased(
    client: TestClient, client_for: Callable[..., TestClient]
) -> None:
    other_org = client_for("admin", "erasure-other")
    credential_id, record_id = _decision(other_org, f"S-ERASE-{next(_counter)}")
    assert_problem(client.post(ERASE, json={"record_id": record_id}), 404)
    assert other_org.get(f"/v1/credentials/{credential_id}/original").status_code == 200


def test_only_administrators_may_erase(
    client: TestClient, client_for: Callable[..., TestClient]
) -> None:
    _, record_id = _decision(client, f"S-ERASE-{next(_counter)}")
    for role in ("evaluator", "reviewer", "reader"):
        r = client_for(role).post(ERASE, json={"record_id": record_id})
        assert r.status_code == 403, (role, r.text)
    assert client_for(None).post(ERASE, json={"record_id": record_id}).status_code == 401
    # nothing was erased by the refused calls
    record = client.get(f"/v1/recognitions/{record_id}/verify").json()
    assert record["personal_data"]["status"] != "erased"


def test_an_erasure_names_exactly_one_learner_or_record(client: TestClient) -> None:
    bodies: list[tuple[dict[str, Any], str]] = [
        ({}, "learner"),
        ({"learner": "x", "record_id": "y"}, "learner"),
        ({"learner": "   "}, "learner"),
    ]
    for body, field in bodies:
        r = client.post(ERASE, json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text
    assert client.post(ERASE, json={"learner": "x", "extra": 1}).status_code == 422
