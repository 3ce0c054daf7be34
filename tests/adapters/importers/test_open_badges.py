"""Open Badges 3.0: our fixtures (written from the public specification), and signed forms."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from app.core.credentials import (
    SIGNATURE_NOT_VERIFIED,
    Concept,
    Credits,
    Identifier,
    SourceFormat,
    UnsupportedCredentialFormat,
    WarningCode,
)
from app.core.types import LevelKey
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import OB_EXTENSIONS, OB_FULL, OB_MINIMAL

ACH = "/credentialSubject/achievement"


def _b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload: dict[str, Any], alg: str = "ES256", signature: str = "c2lnbmF0dXJl") -> str:
    return f"{_b64({'alg': alg, 'typ': 'vc+jwt'})}.{_b64(payload)}.{signature}"


def test_full_micro_credential(service: CredentialService) -> None:
    report = service.read(OB_FULL.read_bytes())
    c = report.credential
    assert report.source_format is SourceFormat.OB3
    assert c.title == "Digital content creation for teachers"
    assert c.issuer is not None
    assert (c.issuer.name, c.issuer.country) == ("Aurora University of Applied Sciences", "FI")
    assert [o.name for o in c.awarding_bodies] == ["Aurora University of Applied Sciences"]
    assert c.issued_on == dt.date(2025, 3, 14)
    assert c.learner is not None and c.learner.id == "did:example:learner-4711"
    assert c.learner.identifiers == (Identifier("AUR-2025-0042", "studentId"),)
    texts = [o.text for o in c.learning_outcomes]
    assert texts == [
        "Design accessible digital learning material for an online course",
        "Evaluate the quality of open educational resources against a rubric",
    ]
    # Alignments stay alignments (ESCO skills included), never learning outcomes.
    assert [(a.kind, a.target_name) for a in c.alignments] == [
        ("EQF", "EQF level 6"),
        ("NQF", "FiNQF Level 6"),
        ("ESCO", "develop digital content"),
        ("ESCO", "stimulate creativity in the team"),
        ("quality assurance", "Institutional audit by the Finnish Education Evaluation Centre"),
    ]
    esco = c.alignments[2]
    assert (
        esco.target_url == "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
    )
    assert (
        esco.target_description
        == "Develop digital learning content in several formats for a course"
    )
    # EQF alignment and the NQF level URI resolved to FiNQF 6
    assert c.level.eqf == 6
    assert c.level.nqf == LevelKey("FI-FINQF", "6")
    # the ECTS extension wins over creditsAvailable, whose unit OB leaves open
    assert c.credits == Credits("ECTS", 5.0)
    assert (c.workload_hours, c.workload_as_published) == (135.0, "PT135H")
    assert c.assessment is not None and c.assessment.type == Concept("written examination")
    assert c.participation is not None and c.participation.mode == Concept("online")
    assert c.id_verification == Concept("supervised online with identity verification")
    assert [(q.title, q.body, q.id) for q in c.quality_assurance] == [
        (
            "Institutional audit by the Finnish Education Evaluation Centre",
            "FINEEC",
            "https://qa.example.fi/audits/aurora-2023",
        )
    ]
    assert c.prerequisites == "A teaching qualification or two years of teaching experience."
    assert c.grade == "Final grade: B"
    assert c.stackability.part_of == ("https://credentials.example.fi/programmes/digital-pedagogy",)
    assert c.further_information == (
        "Complete the four online units and pass the final written examination."
    )
    assert c.proof.type == "DataIntegrityProof (eddsa-rdfc-2022)"
    assert (c.proof.signed, c.proof.verified, c.proof.note) == (
        True,
        False,
        SIGNATURE_NOT_VERIFIED,
    )
    comp = report.completeness
    assert comp.complete and comp.optional_present == comp.optional_total == 5
    assert comp.element("level").where == (f"{ACH}/alignment/0", f"{ACH}/alignment/1")
    assert comp.element("workload").where == (f"{ACH}/ECTS", f"{ACH}/studyLoad")
    assert comp.element("grade").where == ("/credentialSubject/result/0/value",)
    codes = {w.code: w for w in report.warnings}
    assert codes[WarningCode.CONTEXT_NOT_BUNDLED].pointer == "/@context/2"
    assert WarningCode.SIGNATURE_NOT_VERIFIED in codes
    assert not any(w.code.value.startswith("outcome_") for w in report.warnings)


def test_minimal_badge_reports_what_is_missing(service: CredentialService) -> None:
    report = service.read(OB_MINIMAL.read_bytes())
    c = report.credential
    assert c.title == "Soldering basics"
    assert c.issuer is not None and c.issuer.id == "https://badges.example.org/issuers/makerspace"
    assert c.issued_on == dt.date(2024, 11, 2)
    assert c.credits == Credits("unspecified", 1.5)
    assert c.learner is None
    comp = report.completeness
    assert comp.missing_mandatory == (
        "learner",
        "issuer_country",
        "learning_outcomes",
        "level",
        "assessment_type",
        "participation_form",
        "quality_assurance",
    )
    codes = [w.code for w in report.warnings]
    assert codes == [WarningCode.LEVEL_MISSING, WarningCode.CREDIT_SYSTEM_UNKNOWN]


def test_bare_achievement_with_nested_extensions(service: CredentialService) -> None:
    report = service.read(OB_EXTENSIONS.read_bytes())
    c = report.credential
    assert report.source_format is SourceFormat.OB3
    assert c.title == "Data literacy"
    assert c.translations["/title"] == {"nl": "Datageletterdheid", "en": "Data literacy"}
    assert c.issuer is not None and (c.issuer.name, c.issuer.country) == ("Hogeschool Delta", "NL")
    assert c.level.eqf == 5 and c.level.eqf_identifier == "5"
    assert c.credits == Credits("ECTS", 2.5)
    assert c.workload_hours == 70.0
    assert [o.text for o in c.learning_outcomes] == [
        "Interpret descriptive statistics and visualisations of a data set"
    ]
    assert c.assessment is not None and c.assessment.type == Concept("application of a skill")
    assert c.participation is not None and c.participation.mode == Concept("onsite or blended")
    assert c.stackability.part_of == ("https://edu.example.nl/programmes/ba-data-science",)
    dutch = service.read(OB_EXTENSIONS.read_bytes(), language="nl")
    assert dutch.credential.title == "Datageletterdheid"


def test_vc_jwt_is_read_and_signature_not_verified(service: CredentialService) -> None:
    credential = json.loads(OB_FULL.read_text(encoding="utf-8"))
    del credential["proof"]
    subject_id = credential["credentialSubject"].pop("id")
    token = jwt(
        {
            "iss": credential["issuer"]["id"],
            "sub": subject_id,
            "jti": credential.pop("id"),
            "nbf": 1741944600,
            "vc": credential,
        }
    )
    report = service.read(token)
    c = report.credential
    assert c.title == "Digital content creation for teachers"
    assert c.id == "urn:uuid:6f1c2a5e-8d0b-4c47-9a52-3e5d0f7b9c11"
    assert c.learner is not None and c.learner.id == "did:example:learner-4711"
    assert c.proof.type == "JWT (ES256)"
    assert (c.proof.signed, c.proof.verified, c.proof.note) == (
        True,
        False,
        "signature not verified",
    )
    assert report.original_text == token
    assert any(w.code is WarningCode.SIGNATURE_NOT_VERIFIED for w in report.warnings)


def test_vc2_jose_payload_and_enveloped_credential(service: CredentialService) -> None:
    credential = json.loads(OB_MINIMAL.read_text(encoding="utf-8"))
    token = jwt(credential, alg="EdDSA")
    direct = service.read(token.encode())
    assert direct.credential.title == "Soldering basics"
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{token}",
    }
    report = service.read(json.dumps(enveloped))
    assert report.credential.title == "Soldering basics"
    assert report.credential.proof.type == "JWT (EdDSA)"


def test_jws_json_serialisation(service: CredentialService) -> None:
    credential = json.loads(OB_MINIMAL.read_text(encoding="utf-8"))
    jws = {
        "payload": _b64(credential),
        "signatures": [{"protected": _b64({"alg": "RS256"}), "signature": "c2ln"}],
    }
    report = service.read(json.dumps(jws))
    assert report.credential.title == "Soldering basics"
    assert report.credential.proof.type == "JWS (RS256)"


def test_unsecured_jwt_says_it_has_no_signature(service: CredentialService) -> None:
    credential = json.loads(OB_MINIMAL.read_text(encoding="utf-8"))
    report = service.read(jwt(credential, alg="none", signature=""))
    assert report.credential.proof.signed is False
    assert "no signature" in report.credential.proof.note


def test_forcing_the_wrong_format_is_refused(service: CredentialService) -> None:
    with pytest.raises(UnsupportedCredentialFormat) as info:
        service.read(OB_FULL.read_bytes(), forced=SourceFormat.ELM)
    assert info.value.field == "/credentialSubject/hasClaim"
