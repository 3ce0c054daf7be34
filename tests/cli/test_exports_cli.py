"""``passerelle export ...`` and ``passerelle loq import``: the same documents as the API, to
stdout or a file; a recognition recorded by ``passerelle recognise`` exported for its
organisation only; LOQ files imported, a bad one reported by JSON pointer and skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.adapters.exports import ctdl, skos
from app.cli import cli
from app.settings import PROJECT_ROOT, get_settings

runner = CliRunner()
LOQ = PROJECT_ROOT / "tests/data/loq/Sample-MC-Annex1-qualification.jsonld"
ELM_MC = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_frameworks_as_turtle_to_stdout() -> None:
    result = runner.invoke(cli, ["export", "frameworks", "IE", "UK-SCT-SCQF"])
    assert result.exit_code == 0, result.output
    frameworks, edges = skos.read_graph(skos.parse(result.stdout, skos.TURTLE))
    assert sorted(f.id for f in frameworks) == ["IE-NFQ", "UK-SCT-SCQF"] and edges


def test_framework_as_ctdl_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "scqf.jsonld"
    result = runner.invoke(
        cli, ["export", "framework", "UK-SCT-SCQF", "--format", "ctdl", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert ctdl.problems(json.loads(out.read_text(encoding="utf-8"))) == []


def test_alignment_map_and_comparison() -> None:
    result = runner.invoke(
        cli, ["export", "alignment-map", "UK-SCT-SCQF", "EQF", "--basis", "recorded"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(ctdl.read_alignment_map(document)) == 12
    result = runner.invoke(cli, ["export", "compare", "IE:8", "DE-DQR"])
    assert result.exit_code == 0 and ctdl.read_alignment_map(json.loads(result.stdout))


def test_unknown_framework_is_an_error() -> None:
    result = runner.invoke(cli, ["export", "framework", "NOWHERE"])
    assert result.exit_code == 2
    assert "NOWHERE" in result.output


def test_loq_import(tmp_path: Path) -> None:
    bad = json.loads(LOQ.read_text(encoding="utf-8"))
    del bad["title"]
    bad_path = tmp_path / "bad.jsonld"
    bad_path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(cli, ["loq", "import", str(LOQ), str(bad_path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report[0]["ok"] and report[0]["items"][0]["created"]
    assert not report[1]["ok"]
    assert [e["where"] for e in report[1]["errors"]] == ["/title"]
    again = runner.invoke(cli, ["loq", "import", str(LOQ)])
    assert again.exit_code == 0 and "already stored" in again.stdout


def test_recognition_export_for_its_organisation(tmp_path: Path) -> None:
    made = runner.invoke(cli, ["recognise", str(ELM_MC), "--target", "UK-SCT-SCQF", "--json"])
    assert made.exit_code == 0, made.output
    record = json.loads(made.output[made.output.index("{") :])
    result = runner.invoke(cli, ["export", "recognition", record["id"]])
    assert result.exit_code == 0, result.output
    alignments = json.loads(result.stdout)["achievement"]["alignment"]
    assert "http://data.europa.eu/snb/eqf/6" in {a["targetUrl"] for a in alignments}
    other = runner.invoke(
        cli, ["--organisation", "elsewhere", "export", "recognition", record["id"]]
    )
    assert other.exit_code == 2


def test_articulation_job_export(tmp_path: Path) -> None:
    uppsala = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"
    imported = runner.invoke(cli, ["catalogue", "import", str(uppsala), "--json"])
    assert imported.exit_code == 0, imported.output
    pid = json.loads(imported.output)["files"][0]["programmes"][0]["id"]
    programme = json.loads(uppsala.read_text(encoding="utf-8"))
    db = next(m for m in programme["modules"] if m["code"] == "1DL301")
    courses = tmp_path / "incoming.json"
    courses.write_text(
        json.dumps(
            [
                {
                    "id": "db",
                    "title": "Databases",
                    "credits": 5,
                    "learning_outcomes": db["learning_outcomes"],
                }
            ]
        ),
        encoding="utf-8",
    )
    ran = runner.invoke(cli, ["articulate", str(courses), "--qualification", pid, "--json"])
    assert ran.exit_code == 0, ran.output
    job = json.loads(ran.output[ran.output.index("{") :])["job"]["id"]
    result = runner.invoke(cli, ["export", "job", job])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert ctdl.problems(document) == []
    (profile,) = document["@graph"]
    assert profile["ceterms:transferValueFor"][0]["ceterms:codedNotation"] == "1DL301"
    assert profile["ceterms:ownedBy"] == [ctdl.organisation_iri("default")]
