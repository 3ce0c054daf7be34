"""Authentication over HTTP on SQLite and PostgreSQL: what is public, 401 and 403 as problems,
API keys (issued, listed, revoked, expired), OIDC tokens, the OpenAPI security declaration,
the four-eyes rule and the personal-data access log (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.api.access import RULES, UNLISTED
from app.settings import PROJECT_ROOT
from tests import identity

ClientFor = Callable[..., TestClient]
PLAIN = PROJECT_ROOT / "tests/data/credentials/plain/plain-full.json"
SAMPLES = PROJECT_ROOT / "samples/catalogue"


def assert_problem(r: Any, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/healthz", None),
        ("GET", "/v1/meta", None),
        ("GET", "/v1/frameworks", None),
        ("GET", "/v1/frameworks/IE-NFQ", None),
        ("GET", "/v1/levels/IE-NFQ:8", None),
        ("GET", "/v1/qualification-types?q=bachelor", None),
        ("GET", "/v1/compare?source=IE-NFQ:8&target=DE-DQR", None),
        ("GET", "/v1/credits/systems", None),
        ("POST", "/v1/credits/convert", {"value": 10, "from": "uk-cats", "to": "ects"}),
        ("GET", "/v1/credential-formats/plain/schema", None),
        ("GET", "/openapi.json", None),
    ],
)
def test_public_by_default(
    client_for: ClientFor, method: str, path: str, body: dict[str, Any] | None
) -> None:
    anonymous = client_for(None)
    assert anonymous.request(method, path, json=body).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/credentials"),
        ("POST", "/v1/credentials"),
        ("GET", "/v1/qualifications"),
        ("POST", "/v1/recognitions"),
        ("GET", "/v1/recognitions/x"),
        ("POST", "/v1/recognitions/x/review"),
        ("GET", "/v1/jobs/x"),
        ("POST", "/v1/outcomes/skills"),
        ("GET", "/v1/admin/api-keys"),
        ("GET", "/v1/whoami"),
    ],
)
def test_protected_without_credentials_is_401_with_a_challenge(
    client_for: ClientFor, method: str, path: str
) -> None:
    r = client_for(None).request(method, path, json={})
    assert_problem(r, 401, "unauthenticated")
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'ApiKey realm="passerelle"' in challenge


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"X-API-Key": "psk_AAAAAAAA_" + "a" * 43}, "invalid_token"),  # well-formed, unknown
        ({"X-API-Key": "not a key"}, "invalid_token"),
        ({"Authorization": "Bearer psk_AAAAAAAA_" + "b" * 43}, "invalid_token"),
        ({"Authorization": "Bearer not.a.jwt"}, "invalid_token"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "invalid_request"),
        ({"Authorization": "Bearer "}, "invalid_request"),
    ],
)
def test_bad_credentials_are_401_even_on_public_operations(
    client_for: ClientFor, headers: dict[str, str], error: str
) -> None:
    anonymous = client_for(None)
    for path in ("/v1/credentials", "/v1/frameworks"):
        r = anonymous.get(path, headers=headers)
        assert_problem(r, 401, "unauthenticated")
        assert f'error="{error}"' in r.headers["www-authenticate"]


def test_oidc_tokens_refused_for_a_reason(client_for: ClientFor) -> None:
    anonymous = client_for(None)
    stranger = identity.token(
        "admin", key=identity.RSAKey.generate_key(2048, parameters={"kid": "test-1"})
    )
    expired = identity.token("admin", lifetime=-3600)
    wrong_audience = identity.token("admin", aud="another-service")
    for token in (stranger, expired, wrong_audience):
        r = anonymous.get("/v1/credentials", headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 401, "unauthenticated")
    # a valid token for an organisation this service does not know: authenticated, not allowed
    unknown_org = identity.token("admin", "no-such-organisation")
    r = anonymous.get("/v1/credentials", headers={"Authorization": f"Bearer {unknown_org}"})
    assert assert_problem(r, 403, "forbidden")["rule"] == "organisation"
    bad_org = identity.token("admin", "Not A Slug!")
    r = anonymous.get("/v1/credentials", headers={"Authorization": f"Bearer {bad_org}"})
    assert_problem(r, 403, "forbidden")


def test_forbidden_names_the_permission(client_for: ClientFor) -> None:
    r = client_for("reader").post("/v1/recognitions", json={"target": "EQF"})
    body = assert_problem(r, 403, "forbidden")
    assert body["rule"] == "role" and body["permission"] == "recognition:recommend"
    r = client_for("evaluator").get("/v1/admin/api-keys")
    assert assert_problem(r, 403, "forbidden")["permission"] == "admin"


def test_whoami(client_for: ClientFor) -> None:
    me = client_for("reviewer", subject="rita").get("/v1/whoami").json()
    assert me["principal"] == "oidc:rita" and me["organisation"] == "default"
    assert me["roles"] == ["reviewer"] and "recognition:review" in me["permissions"]


def test_api_key_lifecycle(client: TestClient, client_for: ClientFor) -> None:
    admin = client_for("admin", "keys-a")
    r = admin.post(
        "/v1/admin/api-keys", json={"name": "SIS export", "roles": ["evaluator", "reader"]}
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    secret, prefix = issued["key"], issued["prefix"]
    assert secret.startswith(f"psk_{prefix}_") and issued["organisation"] == "keys-a"
    assert issued["roles"] == ["evaluator", "reader"] and issued["created_by"] == "oidc:test-admin"

    system = TestClient(client.app, headers={"X-API-Key": secret})
    me = system.get("/v1/whoami").json()
    assert me["principal"] == f"key:{prefix}" and me["organisation"] == "keys-a"
    assert sorted(me["roles"]) == ["evaluator", "reader"]
    # the same key as a bearer token
    as_bearer = system.get("/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert as_bearer.json()["principal"] == f"key:{prefix}"

    listed = admin.get("/v1/admin/api-keys").json()["items"]
    assert [k["prefix"] for k in listed] == [prefix]
    assert secret not in json.dumps(listed) and "digest" not in listed[0]
    # another organisation's admin neither sees nor revokes it
    other = client_for("admin", "keys-b")
    assert other.get("/v1/admin/api-keys").json()["items"] == []
    assert_problem(other.delete(f"/v1/admin/api-keys/{prefix}"), 404, "not-found")
    assert system.get("/v1/whoami").status_code == 200

    revoked = admin.delete(f"/v1/admin/api-keys/{prefix}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_problem(system.get("/v1/whoami"), 401, "unauthenticated")


def test_expired_keys_stop_working(client: TestClient, client_for: ClientFor) -> None:
    from app.adapters.db.models_identity import ApiKeyRow

    admin = client_for("admin", "keys-exp")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    issued = admin.post(
        "/v1/admin/api-keys", json={"name": "temp", "roles": ["reader"], "expires_at": soon}
    ).json()
    system = TestClient(client.app, headers={"X-API-Key": issued["key"]})
    assert system.get("/v1/whoami").status_code == 200
    with client.app.state.sessionmaker() as session:
        session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.prefix == issued["prefix"])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        session.commit()
    assert_problem(system.get("/v1/whoami"), 401, "unauthenticated")
    past = admin.post(
        "/v1/admin/api-keys",
        json={"name": "late", "roles": ["reader"], "expires_at": "2020-01-01T00:00:00Z"},
    )
    assert_problem(past, 422, "invalid-input")
    assert (
        admin.post("/v1/admin/api-keys", json={"name": "x", "roles": ["root"]}).status_code == 422
    )


def test_openapi_declares_the_security(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert schemes["OpenIdConnect"]["openIdConnectUrl"] == (
        identity.ISSUER + "/.well-known/openid-configuration"
    )
    frameworks = schema["paths"]["/v1/frameworks"]["get"]
    assert {} in frameworks["security"]
    credentials = schema["paths"]["/v1/credentials"]["get"]
    assert {} not in credentials["security"] and {"ApiKey": []} in credentials["security"]
    assert "401" in credentials["responses"] and "403" in credentials["responses"]
    review = schema["paths"]["/v1/recognitions/{record_id}/review"]["post"]
    assert review["x-permission"] == "recognition:review"


def test_every_operation_is_in_the_access_table(client: TestClient) -> None:
    # An operation missing from app/api/access.py needs the admin role (closed by default), and
    # a rule for an operation that no longer exists is a stale one: both fail here.
    operations = {
        (method.upper(), path)
        for path, ops in client.get("/openapi.json").json()["paths"].items()
        for method in ops
    }
    assert operations - set(RULES) == set(), "add these operations to app/api/access.py"
    assert set(RULES) - operations == set(), "these rules name no operation"
    assert UNLISTED.permission.value == "admin"


def test_four_eyes_and_the_reviewer_is_the_principal(client_for: ClientFor) -> None:
    org = "four-eyes"
    evaluator = client_for(["evaluator", "reviewer"], org, subject="eve")
    reviewer = client_for("reviewer", org, subject="rob")
    stored = evaluator.post(
        "/v1/credentials", content=PLAIN.read_bytes(), headers={"content-type": "application/json"}
    )
    assert stored.status_code in (200, 201), stored.text
    record = evaluator.post(
        "/v1/recognitions", json={"credential_id": stored.json()["id"], "target": "EQF"}
    )
    assert record.status_code == 201, record.text
    rid = record.json()["id"]
    own = evaluator.post(
        f"/v1/recognitions/{rid}/review", json={"action": "confirm", "reason": "fine"}
    )
    body = assert_problem(own, 403, "four-eyes")
    assert body["rule"] == "four-eyes" and "oidc:eve" in body["detail"]
    # A free-text reviewer in the body is ignored: the reviewer is who authenticated.
    etag = reviewer.get(f"/v1/recognitions/{rid}").headers["etag"]
    r = reviewer.post(
        f"/v1/recognitions/{rid}/review",
        headers={"If-Match": etag},
        json={
            "action": "confirm",
            "reviewer": "Dr. Jane Head, ENIC-NARIC Director",
            "reason": "checked",
        },
    )
    assert r.status_code == 200, r.text
    reviews = r.json()["reviews"]
    assert [rv["reviewer"] for rv in reviews] == ["oidc:rob"]
    assert "Jane" not in json.dumps(r.json())


def test_personal_data_reads_are_logged(client_for: ClientFor) -> None:
    org = "pd-log"
    admin = client_for("admin", org)
    reader = client_for("reader", org, subject="ron")
    reviewer = client_for("reviewer", org, subject="ria")
    stored = admin.post(
        "/v1/credentials", content=PLAIN.read_bytes(), headers={"content-type": "application/json"}
    ).json()
    cid = stored["id"]
    assert stored["credential"]["learner"] is not None  # the sample names its learner

    assert_problem(reader.get(f"/v1/credentials/{cid}/original"), 403, "forbidden")
    assert reader.get(f"/v1/credentials/{cid}").json()["credential"]["learner"] is None
    assert reviewer.get(f"/v1/credentials/{cid}").json()["credential"]["learner"] is not None
    assert reviewer.get(f"/v1/credentials/{cid}/original").status_code == 200

    log = admin.get("/v1/admin/personal-data-access", params={"record_id": cid}).json()["items"]
    assert [(e["principal"], e["action"]) for e in log] == [
        ("oidc:ria", "read-original"),
        ("oidc:ria", "read-learner"),
    ]
    assert all(e["organisation"] == org and e["record_kind"] == "credential" for e in log)
    assert dt.datetime.fromisoformat(log[0]["at"]).tzinfo is not None
    # another organisation's log does not show them
    other = client_for("admin", "pd-other").get("/v1/admin/personal-data-access").json()
    assert other["items"] == []
