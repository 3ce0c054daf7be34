"""Hostile input over HTTP on both databases (issue 12, item 7): each finding of the security
review is a case here. Oversized and deeply nested bodies, cross-site "simple" writes, NUL
characters, non-finite numbers, huge offsets: every one answers 4xx problem+json and stores
nothing; timestamps carry their offset; the OpenAPI document declares every error as
problem+json with one shared schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import PROJECT_ROOT
from tests.api.test_frameworks_api import assert_problem

SAMPLES = PROJECT_ROOT / "samples/catalogue"
ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
JSON = {"content-type": "application/json"}
# RFC 3339 date-time (section 5.6): a time zone offset is mandatory.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def programme_id(client: TestClient) -> str:
    path = SAMPLES / "uppsala-msc-computer-science-selection.json"
    r = client.post("/v1/qualifications", content=path.read_bytes(), headers=JSON)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["items"][0]["id"])


def _count(client: TestClient, path: str) -> int:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


# --- body size and depth -------------------------------------------------------------------


def _chunks(total: int, size: int = 1024 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"[" * min(size, total - sent)
        sent += size


@pytest.mark.parametrize("path", ["/v1/qualifications", "/v1/credentials", "/v1/recognitions"])
def test_chunked_50_mb_body_is_413(client: TestClient, path: str) -> None:
    # A generator body goes out chunked, without Content-Length: counted as it arrives.
    r = client.post(path, content=_chunks(50 * 1024 * 1024), headers=JSON)
    body = assert_problem(r, 413)
    assert body["errors"][0]["pointer"] == ""


@pytest.mark.parametrize(
    "path",
    ["/v1/qualifications", "/v1/batch/articulations", "/v1/credentials", "/v1/articulations"],
)
def test_100k_deep_json_is_a_problem_not_a_recursion_error(client: TestClient, path: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    problem = assert_problem(client.post(path, content=deep, headers=JSON), 413)
    assert problem["errors"][0]["pointer"] == "/0" * 32  # the first container too deep
    wrapped = b'{"programmes": ' + deep + b"}"
    r = client.post(path, content=wrapped, headers={"content-type": "application/ld+json"})
    assert "nested 100001 levels" in assert_problem(r, 413)["detail"]


def test_brackets_inside_strings_do_not_count_as_depth(client: TestClient) -> None:
    # 10,000 brackets inside a string are text: the body reaches the route, which says why the
    # document is not a catalogue (422), instead of the depth guard refusing it (413).
    body = json.dumps({"programmes": [{"title": "[" * 10_000 + '\\"{'}]})
    assert client.post("/v1/qualifications", content=body, headers=JSON).status_code == 422


# --- media types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ],
)
def test_cross_site_simple_writes_store_nothing(
    client: TestClient, content_type: str | None
) -> None:
    credential = ELM_MC.read_bytes()
    programme = (SAMPLES / "edinburgh-pgcert-digital-education.json").read_bytes()
    headers = {"content-type": content_type} if content_type else {}
    before = (_count(client, "/v1/credentials"), _count(client, "/v1/qualifications"))
    for path, body in [
        ("/v1/credentials", credential),
        ("/v1/qualifications", programme),
        ("/v1/recognitions", b'{"credential": {}}'),
        ("/v1/batch/articulations", b'{"courses": []}'),
        ("/v1/credentials/bulk", b"title\nx\n"),
    ]:
        problem = assert_problem(client.post(path, content=body, headers=headers), 415)
        assert problem["errors"][0]["parameter"] == "Content-Type"
    assert (_count(client, "/v1/credentials"), _count(client, "/v1/qualifications")) == before


def test_documented_credential_media_types_are_accepted(client: TestClient) -> None:
    document = json.loads(ELM_MC.read_text(encoding="utf-8"))
    r = client.post(
        "/v1/credentials/validate",
        content=json.dumps(document),
        headers={"content-type": "application/ld+json"},
    )
    assert r.status_code == 200, r.text
    # Declared by the operation (application/json) by family: another +json type is JSON too.
    r = client.post(
        "/v1/credits/convert",
        content=json.dumps({"value": 10, "from": "ects", "to": "uk-cats"}),
        headers={"content-type": "application/problem+json"},
    )
    assert r.status_code == 200, r.text
    # CSV where CSV is documented, and only there.
    assert_problem(
        client.post(
            "/v1/credits/convert", content=b"value\n1\n", headers={"content-type": "text/csv"}
        ),
        415,
    )


def test_405_and_404_are_not_hidden_by_the_media_type_check(client: TestClient) -> None:
    assert_problem(client.post("/v1/frameworks"), 405)
    assert_problem(client.post("/v1/nothing-here", content=b"x"), 404)


# --- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/credentials/abc%00def", "credential_id"),
        ("/v1/credentials/abc%00def/original", "credential_id"),
        ("/v1/qualifications/abc%00def", "programme_id"),
        ("/v1/qualifications/abc%00def/modules", "programme_id"),
        ("/v1/recognitions/abc%00def", "record_id"),
        ("/v1/recognitions/abc%00def/export", "record_id"),
        ("/v1/recognitions/abc%00def/verify", "record_id"),
        ("/v1/jobs/abc%00def", "job_id"),
        ("/v1/jobs/abc%00def/results", "job_id"),
        ("/v1/levels/EQF%00:5", "identifier"),
        ("/v1/frameworks/EQF%00", "framework"),
    ],
)
def test_nul_in_path_is_422_naming_the_parameter(client: TestClient, path: str, name: str) -> None:
    body = assert_problem(client.get(path), 422)
    assert body["errors"][0] == {
        "parameter": name,
        "in": "path",
        "detail": "NUL characters are not allowed",
    }


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/qualifications?q=a%00b", "q"),
        ("/v1/credentials?issuer=a%00b", "issuer"),
        ("/v1/recognitions?qualification_id=a%00b", "qualification_id"),
        ("/v1/qualification-types?q=a%00b", "q"),
        ("/v1/compare?from=EQF%00:5&to=IE", "from"),
    ],
)
def test_nul_in_query_is_422_naming_the_parameter(client: TestClient, path: str, name: str) -> None:
    body = assert_problem(client.get(path), 422)
    assert body["errors"][0]["parameter"] == name
    assert body["errors"][0]["in"] == "query"


def test_nul_in_json_strings_is_422_naming_the_pointer(
    client: TestClient, programme_id: str
) -> None:
    programme = json.loads((SAMPLES / "edinburgh-pgcert-digital-education.json").read_text())
    programme["title"] = "Digital\u0000 education"
    before = _count(client, "/v1/qualifications")
    r = client.post("/v1/qualifications", content=json.dumps(programme), headers=JSON)
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/title"
    assert _count(client, "/v1/qualifications") == before
    body = {"qualification_id": programme_id, "courses": [{"learning_outcomes": ["a\u0000"]}]}
    r = client.post("/v1/batch/articulations", json=body)
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/courses/0/learning_outcomes/0"
    # the guard runs before the route: a free-text field is caught whatever the schema says
    review = {"action": "confirm", "reason": "Checked", "note": "Dr.\u0000 Head"}
    r = client.post("/v1/recognitions/x/review", json=review)
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/note"
    # a key holding NUL is named too; an escaped backslash before u0000 is not NUL
    r = client.post("/v1/credits/convert", content=b'{"va\\u0000lue": 1}', headers=JSON)
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/va\u0000lue"
    r = client.post(
        "/v1/credits/convert",
        content=b'{"value": 10, "from": "ects", "to": "uk-cats", "note": "\\\\u0000"}',
        headers=JSON,
    )
    assert r.status_code == 422 and "NUL" not in r.json()["detail"]  # extra field, not NUL


def test_nul_byte_in_csv_is_422(client: TestClient) -> None:
    r = client.post(
        "/v1/credentials/bulk",
        content=b"title,issuer\nData\x00 literacy,Uni\n",
        headers={"content-type": "text/csv"},
    )
    assert_problem(r, 422)


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_credits_are_422_naming_the_field(
    client: TestClient, programme_id: str, number: str
) -> None:
    course = f'{{"id": "c1", "credits": {number}, "learning_outcomes": ["write programs"]}}'
    for path in ("/v1/batch/articulations", "/v1/articulations"):
        body = f'{{"qualification_id": "{programme_id}", "courses": [{course}]}}'
        problem = assert_problem(client.post(path, content=body, headers=JSON), 422)
        pointers = [e.get("pointer", "") for e in problem["errors"]]
        assert any(p.startswith("/courses/0/credits") for p in pointers), problem
    nested = course.replace(number, f'{{"value": {number}, "system": "ects"}}')
    body = f'{{"qualification_id": "{programme_id}", "courses": [{nested}]}}'
    r = client.post("/v1/batch/articulations", content=body, headers=JSON)
    assert assert_problem(r, 422)


@pytest.mark.parametrize("number", ["nan", "inf", "-inf", "1e999", "-5"])
def test_non_finite_credits_in_a_csv_batch_are_422(
    client: TestClient, programme_id: str, number: str
) -> None:
    r = client.post(
        "/v1/batch/articulations",
        params={"qualification_id": programme_id},
        content=f"id,credits,learning_outcomes\nc1,{number},write programs\n".encode(),
        headers={"content-type": "text/csv"},
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["column"] == "credits"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/qualifications?offset=9223372036854775808",
        "/v1/qualifications?limit=9223372036854775808",
        "/v1/credentials?offset=9223372036854775808",
        "/v1/recognitions?offset=9223372036854775808",
        "/v1/recognitions?offset=99999999999999999999999",
        "/v1/recognitions?limit=9223372036854775808",
        "/v1/qualification-types?q=x&limit=9223372036854775808",
    ],
)
def test_offsets_and_limits_past_int64_are_422(client: TestClient, path: str) -> None:
    body = assert_problem(client.get(path), 422)
    assert body["errors"][0]["parameter"] in {"offset", "limit"}


# --- timestamps ------------------------------------------------------------------------------


def test_timestamps_carry_a_time_zone(client: TestClient, programme_id: str) -> None:
    stamps: list[tuple[str, Any]] = []
    programme = client.get(f"/v1/qualifications/{programme_id}").json()
    stamps.append(("programme", programme["created_at"]))
    listed = client.get("/v1/qualifications").json()["items"][0]
    stamps.append(("programme summary", listed["created_at"]))
    credential = client.post(
        "/v1/credentials",
        content=ELM_MC.read_bytes(),
        headers={"content-type": "application/ld+json"},
    ).json()
    stamps.append(("credential", credential["created_at"]))
    stamps.append(
        ("credential list", client.get("/v1/credentials").json()["items"][0]["created_at"])
    )
    record = client.post(
        "/v1/recognitions",
        json={
            "credential": json.loads(ELM_MC.read_text(encoding="utf-8")),
            "target": "EQF",
            "purpose": "credit_transfer",
        },
    )
    assert record.status_code == 201, record.text
    stamps.append(("record", record.json()["created_at"]))
    stamps.append(("record list", client.get("/v1/recognitions").json()["items"][0]["created_at"]))
    job = client.post(
        "/v1/batch/articulations",
        json={"qualification_id": programme_id, "courses": [{"learning_outcomes": ["tz"]}]},
    ).json()
    stamps.append(("job", job["created_at"]))
    for what, stamp in stamps:
        assert isinstance(stamp, str) and RFC3339.match(stamp), (what, stamp)
        assert dt.datetime.fromisoformat(stamp).utcoffset() is not None, (what, stamp)


# --- OpenAPI -------------------------------------------------------------------------------


def test_every_error_response_is_declared_as_problem_json(sqlite_client: TestClient) -> None:
    document = sqlite_client.get("/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    seen = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status[0] in "45":
                    seen += 1
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, (method, path, status)
    assert seen > 100


def test_the_422_a_route_answers_is_what_the_document_declares(sqlite_client: TestClient) -> None:
    r = sqlite_client.get("/v1/qualifications?limit=0")
    assert_problem(r, 422)
    document = sqlite_client.get("/openapi.json").json()
    declared = document["paths"]["/v1/qualifications"]["get"]["responses"]["422"]["content"]
    assert list(declared) == [r.headers["content-type"].split(";")[0]]


def test_json_that_is_not_utf8_is_422(client: TestClient) -> None:
    body = '{"value": 10, "from": "ects", "to": "uk-cats", "x": "é"}'.encode("latin-1")
    problem = assert_problem(client.post("/v1/credits/convert", content=body, headers=JSON), 422)
    assert problem["errors"][0] == {"pointer": "", "detail": "not UTF-8"}
