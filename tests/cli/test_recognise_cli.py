"""``passerelle recognise`` on the transfer context the CLI builds (issue 10): the readable report
names what cannot be assessed and the documents to request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import PROJECT_ROOT, get_settings

runner = CliRunner()
OB_BASIC = (
    PROJECT_ROOT / "tests/data/credentials_interop/open_badges/ob_basicOpenBadgeCredential_0.json"
)


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_recognise_reports_insufficient_information(tmp_path: Path) -> None:
    """The 1EdTech basic badge, given 3 ECTS and issuer country "XX"."""
    badge = json.loads(OB_BASIC.read_text(encoding="utf-8"))
    badge["issuer"]["address"] = {"type": ["Address"], "addressCountryCode": "XX"}
    badge["credentialSubject"]["achievement"]["extensions:ECTSExtension"] = {"ECTS": 3}
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), encoding="utf-8")
    result = runner.invoke(cli, ["recognise", str(path), "--target", "IE-NFQ"])
    assert result.exit_code == 0, result.output
    assert "INSUFFICIENT INFORMATION" in result.output
    assert "document to request: learning outcomes" in result.output
    as_json = runner.invoke(cli, ["recognise", str(path), "--target", "IE-NFQ", "--json"])
    record = json.loads(as_json.output[as_json.output.index("{") :])
    assert record["outcome"] == "insufficient_information"
    assert "quality assurance of the issuer" in record["documents_to_request"]
