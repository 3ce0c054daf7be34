"""JSON-LD for the importers: bundled contexts behind a frozen document loader, the JSON-LD
processor (pyld) for documents not in the compact form the importers read, and language maps.

No URL is ever fetched. The contexts Passerelle recognises are bundled in ``contexts/`` (the
ELM/EDC application profile, W3C VC 1.1 and 2.0, and Passerelle's own context for the Open
Badges 3.0 terms; see its PROVENANCE.md) and served by :func:`document_loader`, which refuses
every other URL. The loader is also installed as pyld's default, so no code path in the process
can make pyld call out.

Two ways in, one shape out:

* a document in the compact form its issuer's context defines (bundled context URLs, plain
  term keys, one tree) is read as it is: that is what the processor would produce, and it keeps
  members no context defines (OB extensions) and pointers into the original;
* anything else (a flattened ``@graph``, expanded form, inline contexts that alias terms,
  keys written as IRIs or CURIEs, scoped ``@context``) is expanded and framed by pyld into the
  compact form of the format's reading context, so it reads the same as the tree form.

Processed contexts are cached by pyld (its shared resolved-context cache), the context files
once per process here.

Language maps (``{"en": "...", "fr": "..."}``), value objects (``{"@value", "@language"}``) and
lists of either are read by :func:`texts`; :func:`pick` chooses the requested language, then
English, then text without a language tag, then the first language the document gives.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld  # type: ignore[import-untyped]

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


@cache
def _file(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONTEXT_DIR / name).read_text(encoding="utf-8"))
    return data


@cache
def bundled_contexts() -> tuple[BundledContext, ...]:
    """Every bundled context (the first URL of each is the one the reading contexts use)."""
    ob = _file("ob-v3p0-passerelle.jsonld")
    return (
        BundledContext(
            EDC,
            "European Learning Model v3 / European Digital Credentials (EDC) application profile",
            (
                "http://data.europa.eu/snb/model/context/edc-ap",
                "http://data.europa.eu/snb/model/context/edc-ap-context.jsonld",
            ),
            "edc-ap-context.jsonld",
        ),
        BundledContext(OB3, str(ob["name"]), tuple(ob["urls"]), "ob-v3p0-passerelle.jsonld"),
        BundledContext(
            VC2,
            "W3C Verifiable Credentials Data Model 2.0",
            ("https://www.w3.org/ns/credentials/v2",),
            "credentials-v2.jsonld",
        ),
        BundledContext(
            VC1,
            "W3C Verifiable Credentials Data Model 1.1",
            ("https://www.w3.org/2018/credentials/v1",),
            "credentials-v1.jsonld",
        ),
    )


@cache
def _by_url() -> dict[str, BundledContext]:
    return {normalise_url(u): c for c in bundled_contexts() for u in c.urls}


def bundled(key: str) -> BundledContext:
    return next(c for c in bundled_contexts() if c.key == key)


class ContextNotBundled(jsonld.JsonLdError):  # type: ignore[misc]
    """A context URL that is not bundled: refused, never fetched."""


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader serving the bundled contexts only (never the network)."""
    ctx = _by_url().get(normalise_url(url)) if isinstance(url, str) else None
    if ctx is None:
        raise ContextNotBundled(
            f"the JSON-LD context {str(url)[:200]!r} is not bundled with Passerelle and is "
            "never fetched",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        )
    # pyld keeps what it resolved in its own cache; a copy keeps the bundled file pristine.
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": {"@context": copy.deepcopy(_file(ctx.file)["@context"])},
    }


jsonld.set_document_loader(document_loader)

# Reading contexts: the compact shape each importer reads.
ELM_READING = (bundled(VC1).urls[0], bundled(EDC).urls[0])
OB3_READING = (bundled(VC2).urls[0], bundled(OB3).urls[0])


@dataclass(frozen=True, slots=True)
class ContextReport:
    """What a document's ``@context`` says, read without fetching anything."""

    known: tuple[str, ...] = ()  # keys of bundled contexts named by URL
    unknown: tuple[tuple[str, str], ...] = ()  # (JSON pointer, URL) not bundled, not fetched
    inline: bool = False  # an object entry (terms defined or aliased in the document)
    present: bool = False

    def uses(self, key: str) -> bool:
        return key in self.known


