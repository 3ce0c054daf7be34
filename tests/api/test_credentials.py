"""The micro-credential endpoints through ``create_app``, on SQLite and PostgreSQL.

The app runs with the deterministic fake embedder (credentials need no model) and the real data
release. Problems are RFC 9457 documents naming the place; nothing answers 500.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.errors import PayloadTooLarge
from app.settings import EmbeddingSettings, Settings
from tests.adapters.importers.conftest import (
    BULK_CSV,
    CERT_SAMPLE,
    MC_SAMPLE,
    OB_EXTENSIONS,
    OB_FULL,
    OB_MINIMAL,
    PLAIN_FULL,
)
from tests.adapters.importers.test_malformed import CASES
from tests.conftest import _backend_url, make_settings
from tests.identity import ADMIN_HEADERS

LD = {"content-type": "application/ld+json"}
JSON = {"content-type": "application/json"}


def _app_client(settings: Settings) -> Iterator[TestClient]:
    from app.api.main import create_app

    with TestClient(
        create_app(settings), raise_server_exceptions=False, headers=ADMIN_HEADERS
    ) as client:
        yield client


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def cred_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    url = _backend_url(request.param, tmp_path_factory, "credentials")
    settings = make_settings(url, embeddings=EmbeddingSettings(backend="fake"))
    yield from _app_client(settings)


def _post(
    client: TestClient, body: bytes | str, headers: dict[str, str] = LD, **params: str
) -> Any:
    return client.post("/v1/credentials", content=body, headers=headers, params=params)


def test_elm_samples_import_with_complete_reports(cred_client: TestClient) -> None:
    first = _post(cred_client, MC_SAMPLE.read_bytes())
    assert first.status_code == 201, first.text
    body = first.json()
    assert first.headers["location"] == f"/v1/credentials/{body['id']}"
    assert body["created"] is True and body["source_format"] == "elm"
    credential = body["credential"]
    assert credential["title"] == "Digital micro-credential creation"
    assert credential["level"]["eqf"] == 6
    assert credential["level"]["nqf"] == {
        "framework": "UK-RQF",
        "code": "6",
        "label": "RQF Level 6",
    }
    assert credential["credits"]["system"] == "ECTS" and credential["credits"]["value"] == 2
    assert credential["workload_hours"] == 60
    assert credential["proof"] == {
        "type": None,
        "signed": False,
        "verified": False,
        "note": "the document carries no signature",
        "verification": {
            "method": None,
            "valid": None,
            "signer": None,
            "signed_at": None,
            "trust": "not_applicable",
            "reasons": [],
        },
    }
    report = body["completeness"]
    assert report["mandatory"] == {"present": 10, "total": 11}
    assert report["optional"] == {"present": 4, "total": 5}
    assert report["missing_mandatory"] == ["quality_assurance"]
    assert len(report["elements"]) == 16
    assert {w["code"] for w in body["warnings"]} == {"outcome_topic_list", "outcome_no_verb"}
    assert body["data_release"]["content_hash"]

    cert = _post(cred_client, CERT_SAMPLE.read_bytes())
    assert cert.status_code == 201
    assert cert.json()["credential"]["workload_hours"] == 2


def test_reposting_is_idempotent(cred_client: TestClient) -> None:
    first = _post(cred_client, OB_MINIMAL.read_bytes(), JSON)
    again = _post(cred_client, json.dumps(json.loads(OB_MINIMAL.read_text()), indent=4), JSON)
    assert first.status_code in (200, 201)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["created"] is False


def test_get_and_list(cred_client: TestClient) -> None:
    created = _post(cred_client, OB_FULL.read_bytes(), JSON)
    assert created.status_code in (200, 201)
    cid = created.json()["id"]
    got = cred_client.get(f"/v1/credentials/{cid}")
    assert got.status_code == 200
    assert got.json()["credential"] == created.json()["credential"]
    assert got.json()["completeness"]["complete"] is True
    original = cred_client.get(f"/v1/credentials/{cid}/original")
    assert original.json() == json.loads(OB_FULL.read_text())

    # Enough documents for two pages, whatever ran before on this worker (xdist spreads tests).
    for extra in (OB_MINIMAL, OB_EXTENSIONS):
        assert _post(cred_client, extra.read_bytes(), JSON).status_code in (200, 201)
    listing = cred_client.get("/v1/credentials", params={"limit": 2})
    page = listing.json()
    assert listing.status_code == 200
    assert page["total"] >= 3 and len(page["items"]) == 2
    assert page["next_offset"] == 2
    everything = cred_client.get("/v1/credentials", params={"limit": 200}).json()
    assert everything["next_offset"] is None
    ids = [i["id"] for i in everything["items"]]
    assert len(ids) == len(set(ids)) == everything["total"]
    assert cid in ids
    bad = cred_client.get("/v1/credentials", params={"limit": 0})
    assert bad.status_code == 422


def test_unknown_id_is_404(cred_client: TestClient) -> None:
    missing = cred_client.get("/v1/credentials/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    for odd in ("nope", "x" * 300):
        assert cred_client.get(f"/v1/credentials/{odd}").status_code == 404
        assert cred_client.get(f"/v1/credentials/{odd}/original").status_code == 404
    for odd in ("%00", "00000000-0000-0000-0000-000000000000%00"):
        # NUL is refused before any query, naming the parameter (issue 12; PostgreSQL cannot
        # hold it)
        assert cred_client.get(f"/v1/credentials/{odd}").status_code == 422
        assert cred_client.get(f"/v1/credentials/{odd}/original").status_code == 422


def test_validate_stores_nothing(cred_client: TestClient) -> None:
    before = cred_client.get("/v1/credentials").json()["total"]
    checked = cred_client.post(
        "/v1/credentials/validate", content=PLAIN_FULL.read_bytes(), headers=JSON
    )
    assert checked.status_code == 200
    body = checked.json()
    assert set(body) >= {"credential", "completeness", "warnings", "data_release"}
    assert body["completeness"]["complete"] is True
    assert body["source_format"] == "plain"
    assert cred_client.get("/v1/credentials").json()["total"] == before


def test_formats_and_language(cred_client: TestClient) -> None:
    extension = cred_client.post(
        "/v1/credentials/validate",
        content=OB_EXTENSIONS.read_bytes(),
        headers=LD,
        params={"language": "nl"},
    )
    assert extension.json()["credential"]["title"] == "Datageletterdheid"
    forced = cred_client.post(
        "/v1/credentials/validate",
        content=json.dumps({"title": "Data literacy"}),
        headers=JSON,
        params={"format": "ob3"},
    )
    assert forced.status_code == 422
    assert forced.json()["errors"][0]["pointer"] == "/credentialSubject"
    unknown = cred_client.post(
        "/v1/credentials/validate",
        content=json.dumps({"title": "Data literacy"}),
        headers=JSON,
        params={"format": "xml"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0] == {
        "parameter": "format",
        "detail": "unknown format 'xml'; use one of: elm, ob3, plain, ctdl",
    }


def test_signed_jwt_body(cred_client: TestClient) -> None:
    def b64(data: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'ES256'})}.{b64(json.loads(OB_MINIMAL.read_text()))}.c2ln"
    created = _post(cred_client, token, {"content-type": "application/vc+jwt"})
    assert created.status_code == 201, created.text
    proof = created.json()["credential"]["proof"]
    verification = proof.pop("verification")
    assert proof == {
        "type": "JWT (ES256)",
        "signed": True,
        "verified": False,
        "note": "signature not verified",
    }
    # no key in the header: the signature cannot be checked offline, and that is said
    assert (verification["valid"], verification["trust"]) == (None, "not_checked")
    assert "not fetched" in verification["reasons"][0]
    assert "signature_not_verified" in {w["code"] for w in created.json()["warnings"]}
    original = cred_client.get(f"/v1/credentials/{created.json()['id']}/original")
    assert original.text == token


def test_bulk_csv(cred_client: TestClient) -> None:
    result = cred_client.post(
        "/v1/credentials/bulk", content=BULK_CSV.read_bytes(), headers={"content-type": "text/csv"}
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["imported"] + body["already_stored"] == 2 and body["skipped"] == 1
    bad = body["items"][2]
    assert bad["row"] == 3 and bad["id"] is None
    assert bad["problem"]["pointer"] == "/issued_on" and bad["problem"]["status"] == 422
    assert body["items"][0]["complete"] is True
    again = cred_client.post(
        "/v1/credentials/bulk", content=BULK_CSV.read_bytes(), headers={"content-type": "text/csv"}
    ).json()
    assert again["imported"] == 0 and again["already_stored"] == 2
    assert [i["id"] for i in again["items"][:2]] == [i["id"] for i in body["items"][:2]]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/csv", 415),
        ("application/xml", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/json; charset=utf-8", 201),
        (None, 415),  # no Content-Type: a cross-site "simple" request (issue 12)
    ],
)
def test_content_types(cred_client: TestClient, content_type: str | None, status: int) -> None:
    doc = json.loads(PLAIN_FULL.read_text())
    doc["id"] = f"urn:example:content-type:{content_type}"
    headers = {"content-type": content_type} if content_type else {}
    answer = cred_client.post("/v1/credentials", content=json.dumps(doc).encode(), headers=headers)
    assert answer.status_code == status, answer.text
    if status == 415:
        assert answer.json()["status"] == 415


@pytest.mark.parametrize(
    ("body", "error", "pointer"),
    [pytest.param(body, error, pointer, id=name) for name, body, error, pointer in CASES],
)
def test_malformed_bodies_are_problems(
    cred_client: TestClient, body: bytes | str, error: type, pointer: str | None
) -> None:
    answer = _post(cred_client, body, JSON)
    assert answer.status_code == (413 if error is PayloadTooLarge else 422), answer.text
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert problem["detail"]
    if pointer:
        assert problem["errors"][0]["pointer"] == pointer


def test_empty_body_is_a_problem(cred_client: TestClient) -> None:
    answer = _post(cred_client, b"   ", JSON)
    assert answer.status_code == 422


def test_openapi_lists_the_endpoints(cred_client: TestClient) -> None:
    paths = cred_client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/credentials",
        "/v1/credentials/validate",
        "/v1/credentials/{credential_id}",
    } <= set(paths)
    schema = cred_client.get("/v1/credential-formats/plain/schema").json()
    assert schema["$id"] == "https://passerelle.dev/schemas/plain-credential/v1"


@pytest.fixture(scope="module")
def small_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """SQLite only, a 50 kB body limit: the raw size check of the middleware."""
    settings = make_settings(
        _backend_url("sqlite", tmp_path_factory, "credsmall"),
        embeddings=EmbeddingSettings(backend="fake"),
        max_body_bytes=50_000,
    )
    yield from _app_client(settings)


def test_raw_body_size_limit(small_client: TestClient) -> None:
    answer = _post(small_client, MC_SAMPLE.read_bytes())
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_no_network_during_api_import(
    small_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    doc = json.loads(OB_FULL.read_text())
    doc["@context"].append("https://evil.example/ctx.jsonld")
    answer = small_client.post("/v1/credentials", content=json.dumps(doc), headers=LD)
    assert answer.status_code == 201, answer.text
    codes = [w["code"] for w in answer.json()["warnings"]]
    assert codes.count("context_not_bundled") == 2
