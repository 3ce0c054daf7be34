"""The ESCO skills taxonomy as frozen value types, and the texts the vector index is built from.

A :class:`Taxonomy` is one hashed snapshot of ESCO (``mappings/esco/``, loaded by
``app.reference.esco``). The vector index holds **two rows per concept**: the preferred label
alone, and ``"<label>: <description>"``. Keeping them apart lets the evidence say which of the two
matched, and short outcomes ("use Python") tend to match labels while long ones match
descriptions. Alternative labels are not embedded (85k of them would make the index build several
times slower); they take part through lexical rescoring (:mod:`app.core.matching`).

>>> c = SkillConcept(uri="u1", label="Python", skill_type="knowledge", description="A language.")
>>> [(e.field.value, e.text) for e in index_entries([c])]
[('label', 'Python'), ('description', 'Python: A language.')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class IndexField(StrEnum):
    """Which text of a concept an index row (or a piece of evidence) stands for."""

    LABEL = "label"
    DESCRIPTION = "description"
    ALT_LABEL = "alt_label"


@dataclass(frozen=True, slots=True)
class SkillConcept:
    """One ESCO skill/competence or knowledge concept."""

    uri: str
    label: str
    skill_type: str | None = None  # "skill" | "knowledge" | None (a few v1.1.1 concepts)
    reuse_level: str | None = None  # transversal | cross-sector | sector-specific | occupation-...
    alt_labels: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()
    description: str = ""
    broader: tuple[str, ...] = ()
    isced_f: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    hierarchy_code: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Preferred label first, then the alternative labels (what lexical matching reads)."""
        return (self.label, *self.alt_labels)


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """A node of the skills hierarchy: an ESCO skill group or an ISCED-F 2013 field."""

    uri: str
    kind: str  # "skill-group" | "isced-f"
    label: str
    code: str | None = None
    alt_labels: tuple[str, ...] = ()
    description: str = ""
    scope_note: str | None = None
    broader: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """One hashed ESCO snapshot: concepts in a fixed order (the index rows refer to it)."""

    version: str
    content_hash: str
    concepts: tuple[SkillConcept, ...]
    groups: tuple[SkillGroup, ...] = ()
    language: str = "en"
    manifest: dict[str, object] = field(default_factory=dict, compare=False)

    @cached_property
    def by_uri(self) -> dict[str, int]:
        return {c.uri: i for i, c in enumerate(self.concepts)}

    @cached_property
    def groups_by_uri(self) -> dict[str, SkillGroup]:
        return {g.uri: g for g in self.groups}

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def concept(self, uri: str) -> SkillConcept | None:
        i = self.by_uri.get(uri)
        return None if i is None else self.concepts[i]


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One row of the skill vector index: which concept, which field, and the text embedded."""

    concept: int  # position in Taxonomy.concepts
    field: IndexField
    text: str


def description_text(concept: SkillConcept) -> str:
    """The description row's text; the label is prepended so the row names its subject."""
    if not concept.description:
        return concept.label
    return f"{concept.label}: {concept.description}"


def index_entries(concepts: Sequence[SkillConcept]) -> list[IndexEntry]:
    """The rows of the vector index, in order: label then description for every concept.

    Row ``2*i`` is concept ``i``'s label and row ``2*i + 1`` its description, so an index built
    by any backend from these texts can be mapped back without storing the mapping.
    """
    rows: list[IndexEntry] = []
    for i, c in enumerate(concepts):
        rows.append(IndexEntry(i, IndexField.LABEL, c.label))
        rows.append(IndexEntry(i, IndexField.DESCRIPTION, description_text(c)))
    return rows
