"""The sample catalogue: every file validates against the schema, imports without error, cites its
sources, and ``passerelle catalogue import samples/catalogue/*.json`` stores it (idempotently)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.adapters.importers.catalogue import read_file, render_schema
from app.core.catalogue import Severity, study_order
from app.services.catalogue import RegistryLevels
from app.services.registry import Registry
from app.settings import PROJECT_ROOT, get_settings

SAMPLES = sorted((PROJECT_ROOT / "samples" / "catalogue").glob("*.json"))


def test_there_are_samples_with_provenance() -> None:
    assert SAMPLES
    folder = PROJECT_ROOT / "samples" / "catalogue"
    provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    attribution = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for path in SAMPLES:
        assert path.name in provenance
        assert path.name in attribution


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_validates_and_imports(path: Path, registry: Registry) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(render_schema())).validate(document)
    [item] = read_file(path, RegistryLevels(registry))
    p = item.programme
    # Every sample cites where it comes from, when it was read, and under which terms.
    assert p.sources
    assert all(s.url and s.retrieved and s.licence for s in p.sources)
    assert p.modules and 4 <= len(p.modules) <= 12
    assert any(m.learning_outcomes for m in p.modules)
    study_order(p)  # prerequisites are acyclic
    assert all(w.severity is Severity.WARNING for w in item.warnings)
    # Only outcomes that were not retrieved may be missing; nothing else is wrong.
    assert {w.code for w in item.warnings} <= {"no_outcomes"}


def test_microcredential_sample_structure(registry: Registry) -> None:
    path = PROJECT_ROOT / "samples/catalogue/una-europa-microcredential-sustainability.json"
    [item] = read_file(path, RegistryLevels(registry))
    p = item.programme
    assert p.credits is not None and (p.credits.value, p.credits.system) == (10, "ects")
    assert sum(m.credits.value for m in p.modules if m.credits) == 10
    assert study_order(p)[0] == "INTRODUCTION-TO-SUSTAINABILITY"
    first = p.modules[0]
    assert first.cost is not None and (first.cost.amount, first.cost.currency) == (45, "EUR")


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'catalogue-cli.db'}"
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_imports_the_samples_and_skips_a_bad_file(cli_database: str, tmp_path: Path) -> None:
    from app.cli import cli

    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x", "institution": {"name": "U"}, "credits": 5}', encoding="utf-8")
    files = [str(p) for p in SAMPLES]
    result = runner.invoke(cli, ["catalogue", "import", *files, str(bad), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["failed"] == 1
    by_file = {f["file"]: f for f in report["files"]}
    assert by_file[str(bad)]["ok"] is False
    assert by_file[str(bad)]["errors"][0]["where"] == "/credits"
    ids = [p["id"] for f in report["files"] if f["ok"] for p in f["programmes"]]
    assert len(ids) == len(SAMPLES)
    sustainability = next(
        p["id"]
        for f in report["files"]
        if f["file"].endswith("una-europa-microcredential-sustainability.json")
        for p in f["programmes"]
    )

    again = runner.invoke(cli, ["catalogue", "import", *files, "--json"])
    assert again.exit_code == 0, again.output
    created = [p["created"] for f in json.loads(again.output)["files"] for p in f["programmes"]]
    assert created == [False] * len(SAMPLES)

    listed = runner.invoke(cli, ["catalogue", "list", "--q", "sustainability", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [i["id"] for i in json.loads(listed.output)["items"]][:1] == [sustainability]

    shown = runner.invoke(cli, ["catalogue", "show", sustainability])
    assert shown.exit_code == 0, shown.output
    assert "Introduction to Sustainability" in shown.output
    missing = runner.invoke(cli, ["catalogue", "show", "no-such-id"])
    assert missing.exit_code == 2
