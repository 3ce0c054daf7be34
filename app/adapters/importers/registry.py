"""The importer registry and the one entry point from bytes to a normalised credential.

``read_document`` takes the bytes of one JSON (or compact JWS) credential, unwraps a signature
envelope, checks the ``@context`` against the bundled contexts (never fetching), detects or
applies the forced format, and runs that format's importer. ``content_hash`` identifies the
document for idempotent storage: the SHA-256 of its canonical JSON (sorted keys, no
insignificant whitespace), or of the token for a compact JWS, so the same document posted twice,
however it is spaced, has the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.ctdl import import_ctdl
from app.adapters.importers.detect import detect_format
from app.adapters.importers.elm import import_elm
from app.adapters.importers.forms import (
    prepare,
    refuse_ctdl,
    refuse_unknown_only,
    unwrap_uploadable,
)
from app.adapters.importers.jsonld import read_context
from app.adapters.importers.open_badges import import_open_badges
from app.adapters.importers.plain import import_plain
from app.adapters.importers.safety import decode_text, parse_json_text
from app.adapters.importers.signed import (
    Envelope,
    decode_compact,
    decode_enveloped,
    decode_jws_json,
    embedded_proof,
    is_enveloped,
    is_jws_json,
    looks_like_jwt,
)
from app.core.credentials import (
    CredentialInputError,
    ImportedCredential,
    SourceFormat,
    UnsupportedCredentialFormat,
)

Importer = Callable[[Mapping[str, Any], ImportOptions], ImportedCredential]

IMPORTERS: dict[SourceFormat, Importer] = {
    SourceFormat.ELM: import_elm,
    SourceFormat.OB3: import_open_badges,
    SourceFormat.PLAIN: import_plain,
    SourceFormat.CTDL: import_ctdl,
}


@dataclass(frozen=True, slots=True)
class ReadDocument:
    imported: ImportedCredential
    source_format: SourceFormat
    original: Any  # the credential as JSON (decoded from its envelope where there is one)
    original_text: str | None  # the compact JWS as received, for signed tokens
    content_hash: str
    # The credential as a JSON-LD processor reads it (bundled contexts only), for SHACL
    # validation; None for plain JSON and CSV.
    jsonld: Any = None
    # Why the JSON-LD processor framed the document (None: read as published; ``sources``
    # pointers then point into the framed form).
    processed: str | None = None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unwrap(document: Any, options: ImportOptions) -> tuple[Any, Envelope | None]:
    limits = options.limits
    if isinstance(document, str) and looks_like_jwt(document.strip()):
        envelope = decode_compact(document.strip(), limits, trust=options.trust)
    elif isinstance(document, Mapping) and is_jws_json(document):
        envelope = decode_jws_json(document, limits, trust=options.trust)
    elif isinstance(document, Mapping) and is_enveloped(document):
        envelope = decode_enveloped(document, limits, trust=options.trust)
    else:
        return document, None
    inner = envelope.document
    if isinstance(inner, Mapping) and (is_jws_json(inner) or is_enveloped(inner)):
        raise CredentialInputError("", "a signed credential may be wrapped only once")
    return inner, envelope


def read_document(
    data: bytes | str, *, forced: SourceFormat | None = None, options: ImportOptions | None = None
) -> ReadDocument:
    """Bytes (or text) of one credential -> its normalised form, warnings and identity.

    Raises:
        PayloadTooLarge: over a size, depth or length limit (pointer to the place).
        CredentialInputError: not JSON, not an object, or not acceptable in its format.
        UnsupportedCredentialFormat: not a format Passerelle reads.
    """
    options = options or ImportOptions()
    if forced is SourceFormat.CSV:
        raise UnsupportedCredentialFormat("format", "CSV is read by the bulk import, not here")
    text = decode_text(data, options.limits) if isinstance(data, bytes) else data
    stripped = text.strip()
    parsed: Any = stripped if looks_like_jwt(stripped) else parse_json_text(text, options.limits)
    document, envelope = _unwrap(parsed, options)
    document = unwrap_uploadable(document)
    if not isinstance(document, Mapping) and not (
        isinstance(document, list) and document and all(isinstance(d, Mapping) for d in document)
    ):
        raise CredentialInputError("", "a credential is a JSON object")
    context = read_context(document)
    refuse_unknown_only(context)
    refuse_ctdl(document)
    prepared = prepare(document, context, forced, options.limits)
    readable = prepared.readable
    warnings = list(prepared.warnings)
    try:
        source_format = forced or detect_format(readable, context)
    except UnsupportedCredentialFormat as exc:
        if context.unknown and not context.known and not exc.field:
            pointer, url = context.unknown[0]
            raise UnsupportedCredentialFormat(
                pointer,
                f"{exc.message}. The @context {url[:200]!r} is not bundled with Passerelle and "
                "is never fetched",
            ) from None
        raise
    imported = IMPORTERS[source_format](readable, options)
    credential = imported.credential
    embedded = embedded_proof(document)  # a Data Integrity proof, verified on the original
    if embedded is not None:
        credential = replace(credential, proof=embedded)
    if envelope is not None:
        own = credential.proof
        proof = envelope.proof
        if own.signed and own.type:
            proof = replace(proof, type=f"{proof.type}; {own.type}")
        credential = replace(credential, proof=proof)
    token = envelope.token if envelope is not None else None
    content_hash = sha256(token) if token else sha256(canonical_json(parsed))
    return ReadDocument(
        imported=ImportedCredential(credential, (*warnings, *imported.warnings)),
        source_format=source_format,
        original=dict(document) if isinstance(document, Mapping) else list(document),
        original_text=token,
        content_hash=content_hash,
        jsonld=prepared.jsonld,
        processed=prepared.processed,
    )
