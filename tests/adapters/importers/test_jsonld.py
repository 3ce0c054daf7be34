"""Bundled contexts, key canonicalisation and language maps."""

from __future__ import annotations

from app.adapters.importers.jsonld import (
    EDC,
    OB3,
    VC1,
    VC2,
    Node,
    bundled_contexts,
    canonicalise_keys,
    pick,
    read_context,
    texts,
)


def test_bundled_contexts_cover_elm_vc_and_ob() -> None:
    keys = {c.key for c in bundled_contexts()}
    assert keys == {EDC, OB3, VC1, VC2}
    edc = next(c for c in bundled_contexts() if c.key == EDC)
    assert edc.terms["eqfLevel"] == "http://data.europa.eu/snb/model/elm/EQFLevel"
    assert edc.terms["prefLabel"] == "http://www.w3.org/2004/02/skos/core#prefLabel"


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
    assert report.inline_terms == {"level": "http://data.europa.eu/snb/model/elm/EQFLevel"}


def test_canonicalise_renames_iris_curies_and_aliases_without_overwriting() -> None:
    doc = {
        "@context": [{"level": "elm:EQFLevel"}],
        "a": {"level": "x", "elm:volumeOfLearning": "PT1H"},
        "b": [{"http://www.w3.org/2004/02/skos/core#prefLabel": {"en": "y"}}],
        "c": {"eqfLevel": "kept", "elm:EQFLevel": "other"},
    }
    out = canonicalise_keys(doc, read_context(doc))
    assert out["a"] == {"eqfLevel": "x", "volumeOfLearning": "PT1H"}
    assert out["b"] == [{"prefLabel": {"en": "y"}}]
    assert out["c"] == {"eqfLevel": "kept", "elm:EQFLevel": "other"}
    plain = {"title": "x"}
    assert canonicalise_keys(plain, read_context(plain)) is plain


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
