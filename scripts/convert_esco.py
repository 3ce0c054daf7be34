"""Convert the official ESCO v1.1.1 English CSV export into the compact files under mappings/esco/.

Run once (the output is committed; nothing reads ``shared/`` at run or test time)::

    python scripts/convert_esco.py --source ../shared/data/esco/v1.1.1 --out mappings/esco

Inputs (see ``shared/data/esco/PROVENANCE.md``): ``classification_en/skills_en.csv``,
``skillGroups_en.csv``, ``skillsHierarchy_en.csv``, the five ``*SkillsCollection_en.csv`` files
and ``relations/broaderRelationsSkillPillar.csv``.

Outputs (gzip'd JSON Lines, sorted by URI, written byte-for-byte reproducibly: gzip mtime 0 and
no file name in the header, so re-running on the same input gives the same hashes):

- ``concepts.jsonl.gz``: one skill/competence or knowledge concept per line: ``uri``,
  ``skill_type`` (``skill`` | ``knowledge`` | null), ``reuse_level``, ``label`` (preferred),
  ``alt_labels``, ``hidden_labels``, ``description``, ``broader`` (direct broader URIs: skill
  groups, ISCED-F fields or other concepts), ``isced_f`` (ISCED-F 2013 codes: direct links, else
  the nearest ones up the concept chain), ``collections`` (digital, green, ...),
  ``hierarchy_code`` (when the concept itself sits in the skills hierarchy).
- ``groups.jsonl.gz``: the skills hierarchy and groups (ESCO skill groups with their codes such
  as ``S1.2``, and the 220 ISCED-F 2013 fields): ``uri``, ``kind``, ``code``, ``label``,
  ``alt_labels``, ``description``, ``scope_note``, ``broader``.
- ``MANIFEST.json``: version, counts and the SHA-256 of each file; ``app/reference/esco.py``
  checks them on load.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

ESCO_VERSION = "v1.1.1"
ISCED_PREFIX = "http://data.europa.eu/esco/isced-f/"
COLLECTIONS = {
    "digital": "digitalSkillsCollection_en.csv",
    "digcomp": "digCompSkillsCollection_en.csv",
    "green": "greenSkillsCollection_en.csv",
    "language": "languageSkillsCollection_en.csv",
    "research": "researchSkillsCollection_en.csv",
    "transversal": "transversalSkillsCollection_en.csv",
}
SKILL_TYPES = {"skill/competence": "skill", "knowledge": "knowledge", "": None}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _labels(cell: str) -> list[str]:
    """ESCO packs label lists newline-separated (collections use ' | ')."""
    seen: list[str] = []
    for part in cell.replace(" | ", "\n").split("\n"):
        label = " ".join(part.split())
        if label and label not in seen:
            seen.append(label)
    return seen


def _text(cell: str) -> str:
    return " ".join(cell.split())


def _write_jsonl_gz(path: Path, records: list[dict[str, Any]]) -> None:
    buf = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of the path and the time: reproducible.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        for rec in records:
            line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            gz.write(line.encode("utf-8") + b"\n")
    path.write_bytes(buf.getvalue())


def convert(source: Path, out: Path) -> dict[str, Any]:
    csv.field_size_limit(1 << 30)  # skills_en.csv has multi-line cells well over the default
    cls = source / "classification_en"
    skills = _rows(cls / "skills_en.csv")
    groups = _rows(cls / "skillGroups_en.csv")
    hierarchy = _rows(cls / "skillsHierarchy_en.csv")
    broader_rows = _rows(source / "relations" / "broaderRelationsSkillPillar.csv")

    concept_uris = {r["conceptUri"] for r in skills}
    broader: dict[str, list[str]] = defaultdict(list)
    for r in broader_rows:
        if r["broaderUri"] not in broader[r["conceptUri"]]:
            broader[r["conceptUri"]].append(r["broaderUri"])

    # Hierarchy codes (S, S1, S1.2, K, ...) and parents from the 4-level hierarchy file.
    hier_code: dict[str, str] = {}
    hier_label: dict[str, str] = {}
    hier_desc: dict[str, tuple[str, str]] = {}
    hier_parent: dict[str, str] = {}
    for r in hierarchy:
        parent = None
        for i in range(4):
            uri = r[f"Level {i} URI"]
            if not uri:
                break
            hier_code.setdefault(uri, r[f"Level {i} code"])
            hier_label.setdefault(uri, r[f"Level {i} preferred term"])
            if parent:
                hier_parent.setdefault(uri, parent)
            parent = uri
        if parent:
            hier_desc.setdefault(parent, (r["Description"], r["Scope note"]))

    collections: dict[str, list[str]] = defaultdict(list)
    for name, filename in COLLECTIONS.items():
        for r in _rows(cls / filename):
            collections[r["conceptUri"]].append(name)

    def isced_of(uri: str) -> list[str]:
        """ISCED-F codes of a concept: its direct links, else those of the nearest ancestors."""
        seen: set[str] = set()
        frontier = [uri]
        while frontier:
            direct = sorted(
                {
                    b.removeprefix(ISCED_PREFIX)
                    for u in frontier
                    for b in broader.get(u, [])
                    if b.startswith(ISCED_PREFIX)
                }
            )
            if direct:
                return direct
            seen.update(frontier)
            frontier = [
                b
                for u in frontier
                for b in broader.get(u, [])
                if b in concept_uris and b not in seen
            ]
        return []

    concepts: list[dict[str, Any]] = []
    for r in sorted(skills, key=lambda r: r["conceptUri"]):
        uri = r["conceptUri"]
        label = _text(r["preferredLabel"])
        concepts.append(
            {
                "uri": uri,
                "skill_type": SKILL_TYPES[r["skillType"]],
                "reuse_level": r["reuseLevel"] or None,
                "label": label,
                "alt_labels": [a for a in _labels(r["altLabels"]) if a != label],
                "hidden_labels": _labels(r["hiddenLabels"]),
                "description": _text(r["description"] or r["definition"]),
                "broader": broader.get(uri, []),
                "isced_f": isced_of(uri),
                "collections": sorted(collections.get(uri, [])),
                "hierarchy_code": hier_code.get(uri) or None,
            }
        )

    group_rows = {r["conceptUri"]: r for r in groups}
    group_uris = (set(group_rows) | set(hier_code)) - concept_uris
    group_records: list[dict[str, Any]] = []
    for uri in sorted(group_uris):
        r = group_rows.get(uri)
        desc, scope = hier_desc.get(uri, ("", ""))
        parents = list(broader.get(uri, []))
        if uri in hier_parent and hier_parent[uri] not in parents:
            parents.append(hier_parent[uri])
        is_isced = uri.startswith(ISCED_PREFIX)
        group_records.append(
            {
                "uri": uri,
                "kind": "isced-f" if is_isced else "skill-group",
                "code": (uri.removeprefix(ISCED_PREFIX) if is_isced else None)
                or hier_code.get(uri)
                or (r["code"] if r else None)
                or None,
                "label": _text(r["preferredLabel"] if r else hier_label[uri]),
                "alt_labels": _labels(r["altLabels"]) if r else [],
                "description": _text((r["description"] if r else "") or desc),
                "scope_note": _text((r["scopeNote"] if r else "") or scope) or None,
                "broader": parents,
            }
        )

    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl_gz(out / "concepts.jsonl.gz", concepts)
    _write_jsonl_gz(out / "groups.jsonl.gz", group_records)
    manifest: dict[str, Any] = {
        "esco_version": ESCO_VERSION,
        "language": "en",
        "attribution": "ESCO, European Commission",
        "licence": "CC BY 4.0 (Commission reuse policy, Decision 2011/833/EU)",
        "source": "https://esco.ec.europa.eu/en/use-esco/download",
        "converted": dt.date.today().isoformat(),
        "converter": "scripts/convert_esco.py",
        "counts": {
            "concepts": len(concepts),
            "skills": sum(1 for c in concepts if c["skill_type"] == "skill"),
            "knowledge": sum(1 for c in concepts if c["skill_type"] == "knowledge"),
            "alt_labels": sum(len(c["alt_labels"]) for c in concepts),
            "groups": sum(1 for g in group_records if g["kind"] == "skill-group"),
            "isced_f_fields": sum(1 for g in group_records if g["kind"] == "isced-f"),
            "knowledge_with_isced_f": sum(
                1 for c in concepts if c["skill_type"] == "knowledge" and c["isced_f"]
            ),
        },
        "files": {
            name: hashlib.sha256((out / name).read_bytes()).hexdigest()
            for name in ("concepts.jsonl.gz", "groups.jsonl.gz")
        },
    }
    (out / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/esco/v1.1.1"))
    parser.add_argument("--out", type=Path, default=Path("mappings/esco"))
    args = parser.parse_args()
    manifest = convert(args.source, args.out)
    print(json.dumps(manifest["counts"], indent=2))
    for name in manifest["files"]:
        print(f"{name}: {(args.out / name).stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
