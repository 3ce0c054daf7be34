"""Reading untrusted credential bytes safely: size, nesting depth, list length and text limits.

Every refusal names the place as a JSON pointer: :class:`PayloadTooLarge` (413) for documents
over a limit, :class:`CredentialInputError` (422) for documents that are not acceptable JSON.
Nesting depth is measured on the raw text *before* ``json.loads``, because CPython's decoder
recurses and would otherwise fail deep inside itself on a document of a few kilobytes
(``[[[[...``). NaN/Infinity, integers too long to convert, NUL characters and unpaired surrogates
are refused here too: each would otherwise fail later, in storage, as a server error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from app.core.credentials import CredentialInputError, json_pointer
from app.core.errors import PayloadTooLarge


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Limits on one credential document (and on one CSV file for bulk import)."""

    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 32  # the ELM samples nest 10 deep
    max_list_items: int = 1000
    max_object_keys: int = 500
    max_nodes: int = 100_000
    max_string_chars: int = 1_000_000  # ELM embeds base64 images of ~40 kB
    max_csv_rows: int = 5000
    # values in a document that needs the JSON-LD processor (flattened, expanded, aliased):
    # pyld frames ~5000 values in ~0.8 s of CPU, so this bounds one request to ~2 s
    max_jsonld_values: int = 10_000

    @classmethod
    def from_settings(cls, settings: object) -> ImportLimits:
        """Limits from the application settings' ``credentials`` group, where it exists.

        ``settings.credentials.max_bytes`` etc. (env ``PASSERELLE_CREDENTIALS__MAX_BYTES``);
        any limit not set there keeps its default here.
        """
        group = getattr(settings, "credentials", None)
        values: dict[str, int] = {}
        for name in cls.__dataclass_fields__:
            raw = getattr(group, name, None)
            if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
                values[name] = raw
        return cls(**values)


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]', re.DOTALL)
# The same strings as in _TOKENS, written as an unrolled loop: 5x faster over long base64 texts.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _key(part: str | int) -> str | int:
    """A member name from its raw JSON string token (indices pass through)."""
    if isinstance(part, int):
        return part
    try:
        key = json.loads(part)
    except ValueError:
        return part[1:-1]
    return key if isinstance(key, str) else part[1:-1]


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of ``text`` outside JSON strings.

    Two substitutions in C (strings out, then everything but brackets) leave a few thousand
    brackets to count, instead of a Python step for each of the ~10,000 tokens of an ELM
    document. Strings are matched exactly as :func:`check_depth` tokenises them, so both see
    the same brackets.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


def check_depth(text: str, max_depth: int) -> None:
    """Refuse text whose brackets nest deeper than ``max_depth``, naming where.

    The depth is measured first without tracking the path (:func:`nesting_depth`); only a
    document over the limit is tokenised again with one regular expression to name the place
    (linear too, even for megabytes of base64 inside strings).
    """
    if nesting_depth(text) <= max_depth:
        return
    # (container kind, current key or index) per open bracket
    stack: list[list[Any]] = []
    last_string: str | None = None
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            last_string = tok
            continue
        if tok == ":":
            if stack and stack[-1][0] == "{" and last_string is not None:
                # the raw token: decoded only to name the place of a refusal
                stack[-1][1] = last_string
        elif tok == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif tok in "[{":
            stack.append([tok, 0 if tok == "[" else None])
            if len(stack) > max_depth:
                parts = [_key(p[1]) for p in stack[:-1] if p[1] is not None]
                raise PayloadTooLarge(
                    json_pointer(*parts),
                    f"the document nests deeper than {max_depth} levels",
                )
        elif tok in "]}" and stack:
            stack.pop()
        last_string = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a credential")


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def decode_text(data: bytes, limits: ImportLimits, *, pointer: str = "") -> str:
    """UTF-8 text of ``data`` (a BOM is dropped), within the byte limit."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(pointer, f"the document is larger than {limits.max_bytes} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CredentialInputError(
            pointer, f"the document is not UTF-8 text (byte {exc.start} is invalid)"
        ) from None


def parse_json_text(text: str, limits: ImportLimits) -> Any:
    """Parse JSON text within the limits; every refusal names the place."""
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise PayloadTooLarge("", f"the document is larger than {limits.max_bytes} bytes")
    check_depth(text, limits.max_depth)
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise CredentialInputError(
            "", f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise CredentialInputError("", f"the body is not acceptable JSON: {exc}") from None
    check_tree(value, limits)
    return value


def parse_json_bytes(data: bytes, limits: ImportLimits) -> Any:
    return parse_json_text(decode_text(data, limits), limits)


# A place in a document as a chain (parent place, key): the JSON pointer is written out only
# when a limit is crossed, not for each of the ~10,000 values of an ELM document.
_Place = tuple["_Place", str | int] | None


def _pointer(place: _Place) -> str:
    parts: list[str | int] = []
    while place is not None:
        place, part = place
        parts.append(part)
    return json_pointer(*reversed(parts))


def _check_string(s: str, place: _Place, limits: ImportLimits) -> None:
    if len(s) > limits.max_string_chars:
        raise PayloadTooLarge(
            _pointer(place), f"a text is longer than {limits.max_string_chars} characters"
        )
    if "\x00" in s:
        raise CredentialInputError(_pointer(place), "NUL characters are not allowed")
    if not s.isascii():  # only non-ASCII text can hold a surrogate
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise CredentialInputError(
                _pointer(place), "the text contains an unpaired surrogate (\\ud800-\\udfff)"
            ) from None


def check_tree(value: Any, limits: ImportLimits) -> None:
    """Walk a parsed document (iteratively) and refuse anything over a limit."""
    stack: list[tuple[Any, _Place, int]] = [(value, None, 0)]
    nodes = 0
    max_nodes, max_depth = limits.max_nodes, limits.max_depth
    while stack:
        node, place, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise PayloadTooLarge(_pointer(place), f"the document has more than {max_nodes} values")
        if depth > max_depth:
            raise PayloadTooLarge(
                _pointer(place), f"the document nests deeper than {max_depth} levels"
            )
        if isinstance(node, dict):
            if len(node) > limits.max_object_keys:
                raise PayloadTooLarge(
                    _pointer(place), f"an object has more than {limits.max_object_keys} members"
                )
            for k, v in node.items():
                child = (place, k)
                _check_string(k, child, limits)
                stack.append((v, child, depth + 1))
        elif isinstance(node, list):
            if len(node) > limits.max_list_items:
                raise PayloadTooLarge(
                    _pointer((place, limits.max_list_items)),
                    f"a list has {len(node)} items; at most {limits.max_list_items} are accepted",
                )
            for i, v in enumerate(node):
                stack.append((v, (place, i), depth + 1))
        elif isinstance(node, str):
            _check_string(node, place, limits)
