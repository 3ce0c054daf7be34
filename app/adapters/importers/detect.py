"""Which format a credential document is in (or whether the forced format is allowed).

Detection looks at the VC ``type``, the bundled ``@context`` URLs and the shape of the subject,
in that order; it never needs to fetch a context. ``?format=elm|ob3|plain`` skips detection
(and the chosen importer then refuses a document that is not in its format).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.adapters.importers.ctdl import is_ctdl
from app.adapters.importers.jsonld import EDC, OB3, ContextReport, Node
from app.adapters.importers.open_badges import OB_CREDENTIAL_TYPES
from app.adapters.importers.plain import looks_plain
from app.core.credentials import CredentialInputError, SourceFormat, UnsupportedCredentialFormat

JSON_FORMATS = (SourceFormat.ELM, SourceFormat.OB3, SourceFormat.PLAIN, SourceFormat.CTDL)


def parse_format(value: str | None) -> SourceFormat | None:
    """The forced format named by ``?format=`` (None when not given)."""
    if value is None or not value.strip():
        return None
    wanted = value.strip().casefold()
    aliases = {"edc": "elm", "openbadges": "ob3", "ob": "ob3", "json": "plain"}
    wanted = aliases.get(wanted, wanted)
    for fmt in JSON_FORMATS:
        if fmt.value == wanted:
            return fmt
    raise CredentialInputError(
        "format", f"unknown format {value!r}; use one of: elm, ob3, plain, ctdl"
    )


def detect_format(document: Mapping[str, Any], context: ContextReport) -> SourceFormat:
    """The format of ``document``.

    Raises:
        UnsupportedCredentialFormat: a presentation, or nothing Passerelle reads.
    """
    root = Node(document)
    types = set(root.types())
    if "VerifiablePresentation" in types or "EuropeanDigitalPresentation" in types:
        raise UnsupportedCredentialFormat(
            "/type",
            "this is a presentation of several credentials; post each credential on its own",
        )
    subject = root.get("credentialSubject")
    first = subject.first() if subject is not None else None
    if is_ctdl(document):
        return SourceFormat.CTDL
    if "EuropeanDigitalCredential" in types or context.uses(EDC):
        return SourceFormat.ELM
    if first is not None and first.get("hasClaim") is not None:
        return SourceFormat.ELM
    if types & OB_CREDENTIAL_TYPES or "Achievement" in types or context.uses(OB3):
        return SourceFormat.OB3
    if first is not None and first.get("achievement") is not None:
        return SourceFormat.OB3
    if looks_plain(document):
        return SourceFormat.PLAIN
    if "VerifiableCredential" in types:
        others = sorted(types - {"VerifiableCredential"}) or ["none"]
        raise UnsupportedCredentialFormat(
            "/type",
            f"this W3C verifiable credential (type {', '.join(others)}) is neither an ELM v3/EDC "
            "credential nor an Open Badges 3.0 credential, and its subject carries no claim or "
            "achievement Passerelle reads; force a format with ?format=elm|ob3 if it is one",
        )
    raise UnsupportedCredentialFormat(
        "",
        "the document is not a credential Passerelle reads: expected an ELM v3/EDC credential, "
        "an Open Badges 3.0 credential or achievement, or the plain JSON form (see "
        "docs/credentials.md); force a format with ?format=elm|ob3|plain",
    )
