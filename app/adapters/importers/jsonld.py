"""JSON-LD helpers shared by the importers: bundled contexts, key canonicalisation, language maps.

No URL is ever fetched. ``@context`` entries are matched against the contexts bundled in
``contexts/`` (ELM/EDC, W3C VC 1.1 and 2.0, Open Badges 3.0); an unknown URL is reported
(``context_not_bundled``) and otherwise ignored, so a document cannot make the service call out.

Credentials are read in compact form. Keys written as full IRIs or CURIEs (``elm:EQFLevel``),
or aliased by an inline context, are renamed to the compact term the importers know, through
the term tables of the bundled contexts. The JSON-LD expansion algorithm itself is not run:
scoped contexts, ``@vocab`` and ``@reverse`` are outside what the importers need.

Language maps (``{"en": "...", "fr": "..."}``), value objects (``{"@value", "@language"}``) and
lists of either are read by :class:`Texts`; :func:`pick` chooses the requested language, then
English, then text without a language tag, then the first language the document gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from app.core.credentials import CredentialInputError, json_pointer

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"

EDC = "edc"
VC1 = "vc1"
VC2 = "vc2"
OB3 = "ob3"


@dataclass(frozen=True, slots=True)
class BundledContext:
    key: str
    name: str
    urls: tuple[str, ...]
    terms: Mapping[str, str]  # compact term -> absolute IRI
    file: str


def normalise_url(url: str) -> str:
    """Compare context URLs without scheme, trailing slash or case differences.

    >>> normalise_url("HTTPS://www.w3.org/2018/credentials/v1/")
    'www.w3.org/2018/credentials/v1'
    """
    value = url.strip().rstrip("/").casefold()
    for scheme in ("https://", "http://"):
        if value.startswith(scheme):
            return value[len(scheme) :]
    return value


def _expand(value: str, prefixes: Mapping[str, str]) -> str:
    prefix, sep, rest = value.partition(":")
    if sep and prefix in prefixes and not rest.startswith("//"):
        return prefixes[prefix] + rest
    return value


def _edc_context() -> BundledContext:
    raw = json.loads((CONTEXT_DIR / "edc-ap-context.jsonld").read_text(encoding="utf-8"))
    ctx: dict[str, Any] = raw["@context"]
    prefixes = {
        k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#", "m8g"))
    }
    terms: dict[str, str] = {}
    for term, definition in ctx.items():
        if term in prefixes or term.startswith("@"):
            continue
        iri = definition.get("@id") if isinstance(definition, dict) else definition
        if isinstance(iri, str):
            terms[term] = _expand(iri, prefixes)
    return BundledContext(
        key=EDC,
        name="European Learning Model v3 / European Digital Credentials (EDC) application profile",
        urls=(
            "http://data.europa.eu/snb/model/context/edc-ap",
            "http://data.europa.eu/snb/model/context/edc-ap-context.jsonld",
        ),
        terms=terms,
        file="edc-ap-context.jsonld",
    )


def _term_table(key: str, file: str) -> BundledContext:
    raw = json.loads((CONTEXT_DIR / file).read_text(encoding="utf-8"))
    return BundledContext(
        key=key, name=raw["name"], urls=tuple(raw["urls"]), terms=dict(raw["terms"]), file=file
    )


@cache
def bundled_contexts() -> tuple[BundledContext, ...]:
    """Every bundled context, in the order their terms win when two define one IRI."""
    return (
        _edc_context(),
        _term_table(OB3, "ob-v3p0.terms.json"),
        _term_table(VC2, "vc-v2.terms.json"),
        _term_table(VC1, "vc-v1.terms.json"),
    )


@cache
def _by_url() -> dict[str, BundledContext]:
    return {normalise_url(u): c for c in bundled_contexts() for u in c.urls}


@dataclass(frozen=True, slots=True)
class ContextReport:
    """What a document's ``@context`` says, read without fetching anything."""

    known: tuple[str, ...] = ()  # keys of bundled contexts named by URL
    unknown: tuple[tuple[str, str], ...] = ()  # (JSON pointer, URL) not bundled, not fetched
    inline_terms: Mapping[str, str] = field(default_factory=dict)  # alias -> IRI
    present: bool = False

    def uses(self, key: str) -> bool:
        return key in self.known


