"""Journey 3 in a real browser: import the bundled catalogue samples, search, browse; a broken
file shows where each problem is; a reader may browse but not import."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from app.settings import PROJECT_ROOT
from tests.web.browser import check_page
from tests.web.conftest import PageFor, WebServer

SAMPLES = PROJECT_ROOT / "samples" / "catalogue"
EDINBURGH = SAMPLES / "edinburgh-pgcert-digital-education.json"
UPPSALA = SAMPLES / "uppsala-msc-computer-science-selection.json"


def test_import_a_sample_then_search_and_browse_its_modules(web: WebServer, page: Any) -> None:
    page.goto(f"{web.url}/catalogue")
    page.get_by_role("link", name="Import a catalogue file").first.click()
    page.get_by_label("Catalogue file").set_input_files(str(EDINBURGH))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"programme(s)? stored"))
    expect(page.locator("#results-title + ul")).to_contain_text(
        "Digital Education (Postgraduate Certificate)"
    )
    check_page(page, "catalogue-import-done")
    # the same file again stores nothing new
    page.get_by_label("Catalogue file").set_input_files(str(EDINBURGH))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#results-title + ul")).to_contain_text("already stored")

    # search by a module code finds the programme; its page lists the modules
    page.goto(f"{web.url}/catalogue")
    page.get_by_label("Search").fill("EDUA11410")
    page.get_by_role("button", name="Search").click()
    results = page.locator("table tbody tr")
    expect(results).to_have_count(1)
    results.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Digital Education (Postgraduate Certificate)"
    )
    modules = json.loads(EDINBURGH.read_text(encoding="utf-8"))["modules"]
    expect(page.locator("table.modules tbody tr")).to_have_count(len(modules))
    matched = page.locator("table.modules tbody tr", has_text="EDUA11410")
    expect(matched.locator(".badge.ok")).to_have_text("matches “EDUA11410”")
    expect(page.locator("table.modules .badge.ok")).to_have_count(1)
    check_page(page, "catalogue-programme", docs=True)


def test_browse_lists_what_was_imported(web: WebServer, page: Any) -> None:
    page.goto(f"{web.url}/catalogue/import")
    page.get_by_label("Catalogue file").set_input_files(str(UPPSALA))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(f"{web.url}/catalogue")
    expect(page.locator("table tbody")).to_contain_text("Uppsala")
    check_page(page, "catalogue", docs=True)


def test_a_broken_file_shows_each_problem_where_it_is(
    web: WebServer, page: Any, tmp_path: Path
) -> None:
    document = json.loads(EDINBURGH.read_text(encoding="utf-8"))
    document["modules"][1]["credits"]["value"] = -20
    del document["institution"]["name"]
    broken = tmp_path / "broken-catalogue.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    page.goto(f"{web.url}/catalogue/import")
    page.get_by_label("Catalogue file").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was stored")
    issues = page.locator("table.issues tbody")
    expect(issues).to_contain_text("/modules/1/credits/value")
    expect(issues).to_contain_text("/institution/name")
    # the module the pointer leads to is named, for people who do not read pointers
    module = document["modules"][1]
    expect(issues.locator("tr", has_text="/modules/1/credits/value")).to_contain_text(
        f"in {module['code']} — {module['title']}"
    )
    check_page(page, "catalogue-import-errors", docs=True)


def test_a_csv_with_unknown_columns_is_refused_with_the_row(web: WebServer, page: Any) -> None:
    page.goto(f"{web.url}/catalogue/import")
    page.get_by_label("Or paste the content").fill("code,title\nX1,Something\n")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("table.issues tbody tr").first).to_contain_text("row 1")
    expect(page.locator("table.issues tbody")).to_contain_text("unknown column")


def test_a_reader_browses_but_may_not_import(web: WebServer, page_for: PageFor) -> None:
    page = page_for("reader")
    page.goto(f"{web.url}/catalogue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue")
    expect(page.get_by_role("link", name="Import a catalogue file")).to_have_count(0)
    answer = page.goto(f"{web.url}/catalogue/import")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("main")).to_contain_text("catalogue:write")
    check_page(page, "forbidden")


def test_another_organisation_does_not_see_this_catalogue(
    web: WebServer, page_for: PageFor
) -> None:
    page = page_for("evaluator")
    page.goto(f"{web.url}/catalogue/import")
    page.get_by_label("Catalogue file").set_input_files(str(EDINBURGH))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_be_visible()
    other = page_for("other")
    other.goto(f"{web.url}/catalogue?q=Digital+Education")
    expect(other.get_by_role("heading", level=2)).to_have_text("0 programmes")
