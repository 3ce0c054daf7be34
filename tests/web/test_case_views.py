"""The case pages without a browser: roles, the four-eyes rule, stale reviews, organisations,
CSRF, located upload errors, and the export equal to the API's (SQLite and PostgreSQL, on the
``web_site`` fixture of tests/web/conftest.py: the running test server on SQLite)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.settings import PROJECT_ROOT
from app.web import case_view as view
from tests.web.conftest import Site

ELM_SIGNED = PROJECT_ROOT / "tests/data/credentials_interop/edc/elm_Sample-MC-Annex1-signed.jsonld"
ELM_UNSIGNED = PROJECT_ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
BULK_CSV = PROJECT_ROOT / "tests/data/credentials/plain/bulk.csv"
Client = Any  # an httpx.Client (SQLite: the running server) or a Client (PostgreSQL)


def signed_in(site: Site, who: str | None) -> Client:
    return site.signed_in(who)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def token_of(client: Client) -> str:
    return _csrf(client.get("/").text)


def upload(client: Client, path: Path, **data: str) -> str:
    """Read and store a credential through the page; its id (the same for the same document)."""
    answer = client.post(
        "/cases/new",
        data={"csrf_token": token_of(client), "format": "auto", **data},
        files={"file": (path.name, path.read_bytes(), "application/ld+json")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location.split("?")[0].rsplit("/", 1)[1]


def recommend(client: Client, credential_id: str, **data: str) -> str:
    answer = client.post(
        f"/cases/credentials/{credential_id}/recommend",
        data={"csrf_token": token_of(client), "target": "UK-RQF", "purpose": "employment", **data},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location.rsplit("/", 1)[1]


def record_of(site: Site, record_id: str) -> dict[str, Any]:
    """The record as the recognition service holds it (not through the pages)."""
    from app.adapters.db.tenancy import bind_organisation

    with site.app.state.sessionmaker() as session:
        bind_organisation(session, "default")
        record: dict[str, Any] = site.app.state.transfer.recognition.get(session, record_id)
        return record


def reviews_of(site: Site, record_id: str) -> list[dict[str, Any]]:
    reviews: list[dict[str, Any]] = record_of(site, record_id)["reviews"]
    return reviews


@pytest.fixture
def site(web_site: Site) -> Site:
    return web_site


@pytest.fixture
def record_id(site: Site) -> str:
    """A recommendation asked for by the evaluator, on the official unsigned ELM sample."""
    evaluator = signed_in(site, "evaluator")
    return recommend(evaluator, upload(evaluator, ELM_UNSIGNED))


def test_pages_need_a_session_and_the_role_of_the_api_operation(site: Site, record_id: str) -> None:
    anonymous = signed_in(site, None)
    answer = anonymous.get(f"/cases/{record_id}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sign-in?next=/cases/{record_id}"
    reader = signed_in(site, "reader")
    listing = reader.get("/cases")
    assert listing.status_code == 200
    assert "Digital micro-credential creation" in listing.text
    assert "/cases/new" not in listing.text  # no link a reader could only be refused on
    assert reader.get(f"/cases/{record_id}").status_code == 200
    assert reader.get("/cases/new").status_code == 403
    refused = reader.post(
        f"/cases/{record_id}/review",
        data={"csrf_token": token_of(reader), "action": "confirm", "reason": "fine"},
    )
    assert refused.status_code == 403
    assert "recognition:review" in refused.text  # the page names the missing permission
    evaluator = signed_in(site, "evaluator")
    assert "Reviewing needs the reviewer role" in evaluator.get(f"/cases/{record_id}").text
    assert reviews_of(site, record_id) == []
    # not reviewed yet: the letter is a draft and says so
    assert 'id="draft"' in reader.get(f"/cases/{record_id}/letter").text
    # a reader reads the credential but is offered no recommendation, nor the learner's name
    credential = record_of(site, record_id)["credential"]["id"]
    read = reader.get(f"/cases/credentials/{credential}")
    assert read.status_code == 200 and "Annex I completeness" in read.text
    assert "/recommend" not in read.text
    assert f'href="/cases/{record_id}"' in read.text  # the recommendations made for it
    assert "personal data; this reading is logged" not in read.text


def test_a_form_without_the_csrf_token_changes_nothing(site: Site, record_id: str) -> None:
    reviewer = signed_in(site, "reviewer")
    answer = reviewer.post(f"/cases/{record_id}/review", data={"action": "confirm", "reason": "x"})
    assert answer.status_code == 403
    assert reviews_of(site, record_id) == []


def test_whoever_asked_may_not_review_and_the_page_says_why(site: Site) -> None:
    admin = signed_in(site, "admin")  # holds the reviewer's permission too
    mine = recommend(admin, upload(admin, ELM_UNSIGNED), purpose="admission")
    page = admin.get(f"/cases/{mine}")
    assert "under the four-eyes rule another reviewer" in page.text
    assert 'name="based_on"' not in page.text  # no review form for the author
    version = re.search(r'id="record-hash"[^>]*>([0-9a-f]{64})<', page.text)
    assert version is not None
    answer = admin.post(
        f"/cases/{mine}/review",
        data={
            "csrf_token": token_of(admin),
            "action": "confirm",
            "reason": "looks right",
            "based_on": version.group(1),
        },
    )
    assert answer.status_code == 403
    assert "Review refused" in answer.text
    assert "Four-eyes rule" in answer.text and "may not also review it" in answer.text
    assert reviews_of(site, mine) == []


def test_the_same_document_again_is_the_same_credential(site: Site) -> None:
    evaluator = signed_in(site, "evaluator")
    first = upload(evaluator, ELM_UNSIGNED)
    again = evaluator.post(
        "/cases/new",
        data={"csrf_token": token_of(evaluator), "document": ELM_UNSIGNED.read_text("utf-8")},
        follow_redirects=False,
    )
    assert again.headers["location"] == f"/cases/credentials/{first}?again=1"
    page = evaluator.get(again.headers["location"])
    assert 'id="again"' in page.text and "was read before" in page.text
    # the evaluator may read personal data: the learner is shown, and the reading logged
    assert "personal data; this reading is logged" in page.text


def test_a_review_names_its_version_and_a_stale_one_is_refused(site: Site, record_id: str) -> None:
    reviewer = signed_in(site, "reviewer")
    page = reviewer.get(f"/cases/{record_id}").text
    found = re.search(r'name="based_on" value="([0-9a-f]{64})"', page)
    assert found is not None
    seen = found.group(1)
    token = token_of(reviewer)
    missing_outcome = reviewer.post(
        f"/cases/{record_id}/review",
        data={"csrf_token": token, "action": "amend", "reason": "QA checked", "based_on": seen},
    )
    assert missing_outcome.status_code == 422
    assert 'href="#field-outcome"' in missing_outcome.text
    assert reviews_of(site, record_id) == []
    first = reviewer.post(
        f"/cases/{record_id}/review",
        data={
            "csrf_token": token,
            "action": "amend",
            "outcome": "partial",
            "reason": "QA checked with the awarding body",
            "conditions": "Complete the module's assessment\n\nSubmit the transcript",
            "based_on": seen,
        },
        follow_redirects=False,
    )
    assert first.status_code == 303
    stale = reviewer.post(
        f"/cases/{record_id}/review",
        data={"csrf_token": token, "action": "confirm", "reason": "agreed", "based_on": seen},
    )
    assert stale.status_code == 409
    assert "The record changed since you opened it" in stale.text
    stored = reviews_of(site, record_id)
    assert [(r["action"], r["outcome"]) for r in stored] == [("amend", "partial")]
    assert stored[0]["conditions"] == ["Complete the module's assessment", "Submit the transcript"]
    assert stored[0]["reviewer"].startswith("key:")  # the principal, not a typed name
    letter = reviewer.get(f"/cases/{record_id}/letter").text
    assert "Partial recognition" in letter and "Submit the transcript" in letter
    assert 'id="draft"' not in letter


def test_another_organisation_sees_nothing_of_the_case(site: Site, record_id: str) -> None:
    other = signed_in(site, "other")
    for path in (
        f"/cases/{record_id}",
        f"/cases/{record_id}/letter",
        f"/cases/{record_id}/verify",
        f"/cases/{record_id}/export",
    ):
        assert other.get(path).status_code == 404, path
    assert "Digital micro-credential creation" not in other.get("/cases").text


def test_the_export_and_the_verification_are_the_api_s(site: Site, record_id: str) -> None:
    reader = signed_in(site, "reader")
    page = reader.get(f"/cases/{record_id}/export")
    assert page.headers["content-disposition"] == (
        f'attachment; filename="recognition-{record_id}.json"'
    )
    api = site.make_client()
    key = {"X-API-Key": site.keys["reader"]}
    assert page.json() == api.get(f"/v1/recognitions/{record_id}/export", headers=key).json()
    checked = api.get(f"/v1/recognitions/{record_id}/verify", headers=key).json()
    verify = reader.get(f"/cases/verify?record={record_id}", follow_redirects=True)
    assert verify.status_code == 200
    assert f'id="checked-links">{checked["checked_links"]}<' in verify.text
    assert checked["valid"] is True and "The record and its reviews are as they were" in verify.text
    assert reader.get("/cases/verify?record=").status_code == 422
    assert reader.get("/cases/verify?record=../../sign-out").status_code == 422
    unknown = reader.get("/cases/verify?record=" + "0" * 36, follow_redirects=True)
    assert unknown.status_code == 404


def test_upload_problems_are_shown_at_the_field(site: Site) -> None:
    evaluator = signed_in(site, "evaluator")
    token = token_of(evaluator)
    empty = evaluator.post("/cases/new", data={"csrf_token": token, "document": "  "})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text
    broken = evaluator.post("/cases/new", data={"csrf_token": token, "document": "{not json"})
    assert broken.status_code == 422
    assert "not valid JSON" in broken.text
    assert "{not json" in broken.text  # the pasted text is kept for correction
    nul = evaluator.post(
        "/cases/new", data={"csrf_token": token, "document": '{"title": "a\\u0000b"}'}
    )
    assert nul.status_code == 422 and "NUL characters are not allowed" in nul.text
    rows = evaluator.post(
        "/cases/new",
        data={"csrf_token": token, "format": "auto"},
        files={"file": ("bulk.csv", BULK_CSV.read_bytes(), "text/csv")},
    )
    assert rows.status_code == 200
    assert rows.text.count('href="/cases/credentials/') == 2
    assert rows.text.count("not read") == 1  # the broken row, with its line


def test_recommend_problems_name_the_field(site: Site) -> None:
    evaluator = signed_in(site, "evaluator")
    credential = upload(evaluator, ELM_SIGNED)
    token = token_of(evaluator)
    for data, field in (
        ({"target": "", "qualification_id": ""}, "target"),
        ({"target": "NOPE"}, "target"),
        ({"target": "EQF", "as_of": "31/12/2024"}, "as_of"),
    ):
        answer = evaluator.post(
            f"/cases/credentials/{credential}/recommend",
            data={"csrf_token": token, "purpose": "employment", **data},
        )
        assert answer.status_code in (404, 422), data
        assert f'href="#field-{field}"' in answer.text, data


def test_the_lists_page_through_older_records(site: Site) -> None:
    from app.web.templating import environment

    row = {
        "id": "r",
        "credential_title": "T",
        "purpose": "admission",
        "target_framework": "EQF",
        "current_outcome": "full",
        "status": "reviewed",
        "created_at": "2026-12-03",
    }
    context: dict[str, Any] = {
        "request": None,
        "officer": None,
        "principal": None,
        "csrf_token": "",
        "nav": [],
        "current_path": "/cases",
        "lang": "en",
        "htmx": False,
        "problem": None,
        "records": [row],
        "records_total": 120,
        "records_from": 50,
        "credentials": [],
        "credentials_total": 0,
        "credentials_from": 0,
        "limit": 50,
        "can_import": False,
        "view": view,
    }
    html = environment("en").get_template("case/index.html").render(context)
    assert "51–100 of 120" in html
    assert 'href="/cases?records_from=0">Newer' in html
    assert 'href="/cases?records_from=100">Older' in html
    first = (
        environment("en")
        .get_template("case/index.html")
        .render({**context, "records_from": 0, "records_total": 3})
    )
    assert 'class="pager"' not in first  # one page: no pager
    assert signed_in(site, "reader").get("/cases?records_from=-1").status_code == 422


# --- the view helpers ---------------------------------------------------------------------------


def test_the_seal_reads_the_importer_s_verdict() -> None:
    def proof(signed: bool, valid: bool | None) -> dict[str, Any]:
        return {
            "proof": {
                "signed": signed,
                "type": "JWS (RS256)",
                "verification": {"valid": valid, "trust": "not_established", "reasons": ["r"]},
            }
        }

    assert view.seal(proof(True, True)).status == "valid"
    assert view.seal(proof(True, False)).status == "invalid"
    assert view.seal(proof(True, None)).label == "not checked"
    assert view.seal(proof(False, None)).status == "unsigned"
    assert view.seal({}).status == "unsigned"
    assert view.seal(proof(True, True)).trust_label == "signer trust not established"


def test_elements_come_in_the_convention_s_order_and_the_decision_is_the_last_review() -> None:
    record: dict[str, Any] = {
        "outcome": "conditional",
        "conditions": ["bridge 3 ECTS"],
        "elements": {
            key: {"finding": key, "substantial": None if key == "quality" else False}
            for key in ("learning_outcomes", "quality", "level", "profile", "workload")
        },
        "reviews": [],
    }
    shown = view.elements(record)
    assert [e.key for e in shown] == [
        "level",
        "workload",
        "quality",
        "profile",
        "learning_outcomes",
    ]
    assert shown[2].verdict == "cannot be assessed"
    assert view.decision(record).reviewed is False
    record["reviews"] = [{"action": "confirm", "outcome": "conditional", "conditions": []}]
    assert view.decision(record).conditions == ("bridge 3 ECTS",)  # confirmed as recommended
    record["reviews"].append({"action": "amend", "outcome": "full", "conditions": []})
    assert (view.decision(record).outcome, view.decision(record).conditions) == ("full", ())
    assert view.conditions_from_text(" a \n\n b\n") == ("a", "b")
