"""``passerelle articulate`` (a local batch job with a progress bar, resumable) and
``passerelle jobs show``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import PROJECT_ROOT, get_settings

runner = CliRunner()
UPPSALA = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _programme() -> tuple[str, dict]:  # type: ignore[type-arg]
    result = runner.invoke(cli, ["catalogue", "import", str(UPPSALA), "--json"])
    assert result.exit_code == 0, result.output
    pid = json.loads(result.output)["files"][0]["programmes"][0]["id"]
    return pid, json.loads(UPPSALA.read_text())


def test_articulate_a_csv_file_locally_then_show_the_job(tmp_path: Path) -> None:
    pid, programme = _programme()
    db = next(m for m in programme["modules"] if m["code"] == "1DL301")
    courses = tmp_path / "incoming.csv"
    with courses.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "credits", "learning_outcomes"])
        w.writerow(["db", "Databases", "5", " | ".join(db["learning_outcomes"])])
        w.writerow(["art", "Painting", "5", "paint portraits in oil"])
    out = tmp_path / "results.csv"
    result = runner.invoke(
        cli, ["articulate", str(courses), "--qualification", pid, "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert body["job"]["status"] == "done" and body["summary"]["modules_replaceable"] == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    proposed = [r for r in rows if r["decision"] != "none"]
    assert [(r["module_code"], r["courses"], r["decision"]) for r in proposed] == [
        ("1DL301", "db", "replace")
    ]
    # Every other module has a row saying why nothing is proposed (issue 10).
    assert all(r["reasons"] for r in rows if r["decision"] == "none")
    # Running the same file again finds the finished job: nothing is recomputed.
    again = runner.invoke(cli, ["articulate", str(courses), "--qualification", pid])
    assert again.exit_code == 0, again.output
    assert "submitted before" in again.output
    shown = runner.invoke(cli, ["jobs", "show", body["job"]["id"]])
    assert shown.exit_code == 0, shown.output
    assert "done" in shown.output and "2 done" in shown.output


def test_problems_are_reported() -> None:
    result = runner.invoke(cli, ["jobs", "show", "nope"])
    assert result.exit_code == 2 and "No job" in result.output
    bad = PROJECT_ROOT / "README.md"
    result = runner.invoke(cli, ["articulate", str(bad), "--qualification", "x"])
    assert result.exit_code == 2
