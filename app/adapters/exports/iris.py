"""The IRIs Passerelle mints for what it exports, and the way back from them.

A level with an EU vocabulary URI (``http://data.europa.eu/snb/...``, EQF levels
``http://data.europa.eu/snb/eqf/N``) is exported under that URI, so a linked-data store joins
our statements with the EU's; any other level, and every framework, gets an IRI under
:data:`BASE`. Codes are percent-encoded, so ``Entry 3`` or ``7.1`` give valid IRIs.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from app.core.types import Framework, Level, LevelKey

BASE = "https://passerelle.dev/id/"
VOCAB = "https://passerelle.dev/ns#"
EU_PREFIX = "http://data.europa.eu/snb/"


def framework_iri(framework_id: str) -> str:
    """The IRI of a framework (its ``skos:ConceptScheme``).

    >>> framework_iri("UK-SCT-SCQF")
    'https://passerelle.dev/id/framework/UK-SCT-SCQF'
    """
    return f"{BASE}framework/{quote(framework_id, safe='')}"


def minted_level_iri(key: LevelKey) -> str:
    """The IRI minted for a level without an EU vocabulary URI.

    >>> minted_level_iri(LevelKey("UK-ENG-RQF", "Entry 3"))
    'https://passerelle.dev/id/level/UK-ENG-RQF/Entry%203'
    >>> key_from_minted(minted_level_iri(LevelKey("UK-ENG-RQF", "Entry 3")))
    LevelKey(framework='UK-ENG-RQF', code='Entry 3')
    """
    return f"{BASE}level/{quote(key.framework, safe='')}/{quote(key.code, safe='')}"


def level_iri(level: Level) -> str:
    """The EU vocabulary URI of ``level`` when it has one, else a minted IRI."""
    for uri in level.uris:
        if uri.startswith(EU_PREFIX):
            return uri
    return minted_level_iri(level.key)


def key_from_minted(iri: str) -> LevelKey | None:
    """The level key of a minted level IRI (None for any other IRI)."""
    head = f"{BASE}level/"
    if not iri.startswith(head):
        return None
    framework, _, code = iri[len(head) :].partition("/")
    return LevelKey(unquote(framework), unquote(code)) if code else None


def progression_model_iri(framework: Framework) -> str:
    return framework_iri(framework.id) + "/levels"
