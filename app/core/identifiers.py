"""Resolve the identifiers European data already carries to frameworks and levels.

Accepted forms (API.md, "Identifiers"):

* framework: our short id (``IE-NFQ``), the EU vocabulary URI, the ESCO QF URI, or a jurisdiction
  code that names exactly one framework (``IE``; ``BE`` names three and is ambiguous);
* level: ``<framework>:<code>`` with any framework form (``IE-NFQ:8``, ``IE:8``), the EU
  vocabulary level URI, or an EQF level URI (``http://data.europa.eu/snb/eqf/6``).

Codes match case- and space-insensitively (``entry 3`` finds ``Entry 3``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.errors import AmbiguousIdentifier, UnknownFramework, UnknownLevel
from app.core.types import Framework, LevelKey, normalise_code


def _norm(value: str) -> str:
    return value.strip().rstrip("/").casefold()


@dataclass(slots=True)
class IdentifierIndex:
    """Look-up tables built once per release."""

    by_id: dict[str, str] = field(default_factory=dict)
    by_uri: dict[str, str] = field(default_factory=dict)
    by_jurisdiction: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    level_by_uri: dict[str, LevelKey] = field(default_factory=dict)
    level_by_code: dict[tuple[str, str], LevelKey] = field(default_factory=dict)

    @classmethod
    def build(cls, frameworks: Iterable[Framework]) -> IdentifierIndex:
        """Index every framework and level identifier.

        >>> from app.core.types import Framework, Level, Validity
        >>> fw = Framework("IE-NFQ", "NFQ", "national", ("IE",), ("http://x/ie",), "1",
        ...                Validity(), True, None, (), (Level("IE-NFQ", "8", "L8", ("http://x/8",)),))
        >>> idx = IdentifierIndex.build([fw])
        >>> idx.level("IE:8"), idx.level("http://x/8"), idx.framework("http://x/ie")
        (LevelKey(framework='IE-NFQ', code='8'), LevelKey(framework='IE-NFQ', code='8'), 'IE-NFQ')
        """
        index = cls()
        for fw in frameworks:
            index.by_id[_norm(fw.id)] = fw.id
            for uri in fw.uris:
                index.by_uri[_norm(uri)] = fw.id
            for code in fw.jurisdictions:
                index.by_jurisdiction[_norm(code)].append(fw.id)
            for level in fw.levels:
                index.level_by_code[(fw.id, normalise_code(level.code))] = level.key
                for uri in level.uris:
                    index.level_by_uri[_norm(uri)] = level.key
        # A country's sub-national codes (GB-SCT) also answer to the country (GB), which then
        # names several frameworks and is reported as ambiguous rather than silently picked.
        for code, ids in list(index.by_jurisdiction.items()):
            if "-" in code:
                country = code.split("-", 1)[0]
                aliases = {country} | ({"uk"} if country == "gb" else set())
                for alias in aliases:
                    bucket = index.by_jurisdiction[alias]
                    bucket.extend(i for i in ids if i not in bucket)
        return index

    def framework(self, identifier: str, *, field: str | None = None) -> str:
        """The framework id named by ``identifier`` in any accepted form.

        Raises:
            UnknownFramework: nothing is known by that identifier.
            AmbiguousIdentifier: a jurisdiction code names several frameworks.
        """
        key = _norm(identifier)
        if key in self.by_id:
            return self.by_id[key]
        if key in self.by_uri:
            return self.by_uri[key]
        ids = self.by_jurisdiction.get(key)
        if ids:
            if len(ids) == 1:
                return ids[0]
            raise AmbiguousIdentifier(identifier, sorted(ids), field=field)
        raise UnknownFramework(identifier, field=field)

    def level(self, identifier: str, *, field: str | None = None) -> LevelKey:
        """The level named by ``identifier`` in any accepted form.

        Raises:
            UnknownLevel, UnknownFramework, AmbiguousIdentifier.
        """
        raw = identifier.strip()
        key = _norm(raw)
        if key in self.level_by_uri:
            return self.level_by_uri[key]
        if key.startswith(("http://", "https://")):
            # A framework URI followed by ":code" is accepted too; anything else is unknown.
            head, sep, code = raw.rpartition(":")
            if not sep or head.lower() in ("http", "https"):
                raise UnknownLevel(identifier, field=field)
        else:
            head, sep, code = raw.rpartition(":")
            if not sep:
                raise UnknownLevel(identifier, field=field)
        framework_id = self.framework(head, field=field)
        return self.level_in(framework_id, code, field=field)

    def level_in(self, framework_id: str, code: str, *, field: str | None = None) -> LevelKey:
        found = self.level_by_code.get((framework_id, normalise_code(code)))
        if found is None:
            raise UnknownLevel(code, framework_id, field=field)
        return found
