"""A recognition decision's levels and modules as Open Badges 3.0 Alignments: valid against the
Alignment class of the OB 3.0 JSON schema (transcribed, tests/data/exports/PROVENANCE.md), and
read back by Passerelle's own OB 3.0 importer with the levels it names."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.open_badges import import_open_badges
from app.services.exports import ExportService
from app.services.registry import Registry
from app.settings import PROJECT_ROOT

SCHEMA = json.loads(
    (PROJECT_ROOT / "tests/data/exports/ob_v3p0_alignment.schema.json").read_text("utf-8")
)

# What the API stores for the EC's micro-credential sample recognised against an SCQF programme
# (RQF 6 / EQF 6), reduced to the members the export reads.
RECORD: dict[str, Any] = {
    "id": "rec-1",
    "current_outcome": "partial_recognition",
    "credential": {
        "title": "Digital micro-credential creation",
        "eqf_level": 6,
        "nqf_level": "UK-RQF:6",
    },
    "target": {
        "framework": "UK-SCT-SCQF",
        "qualification": {"id": "p1", "title": "PgCert Digital Education", "institution": "U"},
    },
    "modules": [
        {"code": "M1", "title": "Module one", "decision": "replace", "coverage": 0.9},
        {"code": "M2", "title": "Module two", "decision": "not_replaced", "coverage": 0.1},
    ],
}


@pytest.fixture(scope="module")
def document(registry: Registry) -> dict[str, Any]:
    return ExportService(registry).recognition_alignments(RECORD)


def test_every_alignment_is_valid_against_the_schema(document: dict[str, Any]) -> None:
    validator = jsonschema.Draft201909Validator(SCHEMA)
    alignments = document["achievement"]["alignment"]
    assert alignments
    for a in alignments:
        assert list(validator.iter_errors(a)) == []
    assert list(validator.iter_errors({"type": ["Alignment"], "targetName": "x"}))  # no url


def test_levels_and_granted_modules(document: dict[str, Any]) -> None:
    alignments = document["achievement"]["alignment"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for a in alignments:
        by_type.setdefault(a["targetType"], []).append(a)
    (eqf,) = by_type["ext:EQF"]
    assert eqf["targetUrl"] == "http://data.europa.eu/snb/eqf/6" and eqf["targetCode"] == "6"
    nqf = by_type["ext:NQF"]
    assert nqf[0]["targetCode"] == "6" and nqf[0]["targetUrl"].startswith(
        "http://data.europa.eu/snb/qdr/"
    )
    # the level the credential compares to in the target framework (SCQF)
    assert nqf[1]["targetFramework"].startswith("Scottish")
    assert "match" in nqf[1]["targetDescription"]
    # only the module the decision grants
    assert [m["targetCode"] for m in by_type["ext:Module"]] == ["M1"]
    assert document["outcome"] == "partial_recognition"


def test_the_alignments_read_back_through_the_ob3_importer(document: dict[str, Any]) -> None:
    achievement = {
        "type": ["Achievement"],
        "id": "urn:example:achievement",
        "name": document["achievement"]["name"],
        "alignment": document["achievement"]["alignment"],
    }
    read = import_open_badges(achievement, ImportOptions()).credential
    assert read.level.eqf_identifier == "http://data.europa.eu/snb/eqf/6"
    assert read.level.nqf_identifier is not None
    assert read.level.nqf_identifier.startswith("http://data.europa.eu/snb/qdr/")
    back = [
        {
            "targetName": a.target_name,
            "targetUrl": a.target_url,
            "targetType": a.target_type,
            "targetFramework": a.target_framework,
            "targetCode": a.target_code,
            "targetDescription": a.target_description,
        }
        for a in read.alignments
    ]
    sent = [{k: v for k, v in a.items() if k != "type"} for a in achievement["alignment"]]
    assert back == sent
