"""The compare and catalogue pages without a browser, on SQLite and PostgreSQL: who may see
what, CSRF on the import, organisations kept apart, and the same answers as the API."""

from __future__ import annotations

import json

import pytest

from app.settings import PROJECT_ROOT
from tests.web.conftest import Site, csrf_of

SAMPLE = PROJECT_ROOT / "samples" / "catalogue" / "una-europa-microcredential-sustainability.json"
READ_PAGES = [
    "/",
    "/compare",
    "/compare?from_fw=IE-NFQ&level=8&to_fw=EQF",
    "/compare/levels?from_fw=IE-NFQ",
    "/compare/matrix?fw=IE-NFQ",
    "/frameworks",
    "/frameworks/IE-NFQ",
    "/catalogue",
]


@pytest.mark.parametrize("path", READ_PAGES)
def test_pages_need_a_session(web_site: Site, path: str) -> None:
    answer = web_site.signed_in(None).get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in?next=/")


@pytest.mark.parametrize("path", READ_PAGES)
def test_every_role_reads_the_reference_and_catalogue_pages(web_site: Site, path: str) -> None:
    answer = web_site.signed_in("reader").get(path)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


def test_an_htmx_request_without_a_session_is_sent_to_sign_in(web_site: Site) -> None:
    answer = web_site.signed_in(None).get(
        "/compare/levels?from_fw=IE-NFQ", headers={"HX-Request": "true"}
    )
    assert answer.status_code == 204
    assert answer.headers["hx-redirect"].startswith("/sign-in?next=/compare/levels")


def test_the_compare_page_says_what_the_api_says(web_site: Site) -> None:
    client = web_site.signed_in("reader")
    api = client.get(
        "/v1/compare",
        params={"source": "UK-SCT-SCQF:10", "target": "IE-NFQ"},
        headers={"X-API-Key": web_site.keys["reader"]},
    ).json()
    page = client.get("/compare", params={"source": "UK-SCT-SCQF:10", "to_fw": "IE-NFQ"}).text
    assert api["matches"], api
    for match in api["matches"]:
        assert f"IE-NFQ {match['level']['code']} — " in page
        assert f"{round(match['confidence'] * 100)} %" in page


def test_a_reader_may_not_import_even_with_a_valid_form(web_site: Site) -> None:
    reader = web_site.signed_in("reader")
    token = csrf_of(reader.get("/catalogue").text)
    assert reader.get("/catalogue/import").status_code == 403
    answer = reader.post(
        "/catalogue/import",
        data={"csrf_token": token, "pasted": SAMPLE.read_text(encoding="utf-8")},
    )
    assert answer.status_code == 403
    assert "catalogue:write" in answer.text


def test_an_import_without_the_csrf_token_stores_nothing(web_site: Site) -> None:
    evaluator = web_site.signed_in("evaluator")
    title = json.loads(SAMPLE.read_text(encoding="utf-8"))["title"]
    before = evaluator.get("/catalogue", params={"q": title}).text
    answer = evaluator.post(
        "/catalogue/import", data={"pasted": SAMPLE.read_text(encoding="utf-8")}
    )
    assert answer.status_code == 403
    assert "form has expired" in answer.text
    forged = evaluator.post(
        "/catalogue/import",
        data={"csrf_token": "x" * 43, "pasted": SAMPLE.read_text(encoding="utf-8")},
    )
    assert forged.status_code == 403
    assert evaluator.get("/catalogue", params={"q": title}).text == before


def test_an_import_is_seen_by_its_organisation_only(web_site: Site) -> None:
    evaluator = web_site.signed_in("evaluator")
    token = csrf_of(evaluator.get("/catalogue/import").text)
    data = SAMPLE.read_bytes()
    answer = evaluator.post(
        "/catalogue/import",
        data={"csrf_token": token},
        files={"file": (SAMPLE.name, data, "application/json")},
    )
    assert answer.status_code == 200, answer.text[-2000:]
    title = json.loads(data)["title"]
    assert title in answer.text
    mine = evaluator.get("/catalogue", params={"q": title}).text
    assert title in mine
    other = web_site.signed_in("other").get("/catalogue", params={"q": title}).text
    assert ">0 programmes</h2>" in other
    assert f"{title}</a>" not in other
    # the programme's own page is not found from the other organisation either
    programme = mine.split('href="/catalogue/', 2)[2].split('"', 1)[0]
    assert evaluator.get(f"/catalogue/{programme}").status_code == 200
    assert web_site.signed_in("other").get(f"/catalogue/{programme}").status_code == 404


def test_an_empty_import_names_the_file_field(web_site: Site) -> None:
    evaluator = web_site.signed_in("evaluator")
    token = csrf_of(evaluator.get("/catalogue/import").text)
    answer = evaluator.post("/catalogue/import", data={"csrf_token": token, "pasted": "  "})
    assert answer.status_code == 422
    assert 'aria-describedby="field-file-hint field-file-error"' in answer.text
