"""Malformed, hostile and odd inputs: each gives its expected problem, none an unexpected error,
and nothing ever reaches the network."""

from __future__ import annotations

import base64
import copy
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.registry import read_document
from app.adapters.importers.safety import ImportLimits, check_depth, check_tree, nesting_depth
from app.core.credentials import (
    CredentialInputError,
    SourceFormat,
    UnsupportedCredentialFormat,
    WarningCode,
)
from app.core.errors import DomainError, PayloadTooLarge
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import MC_SAMPLE, OB_FULL, OB_MINIMAL

ELM_CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]


def _b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


CASES: list[tuple[str, bytes | str, type[DomainError], str | None]] = [
    ("not json", b"hello there", CredentialInputError, ""),
    ("truncated json", b'{"title": "x"', CredentialInputError, ""),
    ("top-level array", b'[{"title": "x"}]', CredentialInputError, ""),
    ("top-level string", b'"just text"', CredentialInputError, ""),
    ("top-level number", b"42", CredentialInputError, ""),
    ("empty object", b"{}", UnsupportedCredentialFormat, ""),
    ("not utf-8", b'{"title": "\xff\xfe"}', CredentialInputError, ""),
    ("NaN", b'{"title": "x", "credits": NaN}', CredentialInputError, ""),
    ("infinite number", b'{"title": "x", "credits": 1e999}', CredentialInputError, ""),
    ("huge integer", b'{"title": "x", "credits": ' + b"9" * 5000 + b"}", CredentialInputError, ""),
    ("NUL character", b'{"title": "a\\u0000b"}', CredentialInputError, "/title"),
    ("lone surrogate", b'{"title": "\\ud800"}', CredentialInputError, "/title"),
    ("deep arrays", b"[" * 5000 + b"]" * 5000, PayloadTooLarge, "/0" * 32),
    ("deep objects", nested(100), PayloadTooLarge, "/a" * 32),
    (
        "long list",
        json.dumps({"title": "x", "learning_outcomes": ["Analyse data sets"] * 1500}),
        PayloadTooLarge,
        "/learning_outcomes/1000",
    ),
    ("many members", json.dumps({f"k{i}": i for i in range(600)}), PayloadTooLarge, ""),
    (
        "context of wrong type",
        json.dumps({"@context": 5, "type": ["VerifiableCredential"]}),
        CredentialInputError,
        "/@context",
    ),
    (
        "remote context only",
        json.dumps({"@context": ["https://evil.example/ctx.jsonld"], "name": "x"}),
        UnsupportedCredentialFormat,
        "/@context/0",
    ),
    (
        "presentation",
        json.dumps({"@context": ELM_CONTEXT, "type": ["VerifiablePresentation"]}),
        UnsupportedCredentialFormat,
        "/type",
    ),
    (
        "ELM without subject",
        json.dumps(
            {"@context": ELM_CONTEXT, "type": ["VerifiableCredential", "EuropeanDigitalCredential"]}
        ),
        UnsupportedCredentialFormat,
        "/credentialSubject",
    ),
    (
        "ELM subject is a string",
        json.dumps(
            {"@context": ELM_CONTEXT, "type": ["EuropeanDigitalCredential"], "credentialSubject": 7}
        ),
        UnsupportedCredentialFormat,
        "/credentialSubject",
    ),
    (
        "ELM without claim",
        json.dumps(
            {
                "@context": ELM_CONTEXT,
                "type": ["EuropeanDigitalCredential"],
                "credentialSubject": {"id": "x"},
            }
        ),
        UnsupportedCredentialFormat,
        "/credentialSubject/hasClaim",
    ),
    (
        "OB without achievement",
        json.dumps(
            {
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "credentialSubject": {"id": "x"},
            }
        ),
        UnsupportedCredentialFormat,
        "/credentialSubject/achievement",
    ),
    (
        "plain with EQF 9",
        json.dumps({"title": "x", "level": {"eqf": 9}}),
        CredentialInputError,
        "/level/eqf",
    ),
    (
        "plain with bool credits",
        json.dumps({"title": "x", "credits": True}),
        CredentialInputError,
        "/credits",
    ),
    (
        "plain with bad date",
        json.dumps({"title": "x", "issued_on": "yesterday"}),
        CredentialInputError,
        "/issued_on",
    ),
    ("JWT with bad base64", "eyJhbGciOiJFUzI1NiJ9.@@@.c2ln", CredentialInputError, ""),
    (
        "JWT payload not JSON",
        f"{_b64({'alg': 'ES256'})}.{_b64(b'nope')}.c2ln",
        CredentialInputError,
        "/payload",
    ),
    (
        "JWT payload a list",
        f"{_b64({'alg': 'ES256'})}.{_b64([1, 2])}.c2ln",
        CredentialInputError,
        "/payload",
    ),
    (
        "JWT header not object",
        f"{_b64([1])}.{_b64({'a': 1})}.c2ln",
        CredentialInputError,
        "/header",
    ),
    (
        "enveloped without data URL",
        json.dumps({"type": "EnvelopedVerifiableCredential", "id": "https://evil.example/vc.jwt"}),
        CredentialInputError,
        "/id",
    ),
    (
        "doubly wrapped",
        json.dumps(
            {"payload": _b64({"payload": _b64({"a": 1}), "signature": "x"}), "signature": "x"}
        ),
        CredentialInputError,
        "",
    ),
]