def read_context(document: Any) -> ContextReport:
    """Classify the ``@context`` entries of ``document``.

    Raises:
        CredentialInputError: ``@context`` is neither a string, an object nor a list of those.
    """
    if not isinstance(document, Mapping) or "@context" not in document:
        return ContextReport()
    raw = document["@context"]
    entries = raw if isinstance(raw, list) else [raw]
    known: list[str] = []
    unknown: list[tuple[str, str]] = []
    inline = False
    for i, entry in enumerate(entries):
        pointer = json_pointer("@context", i) if isinstance(raw, list) else "/@context"
        if isinstance(entry, str):
            ctx = _by_url().get(normalise_url(entry))
            if ctx is None:
                unknown.append((pointer, entry))
            elif ctx.key not in known:
                known.append(ctx.key)
        elif isinstance(entry, dict):
            inline = inline or bool(entry)
            imported = entry.get("@import")
            if isinstance(imported, str) and normalise_url(imported) not in _by_url():
                unknown.append((f"{pointer}/@import", imported))
        elif entry is not None:
            raise CredentialInputError(
                pointer, "an @context entry must be a URL string or an object"
            )
    return ContextReport(tuple(known), tuple(unknown), inline, True)


_COMPACT_KEYWORDS = frozenset({"@context", "@id", "@type", "@value", "@language"})


def processing_reason(document: Any, report: ContextReport) -> str | None:
    """Why ``document`` must go through the JSON-LD processor (None: it is read as it is).

    A document without ``@context`` is plain JSON unless it is in expanded form (a list, or
    keys that are absolute IRIs).
    """
    if isinstance(document, list):
        return "expanded form"
    if not isinstance(document, Mapping):
        return None
    if "@graph" in document:
        return "flattened form (@graph)"
    if not report.present and not any(
        isinstance(k, str) and k.startswith(("http://", "https://")) for k in document
    ):
        return None
    if report.inline:
        return "terms defined in the document's own @context"
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("@"):
                    if key == "@context" and node is not document:
                        # embedded credentials (OB endorsements) repeat the bundled contexts,
                        # which change no term; anything else may
                        entries = value if isinstance(value, list) else [value]
                        if not all(
                            isinstance(e, str) and normalise_url(e) in _by_url() for e in entries
                        ):
                            return "a nested @context"
                        continue
                    if key not in _COMPACT_KEYWORDS:
                        return f"the keyword {key}"
                elif ":" in key:
                    return "keys written as IRIs or compact IRIs"
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return None


def all_types(document: Any) -> set[str]:
    """Every ``type``/``@type`` value at the top of a document, its ``@graph`` or expanded form
    (IRIs reduced to their last segment), to guess the format before processing."""
    nodes: list[Any] = []
    if isinstance(document, list):
        nodes = document
    elif isinstance(document, Mapping):
        nodes = [document]
        graph = document.get("@graph")
        if isinstance(graph, list):
            nodes += graph
    out: set[str] = set()
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        raw = node.get("type", node.get("@type"))
        for value in raw if isinstance(raw, list) else [raw]:
            if isinstance(value, str):
                out.add(local_name(value))
    return out


