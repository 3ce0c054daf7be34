"""Journey 1 in a real browser: compare levels, a framework's page, the matrix, on the real data."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.browser import check_page
from tests.web.conftest import PageFor, WebServer


def test_compare_a_level_by_choosing_frameworks_and_levels(web: WebServer, page: Any) -> None:
    page.goto(f"{web.url}/compare")
    page.get_by_label("Framework", exact=True).select_option("IE-NFQ")
    # htmx swaps in the levels of the chosen framework
    level = page.get_by_label("Level", exact=True)
    expect(level.locator("option", has_text="IE NQF Level 8")).to_have_count(1)
    level.select_option("8")
    page.get_by_label("Target framework").select_option("FR-CNCP")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare\?from_fw=IE-NFQ&level=8&.*to_fw=FR-CNCP"))
    answer = page.locator("section.answer")
    expect(answer.get_by_role("heading", level=2)).to_contain_text("IE-NFQ 8 in French")
    # the EU vocabulary URI of the source level is shown
    expect(answer.locator('dd a[href^="http://data.europa.eu/snb/qdr/"]')).not_to_have_count(0)
    row = answer.locator("table.matches tbody tr").first
    expect(row.get_by_role("rowheader")).to_contain_text("FR-CNCP 6")
    expect(row).to_contain_text("skos:broadMatch")  # NFQ 8 shares EQF 6 with NFQ 7
    expect(row).to_contain_text("81 %")  # 0.9 × 0.9 along the path
    expect(row.locator("ol.path li")).to_have_count(2)
    expect(row.locator("ol.path li").first).to_contain_text("IE-NFQ 8 → EQF 6")
    expect(row.locator("ul.sources li").first).to_be_visible()
    check_page(page, "compare", docs=True)


def test_a_historical_level_is_marked_and_a_date_before_its_end_compares(
    web: WebServer, page: Any
) -> None:
    page.goto(f"{web.url}/compare?source=FR-CNCP:V&to_fw=EQF&as_of=2015-06-01")
    answer = page.locator("section.answer")
    expect(answer.locator("dl.facts")).to_contain_text("Level V")
    expect(answer.locator("table.matches tbody tr").first).to_contain_text("EQF 3")
    # on today's view the same level is marked historical, with its end date
    page.goto(f"{web.url}/compare?source=FR-CNCP:V&to_fw=EQF")
    expect(page.locator("section.answer .badge.historical").first).to_contain_text(
        "until 2019-01-10"
    )


def test_an_unknown_level_and_a_bad_date_are_shown_next_to_their_fields(
    web: WebServer, page: Any
) -> None:
    page.goto(f"{web.url}/compare?source=IE-NFQ:99&to_fw=EQF&as_of=2020-13-40")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("YYYY-MM-DD")
    date = page.get_by_label("As of date")
    expect(date).to_have_attribute("aria-invalid", "true")
    page.goto(f"{web.url}/compare?source=IE-NFQ:99&to_fw=EQF")
    expect(page.get_by_role("alert")).to_contain_text("99")
    expect(page.get_by_label("Level identifier")).to_have_attribute("aria-invalid", "true")
    check_page(page, "compare-error")


def test_framework_page_lists_levels_descriptors_types_and_sources(
    web: WebServer, page: Any
) -> None:
    page.goto(f"{web.url}/frameworks")
    page.get_by_label("Search by name, acronym or id").fill("Irish")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Irish National Framework of Qualifications").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Irish National Framework")
    levels = page.locator("table.levels tbody tr")
    expect(levels).to_have_count(10)
    expect(page.locator("#level-8")).to_contain_text("EQF 6")
    expect(page.get_by_role("heading", name="Qualification types")).to_be_visible()
    expect(page.locator("table").nth(1)).to_contain_text("Honours Bachelor Degree")
    expect(page.locator("#sources + ul.sources li")).not_to_have_count(0)
    check_page(page, "framework", docs=True)


def test_framework_page_marks_historical_levels_and_their_successors(
    web: WebServer, page: Any
) -> None:
    page.goto(f"{web.url}/frameworks/FR-CNCP")
    old = page.locator("#level-V")
    expect(old.locator(".badge.historical")).to_contain_text("until 2019-01-10")
    expect(old).to_contain_text("replaced by FR-CNCP 3")


def test_matrix_shows_frameworks_side_by_side_by_eqf_level(web: WebServer, page: Any) -> None:
    page.goto(f"{web.url}/compare/matrix")
    for fw in ("IE-NFQ", "DE-DQR", "UK-SCT-SCQF"):
        page.locator(f"#fw-{fw}").check()
    page.get_by_role("button", name="Show the matrix").click()
    table = page.locator("table.matrix")
    expect(table.locator("thead th")).to_have_count(4)
    eqf6 = table.locator("tbody tr", has=page.get_by_role("rowheader", name="EQF 6"))
    expect(eqf6).to_contain_text("IE NQF Level 8")
    expect(eqf6).to_contain_text("skos:broadMatch")
    check_page(page, "matrix", docs=True)


def test_compare_on_a_phone(web: WebServer, page_for: PageFor) -> None:
    page = page_for("reader", phone=True)
    page.goto(f"{web.url}/compare?from_fw=IE-NFQ&level=8&to_fw=UK-SCT-SCQF")
    expect(page.locator("table.matches tbody tr").first).to_contain_text("UK-SCT-SCQF")
    check_page(page, "compare-phone")
