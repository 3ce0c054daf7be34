"""JSON-LD: bundled contexts behind a frozen loader, the processor, language maps."""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld  # type: ignore[import-untyped]

from app.adapters.importers.jsonld import (
    EDC,
    OB3,
    VC1,
    VC2,
    ContextNotBundled,
    Node,
    bundled_contexts,
    document_loader,
    pick,
    processing_reason,
    read_context,
    texts,
)
from app.adapters.importers.registry import read_document
from app.adapters.importers.shacl import validate_edc
from app.core.credentials import (
    CredentialInputError,
    UnsupportedCredentialFormat,
    WarningCode,
    credential_to_json,
)
from tests.adapters.importers.conftest import MC_SAMPLE, OB_FULL

INTEROP = Path(__file__).resolve().parents[2] / "data" / "credentials_interop"


def test_bundled_contexts_cover_elm_vc_and_ob_and_load_offline() -> None:
    keys = {c.key for c in bundled_contexts()}
    assert keys == {EDC, OB3, VC1, VC2}
    for ctx in bundled_contexts():
        for url in ctx.urls:
            loaded = document_loader(url)
            assert isinstance(loaded["document"]["@context"], (dict, list)), url
    edc = document_loader("http://data.europa.eu/snb/model/context/edc-ap")["document"]
    assert edc["@context"]["eqfLevel"]["@id"] == "elm:EQFLevel"


def test_the_loader_refuses_any_other_url_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with pytest.raises(ContextNotBundled):
        document_loader("https://evil.example/ctx.jsonld")
    # pyld's default loader is the frozen one too: nothing in the process can fetch.
    with pytest.raises(pyld.JsonLdError):
        pyld.expand({"@context": "https://evil.example/ctx.jsonld", "a": 1})
    # A document that needs the processor and names an unknown nested context: refused with
    # the URL named, and no socket opened.
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    doc["credentialSubject"]["@context"] = "https://evil.example/nested.jsonld"
    with pytest.raises(CredentialInputError) as err:
        read_document(json.dumps(doc))
    assert "evil.example/nested.jsonld" in err.value.message
    assert "never fetched" in err.value.message
    # SHACL validation turns the document into RDF with the same frozen loader.
    sample = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    assert validate_edc(sample).checked
    # Every document of the interoperability corpus reads (or is refused) with sockets blocked.
    for path in sorted(INTEROP.rglob("*.json*")):
        with contextlib.suppress(CredentialInputError, UnsupportedCredentialFormat):
            read_document(path.read_bytes())


def test_context_urls_are_recognised_not_fetched() -> None:
    report = read_context(
        {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "http://data.europa.eu/snb/model/context/edc-ap",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                "https://www.w3.org/ns/credentials/v2/",
                "https://w3id.org/security/suites/ed25519-2020/v1",
                {"level": "http://data.europa.eu/snb/model/elm/EQFLevel"},
            ]
        }
    )
    assert report.known == (VC1, EDC, OB3, VC2)
    assert report.unknown == (("/@context/4", "https://w3id.org/security/suites/ed25519-2020/v1"),)
    assert report.inline


def test_which_documents_need_the_processor() -> None:
    sample = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    assert processing_reason(sample, read_context(sample)) is None
    assert processing_reason({"title": "x", "a:b": 1}, read_context({})) is None  # plain JSON
    assert processing_reason([{"@id": "x"}], read_context({})) == "expanded form"
    flat = {"@context": sample["@context"], "@graph": []}
    assert processing_reason(flat, read_context(flat)) == "flattened form (@graph)"
    curie = {**sample, "elm:volumeOfLearning": "PT1H"}
    assert processing_reason(curie, read_context(curie)) == "keys written as IRIs or compact IRIs"


def _reading(data: str | bytes) -> dict[str, Any]:
    body = credential_to_json(read_document(data).imported.credential)
    body.pop("sources")
    return body


def test_tree_expanded_flattened_and_aliased_forms_read_the_same() -> None:
    text = MC_SAMPLE.read_text(encoding="utf-8")
    tree = _reading(text)
    assert tree["title"] and tree["level"]["eqf_identifier"]
    doc = json.loads(text)
    flattened = pyld.flatten(doc, doc["@context"])
    assert "@graph" in flattened
    assert _reading(json.dumps(flattened)) == tree
    compact_iris = pyld.compact(doc, {"@context": {"elm": "http://data.europa.eu/snb/model/elm/"}})
    assert _reading(json.dumps(compact_iris)) == tree
    # Aliased: the document names its own terms for the ELM properties.
    aliased = json.loads(
        text.replace('"title"', '"titel"').replace('"learningOutcome"', '"lernergebnis"')
    )
    aliased["@context"] = [
        *doc["@context"],
        {
            "titel": {"@id": "http://purl.org/dc/terms/title", "@container": "@language"},
            "lernergebnis": {"@id": "elm:learningOutcome", "@type": "@id"},
        },
    ]
    assert _reading(json.dumps(aliased)) == tree


def test_ob3_expanded_form_reads_the_same() -> None:
    doc = json.loads(OB_FULL.read_text(encoding="utf-8"))
    doc["@context"] = doc["@context"][:2]  # the bundled ones: pyld may expand it here
    text = json.dumps(doc)
    tree = _reading(text)
    compact_iris = pyld.compact(
        doc, {"@context": {"ob": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"}}
    )
    read = _reading(json.dumps(compact_iris))
    for key in ("title", "issuer", "learner", "issued_on", "level"):
        assert read[key] == tree[key], key


def test_flattened_edc_test_credential_reads() -> None:
    read = read_document((INTEROP / "edc" / "edci_credFlatten.jsonld").read_bytes())
    assert read.processed == "flattened form (@graph)"
    assert read.imported.credential.title
    codes = [w.code for w in read.imported.warnings]
    assert WarningCode.CONTEXT_NOT_BUNDLED in codes


def test_language_maps_value_objects_and_fallback() -> None:
    values = texts(Node({"fr": "Données", "en": "Data", "de": ["Daten", "Angaben"]}))
    assert values == {"fr": "Données", "en": "Data", "de": "Daten"}
    assert pick(values, "de") == ("Daten", "de")
    assert pick(values, "es") == ("Data", "en")
    assert pick({"fr": "Données", "": "Data"}, "es") == ("Data", "")
    assert pick({"fr": "Données", "it": "Dati"}, None) == ("Données", "fr")
    assert pick({}, "en") == (None, None)
    assert texts(Node(5)) == {}
    assert texts(None) == {}


def test_node_navigation_handles_lists_and_wrong_types() -> None:
    root = Node({"a": [{"b": {"c": "x"}}, {"b": 1}], "s": "", "n": None})
    found = root.path("a", "b", "c")
    assert found is not None and (found.value, found.pointer) == ("x", "/a/0/b/c")
    assert root.get("s") is None and root.get("n") is None
    assert Node("text").get("a") is None
    assert Node({"@value": 3}).scalar() == "3"
    assert Node({"type": ["A", 3, "B"]}).types() == ("A", "B")
