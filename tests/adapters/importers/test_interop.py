"""Every document of the interoperability corpus (tests/data/credentials_interop, see its
PROVENANCE.md) either reads or is refused with a reason naming what is unsupported; and the
formats as published: DC4EU notation-only levels and credits, Edubadges extensions, alignments
kept as alignments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.registry import read_document
from app.adapters.importers.safety import ImportLimits
from app.adapters.importers.shacl import validate_edc
from app.core.credentials import (
    CredentialInputError,
    Credits,
    SourceFormat,
    UnsupportedCredentialFormat,
    completeness,
    eqf_from_identifier,
)
from app.core.errors import PayloadTooLarge

INTEROP = Path(__file__).resolve().parents[2] / "data" / "credentials_interop"

# file -> ("read", format, title) | ("signed", format, title) | ("refused", pointer, words)
EXPECTED: dict[str, tuple[str, str, Any]] = {
    "ctdl/ctdl_s1_2_DegreeInRegistryAndVC.json": ("read", "ctdl", "Bachelor’s Degree"),
    "ctdl/ctdl_s_2_2_CompetenceAndDegree.json": ("read", "ctdl", "Bachelor’s Degree"),
    "ctdl/ctdl_scqf-eqf-mapping.json": ("refused", "/@context", ("CTDL", "credreg.net")),
    "edc/edci_cred1.jsonld": ("read", "elm", "some kind of learning achievement"),
    "edc/edci_credFlatten.jsonld": ("read", "elm", "some kind of learning achievement"),
    "edc/edci_credential-signed.jsonld": ("signed", "elm", "some kind of learning achievement"),
    "edc/edci_credential_shouldValidate.jsonld": (
        "read",
        "elm",
        "some kind of learning achievement",
    ),
    # the EDC software's sealed test file holds a presentation: refused by the seal reader
    "edc/edci_json_to_seal-signed-jades-baseline-lta.json": (
        "refused",
        "/payload/verifiableCredential",
        ("presentation",),
    ),
    "edc/elm_Sample-CertOfPart-signed.jsonld": ("signed", "elm", "EDC Updates Webinar"),
    "edc/elm_Sample-MC-Annex1-signed.jsonld": (
        "signed",
        "elm",
        "Digital micro-credential creation",
    ),
    "edc/elm_Sample-MC-Annex1-unsigned-uploadable.json": (
        "read",
        "elm",
        "Digital micro-credential creation",
    ),
    "edc/elm_credential-sample.jsonld": ("read", "elm", "some kind of learning achievement"),
    "open_badges/ob_achievementAlignmentCase_0.json": ("read", "ob3", "Text analysis"),
    "open_badges/ob_achievementAlignmentCe_0.json": ("read", "ob3", "Text analysis"),
    "open_badges/ob_basicOpenBadgeCredential_0.json": ("read", "ob3", "Teamwork"),
    "open_badges/ob_fullOpenBadge_0.json": ("read", "ob3", "1EdTech University Degree"),
    "open_badges/ob_skillAssertionCase_0.json": ("read", "ob3", "Robot Programming"),
    "open_badges/ob_skillAssertionCtdl_0.json": (
        "read",
        "ob3",
        "Linear equations and inequalities",
    ),
    "vc_data_integrity/eddsa-rdfc-2022-signed.json": (
        "refused",
        "/type",
        ("AlumniCredential", "neither"),
    ),
}


def test_the_table_covers_the_whole_corpus() -> None:
    files = {
        p.relative_to(INTEROP).as_posix()
        for p in INTEROP.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_document_reads_or_is_refused_with_a_reason(name: str) -> None:
    outcome, first, second = EXPECTED[name]
    data = (INTEROP / name).read_bytes()
    if outcome == "refused":
        with pytest.raises(UnsupportedCredentialFormat) as err:
            read_document(data)
        assert err.value.field == first
        for word in second:
            assert word in err.value.message
        return
    read = read_document(data)
    credential = read.imported.credential
    assert read.source_format.value == first
    assert credential.title == second
    # the sealed ones went through the seal reader (signed.py), which reports the JWS
    assert credential.proof.signed is (outcome == "signed")
    if outcome == "signed":
        assert credential.proof.type is not None and "JWS" in credential.proof.type


def test_the_uploadable_wrapper_reads_as_its_credential() -> None:
    wrapped = read_document(
        (INTEROP / "edc" / "elm_Sample-MC-Annex1-unsigned-uploadable.json").read_bytes()
    )
    report = completeness(wrapped.imported.credential)
    assert (report.mandatory_present, report.missing_mandatory) == (10, ("quality_assurance",))
    assert "credentialSubject" in wrapped.original  # the credential, not the wrapper


def test_alignments_are_kept_as_alignments_never_outcomes() -> None:
    read = read_document(
        (INTEROP / "open_badges" / "ob_achievementAlignmentCase_0.json").read_bytes()
    )
    c = read.imported.credential
    assert c.learning_outcomes == ()
    assert [(a.kind, a.target_type) for a in c.alignments] == [("CASE", "CFItem")]
    assert c.alignments[0].target_url and c.alignments[0].target_name
    ctdl = read_document(
        (INTEROP / "open_badges" / "ob_achievementAlignmentCe_0.json").read_bytes()
    )
    assert [a.kind for a in ctdl.imported.credential.alignments] == ["CTDL"]
    assert ctdl.imported.credential.learning_outcomes == ()


def _dc4eu() -> dict[str, Any]:
    # The shape of the DC4EU EDC-W3C examples (dc4eu/educational-pilot, "EDC-W3C Credential
    # Process Guide"): claim under `hasCredential`, `eqfLevel: "7"`, plain-string title, and
    # elsewhere `eqfLevel: {"notation": "6"}`, `framework: {"notation": "ECTS"}`.
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"],
        "issuer": {"id": "did:ebsi:z21wWdByYSDsiUemHbbgmzSa"},
        "issuanceDate": "2025-04-06T12:00:00Z",
        "credentialSubject": {
            "id": "did:key:abcdefg123456789",
            "givenName": "Ana",
            "familyName": "Andromeda",
            "hasCredential": {
                "title": "Master of Arts in Media Studies",
                "awardingDate": "2023-06-30",
                "eqfLevel": "7",
                "awardedBy": {"awardingBody": [{"legalName": {"en": ["University of Example"]}}]},
            },
        },
    }


def test_dc4eu_notation_only_levels_and_credit_systems() -> None:
    doc = _dc4eu()
    c = read_document(json.dumps(doc)).imported.credential
    assert c.title == "Master of Arts in Media Studies"
    assert c.level.eqf_identifier == "7" and eqf_from_identifier("7") == 7
    assert [o.name for o in c.awarding_bodies] == ["University of Example"]
    claim = doc["credentialSubject"]["hasCredential"]
    claim["eqfLevel"] = {"notation": "6"}
    claim["specifiedBy"] = {
        "type": "Qualification",
        "creditPoint": [{"framework": {"notation": "ECTS"}, "point": "120"}],
    }
    c = read_document(json.dumps(doc)).imported.credential
    assert c.level.eqf_identifier == "6"
    assert c.credits == Credits("ECTS", 120.0)
    del claim["specifiedBy"]
    claim["creditReceived"] = [
        {"framework": {"id": "urn:framework:ects", "notation": "ECTS"}, "point": "3"}
    ]
    c = read_document(json.dumps(doc)).imported.credential
    assert c.credits is not None and (c.credits.system, c.credits.value) == ("ECTS", 3.0)


def test_edubadges_sbu_workload_and_criteria_narrative_outcomes() -> None:
    # The shape of the Edubadges OB 3.0 examples (educredentials/obv3-examples,
    # _data/credentials/theed_microcredential_full_mbo.json): an `EducredentialAchievement`
    # with `SBU` (study-load hours) and what the learner did in `criteria.narrative`.
    doc = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://raw.githubusercontent.com/educredentials/obv3-examples/refs/heads/main/contexts/educredential.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://mbo.example.nl", "type": ["Profile"], "name": "ROC Voorbeeld"},
        "validFrom": "2024-08-30T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "type": ["Achievement", "EducredentialAchievement"],
                "name": "Onderhoud en reparatie",
                "criteria": {
                    "narrative": "De student:\n * voert routineonderhoud uit\n"
                    " * vindt en verhelpt veelvoorkomende storingen"
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetType": "ext:EQF",
                        "targetName": "EQF level 4",
                        "targetCode": "4",
                    }
                ],
                "SBU": 500,
            },
        },
    }
    read = read_document(json.dumps(doc))
    c = read.imported.credential
    assert read.source_format is SourceFormat.OB3
    assert c.workload_hours == 500.0
    assert [o.text for o in c.learning_outcomes] == [
        "De student:",
        "voert routineonderhoud uit",
        "vindt en verhelpt veelvoorkomende storingen",
    ]
    assert c.sources["learning_outcomes"][0] == "/credentialSubject/achievement/criteria/narrative"
    assert c.further_information is None  # the narrative is not counted twice
    assert c.level.eqf_identifier == "4"
    # timeInvestment (hours) is read the same way
    achievement = doc["credentialSubject"]["achievement"]  # type: ignore[index]
    del achievement["SBU"]
    achievement["timeInvestment"] = 28
    assert read_document(json.dumps(doc)).imported.credential.workload_hours == 28.0


@pytest.mark.parametrize(
    "name", sorted(n for n, e in EXPECTED.items() if e[0] != "refused" and e[1] == "elm")
)
def test_every_elm_document_of_the_corpus_is_shacl_checked(name: str) -> None:
    read = read_document((INTEROP / name).read_bytes())
    report = validate_edc(read.jsonld)
    assert report.checked, report.note
    for result in report.results:
        assert (
            result.focus_node
            and result.message
            and result.severity in ("violation", "warning", "info")
        )
    if "everisdx" in json.dumps(read.original.get("credentialSchema")):
        # the EDC software's test files name development shapes: the generic profile is used
        assert report.note is not None and "edc-generic-full" in report.note


def test_processing_is_bounded() -> None:
    doc = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
        ).read_text(encoding="utf-8")
    )
    graph = [
        {"id": f"urn:lo:{i}", "type": "LearningOutcome", "title": {"en": "x"}} for i in range(50)
    ]
    flat = {"@context": doc["@context"], "@graph": graph}
    with pytest.raises(PayloadTooLarge) as err:
        read_document(
            json.dumps(flat), options=ImportOptions(limits=ImportLimits(max_jsonld_values=100))
        )
    assert "JSON-LD processing" in err.value.message and "@graph" in err.value.message
    # the same document in tree form is not limited by it
    read_document(
        json.dumps(doc), options=ImportOptions(limits=ImportLimits(max_jsonld_values=100))
    )


def test_ctdl_in_a_verifiable_credential_reads_what_ctdl_gives() -> None:
    embedded = read_document(
        (INTEROP / "ctdl" / "ctdl_s1_2_DegreeInRegistryAndVC.json").read_bytes()
    )
    listed = read_document((INTEROP / "ctdl" / "ctdl_s_2_2_CompetenceAndDegree.json").read_bytes())
    for read in (embedded, listed):
        c = read.imported.credential
        assert read.source_format is SourceFormat.CTDL
        assert [o.text for o in c.learning_outcomes] == [
            "Demonstrate a good knowledge of science…",
            "Demonstrate a good knowledge of arts…",
        ]
        # competency ids are registry URIs, expanded with the document's own `res:` prefix
        skill = c.learning_outcomes[0].other_skills[0]
        assert skill.uri == (
            "https://credentialengineregistry.org/resources/ce-84958217-1323-46fe-87c8-652120800190"
        )
        assert skill.label == "Knowledge of Science"
        assert c.issuer is not None and c.issuer.id is not None
        assert c.issuer.id.startswith("https://credentialengineregistry.org/resources/")
        assert c.learner is not None and c.learner.id == "did:example:ebfeb1f712ebc6f1c276e12ec21"
        assert str(c.issued_on) == "2010-01-01"
        assert read.jsonld is None  # no SHACL: CTDL contexts are not bundled
    c = embedded.imported.credential
    assert [(a.kind, a.target_name) for a in c.alignments] == [("CTDL", "Science and Arts")]
    assert c.further_information == "https://credentialfinder.org/credential/0000/Science_and_Arts"


def test_ctdl_elsewhere_is_refused_naming_it() -> None:
    doc = json.loads((INTEROP / "ctdl" / "ctdl_s1_2_DegreeInRegistryAndVC.json").read_text())
    subject = doc["credentialSubject"]
    subject["hasCredential"] = subject.pop("achievement")
    with pytest.raises(UnsupportedCredentialFormat) as err:
        read_document(json.dumps(doc))
    assert err.value.field == "/credentialSubject/hasCredential/type"
    assert "CTDL" in err.value.message and "ceterms:BachelorDegree" in err.value.message


@pytest.mark.parametrize(("length", "error"), [(40, PayloadTooLarge), (990, CredentialInputError)])
def test_a_chain_of_references_cannot_nest_past_the_limits(length: int, error: type) -> None:
    # Framing embeds each referenced node where it is used: a flattened chain a -> b -> c …
    # becomes deep nesting. It is refused (413 past the depth limit, 422 where pyld itself
    # gives up), never a server error.
    context = [
        "https://www.w3.org/2018/credentials/v1",
        "http://data.europa.eu/snb/model/context/edc-ap",
    ]
    graph: list[dict[str, Any]] = [
        {
            "id": "urn:c",
            "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
            "credentialSubject": "urn:n0",
        }
    ]
    graph += [{"id": f"urn:n{i}", "hasPart": f"urn:n{i + 1}"} for i in range(length)]
    with pytest.raises(error):
        read_document(json.dumps({"@context": context, "@graph": graph}))