@pytest.mark.parametrize(
    ("body", "error", "pointer"),
    [pytest.param(body, error, pointer, id=name) for name, body, error, pointer in CASES],
)
def test_malformed_input_gives_its_problem(
    service: CredentialService, body: bytes | str, error: type[DomainError], pointer: str | None
) -> None:
    with pytest.raises(error) as info:
        service.read(body)
    assert info.value.field == pointer, info.value.message
    assert info.value.message


def test_size_limit() -> None:
    limits = ImportLimits(max_bytes=1000)
    with pytest.raises(PayloadTooLarge) as info:
        read_document(json.dumps({"title": "x" * 2000}), options=ImportOptions(limits=limits))
    assert info.value.field == ""


def test_long_text_limit() -> None:
    limits = ImportLimits(max_string_chars=100)
    with pytest.raises(PayloadTooLarge) as info:
        read_document(json.dumps({"title": "x" * 200}), options=ImportOptions(limits=limits))
    assert info.value.field == "/title"


def test_limits_come_from_settings_group() -> None:
    class Group:
        max_bytes = 123
        max_depth = 7

    class FakeSettings:
        credentials = Group()

    limits = ImportLimits.from_settings(FakeSettings())
    assert (limits.max_bytes, limits.max_depth, limits.max_list_items) == (123, 7, 1000)
    assert ImportLimits.from_settings(object()) == ImportLimits()


def test_wrong_types_inside_elm_are_ignored_with_warnings(service: CredentialService) -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["creditPoint"]["point"] = "two"
    spec["volumeOfLearning"] = "sixty hours"
    spec["eqfLevel"] = [17, None]
    spec["learningOutcome"] = "Communication"
    doc["validFrom"] = "31/12/2022"
    report = service.read(json.dumps(doc))
    c = report.credential
    assert c.credits is None and c.workload_hours is None and c.issued_on is None
    codes = {(w.code, w.pointer) for w in report.warnings}
    spec_ptr = "/credentialSubject/hasClaim/specifiedBy"
    assert (WarningCode.VALUE_IGNORED, f"{spec_ptr}/creditPoint/point") in codes
    assert (WarningCode.DURATION_NOT_CONVERTED, f"{spec_ptr}/volumeOfLearning") in codes
    assert (WarningCode.VALUE_IGNORED, "/validFrom") in codes


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 6) -> Iterator[tuple[Any, ...]]:
    if depth == 0:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("logo", "image", "displayParameter"):
                continue
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k), depth - 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i), depth - 1)


def _drop(value: Any, key: str) -> None:
    if isinstance(value, dict):
        value.pop(key, None)
        for v in value.values():
            _drop(v, key)
    elif isinstance(value, list):
        for v in value:
            _drop(v, key)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


REPLACEMENTS: list[Any] = [None, 7, "text", [], {}, True, [{"id": 1}]]


