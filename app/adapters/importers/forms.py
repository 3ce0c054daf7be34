"""Documents as published -> the compact JSON-LD tree the importers read.

What arrives is not always one credential in compact form:

* the EDC "uploadable" wrapper ``{"credential": {...}}`` (what the EDC wallet exports for upload);
* a flattened ``@graph``, expanded JSON-LD, aliased terms or IRI keys: framed by the JSON-LD
  processor (:mod:`jsonld`) into the tree of the format's reading context;
* documents whose only ``@context`` is unknown: refused (422 naming ``/@context/0``), because
  without the context nothing says what their terms mean (docs/credentials.md, "Safety");
* CTDL (Credential Engine) descriptions inside a verifiable credential: refused with a reason
  naming the CTDL types, instead of being mistaken for an Open Badge without a title.

An unknown context URL next to bundled ones is never fetched: a tree document is read by its
term names (warning ``context_not_bundled``); a document that needs the processor is processed
with the bundled context of its format in the unknown URL's place (the same warning says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.adapters.importers.ctdl import is_ctdl
from app.adapters.importers.jsonld import (
    EDC,
    ELM_READING,
    OB3,
    OB3_READING,
    ContextReport,
    all_types,
    bundled,
    expand,
    frame,
    processing_reason,
    rename_iri_keys,
    with_bundled_contexts,
)
from app.adapters.importers.safety import ImportLimits, check_tree
from app.core.credentials import (
    CredentialWarning,
    SourceFormat,
    UnsupportedCredentialFormat,
    WarningCode,
)
from app.core.errors import PayloadTooLarge

_OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential", "Achievement"})
_CTDL_HOSTS = ("credreg.net/ctdl", "credreg.net/ctdlasn", "purl.org/ctdl")
_CTDL_PREFIXES = ("ceterms:", "ceasn:", "https://purl.org/ctdl/", "https://purl.org/ctdlasn/")
_SUPPORTED = (
    "Passerelle reads ELM v3 / European Digital Credentials, Open Badges 3.0, CTDL as a "
    "verifiable credential's achievement, and its plain "
    "JSON form (docs/credentials.md)"
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A document ready for an importer."""

    readable: Any  # the compact tree the importers read
    jsonld: Any  # the same for a JSON-LD processor (contexts bundled), for SHACL; None if plain
    processed: str | None  # why the processor framed it (None: read as published)
    warnings: tuple[CredentialWarning, ...]


def unwrap_uploadable(document: Any) -> Any:
    """The credential of an EDC uploadable wrapper ``{"credential": {...}}``, else ``document``."""
    if isinstance(document, Mapping) and set(document) == {"credential"}:
        inner = document["credential"]
        if isinstance(inner, Mapping) and ("@context" in inner or "type" in inner):
            return inner
    return document


def refuse_unknown_only(context: ContextReport) -> None:
    """Refuse a document whose every ``@context`` is an unknown URL (the documented rule)."""
    if not context.present or context.known or context.inline or not context.unknown:
        return
    pointer, url = context.unknown[0]
    what = (
        "a CTDL (Credential Engine) document, which Passerelle does not read"
        if any(h in url.casefold() for h in _CTDL_HOSTS)
        else "a vocabulary Passerelle does not bundle"
    )
    raise UnsupportedCredentialFormat(
        pointer,
        f"the only @context, {url[:200]!r}, is {what}; contexts are never fetched, so the "
        f"document's terms cannot be read. {_SUPPORTED}",
    )


