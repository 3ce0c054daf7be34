"""Journey 5, "pathways", in a real browser: a learner's credentials (one stored, one uploaded)
against a qualification of the catalogue → what is covered, what remains and why, and ranked
paths to complete it.

Real texts. The target is Uppsala University's MSc in Computer Science selection
(samples/catalogue; every course there is "selected freely", so the learner's chosen electives
are ticked). The stored credential is the European Commission's ELM sample
(tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld, "Digital micro-credential
creation"), which covers none of it. The uploaded one is a plain-JSON credential whose outcomes
are Uppsala's published "Data, Ethics and Law" outcomes (a partner's course teaching the same, as
in tests/api/test_pathways_api.py): read for the question, not stored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.settings import PROJECT_ROOT
from tests.web.browser import check_page
from tests.web.conftest import ORG, PageFor, WebServer
from tests.web.test_transfer import uppsala  # noqa: F401 (the programme, stored once)

ELM = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"


@pytest.fixture(scope="module")
def elm_credential(web: WebServer) -> str:
    """The ELM sample stored in the organisation (as ``POST /v1/credentials`` stores it)."""
    from app.adapters.db.tenancy import bind_organisation

    credentials = web.app.state.transfer.pathways.context.credentials
    with web.app.state.sessionmaker() as session:
        bind_organisation(session, ORG)
        stored = credentials.store(session, credentials.read(ELM.read_bytes()))
        session.commit()
    return str(stored.id)


def _ethics_credential(uppsala: dict[str, Any], path: Path) -> Path:  # noqa: F811
    ethics = next(m for m in uppsala["modules"] if m["code"] == "1DL002")
    path.write_text(
        json.dumps(
            {
                "title": "Data ethics for practitioners",
                "learning_outcomes": ethics["learning_outcomes"],
                "level": {"eqf": 7},
                "credits": 5,
            }
        ),
        encoding="utf-8",
    )
    return path


def _row(page: Any, code: str) -> Any:
    return page.get_by_role("row").filter(has=page.locator("code", has_text=code))


def test_covered_remaining_and_ranked_paths(
    web: WebServer,
    page_for: PageFor,
    uppsala: dict[str, Any],  # noqa: F811
    elm_credential: str,
    tmp_path: Path,
) -> None:
    page = page_for("evaluator")
    page.goto(f"{web.url}/pathways")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pathways to a qualification")
    page.get_by_label("Qualification or programme").select_option(label=uppsala["label"])
    # htmx loads the programme's electives once it is chosen.
    electives = page.get_by_role("group", name="Elective modules the learner has chosen")
    for title in ("Data, Ethics and Law", "Database Design I", "Artificial Intelligence"):
        electives.get_by_label(title).check()
    page.locator(f'input[name="held"][value="{elm_credential}"]').check()
    page.get_by_label("Or upload credentials (plain JSON)").set_input_files(
        str(_ethics_credential(uppsala, tmp_path / "ethics.json"))
    )
    check_page(page, "pathways-form")
    page.get_by_role("button", name="Find the pathways").click()

    answer = page.locator("#answer")
    expect(answer.get_by_role("heading", level=2)).to_contain_text(uppsala["title"])
    expect(page.locator("#covered-summary")).to_have_text("1 module(s), 5 ECTS; 6 of 15 outcomes")
    expect(page.locator("#remaining-summary")).to_have_text("2 module(s), 10 ECTS")
    expect(_row(page, "1DL002")).to_contain_text("Covered")
    expect(_row(page, "1DL002")).to_contain_text("by: Data ethics for practitioners")
    expect(_row(page, "1DL301")).to_contain_text("Remaining")
    expect(_row(page, "1DL301")).to_contain_text("0 of 9 outcomes covered (7 needed)")
    expect(_row(page, "1DL340")).to_contain_text(
        "the module publishes no learning outcomes: only taking it completes it"
    )
    expect(_row(page, "1DT032")).to_contain_text("Elective, not chosen")
    best = page.locator("#path-1")
    expect(best.get_by_role("heading")).to_contain_text("Path 1: 2 step(s), 10 ECTS")
    expect(best).to_contain_text("Database Design I")
    expect(best).to_contain_text("Is module 1DL301 itself.")
    expect(best).to_contain_text("Is module 1DL340 itself.")
    # The choices stay ticked for the next question.
    expect(page.locator(f'input[name="held"][value="{elm_credential}"]')).to_be_checked()
    expect(electives.get_by_label("Database Design I")).to_be_checked()
    check_page(page, "pathways-plan", docs=True)

    # Which programmes would the same credentials stack into? (the uploaded file again)
    page.get_by_label("Or upload credentials (plain JSON)").set_input_files(
        str(tmp_path / "ethics.json")
    )
    page.get_by_role("button", name="Which programmes do they stack into?").click()
    stacked = page.get_by_role("table", name="Best covered first")
    row = stacked.get_by_role("row").filter(has=page.get_by_role("link", name=uppsala["title"]))
    expect(row).to_contain_text("1DL002")
    row.get_by_role("link", name=uppsala["title"]).click()
    expect(page.get_by_label("Qualification or programme")).to_have_value(uppsala["id"])


def test_a_file_that_is_not_a_credential_is_named(
    web: WebServer,
    page_for: PageFor,
    uppsala: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    page = page_for("reader")  # reading the catalogue is enough for a what-if question
    page.goto(f"{web.url}/pathways?qualification_id={uppsala['id']}")
    notes = tmp_path / "notes.json"
    notes.write_text("a transcript, not JSON", encoding="utf-8")
    page.get_by_label("Or upload credentials (plain JSON)").set_input_files(str(notes))
    page.get_by_role("button", name="Find the pathways").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not a plain JSON credential")
    expect(alert).to_contain_text("notes.json is not JSON")


def test_organisations_and_sign_in(
    web: WebServer,
    page_for: PageFor,
    uppsala: dict[str, Any],  # noqa: F811
    elm_credential: str,
) -> None:
    other = page_for("other")
    other.goto(f"{web.url}/pathways")
    expect(other.get_by_role("heading", level=1)).to_have_text("Pathways to a qualification")
    expect(other.get_by_role("option", name=uppsala["label"])).to_have_count(0)
    expect(other.locator(f'input[name="held"][value="{elm_credential}"]')).to_have_count(0)
    anonymous = page_for(None)
    anonymous.goto(f"{web.url}/pathways")
    expect(anonymous).to_have_url(re.compile(r"/sign-in\?next=/pathways$"))
