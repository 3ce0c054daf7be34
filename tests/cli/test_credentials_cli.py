"""``passerelle credentials import|validate``: many files with a progress bar, bad files skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from tests.adapters.importers.conftest import BULK_CSV, CERT_SAMPLE, MC_SAMPLE, OB_FULL

runner = CliRunner()


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_import_reports_and_skips_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"title": ', encoding="utf-8")
    missing = tmp_path / "missing.json"
    files = [str(MC_SAMPLE), str(bad), str(CERT_SAMPLE), str(missing), str(OB_FULL), str(BULK_CSV)]
    result = runner.invoke(cli, ["credentials", "import", *files, "--json"])
    assert result.exit_code == 1, result.output
    body = json.loads(result.output)
    statuses = [(Path(r["file"]).name, r["row"], r["status"]) for r in body["results"]]
    assert statuses == [
        ("Sample-MC-Annex1-unsigned.jsonld", None, "created"),
        ("broken.json", None, "skipped"),
        ("Sample-CertOfPart-unsigned.jsonld", None, "created"),
        ("missing.json", None, "skipped"),
        ("microcredential-full.json", None, "created"),
        ("bulk.csv", 1, "created"),
        ("bulk.csv", 2, "created"),
        ("bulk.csv", 3, "skipped"),
    ]
    assert "not valid JSON" in body["results"][1]["problem"]
    assert body["skipped"] == 3
    again = runner.invoke(cli, ["credentials", "import", str(MC_SAMPLE), "--json"])
    assert again.exit_code == 0
    record = json.loads(again.output)["results"][0]
    assert record["status"] == "already stored"
    assert record["id"] == body["results"][0]["id"]


def test_import_table_output() -> None:
    result = runner.invoke(cli, ["credentials", "import", str(MC_SAMPLE), str(OB_FULL)])
    assert result.exit_code == 0, result.output
    assert "2 imported or already stored, 0 skipped" in " ".join(result.output.split())


def test_validate_prints_the_report() -> None:
    result = runner.invoke(cli, ["credentials", "validate", str(MC_SAMPLE)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps lines at the terminal width
    assert "10/11 mandatory and 4/5 optional" in text
    assert "quality assurance" in text.lower()
    assert "outcome_topic_list" in text
    as_json = runner.invoke(cli, ["credentials", "validate", str(OB_FULL), "--json"])
    body = json.loads(as_json.output)
    assert body[0]["completeness"]["complete"] is True
    assert body[0]["credential"]["proof"]["note"] == "signature not verified"


def test_validate_unreadable_file_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100 + "]" * 100, encoding="utf-8")
    result = runner.invoke(cli, ["credentials", "validate", str(bad)])
    assert result.exit_code == 2
    assert "deeper than" in " ".join(result.output.split())
    forced = runner.invoke(cli, ["credentials", "validate", str(MC_SAMPLE), "--format", "nope"])
    assert forced.exit_code == 2
