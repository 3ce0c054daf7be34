"""The ESCO files in mappings/esco validate, are what the manifest says, and refuse tampering."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from app.core.taxonomy import Taxonomy, index_entries
from app.reference.esco import EscoDataError, load_esco
from app.settings import PROJECT_ROOT

ESCO_DIR = PROJECT_ROOT / "mappings" / "esco"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_esco(ESCO_DIR)


def test_version_counts_and_attribution(taxonomy: Taxonomy) -> None:
    assert taxonomy.version == "v1.1.1"
    assert taxonomy.language == "en"
    assert len(taxonomy.concepts) == 13_896
    assert sum(c.skill_type == "knowledge" for c in taxonomy.concepts) == 3_059
    assert sum(c.skill_type == "skill" for c in taxonomy.concepts) == 10_831
    assert taxonomy.manifest["attribution"] == "ESCO, European Commission"
    assert "CC BY 4.0" in str(taxonomy.manifest["licence"])
    assert len(taxonomy.content_hash) == 64
    assert (ESCO_DIR / "PROVENANCE.md").is_file()


def test_labels_descriptions_hierarchy_and_isced(taxonomy: Taxonomy) -> None:
    sql = taxonomy.concept("http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742")
    assert sql is not None and sql.label == "SQL" and sql.skill_type == "knowledge"
    assert sql.description
    assert sum(len(c.alt_labels) for c in taxonomy.concepts) > 80_000
    assert all(c.label not in c.alt_labels for c in taxonomy.concepts)
    assert all(c.reuse_level or c.skill_type is None for c in taxonomy.concepts[:100])
    kinds = {g.kind for g in taxonomy.groups}
    assert kinds == {"skill-group", "isced-f"}
    assert sum(g.kind == "isced-f" for g in taxonomy.groups) == 220
    codes = {g.code for g in taxonomy.groups}
    assert {"S", "K", "T", "L"} <= codes
    knowledge_isced = [c for c in taxonomy.concepts if c.skill_type == "knowledge" and c.isced_f]
    assert len(knowledge_isced) > 2_900
    known = set(taxonomy.by_uri) | set(taxonomy.groups_by_uri)
    assert all(b in known for c in taxonomy.concepts for b in c.broader)


def test_index_rows_are_label_then_description(taxonomy: Taxonomy) -> None:
    rows = index_entries(taxonomy.concepts)
    assert len(rows) == 2 * len(taxonomy.concepts)
    assert rows[0].text == taxonomy.concepts[0].label
    assert rows[1].text.startswith(taxonomy.concepts[0].label + ": ")


def test_hash_is_stable(taxonomy: Taxonomy) -> None:
    assert load_esco(ESCO_DIR).content_hash == taxonomy.content_hash


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "esco"
    shutil.copytree(ESCO_DIR, target)
    return target


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    raw = gzip.decompress((d / "concepts.jsonl.gz").read_bytes())
    (d / "concepts.jsonl.gz").write_bytes(gzip.compress(raw.replace(b'"SQL"', b'"SQL!"', 1)))
    with pytest.raises(EscoDataError, match=r"concepts.jsonl.gz: SHA-256"):
        load_esco(d)


def test_invalid_record_names_file_and_record(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    lines = gzip.decompress((d / "concepts.jsonl.gz").read_bytes()).splitlines()
    rec = json.loads(lines[2])
    rec["skill_type"] = "talent"
    lines[2] = json.dumps(rec).encode()
    data = gzip.compress(b"\n".join(lines) + b"\n")
    (d / "concepts.jsonl.gz").write_bytes(data)
    manifest = json.loads((d / "MANIFEST.json").read_text())
    import hashlib

    manifest["files"]["concepts.jsonl.gz"] = hashlib.sha256(data).hexdigest()
    (d / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(EscoDataError, match=r"concepts.jsonl.gz: record 3: skill_type"):
        load_esco(d)


def test_missing_manifest(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    (d / "MANIFEST.json").unlink()
    with pytest.raises(EscoDataError, match=r"MANIFEST\.json: missing"):
        load_esco(d)
