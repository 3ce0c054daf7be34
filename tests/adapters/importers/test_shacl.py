"""SHACL validation of ELM/EDC credentials against the official EDC shapes."""

from __future__ import annotations

import json

from app.adapters.importers.shacl import EDC_FULL, EDC_NO_CV, validate_edc
from app.core.conformance import shacl_from_json, shacl_to_json
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import MC_SAMPLE, OB_FULL


def _sample() -> dict[str, object]:
    doc: dict[str, object] = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    return doc


def test_the_official_sample_is_validated_with_its_real_violations() -> None:
    report = validate_edc(_sample())
    assert report.checked and report.conforms is False
    assert report.shapes == (EDC_FULL, EDC_NO_CV)  # the shapes the sample names, with imports
    assert report.note is None
    by_path = {r.path: r for r in report.results}
    # The EC's own sample has no `issued` and its issuer no eIDAS legal identifier.
    issued = by_path["cred:issued"]
    assert issued.severity == "violation"
    assert issued.focus_node == "urn:credential:3ef0ac26-9a1f-41c6-871b-2b82e670907b"
    assert issued.shape == "edc:EuropeanDigitalCredential-cred_issued"
    assert "Less than 1 values" in issued.message
    issuer = by_path["cred:issuer"]
    assert issuer.value == "urn:epass:org:1"
    assert any(d.startswith("elm:eidasLegalIdentifier:") for d in issuer.details)
    assert shacl_from_json(shacl_to_json(report)) == report


def test_two_required_fields_removed_are_both_flagged() -> None:
    doc = _sample()
    baseline = {r.path for r in validate_edc(doc).results}
    del doc["validFrom"]
    del doc["displayParameter"]
    report = validate_edc(doc)
    flagged = {r.path for r in report.results} - baseline
    assert flagged == {"cred:validFrom", "elm:displayParameter"}
    assert report.violations == len(baseline) + 2


def test_the_shapes_a_credential_names_are_used() -> None:
    doc = _sample()
    doc["credentialSchema"] = {"id": EDC_NO_CV, "type": "ShaclValidator2017"}
    assert validate_edc(doc).shapes == (EDC_NO_CV,)
    doc["credentialSchema"] = {"id": "https://example.org/other-shapes", "type": "JsonSchema"}
    report = validate_edc(doc)
    assert report.shapes[0] == EDC_FULL
    assert report.note is not None and "example.org/other-shapes" in report.note


def test_the_service_reports_shacl_beside_completeness(service: CredentialService) -> None:
    report = service.read(MC_SAMPLE.read_bytes())
    assert report.shacl is not None and report.shacl.checked
    body = report.to_json()
    assert body["completeness"]["mandatory"]["present"] == 10
    assert body["shacl"]["conforms"] is False
    assert body["shacl"]["violations"] == report.shacl.violations >= 1
    ob = service.read(OB_FULL.read_bytes())
    assert ob.shacl is not None and not ob.shacl.checked
    assert ob.shacl.note is not None and "ELM/EDC" in ob.shacl.note
