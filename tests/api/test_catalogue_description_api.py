"""Catalogue modules keep a description (aims) and course-level articulation reads it (both
databases): imported from JSON and CSV, stored, shown by ``GET /v1/qualifications/{id}``, and
used by the sparse channel, so a module that publishes a description but no outcomes is found
by what it teaches, not only by its title.

The texts are real: University of Toronto course calendar records (2016-17) of
``benchmarks/data/course_pairs/uoft_anthropology.json`` (sources in its PROVENANCE.md). The
university excludes UTM ANT334H5 "Human Osteology" and UTSG ANT334H1 "Human Skeletal Biology"
from each other (equivalent content); their titles share only "Human".
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_articulation_api import api, settings  # noqa: F401

PAIRS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "course_pairs"
DATA = json.loads((PAIRS / "uoft_anthropology.json").read_text(encoding="utf-8"))
CATALOGUE = {m["code"]: m for m in DATA["catalogue"]}
COURSES = {c["code"]: c for c in DATA["courses"]}
MODULES = ("ANT334H1", "ANT253H1", "ANT351H1", "ANT356H1", "ANT346H1", "ANT345H1")


def programme(title: str, *, with_descriptions: bool) -> dict[str, Any]:
    modules = []
    for code in MODULES:
        m = CATALOGUE[code]
        module: dict[str, Any] = {
            "code": code,
            "title": m["title"],
            "credits": {"value": m["credits"] * 10, "system": "ects"},
        }
        if with_descriptions:
            module["description"] = m["description"]
        modules.append(module)
    return {
        "title": title,
        "institution": {"name": "University of Toronto St. George", "country": "CA"},
        "modules": modules,
    }


def store(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    r = api.post(
        "/v1/qualifications",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    pid = r.json()["items"][0]["id"]
    return dict(api.get(f"/v1/qualifications/{pid}").json())


def osteology() -> dict[str, Any]:
    c = COURSES["ANT334H5"]
    return {
        "id": c["code"],
        "title": c["title"],
        "description": c["description"],
        "credits": {"value": c["credits"] * 10, "system": "ects"},
        "learning_outcomes": [c["description"].split(" [")[0]],
    }


def articulate(api: TestClient, pid: str) -> Any:  # noqa: F811
    return api.post("/v1/articulations", json={"qualification_id": pid, "courses": [osteology()]})


def test_description_is_stored_and_read_back(api: TestClient) -> None:  # noqa: F811
    stored = store(api, programme("UTSG anthropology (descriptions)", with_descriptions=True))
    by_code = {m["code"]: m for m in stored["modules"]}
    assert by_code["ANT334H1"]["description"] == CATALOGUE["ANT334H1"]["description"]
    assert by_code["ANT334H1"]["learning_outcomes"] == []


def test_the_sparse_channel_reads_module_descriptions(api: TestClient) -> None:  # noqa: F811
    with_text = store(api, programme("UTSG anthropology (with aims)", with_descriptions=True))
    r = articulate(api, with_text["id"])
    assert r.status_code == 200, r.text
    (course,) = r.json()["courses"]
    best = course["candidates"][0]
    assert best["module"] == "ANT334H1", course["candidates"]
    # The evidence names words of the description, not of the title ("Human Skeletal Biology").
    assert "skeleton" in best["terms"], best
    assert best["sparse"] > 0 and best["dense"] == 0.0  # no module outcomes: text alone


def test_modules_with_neither_outcomes_nor_description_are_refused(
    api: TestClient,  # noqa: F811
) -> None:
    titles = store(api, programme("UTSG anthropology (titles only)", with_descriptions=False))
    r = articulate(api, titles["id"])
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["pointer"] == "/qualification_id"
    assert "outcomes or descriptions" in problem["detail"]


def test_csv_module_description_column(api: TestClient) -> None:  # noqa: F811
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["institution_name", "programme_title", "module_code", "module_title",
                "module_description"])  # fmt: skip
    m = CATALOGUE["ANT253H1"]
    w.writerow(["University of Toronto St. George", "UTSG (CSV)", "ANT253H1", m["title"],
                m["description"]])  # fmt: skip
    r = api.post(
        "/v1/qualifications",
        content=out.getvalue().encode(),
        headers={"content-type": "text/csv"},
    )
    assert r.status_code in (200, 201), r.text
    pid = r.json()["items"][0]["id"]
    (module,) = api.get(f"/v1/qualifications/{pid}").json()["modules"]
    assert module["description"] == m["description"]
