"""Journey 2, "a case", in a real browser: a credential in, a reviewed decision out.

Real documents only: the European Commission's sealed ELM sample (``elm_Sample-MC-Annex1-signed``,
tests/data/credentials_interop/PROVENANCE.md) against the University of Edinburgh's PGCert in
Digital Education (samples/catalogue), and 1EdTech's full Open Badges 3.0 example
(``ob_fullOpenBadge_0``, same provenance file), pasted rather than uploaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.settings import PROJECT_ROOT
from tests.web.browser import check_page, screenshot
from tests.web.conftest import ORG, PageFor, WebServer

INTEROP = PROJECT_ROOT / "tests/data/credentials_interop"
ELM_SIGNED = INTEROP / "edc/elm_Sample-MC-Annex1-signed.jsonld"
OB_FULL = INTEROP / "open_badges/ob_fullOpenBadge_0.json"
EDINBURGH = PROJECT_ROOT / "samples/catalogue/edinburgh-pgcert-digital-education.json"


@pytest.fixture(scope="module")
def edinburgh(web: WebServer) -> str:
    """The programme in the organisation's catalogue (stored by the catalogue service)."""
    from app.adapters.db.tenancy import bind_organisation
    from app.services.catalogue import CatalogueService

    with web.app.state.sessionmaker() as session:
        bind_organisation(session, ORG)
        service = CatalogueService(web.app.state.registry)
        stored = service.store(session, service.read_file(EDINBURGH))
        session.commit()
    return stored[0].id


