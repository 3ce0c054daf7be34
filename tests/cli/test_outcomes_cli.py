"""``passerelle skills|level|align|index build`` (lexical-only and the hashing fake: no model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _lexical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_skills_json() -> None:
    result = runner.invoke(cli, ["skills", "write SQL queries", "give first aid", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["esco_version"] == "v1.1.1"
    assert body["model"]["id"] == "lexical-only"
    assert [r["outcome"] for r in body["results"]] == ["write SQL queries", "give first aid"]
    assert body["results"][0]["skills"][0]["label"] == "SQL"


def test_skills_table() -> None:
    result = runner.invoke(cli, ["skills", "Students will: 1. write SQL queries 2. give first aid"])
    assert result.exit_code == 0, result.output
    assert "statement 1: give first aid" in result.output
    assert "SQL" in result.output


def test_level(tmp_path: Path) -> None:
    f = tmp_path / "outcomes.txt"
    f.write_text("design an original research programme\ncritically evaluate the literature\n")
    result = runner.invoke(
        cli, ["level", "--outcomes-file", str(f), "--title", "Master degree", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["eqf_level"] in (7, 8)
    assert set(body["distribution"]) == {str(i) for i in range(1, 9)}


def test_align(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("write SQL queries\n")
    b.write_text("write SQL queries\npaint portraits\n")
    result = runner.invoke(cli, ["align", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["uncovered_target"] == [1]
    assert body["pairs"][0]["score"] == 1.0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["level", "--outcomes-file", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_index_build_without_a_model_fails_clearly() -> None:
    result = runner.invoke(cli, ["index", "build"])
    assert result.exit_code == 1
    assert "no embedding model" in result.output


def test_index_build_with_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "fake")
    get_settings.cache_clear()
    result = runner.invoke(cli, ["index", "build"])
    assert result.exit_code == 0, result.output
    assert "27792 vectors" in result.output
