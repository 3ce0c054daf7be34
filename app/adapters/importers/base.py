"""What every importer shares: options, and a collector that records where each value was found.

The collector turns language maps into one text (with the fallback of :func:`jsonld.pick`), keeps
every language under ``translations``, and remembers the JSON pointer of each normalised field so
that the completeness report can say where an element was found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.adapters.importers.jsonld import NO_LANGUAGE, Node, pick, texts
from app.adapters.importers.safety import ImportLimits
from app.adapters.importers.vocab import concept_label
from app.adapters.verification.trust import TrustStore
from app.core.credentials import Concept, CredentialWarning, WarningCode


@dataclass(frozen=True, slots=True)
class ImportOptions:
    language: str | None = None  # preferred language for texts (falls back to en, then any)
    limits: ImportLimits = field(default_factory=ImportLimits)
    # anchors that signers' certificate chains are checked against (none: trust not established)
    trust: TrustStore = field(default_factory=TrustStore)


class IdIndex:
    """Objects of a document by ``id``, so a bare string reference can be followed.

    ELM documents embed each object where it is used, but may also refer to one by its id only.
    """

    def __init__(self, root: Node) -> None:
        self._by_id: dict[str, Node] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            v = node.value
            if isinstance(v, dict):
                ident = v.get("id")
                if isinstance(ident, str) and len(v) > 2 and ident not in self._by_id:
                    self._by_id[ident] = node
                for key, child in v.items():
                    if isinstance(child, (dict, list)):
                        stack.append(Node(child, f"{node.pointer}/{_escape(key)}"))
            elif isinstance(v, list):
                for i, child in enumerate(v):
                    if isinstance(child, (dict, list)):
                        stack.append(Node(child, f"{node.pointer}/{i}"))

    def deref(self, node: Node | None) -> Node | None:
        if node is None:
            return None
        if isinstance(node.value, str):
            return self._by_id.get(node.value.strip(), node)
        return node

    def objects(self, node: Node | None) -> list[Node]:
        """The objects a (possibly multi-valued, possibly referenced) property points to."""
        if node is None:
            return []
        out = []
        for item in node.each():
            target = self.deref(item)
            if target is not None and target.is_object:
                out.append(target)
        return out

    def object(self, node: Node | None) -> Node | None:
        items = self.objects(node)
        return items[0] if items else None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class Collector:
    """Accumulates sources, translations, languages and warnings while one document is read."""

    def __init__(self, language: str | None) -> None:
        self.language = language.casefold() if language else None
        self.sources: dict[str, list[str]] = {}
        self.translations: dict[str, dict[str, str]] = {}
        self.languages: list[str] = []
        self.used_languages: list[str] = []
        self.warnings: list[CredentialWarning] = []
        self._fallback = False

    # -- provenance

    def found(self, name: str, where: Node | str | None) -> None:
        pointer = where.pointer if isinstance(where, Node) else where
        if pointer is None:
            return
        bucket = self.sources.setdefault(name, [])
        if pointer not in bucket:
            bucket.append(pointer)

    def add_source(self, name: str, pointer: str) -> None:
        """Append a pointer even if already present (outcome pointers are positional)."""
        self.sources.setdefault(name, []).append(pointer)

    def frozen_sources(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.sources.items() if v}

    # -- texts

    def note_language(self, lang: str | None) -> None:
        if lang and lang != NO_LANGUAGE and lang not in self.languages:
            self.languages.append(lang)

    def text(
        self, node: Node | None, name: str | None = None, translation_key: str | None = None
    ) -> str | None:
        """One text from a plain string, a language map or value objects."""
        values = texts(node)
        if not values:
            return None
        for lang in values:
            self.note_language(lang)
        chosen, used = pick(values, self.language)
        if used and used not in self.used_languages:
            self.used_languages.append(used)
        if (
            self.language
            and used is not None
            and used.split("-", 1)[0] != self.language.split("-", 1)[0]
        ):
            self._fallback = True
        if translation_key and len(values) > 1:
            self.translations[translation_key] = dict(values)
        if name and node is not None:
            self.found(name, node)
        return chosen

    def concept(self, node: Node | None, index: IdIndex | None = None) -> Concept | None:
        """A controlled-vocabulary value: ``{"id", "prefLabel"}``, a URI, or a bare label."""
        if node is None:
            return None
        item = node.first()
        if item is None:
            return None
        if index is not None:
            item = index.deref(item) or item
        if isinstance(item.value, str):
            value = item.value.strip()
            if not value:
                return None
            if value.startswith(("http://", "https://", "urn:")):
                return Concept(label=concept_label(value), uri=value)
            return Concept(label=value)
        if isinstance(item.value, dict):
            label = self.text(item.get("prefLabel", "label", "name", "title", "noteLiteral"))
            uri = item.ref()
            if uri and not label:
                label = concept_label(uri)
            notation = item.get("notation")
            if not (uri or label) and notation is not None:
                # a concept given by its code only (DC4EU: {"notation": "ECTS"})
                label = notation.scalar()
            concept = Concept(label=label, uri=uri)
            return concept if concept else None
        return None

    # -- warnings

    def warn(self, code: WarningCode, message: str, pointer: str | None = None) -> None:
        self.warnings.append(CredentialWarning(code, message, pointer=pointer))

    def finish_warnings(self) -> tuple[CredentialWarning, ...]:
        if self._fallback and self.language:
            shown = ", ".join(u or "untagged" for u in self.used_languages if u != self.language)
            self.warnings.append(
                CredentialWarning(
                    WarningCode.LANGUAGE_FALLBACK,
                    f"Some texts are not available in {self.language!r}; they are shown in "
                    f"{shown or 'another language'} (every language is kept under translations).",
                )
            )
        return tuple(self.warnings)

    def main_language(self, declared: Iterable[str | None] = ()) -> str | None:
        for lang in self.used_languages:
            if lang:
                return lang
        for declared_lang in declared:
            if declared_lang:
                return declared_lang
        return self.languages[0] if self.languages else None


def parse_date(node: Node | None, collector: Collector, name: str) -> dt.date | None:
    """The calendar date of an ISO 8601 date or date-time (as written, no time-zone shift)."""
    if node is None:
        return None
    raw = node.scalar()
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            value = dt.date.fromisoformat(raw)
        else:
            value = dt.datetime.fromisoformat(raw.replace("z", "Z")).date()
    except ValueError:
        collector.warn(
            WarningCode.VALUE_IGNORED,
            f"{raw[:40]!r} is not an ISO 8601 date; it was ignored.",
            node.pointer,
        )
        return None
    collector.found(name, node)
    return value


def parse_number(node: Node | None, collector: Collector, what: str) -> float | None:
    if node is None:
        return None
    v: Any = node.value
    if isinstance(v, Mapping) and "@value" in v:
        v = v["@value"]
    if isinstance(v, bool):
        v = None
    elif isinstance(v, str):
        try:
            v = float(v.strip().replace(",", "."))
        except ValueError:
            v = None
    if isinstance(v, (int, float)) and v == v and abs(v) < 1e9:  # NaN != NaN
        return float(v)
    collector.warn(
        WarningCode.VALUE_IGNORED,
        f"The {what} {node.value!r:.40} is not a number; it was ignored.",
        node.pointer,
    )
    return None