def test_a_case_from_the_sealed_elm_sample_to_a_verified_reviewed_decision(
    web: WebServer, page_for: PageFor, edinburgh: str, tmp_path: Path
) -> None:
    # --- the evaluator reads the credential -------------------------------------------------
    page = page_for("evaluator")
    page.goto(f"{web.url}/cases")
    check_page(page, "case-list")
    page.get_by_role("link", name="Start a case: read a credential").click()
    check_page(page, "case-new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Read a credential")
    page.get_by_label("File").set_input_files(str(ELM_SIGNED))
    page.get_by_role("button", name="Read the credential").click()
    expect(page).to_have_url(re.compile(r"/cases/credentials/[0-9a-f-]{36}$"))
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital micro-credential creation")
    expect(page.locator("#provider")).to_have_text("ORGANIZACION TEST (IE)")
    expect(page.locator("#annex-count")).to_have_text("Annex I: 10 of 11 mandatory elements")
    expect(page.locator("#seal")).to_have_text("Seal: valid")
    expect(page.locator("#seal-trust")).to_have_text("signer trust not established")
    expect(main).to_contain_text("TEST SEAL, ORGANIZACION TEST")  # the signer of the seal
    expect(main).to_contain_text("JAdES")
    expect(main).to_contain_text("signer trust not established")
    expect(main).to_contain_text("RQF Level 6")
    expect(main).to_contain_text("2.0 ECTS")
    # quality assurance is the one mandatory element the sample lacks
    qa_row = page.get_by_role("row", name=re.compile("^Type of quality assurance"))
    expect(qa_row).to_contain_text("missing")
    check_page(page, "case-credential", docs=True)

    # --- ... and asks for a recommendation against a programme -------------------------------
    page.get_by_label("Qualification or programme of your catalogue").select_option(edinburgh)
    page.get_by_label("Target framework").select_option("UK-SCT-SCQF")
    page.get_by_label("Purpose").select_option("credit_transfer")
    page.get_by_role("button", name="Recommend").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    record_url = page.url
    expect(page.locator("#outcome")).to_have_text("Alternative recognition")
    expect(page.locator("#status")).to_have_text("pending review")
    expect(page.locator("#qualification")).to_contain_text("The University of Edinburgh")
    for element in ("Level", "Workload", "Quality assurance", "Profile", "Learning outcomes"):
        expect(page.get_by_role("heading", level=3, name=re.compile(f"^{element}"))).to_be_visible()
    expect(page.locator("#element-workload")).to_contain_text("2 ECTS")
    page.locator("#element-level summary").click()  # the evidence of the level finding
    expect(page.locator("#element-level")).to_contain_text("level_edge")
    expect(page.locator("#justification")).to_contain_text("Lisbon Recognition Convention")
    # an evaluator does not review
    expect(page.locator("#history")).to_contain_text("Reviewing needs the reviewer role")
    check_page(page, "case-recommendation", docs=True)

    # --- a reviewer amends it ---------------------------------------------------------------
    reviewer = page_for("reviewer")
    reviewer.goto(record_url)
    reviewer.get_by_label("Amend to another outcome").check()
    reviewer.get_by_label("Outcome (to amend)").select_option("partial")
    reviewer.get_by_label("Reason").fill("Quality assurance confirmed with the University of Zed.")
    reviewer.get_by_label("Conditions (one per line, optional)").fill("Complete EDUA11410")
    reviewer.get_by_role("button", name="Record the review").click()
    expect(reviewer.locator("#status")).to_have_text("reviewed")
    expect(reviewer.locator("#current-outcome")).to_have_text("Partial recognition")
    # the recommendation itself is unchanged; the amendment is in its history
    expect(reviewer.locator("#outcome")).to_have_text("Alternative recognition")
    history = reviewer.locator("#history")
    expect(history).to_contain_text("Amended")
    expect(history).to_contain_text("Rob Reviewer")
    expect(history).to_contain_text("Quality assurance confirmed with the University of Zed.")

    # --- the letter, printed ----------------------------------------------------------------
    reviewer.get_by_role("link", name="Decision letter").click()
    expect(reviewer.locator("#letter-decision")).to_have_text("Partial recognition")
    expect(reviewer.locator("#draft")).to_have_count(0)
    expect(reviewer.get_by_role("main")).to_contain_text("Complete EDUA11410")
    expect(reviewer.locator("#amended")).to_contain_text("Quality assurance confirmed")
    # what was recommended stays on the letter beside what was decided
    expect(reviewer.get_by_role("main")).to_contain_text(
        "The assessment recommended: Alternative recognition."
    )
    expect(reviewer.get_by_role("main")).to_contain_text("Default organisation")
    check_page(reviewer, "case-letter", docs=True)
    reviewer.emulate_media(media="print")
    expect(reviewer.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    screenshot(reviewer, "case-letter-print")
    reviewer.emulate_media(media="screen")

    # --- the record export, downloaded -------------------------------------------------------
    reviewer.goto(record_url)
    with reviewer.expect_download() as download:
        reviewer.get_by_role("link", name="Download the record (JSON)").click()
    path = tmp_path / "record.json"
    download.value.save_as(path)
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["id"] == record_url.rsplit("/", 1)[1]
    assert exported["outcome"] == "alternative"
    assert exported["current_outcome"] == "partial"
    assert [r["action"] for r in exported["reviews"]] == ["amend"]
    assert exported["verification"]["valid"] is True

    # --- the record verified -----------------------------------------------------------------
    reviewer.get_by_role("link", name="Verify the record").click()
    expect(reviewer.locator("#verdict")).to_contain_text("valid")
    expect(reviewer.locator("#verdict")).not_to_contain_text("not valid")
    expect(reviewer.locator("#checked-links")).to_have_text("2")  # the record and its review
    check_page(reviewer, "case-verify")


def test_a_pasted_open_badge_and_the_refused_self_review(web: WebServer, page_for: PageFor) -> None:
    # An administrator holds every role, reviewing included: the four-eyes rule still applies.
    page = page_for("admin")
    page.goto(f"{web.url}/cases/new")
    page.get_by_label("Or paste the credential").fill(OB_FULL.read_text(encoding="utf-8"))
    page.get_by_role("button", name="Read the credential").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("1EdTech University Degree")
    expect(page.locator("#provider")).to_have_text("1EdTech University (US)")
    expect(page.locator("#annex-count")).to_have_text("Annex I: 6 of 11 mandatory elements")
    expect(page.locator("#seal")).to_have_text("Seal: not signed")
    expect(page.get_by_role("main")).to_contain_text("level_missing")
    page.get_by_label("Target framework").select_option("EQF")
    page.get_by_label("Purpose").select_option("employment")
    page.get_by_role("button", name="Recommend").click()
    expect(page.locator("#outcome")).to_have_text("Insufficient information")
    expect(page.locator("#element-level")).to_contain_text("cannot be assessed")
    expect(page.locator("#four-eyes")).to_contain_text("under the four-eyes rule")
    expect(page.get_by_role("button", name="Record the review")).to_have_count(0)
    check_page(page, "case-four-eyes")


def test_the_recommendation_page_on_a_phone(
    web: WebServer, page_for: PageFor, edinburgh: str
) -> None:
    from app.adapters.db.tenancy import bind_organisation
    from app.core.recognition import Purpose
    from app.services.recognition import RecognitionCommand

    with web.app.state.sessionmaker() as session:
        bind_organisation(session, ORG)
        record = web.app.state.transfer.recognition.recommend(
            session,
            RecognitionCommand(
                target="UK-SCT-SCQF",
                purpose=Purpose.ADMISSION,
                credential_document=ELM_SIGNED.read_text(encoding="utf-8"),
                qualification_id=edinburgh,
                created_by="test",
            ),
        )
        session.commit()
    page = page_for("reader", phone=True)
    page.goto(f"{web.url}/cases")
    page.get_by_role("link", name="Digital micro-credential creation").first.click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    expect(page.locator("#outcome")).to_be_visible()
    assert page.url.endswith(record["id"])  # newest first
    width: Any = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the recommendation scrolls sideways on a phone ({width}px)"
    check_page(page, "case-recommendation-phone")
