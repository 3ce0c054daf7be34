"""The OpenAPI document's hygiene, in one place (issue 15, item 5).

* **operationIds** are set centrally (``FastAPI(generate_unique_id_function=operation_id)``)
  from each route's name, in lowerCamelCase (``list_frameworks`` → ``listFrameworks``), with a
  readable name where the function's own is terse (:data:`OPERATION_NAMES`: ``get_level`` →
  ``getFrameworkLevel``). Clients generate method names from them, so a test pins them.
* **Schema names** carry no module path: where two modules declare a model of the same name,
  FastAPI names both ``app__api__schemas__<module>__<Name>``; :func:`tidy` renames them
  ``<Module><Name>`` (``ArticulationCreditsOut``) and rewrites every ``$ref``.
* **Tags** are declared with a description (:data:`TAGS`), every operation's tag among them.
* **Examples**: every operation carries at least one, taken from the tests
  (``app/api/openapi_examples.py``: parameters by name, request bodies by operation, and a
  response example for the operations that take no input).
* **Problem details**: one ``Problem`` component, referenced from every error response
  (``app.api.problems.normalise_error_responses``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.openapi_examples import BODY_EXAMPLES, PARAMETER_EXAMPLES, RESPONSE_EXAMPLES

TAGS: list[dict[str, str]] = [
    {"name": "meta", "description": "Health, versions and data release"},
    {"name": "frameworks", "description": "Frameworks, levels and qualification types"},
    {"name": "comparison", "description": "Level comparison across frameworks"},
    {"name": "credits", "description": "Credit systems and conversion"},
    {"name": "outcomes", "description": "Learning outcomes: ESCO skills, level, alignment"},
    {"name": "credentials", "description": "Micro-credentials: import, validate, store"},
    {"name": "catalogue", "description": "Qualifications, programmes and modules"},
    {"name": "recognition", "description": "Recommendations and decision records"},
    {"name": "articulation", "description": "Credit transfer at scale and batch jobs"},
    {"name": "pathways", "description": "Stackability pathways"},
    {"name": "exports", "description": "Frameworks, mappings and decisions in ecosystem formats"},
    {"name": "admin", "description": "API keys, the caller, personal-data access log"},
]

#: Route name → operationId, where the function's name alone says too little.
OPERATION_NAMES: dict[str, str] = {
    "healthz": "getHealth",
    "meta": "getMeta",
    "get_level": "getFrameworkLevel",
    "compare": "compareLevels",
    "compare_matrix": "compareLevelMatrix",
    "list_systems": "listCreditSystems",
    "skills": "extractSkills",
    "level": "estimateLevel",
    "align": "alignOutcomes",
    "bulk_import": "importCredentialsCsv",
    "get_original": "getCredentialOriginal",
    "plain_schema": "getPlainCredentialSchema",
    "get_modules": "listQualificationModules",
    "catalogue_schema": "getCatalogueSchema",
    "get_recognition_record": "getRecognition",
    "articulate": "articulateCourses",
    "submit_batch": "submitArticulationBatch",
    "job_results": "getJobResults",
    "pathways": "planPathways",
    "stack_into": "planStackInto",
    "whoami": "whoAmI",
    "personal_data_access": "listPersonalDataAccess",
}

_METHODS = frozenset({"get", "put", "post", "delete", "patch"})
_MODULE_PATH = re.compile(r"^(?:[A-Za-z0-9]+__)+(?P<module>[A-Za-z0-9_]+?)__(?P<name>\w+)$")


def camel(name: str) -> str:
    """``list_frameworks`` → ``listFrameworks``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """The operationId of ``route``: :data:`OPERATION_NAMES` or its name in lowerCamelCase."""
    return OPERATION_NAMES.get(route.name, camel(route.name))


def short_schema_name(name: str) -> str:
    """``app__api__schemas__articulation__CreditsOut`` → ``ArticulationCreditsOut``."""
    match = _MODULE_PATH.match(name)
    if match is None:
        return name
    module = "".join(part.title() for part in match["module"].split("_"))
    return module + match["name"]


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = ref.rsplit("/", 1)[1]
            if target in renames:
                node["$ref"] = "#/components/schemas/" + renames[target]
        for value in node.values():
            _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renames)
    return node


def _rename_schemas(schema: dict[str, Any]) -> None:
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in list(components):
        short = short_schema_name(name)
        if short != name and short not in components and short not in renames.values():
            renames[name] = short
    if not renames:
        return
    schema["components"]["schemas"] = {
        renames.get(name, name): value for name, value in components.items()
    }
    _rewrite_refs(schema, renames)


def _add_examples(operation: dict[str, Any], name: str) -> None:
    for parameter in operation.get("parameters", []):
        value = PARAMETER_EXAMPLES.get(parameter.get("name", ""))
        if value is not None and "example" not in parameter:
            parameter["example"] = value
    bodies = BODY_EXAMPLES.get(name, {})
    content = operation.get("requestBody", {}).get("content", {})
    for media, example in bodies.items():
        if media in content:
            content[media].setdefault("example", example)
    response = RESPONSE_EXAMPLES.get(name)
    if response is not None:
        for code, body in operation.get("responses", {}).items():
            if code.startswith("2"):
                for media in body.get("content", {}).values():
                    media.setdefault("example", response)
                break


def has_example(operation: dict[str, Any]) -> bool:
    """Whether an operation of the document carries at least one example."""
    if any("example" in p or "examples" in p for p in operation.get("parameters", [])):
        return True
    media_types = [*operation.get("requestBody", {}).get("content", {}).values()]
    for code, response in operation.get("responses", {}).items():
        if str(code).startswith("2"):
            media_types.extend(response.get("content", {}).values())
    return any("example" in m or "examples" in m for m in media_types)


def tidy(schema: dict[str, Any]) -> dict[str, Any]:
    """Short schema names, declared tags and examples (module docstring); idempotent."""
    _rename_schemas(schema)
    declared = {tag["name"] for tag in schema.get("tags", [])}
    used: set[str] = set()
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            used.update(operation.get("tags", []))
            _add_examples(operation, str(operation.get("operationId", "")))
    by_name = {tag["name"]: tag for tag in TAGS}
    tags = list(schema.get("tags", []))
    for name in sorted(used - declared):
        tags.append(by_name.get(name, {"name": name, "description": name.title()}))
    schema["tags"] = tags
    return schema


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` tidy the document; call after every other OpenAPI hook."""
    build = app.openapi
    done: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if id(schema) not in done:
            tidy(schema)
            done.append(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
