"""The OpenAPI document's hygiene (issue 15, item 5): operationIds, schema names, one problem
component, declared tags, and examples that the API itself accepts."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.openapi import camel, has_example, short_schema_name
from app.api.problems import PROBLEM_REF

_METHODS = ("get", "put", "post", "delete", "patch")

#: operationIds clients generate code from: renaming one breaks them, so each is pinned here.
#: An operation added later only needs a unique, readable id (checked below).
PINNED = {
    "GET /healthz": "getHealth",
    "GET /v1/meta": "getMeta",
    "GET /v1/frameworks": "listFrameworks",
    "GET /v1/frameworks/{framework}": "getFramework",
    "GET /v1/frameworks/{framework}/levels/{code}": "getFrameworkLevel",
    "GET /v1/levels/{identifier}": "resolveLevel",
    "GET /v1/qualification-types": "searchQualificationTypes",
    "GET /v1/compare": "compareLevels",
    "GET /v1/compare/matrix": "compareLevelMatrix",
    "GET /v1/credits/systems": "listCreditSystems",
    "POST /v1/credits/convert": "convertCredits",
    "POST /v1/outcomes/skills": "extractSkills",
    "POST /v1/outcomes/level": "estimateLevel",
    "POST /v1/outcomes/align": "alignOutcomes",
    "POST /v1/credentials": "createCredential",
    "GET /v1/credentials": "listCredentials",
    "POST /v1/credentials/validate": "validateCredential",
    "POST /v1/credentials/bulk": "importCredentialsCsv",
    "GET /v1/credentials/{credential_id}": "getCredential",
    "GET /v1/credentials/{credential_id}/original": "getCredentialOriginal",
    "GET /v1/credential-formats/plain/schema": "getPlainCredentialSchema",
    "POST /v1/qualifications": "createQualifications",
    "GET /v1/qualifications": "listQualifications",
    "GET /v1/qualifications/{programme_id}": "getQualification",
    "GET /v1/qualifications/{programme_id}/modules": "listQualificationModules",
    "GET /v1/qualification-formats/catalogue/schema": "getCatalogueSchema",
    "POST /v1/recognitions": "createRecognition",
    "GET /v1/recognitions": "listRecognitions",
    "GET /v1/recognitions/{record_id}": "getRecognition",
    "GET /v1/recognitions/{record_id}/export": "exportRecognition",
    "POST /v1/recognitions/{record_id}/review": "reviewRecognition",
    "GET /v1/recognitions/{record_id}/verify": "verifyRecognition",
    "POST /v1/articulations": "articulateCourses",
    "POST /v1/batch/articulations": "submitArticulationBatch",
    "GET /v1/jobs/{job_id}": "getJob",
    "GET /v1/jobs/{job_id}/results": "getJobResults",
    "POST /v1/pathways": "planPathways",
    "POST /v1/pathways/stack-into": "planStackInto",
    "GET /v1/whoami": "whoAmI",
    "GET /v1/admin/api-keys": "listApiKeys",
    "POST /v1/admin/api-keys": "createApiKey",
    "DELETE /v1/admin/api-keys/{prefix}": "revokeApiKey",
    "GET /v1/admin/personal-data-access": "listPersonalDataAccess",
    "POST /v1/admin/personal-data-erasures": "erasePersonalData",
}


@pytest.fixture(scope="module")
def document(sqlite_client: TestClient) -> dict[str, Any]:
    r = sqlite_client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_helpers() -> None:
    assert camel("list_frameworks") == "listFrameworks"
    assert camel("healthz") == "healthz"
    assert short_schema_name("app__api__schemas__articulation__CreditsOut") == (
        "ArticulationCreditsOut"
    )
    assert short_schema_name("app__api__routers__admin__ApiKeyOut") == "AdminApiKeyOut"
    assert short_schema_name("LevelOut") == "LevelOut"


def test_operation_ids_are_readable_unique_and_pinned(document: dict[str, Any]) -> None:
    found = {f"{m} {p}": op["operationId"] for m, p, op in operations(document)}
    duplicated = [i for i, n in Counter(found.values()).items() if n > 1]
    assert duplicated == []
    unreadable = [i for i in found.values() if not re.fullmatch(r"[a-z][a-zA-Z0-9]{2,40}", i)]
    assert unreadable == []
    # Every pinned operation still exists under its id (none renamed, none generated).
    assert {k: found.get(k) for k in PINNED} == PINNED


def test_operation_ids_do_not_change_between_builds(sqlite_client: TestClient) -> None:
    from app.api.main import create_app

    again = create_app(sqlite_client.app.state.settings).openapi()  # type: ignore[attr-defined]
    first = sqlite_client.get("/openapi.json").json()
    ids = [[op["operationId"] for _, _, op in operations(doc)] for doc in (first, again)]
    assert ids[0] == ids[1]


def test_schema_names_carry_no_module_path(document: dict[str, Any]) -> None:
    names = list(document["components"]["schemas"])
    assert [n for n in names if "__" in n or "." in n] == []
    text = json.dumps(document)
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
    assert refs - set(names) == set()  # every reference resolves


def test_one_problem_component_referenced_by_every_error(document: dict[str, Any]) -> None:
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    errors = 0
    for method, path, op in operations(document):
        for code, response in op["responses"].items():
            if code[:1] in {"4", "5"}:
                errors += 1
                assert response["content"] == {
                    "application/problem+json": {"schema": PROBLEM_REF}
                }, (method, path, code)
    assert errors > 100
    # The problem members are declared once: the component itself.
    assert json.dumps(document).count('"format": "uri"') <= 2


def test_every_tag_is_declared_with_a_description(document: dict[str, Any]) -> None:
    declared = {t["name"]: t.get("description", "") for t in document["tags"]}
    used = {t for _, _, op in operations(document) for t in op.get("tags", [])}
    assert used <= set(declared)
    assert all(declared[t] for t in used)
    assert [(m, p) for m, p, op in operations(document) if not op.get("tags")] == []


def test_every_operation_has_an_example(document: dict[str, Any]) -> None:
    missing = [f"{m} {p}" for m, p, op in operations(document) if not has_example(op)]
    assert missing == [], "add examples in app/api/openapi_examples.py"


def _request(path: str, op: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str], Any]:
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for parameter in op.get("parameters", []):
        if "example" not in parameter:
            continue
        value = parameter["example"]
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = value
        elif parameter["in"] == "header":
            headers[parameter["name"]] = str(value)
    body = None
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        if "example" in content:
            headers["content-type"] = media
            example = content["example"]
            body = example.encode() if isinstance(example, str) else json.dumps(example).encode()
            break
    return path, query, headers, body


def test_the_app_accepts_every_example_request(
    document: dict[str, Any], sqlite_client_for: Callable[..., TestClient]
) -> None:
    api = sqlite_client_for("admin")
    refused = []
    for method, path, op in operations(document):
        url, query, headers, body = _request(path, op)
        assert "{" not in url, f"{method} {path}: a path parameter has no example"
        if op.get("requestBody", {}).get("required") and body is None:
            refused.append(f"{method} {path}: no body example")
            continue
        r = api.request(method, url, params=query, headers=headers, content=body)
        # 404/409 are fine: the example ids name nothing stored in this database.
        if r.status_code in {400, 413, 415, 422} or r.status_code >= 500:
            refused.append(f"{method} {path} -> {r.status_code} {r.text[:300]}")
    assert refused == []


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> set[str] | None:
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "properties" not in schema or schema.get("additionalProperties") not in (None, False):
        return None
    return set(schema["properties"])


def test_response_examples_use_the_declared_members(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, op in operations(document):
        for code, response in op["responses"].items():
            for content in response.get("content", {}).values():
                if "example" in content and code.startswith("2"):
                    allowed = _properties(document, content.get("schema", {}))
                    if allowed is not None:
                        assert set(content["example"]) <= allowed, (method, path)
                        checked += 1
    assert checked >= 4