def local_name(iri: str) -> str:
    """The last segment of an IRI or compact IRI.

    >>> local_name("http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential")
    'EuropeanDigitalCredential'
    >>> local_name("https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential")
    'OpenBadgeCredential'
    >>> local_name("ext:ECTS")
    'ECTS'
    """
    for sep in ("#", "/", ":"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[-1]
    return iri


def with_bundled_contexts(document: Any, substitute: str | None) -> Any:
    """``document`` with each unknown top-level context URL replaced by ``substitute`` (the
    format's bundled context), or dropped: an unknown URL is never handed to the processor."""
    if not isinstance(document, Mapping) or "@context" not in document:
        return document
    raw = document["@context"]
    entries = raw if isinstance(raw, list) else [raw]
    out: list[Any] = []
    for entry in entries:
        if isinstance(entry, str) and normalise_url(entry) not in _by_url():
            entry = substitute
        elif (
            isinstance(entry, dict)
            and isinstance(entry.get("@import"), str)
            and normalise_url(entry["@import"]) not in _by_url()
        ):
            entry = {k: v for k, v in entry.items() if k != "@import"}
        if entry is not None and entry not in out:
            out.append(entry)
    return {**document, "@context": out}


def _reason(exc: BaseException) -> str:
    """The most specific message of a pyld error chain (a refused URL is named)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ContextNotBundled):
            return str(seen.args[0])
        seen = seen.__cause__ or seen.__context__
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    code = getattr(exc, "code", None)
    return f"{message} ({code})" if code else message


def expand(document: Any) -> list[Any]:
    """Expanded JSON-LD of ``document`` (bundled contexts only).

    Raises:
        CredentialInputError: the processor refused the document (pointer ``/@context``).
    """
    try:
        expanded: list[Any] = jsonld.expand(document, {"documentLoader": document_loader})
    except (jsonld.JsonLdError, RecursionError, TypeError, ValueError, KeyError) as exc:
        # pyld raises more than JsonLdError on hostile input; none of it may become a 500
        raise CredentialInputError(
            "/@context", f"the JSON-LD could not be processed: {_reason(exc)}"
        ) from None
    return expanded


def frame(expanded: list[Any], reading: Sequence[str], root_types: Sequence[str]) -> Any:
    """Frame expanded JSON-LD into the compact tree of ``reading`` rooted at ``root_types``.

    Each node is embedded where it is first used and referenced by ``id`` elsewhere (the
    importers follow such references). Returns the framed object, or a ``@graph`` list when
    several roots match.
    """
    try:
        return jsonld.frame(
            expanded,
            {"@context": list(reading), "@type": list(root_types)},
            {"documentLoader": document_loader, "omitGraph": True},
        )
    except (jsonld.JsonLdError, RecursionError, TypeError, ValueError, KeyError) as exc:
        # e.g. a chain of references framed deeper than Python's recursion limit
        raise CredentialInputError(
            "/@context", f"the JSON-LD could not be processed: {_reason(exc)}"
        ) from None


@cache
def _iri_terms(reading: tuple[str, ...]) -> dict[str, str]:
    """Absolute IRI -> term of a reading context, as the processor defines them (the top-level
    terms and those of type-scoped contexts such as VC 1.1's ``VerifiableCredential``)."""
    from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

    options = {
        "processingMode": "json-ld-1.1",
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(jsonld._resolved_context_cache, document_loader),
    }
    processor = jsonld.JsonLdProcessor()
    # pyld has no public call for a processed context; these are the ones its API uses.
    active = processor.process_context(
        processor._get_initial_context(options), list(reading), options
    )
    out: dict[str, str] = {}
    actives = [active]
    for definition in list(active["mappings"].values()):
        if isinstance(definition, Mapping) and "@context" in definition:
            try:
                actives.append(processor.process_context(active, definition["@context"], options))
            except jsonld.JsonLdError:  # a scoped context pyld will not take apart: skip it
                continue
    for ctx in actives:
        for term, definition in ctx["mappings"].items():
            iri = definition.get("@id") if isinstance(definition, Mapping) else None
            if isinstance(iri, str) and ":" in iri and not term.startswith("@"):
                out.setdefault(iri, term)
                if ":" not in term and iri.endswith(("/", "#")):
                    out.setdefault(f"{term}:", iri)  # a prefix, for compact IRIs
    return out


def rename_iri_keys(document: Any, reading: tuple[str, ...]) -> Any:
    """Keys the compaction had to leave as IRIs (a value whose datatype is not the term's, e.g.
    an untyped duration for ``volumeOfLearning``) renamed to their term, never overwriting."""
    terms = _iri_terms(reading)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            term = None
            if ":" in key and not key.startswith("@"):
                prefix, _, rest = key.partition(":")
                iri = key if rest.startswith("//") else terms.get(f"{prefix}:", prefix + ":") + rest
                term = terms.get(iri)
            out[term if term and term not in node else key] = walk(value)
        return out

    return walk(document)


def to_rdf(document: Any) -> dict[str, list[dict[str, Any]]]:
    """The RDF dataset of ``document`` as pyld gives it (graph name -> triples of
    ``{"type", "value", "datatype", "language"}`` terms); bundled contexts only.

    Raises:
        CredentialInputError: the processor refused the document (pointer ``/@context``).
    """
    try:
        dataset: dict[str, list[dict[str, Any]]] = jsonld.to_rdf(
            document, {"documentLoader": document_loader}
        )
    except (jsonld.JsonLdError, RecursionError, TypeError, ValueError, KeyError) as exc:
        raise CredentialInputError(
            "/@context", f"the JSON-LD could not be processed: {_reason(exc)}"
        ) from None
    return dataset


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