def read_context(document: Mapping[str, Any]) -> ContextReport:
    """Classify the ``@context`` entries of ``document``.

    Raises:
        CredentialInputError: ``@context`` is neither a string, an object nor a list of those.
    """
    if "@context" not in document:
        return ContextReport()
    raw = document["@context"]
    entries = raw if isinstance(raw, list) else [raw]
    known: list[str] = []
    unknown: list[tuple[str, str]] = []
    inline: dict[str, str] = {}
    for i, entry in enumerate(entries):
        pointer = json_pointer("@context", i) if isinstance(raw, list) else "/@context"
        if isinstance(entry, str):
            ctx = _by_url().get(normalise_url(entry))
            if ctx is None:
                unknown.append((pointer, entry))
            elif ctx.key not in known:
                known.append(ctx.key)
        elif isinstance(entry, dict):
            prefixes = {
                k: v for k, v in entry.items() if isinstance(v, str) and v.endswith(("/", "#"))
            }
            for term, definition in entry.items():
                if term.startswith("@") or term in prefixes:
                    continue
                iri = definition.get("@id") if isinstance(definition, dict) else definition
                if isinstance(iri, str):
                    inline[term] = _expand(iri, {**_all_prefixes(), **prefixes})
        elif entry is not None:
            raise CredentialInputError(
                pointer, "an @context entry must be a URL string or an object"
            )
    return ContextReport(tuple(known), tuple(unknown), inline, True)


@cache
def _all_prefixes() -> dict[str, str]:
    raw = json.loads((CONTEXT_DIR / "edc-ap-context.jsonld").read_text(encoding="utf-8"))
    return {
        k: v for k, v in raw["@context"].items() if isinstance(v, str) and v.endswith(("/", "#"))
    }


@cache
def _iri_to_term() -> dict[str, str]:
    out: dict[str, str] = {}
    for ctx in bundled_contexts():
        for term, iri in ctx.terms.items():
            out.setdefault(iri, term)
    return out


