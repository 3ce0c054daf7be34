"""Checks on raw request input that must run before any parser sees it (issue 12, item 7).

Pure functions over bytes and strings, used by :class:`app.api.middleware.RequestGuard`:

* :func:`media_family` / :func:`accepts` — which ``Content-Type`` an operation takes, by family
  (``application/ld+json`` is JSON, ``application/vc+jwt`` is a JWT), so the OpenAPI document
  stays the one list of what each operation accepts;
* :func:`json_depth` — the nesting depth of a JSON text without parsing it: Python's ``json``
  module recurses once per level and a 100k-deep array raises ``RecursionError``;
* :func:`nul_pointer` — where a NUL character hides in a JSON document: PostgreSQL refuses NUL
  in text columns, so a string carrying one must be refused before it reaches a query.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

#: The media types a browser may send cross-site without a CORS preflight ("simple" requests,
#: Fetch standard, CORS-safelisted ``Content-Type``): never accepted on a write.
SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
#: W3C VC 2.0 registers these two as JSON-LD documents without a ``+json`` suffix.
_JSON_ALIASES = frozenset({"application/vc", "application/vp"})
_CSV_TYPES = frozenset({"text/csv", "application/csv"})


def media_type(header: str | None) -> str | None:
    """The bare, lower-cased media type of a ``Content-Type`` header (``None`` if absent)."""
    if header is None:
        return None
    bare = header.split(";", 1)[0].strip().casefold()
    return bare or None


def media_family(media: str) -> str:
    """``json``, ``jwt`` or ``csv`` for the families the service reads; else the type itself."""
    if media == "application/json" or media.endswith("+json") or media in _JSON_ALIASES:
        return "json"
    if media.startswith("application/") and (media.endswith("jwt") or media == "application/jose"):
        return "jwt"
    if media in _CSV_TYPES:
        return "csv"
    return media


def accepts(declared: frozenset[str], media: str | None) -> bool:
    """Whether an operation declaring ``declared`` request media types takes ``media``."""
    if media is None or media in SIMPLE_TYPES:
        return False
    family = media_family(media)
    return any(media_family(d) == family for d in declared)


# A JSON string literal (RFC 8259 §7), written so the regex engine never backtracks into it.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (0 for a scalar).

    Strings are blanked first (a bracket inside a string does not nest), then the running sum
    of +1 per opening and -1 per closing bracket is taken in numpy: linear, no recursion, about
    10 ms for the largest body the service accepts. Malformed JSON gets a number too; the
    parser that runs after this check reports the syntax error itself.
    """
    stripped = _STRING.sub(b'""', body)
    if not stripped:
        return 0
    steps = _OPEN[np.frombuffer(stripped, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


# ``\u0000`` as an escape, not preceded by an odd number of backslashes (``\\u0000`` is a
# backslash followed by the letters u0000).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def nul_pointer(body: bytes) -> str | None:
    """The JSON pointer of the first string (or key) holding NUL, ``None`` if there is none.

    Call only on a body whose depth has been checked: it parses the document to name the place.
    A body that does not parse is left to the route's own parser (it answers the syntax error).
    """
    # ``in`` on bytes is a C scan; the regex (is the escape itself escaped?) only runs on a hit.
    if b"\x00" not in body and (b"\\u0000" not in body or not _NUL_ESCAPE.search(body)):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return "" if b"\x00" in body else None
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return pointer
        elif isinstance(value, dict):
            for key in value:
                if "\x00" in key:
                    return pointer + "/" + _escape(key)
            stack.extend((pointer + "/" + _escape(k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{n}", item) for n, item in reversed(list(enumerate(value))))
    return None


def nul_parameter(pairs: list[tuple[str, str]]) -> str | None:
    """The first parameter whose name or value holds NUL, ``None`` if none does."""
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\u0000")
    return None
