"""Load ``mappings/esco/`` (ESCO v1.1.1, English) into a validated, hashed :class:`Taxonomy`.

The files are written by ``scripts/convert_esco.py``. Loading checks that each file's SHA-256
matches ``MANIFEST.json`` (a hand-edited or truncated file is refused, not half-used), validates
every record with Pydantic (one JSON array parsed in Rust, so the 13,896 concepts load in well
under a second), and cross-checks the counts and URIs. The content hash is the SHA-256 of the
manifest and the data files; it identifies the ESCO snapshot in the database and in the vector
cache key, and travels with ``esco_version`` in every learning-outcome response.

>>> tax = load_esco()                                          # doctest: +SKIP
>>> tax.version, len(tax.concepts)                             # doctest: +SKIP
('v1.1.1', 13896)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.core.taxonomy import SkillConcept, SkillGroup, Taxonomy

ESCO_DIRNAME = "esco"
DATA_FILES = ("concepts.jsonl.gz", "groups.jsonl.gz")


class EscoDataError(Exception):
    """The ESCO files are missing, altered or invalid; the message names the file and record."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConceptRecord(_Strict):
    uri: str = Field(pattern=r"^http://data\.europa\.eu/esco/skill/\S+$")
    skill_type: Literal["skill", "knowledge"] | None
    reuse_level: (
        Literal["transversal", "cross-sector", "sector-specific", "occupation-specific"] | None
    )
    label: str = Field(min_length=1)
    alt_labels: list[str]
    hidden_labels: list[str]
    description: str
    broader: list[str]
    isced_f: list[str]
    collections: list[str]
    hierarchy_code: str | None


class GroupRecord(_Strict):
    uri: str = Field(pattern=r"^http://data\.europa\.eu/esco/\S+$")
    kind: Literal["skill-group", "isced-f"]
    code: str | None
    label: str = Field(min_length=1)
    alt_labels: list[str]
    description: str
    scope_note: str | None
    broader: list[str]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    esco_version: str
    language: str
    attribution: str
    licence: str
    counts: dict[str, int]
    files: dict[str, str]


_CONCEPTS = TypeAdapter(list[ConceptRecord])
_GROUPS = TypeAdapter(list[GroupRecord])


def default_dir() -> Path:
    from app.settings import get_settings  # settings only for the default location

    return get_settings().mappings_dir / ESCO_DIRNAME


def _json_array(raw: bytes) -> bytes:
    lines = [line for line in raw.split(b"\n") if line.strip()]
    return b"[" + b",".join(lines) + b"]"


def _read(directory: Path, name: str, manifest: Manifest) -> bytes:
    path = directory / name
    if not path.is_file():
        raise EscoDataError(f"{path}: missing (run scripts/convert_esco.py)")
    data = path.read_bytes()
    expected = manifest.files.get(name)
    actual = hashlib.sha256(data).hexdigest()
    if expected != actual:
        raise EscoDataError(
            f"{path}: SHA-256 {actual[:12]}… does not match MANIFEST.json ({str(expected)[:12]}…)"
        )
    return data


def _validation_message(name: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = f"record {int(loc[0]) + 1}" if loc and isinstance(loc[0], int) else "file"
    path = ".".join(str(p) for p in loc[1:])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{name}: {where}: {path}: {err['msg']}{more}"


def load_esco(directory: Path | None = None) -> Taxonomy:
    """Read, verify and validate the ESCO files in ``directory`` (default ``mappings/esco``).

    Raises:
        EscoDataError: a file is missing, its hash differs from the manifest, a record is
            invalid, or the counts/URIs do not add up.
    """
    directory = directory or default_dir()
    manifest_path = directory / "MANIFEST.json"
    if not manifest_path.is_file():
        raise EscoDataError(f"{manifest_path}: missing (run scripts/convert_esco.py)")
    manifest_bytes = manifest_path.read_bytes()
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValidationError as exc:
        raise EscoDataError(_validation_message("MANIFEST.json", exc)) from exc

    digest = hashlib.sha256(b"MANIFEST.json\0" + manifest_bytes + b"\0")
    parsed: dict[str, bytes] = {}
    for name in DATA_FILES:
        raw = _read(directory, name, manifest)
        digest.update(name.encode() + b"\0" + raw + b"\0")
        parsed[name] = _json_array(gzip.decompress(raw))
    try:
        concepts = _CONCEPTS.validate_json(parsed["concepts.jsonl.gz"])
    except ValidationError as exc:
        raise EscoDataError(_validation_message("concepts.jsonl.gz", exc)) from exc
    try:
        groups = _GROUPS.validate_json(parsed["groups.jsonl.gz"])
    except ValidationError as exc:
        raise EscoDataError(_validation_message("groups.jsonl.gz", exc)) from exc

    problems: list[str] = []
    uris = [c.uri for c in concepts]
    if len(set(uris)) != len(uris):
        problems.append("concepts.jsonl.gz: duplicate concept URIs")
    if manifest.counts.get("concepts") != len(concepts):
        problems.append(
            f"concepts.jsonl.gz: {len(concepts)} concepts, MANIFEST.json says "
            f"{manifest.counts.get('concepts')}"
        )
    known = set(uris) | {g.uri for g in groups}
    dangling = sorted({b for c in concepts for b in c.broader if b not in known})
    if dangling:
        problems.append(f"concepts.jsonl.gz: broader URIs not in the data: {dangling[:3]}")
    if problems:
        raise EscoDataError("; ".join(problems))

    del parsed, uris, known  # the JSON text and the URI sets are not needed any more
    return Taxonomy(
        version=manifest.esco_version,
        content_hash=digest.hexdigest(),
        language=manifest.language,
        concepts=_skill_concepts(concepts),
        groups=tuple(
            SkillGroup(
                uri=g.uri,
                kind=g.kind,
                label=g.label,
                code=g.code,
                alt_labels=tuple(g.alt_labels),
                description=g.description,
                scope_note=g.scope_note,
                broader=tuple(g.broader),
            )
            for g in groups
        ),
        manifest=json.loads(manifest_bytes),
    )


def _skill_concepts(records: list[ConceptRecord]) -> tuple[SkillConcept, ...]:
    """The frozen concepts, each record dropped as soon as it is converted.

    The taxonomy stays in memory for the life of the server, so it is built to be small: the
    ~20,000 broader links, ISCED-F fields, collections and types repeat a few thousand distinct
    strings, which are interned (shared) here, and freeing every record right after use lets
    its memory hold the next concept instead of leaving ~14,000 holes behind.
    """
    out: list[SkillConcept] = []
    for i, c in enumerate(records):
        records[i] = None  # type: ignore[call-overload]  # freed now, not after the loop
        out.append(
            SkillConcept(
                uri=c.uri,
                label=c.label,
                skill_type=_intern(c.skill_type),
                reuse_level=_intern(c.reuse_level),
                alt_labels=tuple(c.alt_labels),
                hidden_labels=tuple(c.hidden_labels),
                description=c.description,
                broader=tuple(sys.intern(b) for b in c.broader),
                isced_f=tuple(sys.intern(f) for f in c.isced_f),
                collections=tuple(sys.intern(x) for x in c.collections),
                hierarchy_code=c.hierarchy_code,
            )
        )
    return tuple(out)


def _intern(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


@lru_cache(maxsize=4)
def cached_esco(directory: Path) -> Taxonomy:
    """Process-wide cache: the API, CLI and benchmarks load the taxonomy once per directory."""
    return load_esco(directory)
