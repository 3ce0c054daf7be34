"""``passerelle jobs list|cancel|queue`` on the embedded SQLite default (the articulation CLI test
covers ``jobs show``; workers as processes: ``tests/services/test_jobs_processes.py``)."""

from __future__ import annotations

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


def test_list_then_cancel_a_finished_job_is_refused(tmp_path: Path) -> None:
    imported = runner.invoke(cli, ["catalogue", "import", str(UPPSALA), "--json"])
    assert imported.exit_code == 0, imported.output
    pid = json.loads(imported.output)["files"][0]["programmes"][0]["id"]
    courses = tmp_path / "incoming.csv"
    courses.write_text("id,title,credits,learning_outcomes\nart,Painting,5,paint in oil\n")
    done = runner.invoke(cli, ["articulate", str(courses), "--qualification", pid, "--json"])
    assert done.exit_code == 0, done.output
    job_id = json.loads(done.output[done.output.index("{") :])["job"]["id"]

    listed = runner.invoke(cli, ["jobs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    jobs = json.loads(listed.output)
    assert [(j["id"], j["status"]) for j in jobs] == [(job_id, "done")]
    queued = runner.invoke(cli, ["jobs", "list", "--status", "queued", "--json"])
    assert json.loads(queued.output) == []
    # another organisation has none
    other = runner.invoke(cli, ["--organisation", "elsewhere", "jobs", "list", "--json"])
    assert other.exit_code == 0 and json.loads(other.output) == []

    refused = runner.invoke(cli, ["jobs", "cancel", job_id])
    assert refused.exit_code == 2 and "is done" in refused.output
    missing = runner.invoke(cli, ["jobs", "cancel", "nope"])
    assert missing.exit_code == 2 and "No job" in missing.output
    bad = runner.invoke(cli, ["jobs", "list", "--status", "sleeping"])
    assert bad.exit_code == 2 and "--status" in bad.output


def test_the_queue_is_procrastinates_on_postgresql_only() -> None:
    result = runner.invoke(cli, ["jobs", "queue"])
    assert result.exit_code == 2 and "PostgreSQL only" in result.output