@pytest.mark.parametrize("path", [OB_FULL, OB_MINIMAL, MC_SAMPLE], ids=lambda p: p.name)
def test_no_wrong_type_anywhere_escapes_as_an_unexpected_error(
    service: CredentialService, path: Any
) -> None:
    """Replace each value (to depth 6) with values of other types: a DomainError or a result."""
    original = json.loads(path.read_text(encoding="utf-8"))
    original.pop("displayParameter", None)
    _drop(original, "logo")  # embedded images only slow the loop down
    paths = list(_paths(original))
    assert len(paths) > 15
    # every replacement on the small OB documents; one per path (in rotation) on the ELM sample
    exhaustive = path != MC_SAMPLE
    for i, p in enumerate(paths):
        values = REPLACEMENTS if exhaustive else [REPLACEMENTS[i % len(REPLACEMENTS)]]
        for value in values:
            doc = copy.deepcopy(original)
            _set(doc, p, value)
            try:
                report = service.read(json.dumps(doc))
            except DomainError:
                continue
            json.dumps(report.to_json())  # serialisable, as storage needs


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_remote_contexts_and_urls_are_never_fetched(
    service: CredentialService, no_network: list[str]
) -> None:
    doc = json.loads(OB_FULL.read_text(encoding="utf-8"))
    doc["@context"] = [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "http://127.0.0.1:9/ctx.jsonld",
        "https://evil.example/ctx.jsonld",
        {"@import": "https://evil.example/import.jsonld", "x": "https://evil.example/vocab#x"},
    ]
    doc["credentialSchema"] = [{"id": "https://evil.example/schema.json", "type": "JsonSchema"}]
    doc["issuer"] = "https://evil.example/issuer.json"
    doc["credentialSubject"]["achievement"]["image"] = {"id": "https://evil.example/i.png"}
    report = service.read(json.dumps(doc))
    unknown = [w.pointer for w in report.warnings if w.code is WarningCode.CONTEXT_NOT_BUNDLED]
    assert unknown == ["/@context/2", "/@context/3", "/@context/4/@import"]
    assert report.credential.issuer is not None
    assert report.credential.issuer.id == "https://evil.example/issuer.json"
    for sample in (MC_SAMPLE, OB_MINIMAL):
        service.read(sample.read_bytes())
    enveloped = {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,https://x"}
    with pytest.raises(CredentialInputError):
        service.read(json.dumps(enveloped))
    assert no_network == []


def test_forced_format_is_applied(service: CredentialService) -> None:
    report = service.read(
        json.dumps({"title": "Data literacy", "credits": 2}), forced=SourceFormat.PLAIN
    )
    assert report.source_format is SourceFormat.PLAIN
    with pytest.raises(UnsupportedCredentialFormat):
        service.read(json.dumps({"title": "Data literacy"}), forced=SourceFormat.OB3)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"a": [1, {"b": "[[[{{{"}]}', 3),  # brackets inside strings do not count
        ('{"a\\"[[": ["\\\\", ["x"]]}', 3),  # escaped quotes and backslashes end no string
        ('["unclosed [[', 3),  # an unclosed quote hides nothing after it
        ("]]][[", 2),  # closing brackets without an opener are ignored
        ("", 0),
    ],
)
def test_nesting_depth_counts_only_structure(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth
    check_depth(text, depth)  # at the limit: accepted
    if depth:
        with pytest.raises(PayloadTooLarge):
            check_depth(text, depth - 1)


def test_limits_over_the_official_sample_name_the_place() -> None:
    # the place is written out only on refusal: it must still be the exact pointer
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    deepest = nesting_depth(MC_SAMPLE.read_text(encoding="utf-8"))
    check_tree(doc, ImportLimits())
    with pytest.raises(PayloadTooLarge) as info:
        check_tree(doc, ImportLimits(max_depth=deepest - 2))
    assert (info.value.field or "").startswith("/credentialSubject/")
    doc["credentialSubject"]["hasClaim"]["title"]["en"] = "bad \x00"
    with pytest.raises(CredentialInputError) as bad:
        check_tree(doc, ImportLimits())
    assert bad.value.field == "/credentialSubject/hasClaim/title/en"
    doc["credentialSubject"]["hasClaim"]["title"]["en"] = "é \ud800"
    with pytest.raises(CredentialInputError) as surrogate:
        check_tree(doc, ImportLimits())
    assert "surrogate" in surrogate.value.message
