"""The credit-transfer and pathways pages without a browser, on SQLite and PostgreSQL: a CSV
submitted through the page runs as a job and its results read back; the download is the API's,
formula-safe; the refused cases (role, CSRF, organisation, sign-in) and located errors.

Real texts: Uppsala University's MSc in Computer Science selection (samples/catalogue) and its
published module outcomes as the incoming course / held credential (as in test_transfer.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from app.settings import PROJECT_ROOT
from tests.web.conftest import ORG, Site, csrf_of

UPPSALA = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"
FORMULA = '=HYPERLINK("https://example.org","Data ethics")'  # what a spreadsheet would run


@pytest.fixture(scope="module")
def programme(web_site: Site) -> dict[str, Any]:
    from app.adapters.db.tenancy import bind_organisation
    from app.services.catalogue import CatalogueService

    with web_site.app.state.sessionmaker() as session:
        bind_organisation(session, ORG)
        service = CatalogueService(web_site.app.state.registry)
        stored = service.store(session, service.read_file(UPPSALA))
        session.commit()
    document = json.loads(UPPSALA.read_text(encoding="utf-8"))
    modules = {m["code"]: m for m in document["modules"]}
    return {"id": stored[0].id, "ethics": modules["1DL002"]["learning_outcomes"]}


def _csv(programme: dict[str, Any]) -> bytes:
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["id", "title", "credits", "eqf_level", "learning_outcomes"])
    w.writerow(["ETH-P", FORMULA, "7.5", "7", "\n".join(programme["ethics"])])
    return text.getvalue().encode("utf-8")


def _submit(client: Any, programme: dict[str, Any], body: bytes, **extra: str) -> Any:
    token = csrf_of(client.get("/transfer").text)
    return client.post(
        "/transfer",
        data={"csrf_token": token, "qualification_id": programme["id"], **extra},
        files={"courses": ("courses.csv", body, "text/csv")},
        follow_redirects=False,
    )


def _wait(client: Any, job_page: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        live = client.get(f"{job_page}/live", headers={"HX-Request": "true"})
        assert live.status_code == 200, live.text
        if "Done</strong>" in live.text:
            return str(live.text)
        assert "Failed</strong>" not in live.text, live.text
        assert time.monotonic() < deadline, live.text
        time.sleep(0.2)


def test_a_job_from_the_page_to_the_formula_safe_download(
    web_site: Site, programme: dict[str, Any]
) -> None:
    evaluator = web_site.signed_in("evaluator")
    r = _submit(evaluator, programme, _csv(programme))
    assert r.status_code == 303, r.text
    job_page = r.headers["location"]
    assert re.fullmatch(r"/transfer/jobs/[0-9a-f-]{36}", job_page)
    job_id = job_page.rsplit("/", 1)[1]
    live = _wait(evaluator, job_page)
    assert 'hx-trigger="every' not in live  # polling stops once the job is done
    assert 'id="job-status" hx-swap-oob="innerHTML"' in live
    page = evaluator.get(job_page).text
    assert "1DL002</code> Data, Ethics and Law" in page and "Replace" in page
    assert "=HYPERLINK(&#34;https://example.org&#34;" in page  # escaped, shown as text

    download = evaluator.get(f"{job_page}/results.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    row = next(r for r in csv.DictReader(io.StringIO(download.text)) if r["courses"] == "ETH-P")
    assert row["course_titles"] == "'" + FORMULA  # neutralised (app/core/csv_safety.py)
    api = evaluator.get(
        f"/v1/jobs/{job_id}/results?format=csv",
        headers={"Authorization": f"Bearer {web_site.keys['evaluator']}"},
    )
    assert api.status_code == 200 and api.content == download.content

    # The same batch again opens the same job (the API's idempotence).
    again = _submit(evaluator, programme, _csv(programme))
    assert again.status_code == 303 and again.headers["location"] == job_page

    # Refused: another organisation does not see it; nobody unsigned does.
    other = web_site.signed_in("other")
    for path in (job_page, f"{job_page}/results.csv", f"{job_page}/results.json"):
        assert other.get(path).status_code == 404
    anonymous = web_site.signed_in(None)
    answer = anonymous.get(job_page, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=")


def test_refused_and_located_problems(web_site: Site, programme: dict[str, Any]) -> None:
    reader = web_site.signed_in("reader")
    refused = _submit(reader, programme, _csv(programme))
    assert refused.status_code == 403 and "Not allowed" in refused.text
    evaluator = web_site.signed_in("evaluator")
    stale = evaluator.post(
        "/transfer",
        data={"csrf_token": "not-the-token", "qualification_id": programme["id"]},
        files={"courses": ("courses.csv", _csv(programme), "text/csv")},
        follow_redirects=False,
    )
    assert stale.status_code == 403 and "The form has expired" in stale.text
    unknown = _submit(evaluator, {**programme, "id": "no-such-programme"}, _csv(programme))
    assert unknown.status_code == 404
    assert 'href="#field-qualification_id"' in unknown.text
    bad = _submit(evaluator, programme, b"id,title,eqf_level,learning_outcomes\nA,T,nine,x\n")
    assert bad.status_code == 422
    assert "row 2, column eqf_level: not a whole number" in bad.text


def test_pathways_answer_and_organisations(
    web_site: Site, programme: dict[str, Any], tmp_path: Path
) -> None:
    reader = web_site.signed_in("reader")
    form = reader.get(f"/pathways?qualification_id={programme['id']}")
    assert form.status_code == 200 and 'value="1DL002"' in form.text  # its electives listed
    credential = {"title": "Data ethics", "learning_outcomes": programme["ethics"], "credits": 5}
    data = {
        "csrf_token": csrf_of(form.text),
        "qualification_id": programme["id"],
        "electives": ["1DL002", "1DL301"],
        "objective": "credits",
        "limit": "3",
        "use_catalogue": "on",
    }
    files = {"upload": ("ethics.json", json.dumps(credential).encode(), "application/json")}
    answer = reader.post("/pathways", data=data, files=files)
    assert answer.status_code == 200, answer.text
    assert re.search(r'id="covered-summary">1 module\(s\), 5 ECTS', answer.text)
    assert "0 of 9 outcomes covered (7 needed)" in answer.text
    assert "Is module 1DL301 itself." in answer.text
    # Another organisation cannot plan against this organisation's programme.
    other = web_site.signed_in("other")
    token = csrf_of(other.get("/pathways").text)
    elsewhere = other.post("/pathways", data={**data, "csrf_token": token}, files=files)
    assert elsewhere.status_code == 404
    assert 'href="#field-qualification_id"' in elsewhere.text
