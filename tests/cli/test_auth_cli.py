"""``passerelle auth``: the first admin key (printed once), keys created, listed and revoked
from the operator's shell, and ``--organisation`` scoping the other commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.settings import PROJECT_ROOT, get_settings
from tests.conftest import make_settings

runner = CliRunner()
KEY = re.compile(r"psk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}")
UPPSALA = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", url)
    monkeypatch.setenv("PASSERELLE_EMBEDDINGS__BACKEND", "none")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _key(output: str) -> str:
    found = KEY.findall(output)
    assert len(found) == 1, output
    return found[0]


def test_bootstrap_then_keys(db_url: str) -> None:
    first = runner.invoke(cli, ["auth", "bootstrap", "--organisation", "uni-a", "--name", "Uni A"])
    assert first.exit_code == 0, first.output
    admin_key = _key(first.stdout)
    assert "shown once" in first.output

    # --if-needed (what `make run` calls): no second key while a usable admin key exists
    again = runner.invoke(cli, ["auth", "bootstrap", "-o", "uni-a", "--if-needed"])
    assert again.exit_code == 0 and not KEY.findall(again.output)

    made = runner.invoke(
        cli,
        [
            "auth",
            "keys",
            "create",
            "-o",
            "uni-a",
            "--name",
            "SIS",
            "-r",
            "evaluator",
            "-r",
            "reader",
        ],
    )
    assert made.exit_code == 0, made.output
    system_key = _key(made.stdout)
    listed = runner.invoke(cli, ["auth", "keys", "list", "--json"])
    rows = json.loads(listed.stdout)
    assert [r["roles"] for r in rows] == [["admin"], ["evaluator", "reader"]]
    assert admin_key not in listed.output and system_key not in listed.output

    from app.api.main import create_app

    with TestClient(create_app(make_settings(db_url))) as api:
        me = api.get("/v1/whoami", headers={"X-API-Key": admin_key}).json()
        assert me["organisation"] == "uni-a" and me["roles"] == ["admin"]
        assert api.get("/v1/whoami", headers={"X-API-Key": system_key}).status_code == 200
        prefix = system_key.split("_")[1]
        revoked = runner.invoke(cli, ["auth", "keys", "revoke", prefix])
        assert revoked.exit_code == 0, revoked.output
        assert api.get("/v1/whoami", headers={"X-API-Key": system_key}).status_code == 401


def test_refusals(db_url: str) -> None:
    bad_org = runner.invoke(cli, ["auth", "bootstrap", "-o", "Not A Slug"])
    assert bad_org.exit_code == 2 and "organisation id" in bad_org.output
    no_org = runner.invoke(
        cli, ["auth", "keys", "create", "-o", "nowhere", "--name", "x", "-r", "reader"]
    )
    assert no_org.exit_code == 2 and "nowhere" in no_org.output
    bad_role = runner.invoke(
        cli, ["auth", "keys", "create", "-o", "default", "--name", "x", "-r", "root"]
    )
    assert bad_role.exit_code == 2 and "root" in bad_role.output
    assert runner.invoke(cli, ["auth", "keys", "revoke", "ZZZZZZZZ"]).exit_code == 2


def test_organisation_option_scopes_the_commands(db_url: str) -> None:
    runner.invoke(cli, ["auth", "bootstrap", "-o", "uni-b"])
    imported = runner.invoke(
        cli, ["--organisation", "uni-b", "catalogue", "import", str(UPPSALA), "--json"]
    )
    assert imported.exit_code == 0, imported.output
    pid = json.loads(imported.output)["files"][0]["programmes"][0]["id"]
    mine = runner.invoke(cli, ["--organisation", "uni-b", "catalogue", "show", pid])
    assert mine.exit_code == 0, mine.output
    theirs = runner.invoke(cli, ["catalogue", "show", pid])  # the default organisation
    assert theirs.exit_code != 0


def test_remote_commands_send_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    from app.cli import articulation

    sent: list[urllib.request.Request] = []

    class Answer:
        def __init__(self) -> None:
            self.headers = {"content-type": "application/json"}

        def read(self) -> bytes:
            return b"{}"

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def urlopen(request: urllib.request.Request, timeout: float) -> Answer:
        sent.append(request)
        return Answer()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setenv("PASSERELLE_API_KEY", "psk_AAAAAAAA_" + "k" * 43)
    assert articulation._http("GET", "http://service.example/v1/jobs/1") == {}
    assert sent[0].get_header("X-api-key") == "psk_AAAAAAAA_" + "k" * 43
