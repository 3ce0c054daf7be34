"""The ``passerelle`` command: readable tables by default, ``--json`` for machines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_compare_json() -> None:
    result = runner.invoke(cli, ["compare", "IE:8", "DE", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [m["level"]["code"] for m in body["matches"]] == ["6"]
    assert body["matches"][0]["path"] == ["IE-NFQ:8", "EQF:6", "DE-DQR:6"]


def test_compare_table_and_as_of() -> None:
    result = runner.invoke(cli, ["compare", "FR-CNCP:V", "DE-DQR", "--as-of", "2024-01-01"])
    assert result.exit_code == 0, result.output
    assert "not_valid_at_date" in result.output


def test_compare_unknown_level_fails_clearly() -> None:
    result = runner.invoke(cli, ["compare", "IE:99", "DE"])
    assert result.exit_code == 2
    assert "99" in result.output


def test_frameworks_list_and_show() -> None:
    listed = runner.invoke(cli, ["frameworks", "list", "--json"])
    assert listed.exit_code == 0
    assert "IE-NFQ" in {f["id"] for f in json.loads(listed.output)}
    shown = runner.invoke(cli, ["frameworks", "show", "MT", "--json"])
    body = json.loads(shown.output)
    assert body["levels"][0]["code"] == "A" and body["levels"][0]["eqf_levels"] == []


def test_data_check_load_info() -> None:
    check = runner.invoke(cli, ["data", "check", "--json"])
    assert check.exit_code == 0, check.output
    assert json.loads(check.output)["ok"] is True
    first = runner.invoke(cli, ["data", "load", "--json"])
    assert json.loads(first.output)["created"] is True
    second = runner.invoke(cli, ["data", "load", "--json"])
    assert json.loads(second.output)["created"] is False
    info = json.loads(runner.invoke(cli, ["data", "info", "--json"]).output)
    assert len(info["stored_releases"]) == 1 and info["stored_releases"][0]["current"]


def test_data_check_reports_file_line_and_field(
    data_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    frameworks, mappings = data_copy
    path = frameworks / "ie-nfq.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("match_type: broad", "match_type: sideways", 1), encoding="utf-8")
    monkeypatch.setenv("PASSERELLE_FRAMEWORKS_DIR", str(frameworks))
    monkeypatch.setenv("PASSERELLE_MAPPINGS_DIR", str(mappings))
    get_settings.cache_clear()
    result = runner.invoke(cli, ["data", "check", "--json"])
    assert result.exit_code == 1
    (problem,) = json.loads(result.output)["problems"]
    line = text[: text.index("match_type: broad")].count("\n") + 1
    assert problem.startswith(f"frameworks/ie-nfq.yaml:{line}: levels[")
    assert ".eqf[0].match_type:" in problem


def test_db_upgrade() -> None:
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "0001_registry" in result.output or "revision" in result.output
