"""Durable answers and review versions over HTTP, on SQLite and PostgreSQL (issue 12 item 4,
issue 10 item 7).

A 2xx means committed: the probe below looks at the database from another connection at the
moment the response body is handed to the server, which is when a client can act on it. Before
the fix the session committed after the response was sent, and a GET right after a 201 could
answer 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.settings import PROJECT_ROOT
from tests.api.test_frameworks_api import assert_problem

try:  # reviews come from someone other than the recommendation's author (four-eyes rule)
    from tests.identity import headers as _identity
except ImportError:  # a tree without authentication: any caller may review

    def _identity(role: str = "admin", organisation: str = "default", **_: Any) -> dict[str, str]:
        return {}


def reviewer(subject: str = "test-reviewer") -> dict[str, str]:
    return _identity("reviewer", subject=subject)


ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
PLAIN = PROJECT_ROOT / "tests/data/credentials/plain/plain-full.json"
PROGRAMME = PROJECT_ROOT / "samples/catalogue/una-europa-microcredential-sustainability.json"
_counter = iter(range(1_000_000))


def _programme() -> bytes:
    """The real sample with a note that makes each post a new programme (not idempotent)."""
    document = json.loads(PROGRAMME.read_text(encoding="utf-8"))
    document["notes"] = f"{document['notes']} [records test {next(_counter)}]"
    return json.dumps(document).encode()


def _credential() -> bytes:
    document = json.loads(PLAIN.read_text(encoding="utf-8"))
    document["title"] = f"{document['title']} [records test {next(_counter)}]"
    return json.dumps(document).encode()


class CommitProbe:
    """An ASGI wrapper that, when the response body leaves the app, asks the database through
    another connection whether the created row is there."""

    def __init__(self, app: Any, table: str, ident: Callable[[dict[str, Any]], str]) -> None:
        self.app, self.table, self.ident = app, table, ident
        self.seen: list[bool] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        status = 0

        async def probed(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status in (200, 201):
                with self.app.state.engine.connect() as conn:
                    found = conn.execute(
                        text(f"SELECT count(*) FROM {self.table} WHERE id = :id"),
                        {"id": self.ident(json.loads(message["body"]))},
                    ).scalar()
                self.seen.append(found == 1)
            await send(message)

        await self.app(scope, receive, probed)


@pytest.mark.parametrize(
    ("path", "table", "body", "ident"),
    [
        ("/v1/qualifications", "programme", _programme, lambda b: b["items"][0]["id"]),
        ("/v1/credentials", "credential", _credential, lambda b: b["id"]),
        (
            "/v1/recognitions",
            "recognition_record",
            lambda: json.dumps(
                {"credential": json.loads(ELM_MC.read_text(encoding="utf-8")), "target": "DE"}
            ).encode(),
            lambda b: b["id"],
        ),
    ],
)
def test_a_2xx_is_committed_before_it_is_sent(
    client: TestClient,
    path: str,
    table: str,
    body: Callable[[], bytes],
    ident: Callable[[dict[str, Any]], str],
) -> None:
    probe = CommitProbe(client.app, table, ident)
    # the probe wraps the app the session fixture already started (no second lifespan)
    probed = TestClient(probe, headers=dict(client.headers))
    for _ in range(3):
        r = probed.post(path, content=body(), headers={"content-type": "application/json"})
        assert r.status_code in (200, 201), r.text
    assert probe.seen == [True, True, True]


@pytest.mark.parametrize(
    ("path", "body", "ident", "get"),
    [
        ("/v1/qualifications", _programme, lambda b: b["items"][0]["id"], "/v1/qualifications/"),
        ("/v1/credentials", _credential, lambda b: b["id"], "/v1/credentials/"),
    ],
)
def test_create_then_get_at_once(
    client: TestClient,
    path: str,
    body: Callable[[], bytes],
    ident: Callable[[dict[str, Any]], str],
    get: str,
) -> None:
    for _ in range(10):
        created = client.post(path, content=body(), headers={"content-type": "application/json"})
        assert created.status_code == 201, created.text
        assert client.get(get + ident(created.json())).status_code == 200


def _recognise(client: TestClient) -> dict[str, Any]:
    document = json.loads(ELM_MC.read_text(encoding="utf-8"))
    r = client.post("/v1/recognitions", json={"credential": document, "target": "IE-NFQ"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


CONFIRM = {"action": "confirm", "reviewer": "A. Officer", "reason": "agreed"}
AMEND = {"action": "amend", "reviewer": "B. Head", "reason": "QA checked", "outcome": "partial"}


def test_a_review_names_the_version_it_reviews(client: TestClient) -> None:
    record = _recognise(client)
    rid = record["id"]
    got = client.get(f"/v1/recognitions/{rid}")
    etag = got.headers["etag"]
    assert etag == f'"{record["record"]["record_hash"]}"'

    missing = assert_problem(
        client.post(f"/v1/recognitions/{rid}/review", json=CONFIRM, headers=reviewer()), 428
    )
    assert {e.get("parameter") or e.get("pointer") for e in missing["errors"]} == {
        "If-Match",
        "/based_on",
    }

    confirmed = client.post(
        f"/v1/recognitions/{rid}/review", json=CONFIRM, headers={"If-Match": etag, **reviewer()}
    )
    assert confirmed.status_code == 200, confirmed.text
    new_etag = confirmed.headers["etag"]
    assert new_etag == f'"{confirmed.json()["reviews"][-1]["review_hash"]}"'
    assert client.get(f"/v1/recognitions/{rid}").headers["etag"] == new_etag

    # a second reviewer who loaded the record before the confirmation is told it moved on
    for stale in ({"headers": {"If-Match": etag}}, {"json_extra": etag.strip('"')}):
        body = {**AMEND, "based_on": stale["json_extra"]} if "json_extra" in stale else AMEND
        r = client.post(
            f"/v1/recognitions/{rid}/review",
            json=body,
            headers={**stale.get("headers", {}), **reviewer("test-second-reviewer")},
        )
        problem = assert_problem(r, 409)
        assert problem["current_version"] == new_etag.strip('"')
        assert problem["current"]["status"] == "reviewed"
        assert [v["action"] for v in problem["current"]["reviews"]] == ["confirm"]

    amended = client.post(
        f"/v1/recognitions/{rid}/review",
        json={**AMEND, "based_on": new_etag.strip('"')},
        headers=reviewer("test-second-reviewer"),
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["current_outcome"] == "partial"
    # weak tags never match (strong comparison), and * names no version
    for header in ('W/"' + amended.headers["etag"].strip('"') + '"', "*"):
        r = client.post(
            f"/v1/recognitions/{rid}/review",
            json=CONFIRM,
            headers={"If-Match": header, **reviewer()},
        )
        assert r.status_code in (409, 428), r.text


def test_two_concurrent_reviews_one_wins(client: TestClient) -> None:
    record = _recognise(client)
    rid, version = record["id"], record["record"]["record_hash"]
    start, statuses = threading.Barrier(2), []

    def review(body: dict[str, Any], who: str) -> None:
        start.wait()
        r = client.post(
            f"/v1/recognitions/{rid}/review",
            json={**body, "based_on": version},
            headers=reviewer(who),
        )
        statuses.append(r.status_code)

    threads = [
        threading.Thread(target=review, args=(body, who))
        for body, who in ((CONFIRM, "test-reviewer-1"), (AMEND, "test-reviewer-2"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    assert len(client.get(f"/v1/recognitions/{rid}").json()["reviews"]) == 1


def test_verify_says_what_it_cannot_prove(client: TestClient) -> None:
    record = _recognise(client)
    check = client.get(f"/v1/recognitions/{record['id']}/verify").json()
    assert check["valid"] is True
    assert check["cannot_prove"], check
    # the sample names its learner: held apart from the record, not in it
    assert check["personal_data"]["status"].startswith("held apart")
    assert "Andromeda" not in json.dumps(record)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def signed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Any]]:
    """An app whose records settings name a signing key and a checkpoints file."""
    from app.api.main import create_app
    from app.settings import RecordSettings
    from tests.conftest import _backend_url, make_settings

    keys = tmp_path_factory.mktemp("records-keys")
    records_settings = RecordSettings(
        signing_key=keys / "records.pem", checkpoints_file=keys / "checkpoints.jsonl"
    )
    settings = make_settings(
        _backend_url(request.param, tmp_path_factory, "recordsigned"), records=records_settings
    )
    with TestClient(create_app(settings), headers=_identity()) as client:
        yield client, records_settings


def test_verify_with_checkpoints_says_what_is_proved_and_catches_a_deleted_review(
    signed: tuple[TestClient, Any],
) -> None:
    from app.services import records

    client, settings = signed
    record = _recognise(client)
    rid = record["id"]
    assert (
        client.post(
            f"/v1/recognitions/{rid}/review",
            json={**CONFIRM, "based_on": record["record"]["record_hash"]},
            headers=reviewer(),
        ).status_code
        == 200
    )
    key = records.generate_signing_key(settings.signing_key, overwrite=True)
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        document = records.create_checkpoint(session, key)
        session.commit()
    records.append_checkpoint(settings.checkpoints_file, document)

    check = client.get(f"/v1/recognitions/{rid}/verify").json()
    assert check["valid"] is True, check
    assert check["checkpoint"]["head_seq"] == record["seq"]
    assert check["proves"] and check["problems"] == []
    later = _recognise(client)
    after = client.get(f"/v1/recognitions/{later['id']}/verify").json()
    assert after["valid"] is True and after["checkpoint"] is None
    assert any("after the last checkpoint" in c for c in after["cannot_prove"])

    # a database administrator deletes the last review, triggers out of the way
    with client.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE recognition_review DISABLE TRIGGER ALL"))
        else:
            conn.execute(text("DROP TRIGGER recognition_review_no_delete"))
        conn.execute(text("DELETE FROM recognition_review"))
    tampered = client.get(f"/v1/recognitions/{rid}/verify").json()
    assert tampered["valid"] is False
    assert any("reviews signed at the checkpoint" in p for p in tampered["problems"])

    # a damaged checkpoints file is a finding about the evidence, not a server error
    with settings.checkpoints_file.open("a", encoding="utf-8") as out:
        out.write("{not json\n")
    damaged = client.get(f"/v1/recognitions/{later['id']}/verify")
    assert damaged.status_code == 200
    assert damaged.json()["valid"] is False
    assert any("could not be read" in p for p in damaged.json()["problems"])


def test_eight_concurrent_clients_create_decisions_without_errors(client: TestClient) -> None:
    """Through the app (its thread pool runs the requests at once), not only the repository."""
    document = json.loads(ELM_MC.read_text(encoding="utf-8"))
    stored = client.post("/v1/credentials", json=document)
    assert stored.status_code in (200, 201), stored.text
    start, statuses, ids = threading.Barrier(8), [], []

    def create() -> None:
        start.wait()
        for _ in range(3):
            r = client.post(
                "/v1/recognitions",
                json={"credential_id": stored.json()["id"], "target": "IE-NFQ"},
            )
            statuses.append(r.status_code)
            if r.status_code == 201:
                ids.append(r.json()["id"])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 24
    for rid in ids[:3] + ids[-3:]:
        assert client.get(f"/v1/recognitions/{rid}/verify").json()["valid"] is True
    seqs = sorted(client.get(f"/v1/recognitions/{rid}").json()["seq"] for rid in ids)
    assert len(set(seqs)) == 24
