"""Golden tests: both official ELM v3 samples, every field the EU standard elements need."""

from __future__ import annotations

import datetime as dt
import json

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.elm import import_elm
from app.core.credentials import (
    Concept,
    Credits,
    Identifier,
    SourceFormat,
    WarningCode,
    credential_from_json,
    credential_to_json,
)
from app.core.types import LevelKey
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import CERT_SAMPLE, MC_SAMPLE

CLAIM = "/credentialSubject/hasClaim"
SPEC = f"{CLAIM}/specifiedBy"


def test_micro_credential_sample_every_field(service: CredentialService) -> None:
    report = service.read(MC_SAMPLE.read_bytes())
    c = report.credential
    assert report.source_format is SourceFormat.ELM
    assert c.id == "urn:credential:3ef0ac26-9a1f-41c6-871b-2b82e670907b"
    # learner
    assert c.learner is not None
    assert c.learner.name == "Ana Andromeda"
    assert (c.learner.given_name, c.learner.family_name) == ("Ana", "Andromeda")
    assert c.learner.id == "urn:epass:person:1"
    assert c.learner.identifiers == (Identifier("LA-234218", "national ID (IT)"),)
    # title, issuer, awarding body, date
    assert c.title == "Digital micro-credential creation"
    assert c.issuer is not None
    assert (c.issuer.name, c.issuer.country) == ("University of Zed", "IE")
    assert c.issuer.country_uri == "http://publications.europa.eu/resource/authority/country/IRL"
    assert [(o.name, o.country, o.id) for o in c.awarding_bodies] == [
        ("University of Zed", "IE", "urn:epass:org:1")
    ]
    assert c.issued_on == dt.date(2022, 12, 31)
    # learning outcomes with their ESCO skills
    assert [o.text for o in c.learning_outcomes] == [
        "Communication, collaboration and creativity",
        "Developing digital content",
    ]
    assert [s.uri for s in c.learning_outcomes[0].esco_skills] == [
        "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9",
        "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
        "http://data.europa.eu/esco/skill/326809fc-238d-40c2-881e-40042f7f2f0d",
    ]
    assert c.learning_outcomes[0].esco_skills[0].label == "stimulate creativity in the team"
    second = c.learning_outcomes[1]
    assert [(s.uri, s.label) for s in second.esco_skills] == [
        (
            "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
            "develop digital content",
        )
    ]
    assert [s.uri for s in second.other_skills] == [
        "http://data.europa.eu/snb/dcf/u69o196gu6",
        "http://data.europa.eu/snb/dcf/3ol5wi3605",
    ]
    # EQF and NQF level, the NQF URI resolved to our framework level
    assert c.level.eqf == 6
    assert c.level.eqf_identifier == "http://data.europa.eu/snb/eqf/6"
    assert c.level.nqf == LevelKey("UK-RQF", "6")
    assert c.level.nqf_label == "RQF Level 6"
    assert c.level.nqf_identifier == "http://data.europa.eu/snb/qdr/c_c392e7a2"
    assert c.level.nqf_published_label == "RQF Level 6"
    # ECTS and volume of learning
    assert c.credits == Credits(
        "ECTS", 2.0, "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    )
    assert (c.workload_hours, c.workload_as_published) == (60.0, "PT60H")
    # assessment, participation
    assert c.assessment is not None
    assert c.assessment.type == Concept(
        "artefact assessment", "urn:epass:concept:d1ebf223-3c68-449a-9023-90bc245a0079"
    )
    assert c.assessment.mode == Concept(
        "Online", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
    )
    assert c.assessment.title == "Digital artefact assessment"
    assert c.participation is not None
    assert c.participation.mode == Concept(
        "Blended", "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    )
    assert c.participation.learning_setting == Concept(
        "non-formal learning", "http://data.europa.eu/snb/learning-setting/e207a81fc7"
    )
    # the sample carries no accreditation: quality assurance is missing, not invented
    assert c.quality_assurance == ()
    assert c.prerequisites == (
        "The learner needs to have an EDC Online Credential Builder account, that requires an "
        "EU Login ID."
    )
    assert c.id_verification == Concept(
        "Unsupervised without ID Verification",
        "http://data.europa.eu/snb/supervision-verification/c598449d64",
    )
    assert c.grade == "Pass"
    # part-of/has-part: none in the sample; isPartialQualification is read
    assert c.stackability.partial is False
    assert (c.stackability.part_of, c.stackability.has_part) == ((), ())
    assert c.further_information is not None
    assert c.further_information.startswith("This online course allows the learner")
    # languages: all kept, English chosen
    assert c.language == "en"
    assert c.languages == ("en", "es")
    assert c.translations == {
        "/learning_outcomes/1/text": {"en": "Developing digital content", "es": "Contento digital"}
    }
    assert (c.proof.signed, c.proof.verified) == (False, False)


def test_micro_credential_sample_completeness(service: CredentialService) -> None:
    report = service.read(MC_SAMPLE.read_bytes())
    comp = report.completeness
    status = {e.id: e.status for e in comp.elements}
    assert status == {
        "learner": "present",
        "title": "present",
        "issuer_country": "present",
        "awarding_body": "present",
        "issue_date": "present",
        "learning_outcomes": "present",
        "workload": "present",
        "level": "present",
        "assessment_type": "present",
        "participation_form": "present",
        "quality_assurance": "missing",
        "prerequisites": "present",
        "id_verification": "present",
        "grade": "present",
        "stackability": "missing",
        "further_information": "present",
    }
    assert (comp.mandatory_present, comp.mandatory_total) == (10, 11)
    assert (comp.optional_present, comp.optional_total) == (4, 5)
    assert comp.missing_mandatory == ("quality_assurance",)
    where = {e.id: e.where for e in comp.elements}
    assert where["title"] == (f"{CLAIM}/title",)
    assert where["issuer_country"] == ("/issuer/location/address/countryCode",)
    assert where["awarding_body"] == (f"{CLAIM}/awardedBy/awardingBody",)
    assert where["issue_date"] == ("/validFrom",)
    assert where["learning_outcomes"] == (
        f"{SPEC}/learningOutcome/0",
        f"{SPEC}/learningOutcome/1",
    )
    assert where["workload"] == (f"{SPEC}/creditPoint", f"{SPEC}/volumeOfLearning")
    assert where["level"] == (f"{SPEC}/eqfLevel", f"{SPEC}/nqfLevel")
    assert where["assessment_type"] == (f"{CLAIM}/provenBy/specifiedBy/dcType",)
    assert where["participation_form"] == (f"{SPEC}/mode", f"{SPEC}/learningSetting")
    assert where["prerequisites"] == (f"{SPEC}/entryRequirement",)
    assert where["id_verification"] == (f"{CLAIM}/provenBy/idVerification",)
    assert where["grade"] == (f"{CLAIM}/provenBy/grade",)
    assert "/credentialSubject/fullName" in where["learner"]
    assert where["quality_assurance"] == ()


def test_micro_credential_sample_warnings(service: CredentialService) -> None:
    report = service.read(MC_SAMPLE.read_bytes())
    codes = [(w.code, w.pointer) for w in report.warnings]
    # both outcomes of the official sample are titles, not statements of learning
    assert codes == [
        (WarningCode.OUTCOME_TOPIC_LIST, f"{SPEC}/learningOutcome/0"),
        (WarningCode.OUTCOME_NO_VERB, f"{SPEC}/learningOutcome/1"),
    ]


def test_certificate_of_participation_sample(service: CredentialService) -> None:
    report = service.read(CERT_SAMPLE.read_bytes())
    c = report.credential
    assert c.id == "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"
    assert c.title == "EDC Updates Webinar"
    assert c.description is not None and c.description.startswith("The newest version")
    assert c.learner is not None and c.learner.name == "Ana Andromeda"
    assert c.learner.identifiers == (
        Identifier("LA-234218", "national ID (IT)"),
        Identifier("97168A", "Student ID"),
    )
    assert c.issuer is not None
    assert c.issuer.name == "European Digital Credentials for Learning Support Team"
    assert c.issuer.country == "BE"
    assert [o.name for o in c.awarding_bodies] == [
        "European Digital Credentials for Learning Support Team"
    ]
    assert c.issued_on == dt.date(2023, 6, 28)
    assert c.learning_outcomes == ()
    assert not c.level.given and c.credits is None
    # the activity's workload PT2H is used; its volume of learning "P2M" (two months) is not
    assert (c.workload_hours, c.workload_as_published) == (2.0, "PT2H")
    assert c.participation is not None
    assert c.participation.mode == Concept(
        "Online", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
    )
    assert c.assessment is None and c.grade is None and c.id_verification is None
    assert c.further_information is not None
    assert c.further_information.splitlines()[0] == (
        "https://europa.eu/europass/en/europass-tools/digital-credentials"
    )
    comp = report.completeness
    assert comp.missing_mandatory == (
        "learning_outcomes",
        "level",
        "assessment_type",
        "quality_assurance",
    )
    assert (comp.mandatory_present, comp.optional_present) == (7, 1)
    codes = {w.code: w for w in report.warnings}
    assert codes[WarningCode.DURATION_NOT_CONVERTED].pointer == f"{SPEC}/volumeOfLearning"
    assert "calendar months" in codes[WarningCode.DURATION_NOT_CONVERTED].message
    assert codes[WarningCode.WORKLOAD_HOURS_ONLY].pointer == f"{CLAIM}/workload"
    assert WarningCode.LEVEL_MISSING in codes


def test_language_selection_keeps_every_language(service: CredentialService) -> None:
    spanish = service.read(MC_SAMPLE.read_bytes(), language="es")
    outcomes = [o.text for o in spanish.credential.learning_outcomes]
    assert outcomes == ["Communication, collaboration and creativity", "Contento digital"]
    assert spanish.credential.translations["/learning_outcomes/1/text"]["en"] == (
        "Developing digital content"
    )
    assert any(w.code is WarningCode.LANGUAGE_FALLBACK for w in spanish.warnings)


def test_json_form_round_trips(service: CredentialService) -> None:
    for path in (MC_SAMPLE, CERT_SAMPLE):
        c = service.read(path.read_bytes()).credential
        as_json = json.loads(json.dumps(credential_to_json(c)))
        assert credential_from_json(as_json) == c


def test_unresolved_nqf_uri_is_kept_and_reported(service: CredentialService) -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["nqfLevel"]["id"] = (
        "http://data.europa.eu/snb/qdr/c_00000000"
    )
    report = service.read(json.dumps(doc))
    assert report.credential.level.nqf is None
    assert report.credential.level.nqf_identifier == "http://data.europa.eu/snb/qdr/c_00000000"
    unknown = [w for w in report.warnings if w.code is WarningCode.UNKNOWN_NQF_LEVEL]
    assert unknown and unknown[0].pointer == f"{SPEC}/nqfLevel"
    assert report.completeness.element("level").present


def test_eqf_mismatch_with_nqf_referencing_is_reported(service: CredentialService) -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]["id"] = (
        "http://data.europa.eu/snb/eqf/4"
    )
    report = service.read(json.dumps(doc))
    mismatch = [w for w in report.warnings if w.code is WarningCode.EQF_NQF_MISMATCH]
    assert mismatch and "UK-RQF:6" in mismatch[0].message


def test_curie_and_iri_keys_are_read_as_terms() -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["elm:EQFLevel"] = spec.pop("eqfLevel")
    spec["http://data.europa.eu/snb/model/elm/volumeOfLearning"] = spec.pop("volumeOfLearning")
    from app.adapters.importers.registry import read_document

    c = read_document(json.dumps(doc)).imported.credential
    assert c.level.eqf_identifier == "http://data.europa.eu/snb/eqf/6"
    assert c.workload_hours == 60.0


def test_referenced_objects_are_followed() -> None:
    doc = json.loads(MC_SAMPLE.read_text(encoding="utf-8"))
    # refer to the awarding body by id only: it is embedded under /issuer
    doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"] = "urn:epass:org:1"
    c = import_elm(doc, ImportOptions()).credential
    assert [o.name for o in c.awarding_bodies] == ["University of Zed"]
