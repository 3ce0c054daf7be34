"""Journey 4, "credit transfer in bulk", in a real browser: a CSV of incoming courses against a
programme of the catalogue → a job whose progress the page follows → per course, proposals best
first with their evidence and the reason for every miss → the API's CSV and JSON exports.

Real texts only. The programme is Uppsala University's MSc in Computer Science selection
(samples/catalogue). The incoming courses are published courses: two halves of Uppsala's own
"Database Design I" outcomes and its "Data, Ethics and Law" outcomes (as a partner institution
teaching the same content would list them), the University of Maryland's CMSC421 "Introduction to
Artificial Intelligence" (its catalogue description, as in tests/api/test_articulation_courses_api
.py), and the University of Edinburgh's "Digital futures for learning" (samples/catalogue), which
nothing in a computer-science programme should take.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.settings import PROJECT_ROOT
from tests.web.browser import check_page
from tests.web.conftest import ORG, PageFor, WebServer

SAMPLES = PROJECT_ROOT / "samples/catalogue"
UPPSALA = SAMPLES / "uppsala-msc-computer-science-selection.json"
EDINBURGH = SAMPLES / "edinburgh-pgcert-digital-education.json"
CMSC421 = (
    "Areas and issues in artificial intelligence, including search, inference, knowledge "
    "representation, learning, vision, natural languages, expert systems, robotics."
)


@pytest.fixture(scope="module")
def uppsala(web: WebServer) -> dict[str, Any]:
    """The programme in the organisation's catalogue (stored by the catalogue service)."""
    from app.adapters.db.tenancy import bind_organisation
    from app.services.catalogue import CatalogueService

    with web.app.state.sessionmaker() as session:
        bind_organisation(session, ORG)
        service = CatalogueService(web.app.state.registry)
        stored = service.store(session, service.read_file(UPPSALA))
        session.commit()
    document = json.loads(UPPSALA.read_text(encoding="utf-8"))
    return {
        "id": stored[0].id,
        "title": document["title"],
        "label": f"{document['title']} — {document['institution']['name']}",  # as the list shows
        "modules": document["modules"],
    }


def _courses_csv(uppsala: dict[str, Any], path: Path) -> Path:
    modules = {m["code"]: m for m in uppsala["modules"]}
    db, ethics = modules["1DL301"]["learning_outcomes"], modules["1DL002"]["learning_outcomes"]
    digital = next(
        m
        for m in json.loads(EDINBURGH.read_text(encoding="utf-8"))["modules"]
        if m["code"] == "EDUA11214"
    )
    half = len(db) // 2
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["id", "title", "credits", "credit_system", "eqf_level", "learning_outcomes"])
    w.writerow(["DB-1", "Databases part 1", "3", "ects", "7", "\n".join(db[:half])])
    w.writerow(["DB-2", "Databases part 2", "3", "ects", "7", " | ".join(db[half:])])
    w.writerow(["ETH", "Data ethics", "7.5", "ects", "7", "\n".join(ethics)])
    w.writerow(["CMSC421", "Introduction to Artificial Intelligence", "3", "", "", CMSC421])
    w.writerow(
        [
            "EDUA11214",
            digital["title"],
            "20",
            "ects",
            "",
            "\n".join(digital["learning_outcomes"]),
        ]
    )
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


def _course(page: Any, code: str) -> Any:
    heading = page.get_by_role("heading", name=re.compile(f"^{re.escape(code)} "))
    return page.locator("article.course").filter(has=heading)


