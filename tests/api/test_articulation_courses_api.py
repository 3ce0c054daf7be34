"""Course-level ranking over HTTP (both databases): a course whose only match is a module that
publishes a title and no outcomes (Uppsala 1DL340 "Artificial Intelligence") gets a proposal,
with the sparse evidence shown — synchronously and as a batch job.

The incoming course is real: University of Maryland CMSC421 "Introduction to Artificial
Intelligence", its published catalogue description (UMD schedule of classes, semester 201801, as
stored in a public repository's course data; the first sentence serves as its outcome)."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_articulation_api import api, programme, settings, wait  # noqa: F401

CMSC421 = {
    "id": "CMSC421",
    "title": "Introduction to Artificial Intelligence",
    "learning_outcomes": [
        "Areas and issues in artificial intelligence, including search, inference, knowledge "
        "representation, learning, vision, natural languages, expert systems, robotics."
    ],
    "description": "Areas and issues in artificial intelligence, including search, inference, "
    "knowledge representation, learning, vision, natural languages, expert systems, robotics. "
    "Implementation and application of programming languages (e.g. LISP, PROLOG, SMALLTALK), "
    "programming techniques (e.g. pattern matching, discrimination networks) and control "
    "structures (e.g. agendas, data dependencies).",
    "credits": 7.5,
}


def check(result: dict[str, Any]) -> None:
    (course,) = [c for c in result["courses"] if c["id"] == "CMSC421"]
    # The outcome alignment cannot propose a module without outcomes ...
    assert "1DL340" not in course["modules"]
    # ... the course-level ranking does, on the title, and says why.
    proposal = course["proposal"]
    assert proposal is not None, course
    assert proposal["module"] == "1DL340"
    assert proposal["sparse"] > 0.5 and proposal["dense"] == 0.0
    assert proposal["score"] == proposal["sparse"]
    assert "intelligence" in proposal["terms"]
    assert course["candidates"][0] == proposal
    scores = [c["score"] for c in course["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_title_only_module_proposed_synchronously(
    api: TestClient,  # noqa: F811
    programme: dict[str, Any],  # noqa: F811
) -> None:
    r = api.post(
        "/v1/articulations", json={"qualification_id": programme["id"], "courses": [CMSC421]}
    )
    assert r.status_code == 200, r.text
    check(r.json())


def test_title_only_module_proposed_in_a_batch(
    api: TestClient,  # noqa: F811
    programme: dict[str, Any],  # noqa: F811
) -> None:
    body = {"qualification_id": programme["id"], "courses": [{**CMSC421, "id": "CMSC421"}]}
    r = api.post("/v1/batch/articulations", json=body)
    assert r.status_code in (200, 202), r.text
    job = r.json()
    wait(api, job["id"])
    results = api.get(f"/v1/jobs/{job['id']}/results")
    assert results.status_code == 200, results.text
    check(results.json())


def test_aims_and_description_are_optional_and_bounded(
    api: TestClient,  # noqa: F811
    programme: dict[str, Any],  # noqa: F811
) -> None:
    course = {**CMSC421, "aims": "x" * 5001}
    r = api.post(
        "/v1/articulations", json={"qualification_id": programme["id"], "courses": [course]}
    )
    assert r.status_code == 422
    assert "aims" in r.text


def test_csv_description_column(
    api: TestClient,  # noqa: F811
    programme: dict[str, Any],  # noqa: F811
) -> None:
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["id", "title", "credits", "learning_outcomes", "description"])
    w.writerow(
        [
            CMSC421["id"],
            CMSC421["title"],
            "7.5",
            CMSC421["learning_outcomes"][0],  # type: ignore[index]
            CMSC421["description"],
        ]
    )
    r = api.post(
        f"/v1/batch/articulations?qualification_id={programme['id']}",
        content=text.getvalue().encode(),
        headers={"content-type": "text/csv"},
    )
    # 200: the same course as the JSON batch (description included) finds that job again
    assert r.status_code in (200, 202), r.text
    assert wait(api, r.json()["id"])["status"] == "done"
    check(api.get(f"/v1/jobs/{r.json()['id']}/results").json())