def _ctdl_type(document: Mapping[str, Any]) -> tuple[str, str] | None:
    """(pointer, type) of the first CTDL-typed node in a credential subject."""
    stack: list[tuple[Any, str]] = [(document.get("credentialSubject"), "/credentialSubject")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
        elif isinstance(node, Mapping):
            raw = node.get("type", node.get("@type"))
            for value in raw if isinstance(raw, list) else [raw]:
                if isinstance(value, str) and value.startswith(_CTDL_PREFIXES):
                    return f"{pointer}/type", value
            for key in ("achievement", "hasCredential", "credential"):
                if key in node:
                    stack.append((node[key], f"{pointer}/{key}"))
    return None


def refuse_ctdl(document: Any) -> None:
    """CTDL descriptions Passerelle does not read (anywhere but a VC subject's ``achievement``,
    which :mod:`ctdl` reads) are named as such, not misread as another format."""
    if not isinstance(document, Mapping) or is_ctdl(document):
        return
    found = _ctdl_type(document)
    if found is None:
        return
    pointer, kind = found
    raise UnsupportedCredentialFormat(
        pointer,
        f"this document describes a credential in CTDL (Credential Engine's Credential "
        f"Transparency Description Language, {kind}) where Passerelle does not read it: CTDL is "
        "read only as the achievement of a verifiable credential's subject "
        f"(credentialSubject.achievement). {_SUPPORTED}",
    )


def guess_format(document: Any, context: ContextReport) -> SourceFormat | None:
    """The format a document is in, judged from its types and contexts before processing."""
    types = all_types(document)
    if "EuropeanDigitalCredential" in types or context.uses(EDC):
        return SourceFormat.ELM
    if types & _OB_TYPES or context.uses(OB3):
        return SourceFormat.OB3
    return None


def _values(document: Any, stop: int) -> int:
    """How many values ``document`` holds (counting stops past ``stop``)."""
    count, stack = 0, [document]
    while stack and count <= stop:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def prepare(
    document: Any,
    context: ContextReport,
    forced: SourceFormat | None,
    limits: ImportLimits | None = None,
) -> Prepared:
    """Frame ``document`` when it is not a compact tree; warn about unknown contexts.

    Raises:
        PayloadTooLarge: the document needs the processor and holds more values than
            ``limits.max_jsonld_values``, or its framed form is over a limit (depth …).
    """
    limits = limits or ImportLimits()
    max_values = limits.max_jsonld_values
    fmt = forced or guess_format(document, context)
    substitute = (
        bundled(EDC).urls[0]
        if fmt is SourceFormat.ELM
        else bundled(OB3).urls[0]
        if fmt is SourceFormat.OB3
        else None
    )
    reason = processing_reason(document, context)
    # CTDL is read by its ceterms:/ceasn: names (its contexts are not bundled)
    ctdl = isinstance(document, Mapping) and is_ctdl(document)
    processed = reason is not None and fmt is not SourceFormat.PLAIN and not ctdl
    warnings = []
    for pointer, url in context.unknown:
        if processed and substitute is not None:
            name = bundled(EDC if fmt is SourceFormat.ELM else OB3).name
            how = f"the document was processed with the bundled {name} context in its place"
        else:
            how = "the document is read by its term names"
        warnings.append(
            CredentialWarning(
                WarningCode.CONTEXT_NOT_BUNDLED,
                f"The JSON-LD context {url[:200]!r} is not bundled with Passerelle and was "
                f"not fetched; {how}.",
                pointer=pointer,
            )
        )
    if not processed:
        is_jsonld = context.present and fmt is not SourceFormat.PLAIN and not ctdl
        return Prepared(
            readable=document,
            jsonld=with_bundled_contexts(document, substitute) if is_jsonld else None,
            processed=None,
            warnings=tuple(warnings),
        )
    if _values(document, max_values) > max_values:
        raise PayloadTooLarge(
            "",
            f"the document needs JSON-LD processing ({reason}) and holds more than "
            f"{max_values} values; send it as a compact tree (as ELM/EDC and Open Badges "
            "publish credentials), or split it",
        )
    expanded = expand(with_bundled_contexts(document, substitute))
    reading: tuple[str, ...] = OB3_READING if fmt is SourceFormat.OB3 else ELM_READING
    roots = (
        ("VerifiableCredential", "Achievement")
        if fmt is SourceFormat.OB3
        else ("VerifiableCredential",)
    )
    framed = frame(expanded, reading, roots)
    # framing embeds referenced nodes: a chain of references becomes deep nesting
    check_tree(framed, limits)
    readable = _root(rename_iri_keys(framed, reading))
    if readable is None:
        raise UnsupportedCredentialFormat(
            "",
            f"the JSON-LD document ({reason}) holds no credential: no node is a "
            f"VerifiableCredential{' or an Achievement' if fmt is SourceFormat.OB3 else ''}. "
            f"{_SUPPORTED}",
        )
    return Prepared(readable=readable, jsonld=readable, processed=reason, warnings=tuple(warnings))


def _root(framed: Any) -> dict[str, Any] | None:
    """The credential of a framed document (the first credential when several match)."""
    if not isinstance(framed, Mapping):
        return None
    context = framed.get("@context")
    graph = framed.get("@graph")
    if graph is None:
        node = dict(framed)
        return node if len(node) > 1 else None
    nodes = [dict(n) for n in graph if isinstance(n, Mapping)] if isinstance(graph, list) else []
    for node in nodes:
        types = node.get("type")
        kinds = types if isinstance(types, list) else [types]
        if "VerifiableCredential" in kinds:
            return {"@context": context, **node}
    return {"@context": context, **nodes[0]} if nodes else None