def test_bulk_transfer_from_upload_to_downloads(
    web: WebServer, page_for: PageFor, uppsala: dict[str, Any], tmp_path: Path
) -> None:
    page = page_for("evaluator")
    page.goto(f"{web.url}/transfer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Credit transfer in bulk")
    check_page(page, "transfer-upload")
    page.get_by_label("Programme").select_option(label=uppsala["label"])
    page.get_by_label("Incoming courses (CSV file)").set_input_files(
        str(_courses_csv(uppsala, tmp_path / "incoming.csv"))
    )
    page.get_by_role("button", name="Start the articulation").click()

    # --- the job: progress followed live (htmx), until done --------------------------------
    expect(page).to_have_url(re.compile(r"/transfer/jobs/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", level=1)).to_contain_text(uppsala["title"])
    status = page.get_by_role("status")
    expect(status).to_contain_text(re.compile(r"of 5 courses processed"))
    expect(status).to_contain_text("Done: 5 of 5 courses processed (100%)", timeout=30_000)
    progress = page.locator("progress#job-progress")
    expect(progress).to_have_attribute("value", "5")
    expect(progress).to_have_attribute("max", "5")

    # --- per course, proposals best first with their evidence --------------------------------
    ethics = _course(page, "ETH")
    expect(ethics).to_contain_text("Replace")
    expect(ethics).to_contain_text("1DL002 Data, Ethics and Law")
    expect(ethics).to_contain_text("100% of the module's outcomes covered")
    expect(ethics).to_contain_text("7.5 ECTS against the module's 5 ECTS: sufficient")
    ethics.get_by_text("Matched outcomes (6 pairs)").click()
    expect(ethics.get_by_role("table")).to_contain_text(
        "assess an application scenario with respect to a given legal framework"
    )
    # Two halves of a module: together they replace it (best), each alone is conditional.
    first = _course(page, "DB-1").locator("li.proposal").first
    expect(first).to_contain_text("Replace")
    expect(first).to_contain_text("1DL301 Database Design I")
    expect(first).to_contain_text("several courses together: DB-2, DB-1")
    expect(_course(page, "DB-1").locator("li.proposal").nth(1)).to_contain_text("Conditional")
    # Every miss has its reason.
    digital = _course(page, "EDUA11214")
    expect(digital).to_contain_text("No proposal.")
    expect(digital.locator(".reason")).to_have_text(
        "none of its outcomes scores above the bar against any module's outcomes"
    )
    ai = _course(page, "CMSC421")
    expect(ai).to_contain_text("No proposal.")
    expect(ai).to_contain_text("The course-level ranking points to 1DL340 Artificial Intelligence")
    module_rows = page.get_by_role("table", name="Each module's best proposal, or why it has none")
    expect(module_rows.get_by_role("row").filter(has_text="1DL340")).to_contain_text(
        "the module publishes no learning outcomes to compare"
    )
    expect(page.get_by_text("2 of 4 replaceable, 0 conditionally")).to_be_visible()
    check_page(page, "transfer-results", docs=True)

    # --- downloads: the API's exports ---------------------------------------------------------
    with page.expect_download() as got:
        page.get_by_role("link", name="Results as CSV").click()
    download = got.value
    assert download.suggested_filename == f"articulation-{job_id}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    by_module = {(r["module_code"], r["decision"], r["courses"]) for r in rows}
    assert ("1DL002", "replace", "ETH") in by_module
    assert ("1DL301", "replace", "DB-2|DB-1") in by_module
    misses = {r["module_code"]: r["reasons"] for r in rows if r["decision"] == "none"}
    assert misses["1DL340"] == "the module publishes no learning outcomes to compare"
    api = page.request.get(
        f"{web.url}/v1/jobs/{job_id}/results?format=csv",
        headers={"Authorization": f"Bearer {web.keys['reader']}"},
    )
    assert api.ok, api.text()
    assert Path(download.path()).read_bytes() == api.body()  # byte for byte

    with page.expect_download() as got:
        page.get_by_role("link", name="Results as JSON").click()
    body = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert body["job"]["id"] == job_id and body["complete"] is True
    assert body["summary"]["modules_replaceable"] == 2
    assert body == json.loads(
        page.request.get(
            f"{web.url}/v1/jobs/{job_id}/results",
            headers={"Authorization": f"Bearer {web.keys['reader']}"},
        ).text()
    )

    # --- the jobs list names it; the results read on a phone too ------------------------------
    page.goto(f"{web.url}/transfer")
    row = page.get_by_role("row").filter(has=page.locator(f'a[href="/transfer/jobs/{job_id}"]'))
    expect(row).to_contain_text("Done")
    phone = page_for("reader", phone=True)
    phone.goto(f"{web.url}/transfer/jobs/{job_id}")
    expect(_course(phone, "ETH")).to_contain_text("1DL002 Data, Ethics and Law")
    expect(phone.get_by_role("button", name="Cancel the job")).to_have_count(0)
    check_page(phone, "transfer-results-phone")


def test_a_bad_file_is_refused_row_by_row(
    web: WebServer, page_for: PageFor, uppsala: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,title,credits,learning_outcomes\n"
        "A,Databases,five,create conceptual models of relational databases\n"
        "B,Ethics,5,\n",
        encoding="utf-8",
    )
    page = page_for("evaluator")
    page.goto(f"{web.url}/transfer")
    page.get_by_label("Programme").select_option(label=uppsala["label"])
    page.get_by_label("Incoming courses (CSV file)").set_input_files(str(path))
    page.get_by_role("button", name="Start the articulation").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The file has problems")
    expect(alert).to_contain_text("row 2, column credits: not a number")
    expect(page).to_have_url(f"{web.url}/transfer")


def test_roles_and_organisations(
    web: WebServer, page_for: PageFor, uppsala: dict[str, Any]
) -> None:
    # A reader may follow jobs but not start one: no form.
    reader = page_for("reader")
    reader.goto(f"{web.url}/transfer")
    expect(reader.get_by_text("may read articulation jobs but not start them")).to_be_visible()
    expect(reader.get_by_role("button", name="Start the articulation")).to_have_count(0)
    # ... and a submission of theirs (with their valid CSRF token) is refused with a 403 page.
    token = reader.locator('input[name="csrf_token"]').first.get_attribute("value")
    refused = reader.request.post(
        f"{web.url}/transfer",
        multipart={
            "csrf_token": token or "",
            "qualification_id": uppsala["id"],
            "courses": {
                "name": "c.csv",
                "mimeType": "text/csv",
                "buffer": b"id,learning_outcomes\nX,set up users and their privileges\n",
            },
        },
    )
    assert refused.status == 403 and "Not allowed" in refused.text()
    # Another organisation sees neither this organisation's programmes nor its jobs.
    with web.app.state.sessionmaker() as session:
        from app.adapters.db.tenancy import bind_organisation
        from app.services.articulation import IncomingCourse

        bind_organisation(session, ORG)
        modules = {m["code"]: m for m in uppsala["modules"]}
        incoming = [
            IncomingCourse(
                "row 2", "ETH-X", "Data ethics", tuple(modules["1DL002"]["learning_outcomes"])
            )
        ]
        job, _ = web.app.state.transfer.articulation.submit(session, uppsala["id"], incoming)
        session.commit()  # queued only: whether it runs does not matter here
    other = page_for("other")
    other.goto(f"{web.url}/transfer")
    expect(other.get_by_role("option", name=uppsala["label"])).to_have_count(0)
    response = other.goto(f"{web.url}/transfer/jobs/{job['id']}")
    assert response is not None and response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("Not found")
