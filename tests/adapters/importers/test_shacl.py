"""SHACL validation of ELM/EDC credentials against the official EDC shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.adapters.importers.shacl import EDC_FULL, EDC_NO_CV, validate_edc
from app.core.conformance import shacl_from_json, shacl_to_json
from app.core.credentials import SourceFormat
from app.core.errors import DomainError
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


INTEROP = MC_SAMPLE.parents[2] / "credentials_interop"
SHOULD_VALIDATE = INTEROP / "edc" / "edci_credential_shouldValidate.jsonld"
CORPUS = sorted(p for p in INTEROP.rglob("*") if p.suffix in (".json", ".jsonld"))


def test_a_language_tag_with_a_space_is_trimmed_and_said(service: CredentialService) -> None:
    # The EDC software's own test credential tags texts "en " (rdflib refuses the tag; this
    # used to end the import with a ValueError). It is validated, and the report says how.
    assert '"en "' in SHOULD_VALIDATE.read_text(encoding="utf-8")
    report = service.read(SHOULD_VALIDATE.read_bytes()).shacl
    assert report is not None and report.checked, report
    assert report.note is not None and "language tags with spaces ('en ')" in report.note


def test_an_invalid_language_tag_is_validated_without_a_language() -> None:
    doc = _sample()
    baseline = validate_edc(doc)
    doc["displayParameter"]["title"] = {"not a tag!": "Titre"}  # type: ignore[index]
    report = validate_edc(doc)
    assert report.checked
    assert report.note is not None and "'not a tag!'" in report.note
    assert "validated without a language" in report.note
    assert baseline.note is None


def test_a_validator_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyshacl.validator import Validator

    def broken(self: object) -> None:
        raise ValueError("'en ' is not a valid language tag")

    monkeypatch.setattr(Validator, "run", broken)
    report = validate_edc(_sample())
    assert not report.checked and report.conforms is None
    assert report.note == "not checked: 'en ' is not a valid language tag"
    # pyshacl can also hand back a failure in the report graph's place
    monkeypatch.setattr(Validator, "run", lambda self: (False, "failure", "text"))
    report = validate_edc(_sample())
    assert not report.checked
    assert report.note is not None and "the validator gave no report" in report.note


def test_a_processor_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.adapters.importers import shacl

    def broken(document: object) -> None:
        raise RuntimeError("pyld gave up")

    monkeypatch.setattr(shacl, "to_rdf", broken)
    report = validate_edc(_sample())
    assert not report.checked and report.note == "not checked: pyld gave up"


def test_validation_results_repeat_with_the_shapes_reused() -> None:
    # the shapes are harvested once per process: a second document, then the first again,
    # gives the same results as the first time
    first = validate_edc(_sample())
    other = validate_edc(json.loads(SHOULD_VALIDATE.read_text(encoding="utf-8")))
    assert validate_edc(_sample()) == first != other


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_interop_document_is_read_or_refused_never_crashes(
    service: CredentialService, path: Path
) -> None:
    refusal: str | None = None
    try:
        report = service.read(path.read_bytes())
    except DomainError as exc:  # refused with a reason (a 4xx), never another exception
        refusal = exc.message
    if refusal is not None:
        assert refusal.strip()
        return
    assert report.shacl is not None
    if report.source_format is SourceFormat.ELM:
        assert report.shacl.checked, report.shacl.note
    else:
        assert not report.shacl.checked and report.shacl.note


def test_concurrent_validations_share_the_shapes_safely() -> None:
    # the API reads credentials in worker threads; the harvested shapes are shared
    from concurrent.futures import ThreadPoolExecutor

    docs = [_sample(), json.loads(SHOULD_VALIDATE.read_text(encoding="utf-8"))] * 3
    expected = [validate_edc(d) for d in docs[:2]] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(validate_edc, docs)) == expected