def canonicalise_keys(document: Any, report: ContextReport) -> Any:
    """Rename IRI, CURIE and inline-alias keys to the compact terms the importers read.

    A key is only renamed when the object does not already carry the compact term, so nothing
    is overwritten. Returns a new structure when something was renamed, else ``document``.
    """
    iri_to_term = _iri_to_term()
    prefixes = _all_prefixes()

    def canonical(key: str) -> str | None:
        if key in report.inline_terms:
            return iri_to_term.get(report.inline_terms[key])
        if ":" in key and not key.startswith("@"):
            return iri_to_term.get(_expand(key, prefixes))
        return None

    def needs(value: Any) -> bool:
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if canonical(k):
                        return True
                    stack.append(v)
            elif isinstance(node, list):
                stack.extend(node)
        return False

    if not needs(document):
        return document

    def rebuild(node: Any) -> Any:
        if isinstance(node, list):
            return [rebuild(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for k, v in node.items():
            term = canonical(k)
            name = term if term and term not in node else k
            out[name] = rebuild(v)
        return out

    return rebuild(document)


# --- navigating documents with pointers ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A value in a parsed document together with its JSON pointer."""

    value: Any
    pointer: str = ""

    def get(self, *keys: str) -> Node | None:
        """The first of ``keys`` present with a non-null value (objects only)."""
        if not isinstance(self.value, dict):
            return None
        for key in keys:
            v = self.value.get(key)
            if v is not None and v != [] and v != "":
                return Node(v, f"{self.pointer}{json_pointer(key)}")
        return None

    def path(self, *keys: str) -> Node | None:
        """Follow ``keys`` one after the other, taking the first element of any list."""
        node: Node | None = self
        for key in keys:
            if node is None:
                return None
            first = node.first()
            node = first.get(key) if first is not None else None
        return node

    def each(self) -> list[Node]:
        """The elements of a list, or this node alone (JSON-LD allows both for one value)."""
        if isinstance(self.value, list):
            return [
                Node(v, f"{self.pointer}/{i}") for i, v in enumerate(self.value) if v is not None
            ]
        return [self]

    def first(self) -> Node | None:
        items = self.each()
        return items[0] if items else None

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def scalar(self) -> str | None:
        """A string, number or boolean as text (``@value`` objects unwrapped)."""
        v = self.value
        if isinstance(v, dict) and "@value" in v:
            v = v["@value"]
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return f"{v:g}" if isinstance(v, float) else str(v)
        if isinstance(v, str):
            text = v.strip()
            return text or None
        return None

    def ref(self) -> str | None:
        """The identifier of a node: a string value, or its ``id``/``@id``."""
        if isinstance(self.value, str):
            return self.value.strip() or None
        if isinstance(self.value, dict):
            for key in ("id", "@id"):
                v = self.value.get(key)
                if isinstance(v, str) and v.strip():
                    return v.strip()
        return None

    def types(self) -> tuple[str, ...]:
        if not isinstance(self.value, dict):
            return ()
        raw = self.value.get("type", self.value.get("@type"))
        if isinstance(raw, str):
            return (raw,)
        if isinstance(raw, list):
            return tuple(t for t in raw if isinstance(t, str))
        return ()


# --- language maps ----------------------------------------------------------------------------

NO_LANGUAGE = ""


def texts(node: Node | None) -> dict[str, str]:
    """Every language of a text value: ``{language: text}`` (``""`` for untagged text).

    >>> texts(Node({"en": "Data", "fr": "Données"}))
    {'en': 'Data', 'fr': 'Données'}
    >>> texts(Node([{"@value": "Daten", "@language": "de"}, "Data"]))
    {'de': 'Daten', '': 'Data'}
    """
    out: dict[str, str] = {}
    if node is None:
        return out

    def add(lang: str, value: Any) -> None:
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() and lang not in out:
            out[lang] = " ".join(value.split()) if "\n" not in value else value.strip()

    for item in node.each():
        v = item.value
        if isinstance(v, str):
            add(NO_LANGUAGE, v)
        elif isinstance(v, dict):
            if "@value" in v:
                lang = v.get("@language")
                add(lang.casefold() if isinstance(lang, str) else NO_LANGUAGE, v["@value"])
            else:
                for lang, value in v.items():
                    if isinstance(lang, str) and not lang.startswith("@"):
                        add(lang.casefold(), value)
    return out


def pick(values: Mapping[str, str], language: str | None) -> tuple[str | None, str | None]:
    """The text in ``language``, falling back to English, untagged text, then any language.

    Returns ``(text, language_used)``; ``language_used`` is ``""`` for untagged text.

    >>> pick({"fr": "Données", "en": "Data"}, "de")
    ('Data', 'en')
    >>> pick({"en-gb": "Colour"}, "en")
    ('Colour', 'en-gb')
    >>> pick({"es": "Datos"}, None)
    ('Datos', 'es')
    """
    if not values:
        return None, None
    wanted = [language.casefold()] if language else []
    if language and "-" in language:
        wanted.append(language.casefold().split("-", 1)[0])
    wanted += ["en", NO_LANGUAGE]
    for w in wanted:
        if w in values:
            return values[w], w
        for lang, text in values.items():
            if w and lang.split("-", 1)[0] == w:
                return text, lang
    lang, text = next(iter(values.items()))
    return text, lang


def iter_strings(document: Any) -> Iterator[str]:
    """Every string value in ``document`` (used to look for URLs in tests and audits)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
