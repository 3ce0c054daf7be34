"""Response schemas of the micro-credential endpoints (API.md, "Micro-credentials").

The models mirror ``app.core.credentials.credential_to_json`` / ``completeness_to_json``, which
produce the stored JSON; responses are validated against them, so the OpenAPI document describes
exactly what is served.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.frameworks import DataReleaseOut
from app.api.schemas.timestamps import Timestamp


class ConceptOut(BaseModel):
    label: str | None = None
    uri: str | None = None


class OrganisationOut(BaseModel):
    name: str | None = None
    id: str | None = None
    country: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2 where known, else as published"
    )
    country_uri: str | None = None
    homepage: str | None = None


class IdentifierOut(BaseModel):
    value: str
    scheme: str | None = None


class LearnerOut(BaseModel):
    id: str | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    identifiers: list[IdentifierOut] = []


class SkillOut(BaseModel):
    uri: str
    label: str | None = None


class LearningOutcomeOut(BaseModel):
    text: str
    esco_skills: list[SkillOut] = []
    other_skills: list[SkillOut] = Field(
        default=[], description="Skills from other frameworks (e.g. DigComp)"
    )


class NqfLevelRef(BaseModel):
    framework: str
    code: str
    label: str | None = None


class CredentialLevelOut(BaseModel):
    eqf: int | None = Field(default=None, description="EQF level 1-8, resolved")
    eqf_identifier: str | None = Field(default=None, description="The EQF level as published")
    nqf: NqfLevelRef | None = Field(default=None, description="The NQF level in the data release")
    nqf_identifier: str | None = Field(default=None, description="The NQF level as published")
    nqf_published_label: str | None = None


class CreditsOut(BaseModel):
    system: str = Field(description="ECTS, ECVET, or 'unspecified'")
    value: float
    system_uri: str | None = None


class AssessmentOut(BaseModel):
    type: ConceptOut | None = None
    mode: ConceptOut | None = None
    title: str | None = None


class ParticipationOut(BaseModel):
    mode: ConceptOut | None = None
    learning_setting: ConceptOut | None = None
    schedule: ConceptOut | None = None


class QualityAssuranceOut(BaseModel):
    type: ConceptOut | None = None
    title: str | None = None
    body: str | None = None
    id: str | None = None


class StackabilityOut(BaseModel):
    partial: bool | None = None
    part_of: list[str] = []
    has_part: list[str] = []
    statement: str | None = None


class VerificationOut(BaseModel):
    method: str | None = Field(
        default=None, description="What was checked, e.g. JAdES JWS JSON (RS256, b64:false)"
    )
    valid: bool | None = Field(
        default=None,
        description="true: the signature verifies over the document as received; false: it "
        "does not (tampered, wrong key); null: it could not be checked offline",
    )
    signer: str | None = Field(default=None, description="Certificate subject, DID or key id")
    signed_at: str | None = Field(
        default=None, description="When the signature says it was made (sigT, iat, created)"
    )
    trust: str = Field(
        default="not_applicable",
        description="established, not_established, expired_at_signing, "
        "not_yet_valid_at_signing, not_checked or not_applicable",
    )
    reasons: list[str] = Field(default=[], description="Why, in plain words")


class ProofOut(BaseModel):
    type: str | None = None
    signed: bool = Field(description="True only for a real signature or proof")
    verified: bool = Field(description="True when the signature verified (verification.valid)")
    note: str
    verification: VerificationOut = Field(default_factory=VerificationOut)


class AlignmentOut(BaseModel):
    target_name: str | None = None
    target_url: str | None = None
    target_type: str | None = Field(
        default=None, description="As published: CFItem, ceasn:Competency, ext:EQF ..."
    )
    target_framework: str | None = None
    target_code: str | None = None
    target_description: str | None = None
    kind: str | None = Field(
        default=None, description="CASE, CTDL, EQF, NQF, ESCO, quality assurance or framework"
    )


class MicroCredentialOut(BaseModel):
    id: str | None = Field(default=None, description="The document's own id, as published")
    title: str | None = None
    description: str | None = None
    issuer: OrganisationOut | None = None
    awarding_bodies: list[OrganisationOut] = []
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    learner: LearnerOut | None = None
    learning_outcomes: list[LearningOutcomeOut] = []
    level: CredentialLevelOut
    credits: CreditsOut | None = None
    workload_hours: float | None = None
    workload_as_published: str | None = None
    assessment: AssessmentOut | None = None
    participation: ParticipationOut | None = None
    quality_assurance: list[QualityAssuranceOut] = []
    prerequisites: str | None = None
    id_verification: ConceptOut | None = None
    grade: str | None = None
    stackability: StackabilityOut
    further_information: str | None = None
    alignments: list[AlignmentOut] = Field(
        default=[],
        description="Alignments to framework items as published (OB 3.0), never read as "
        "learning outcomes",
    )
    source_format: str = Field(description="elm, ob3, plain, ctdl or csv")
    language: str | None = None
    languages: list[str] = []
    translations: dict[str, dict[str, str]] = Field(
        default={}, description="Every language of a text, keyed by its path in this object"
    )
    proof: ProofOut
    sources: dict[str, list[str]] = Field(
        default={}, description="Where each field was found: JSON pointers into the original"
    )


class ElementOut(BaseModel):
    id: str
    label: str
    mandatory: bool
    status: str = Field(description="present or missing")
    where: list[str] = Field(default=[], description="JSON pointers into the original document")
    note: str | None = None


class CountOut(BaseModel):
    present: int
    total: int


class CompletenessOut(BaseModel):
    complete: bool = Field(description="Every mandatory element is present")
    mandatory: CountOut
    optional: CountOut
    missing_mandatory: list[str]
    elements: list[ElementOut]


class ShaclResultOut(BaseModel):
    severity: str = Field(description="violation, warning or info")
    focus_node: str = Field(description="The node that fails (IRI or blank-node label)")
    path: str | None = Field(default=None, description="The property, e.g. cred:issued")
    message: str
    shape: str | None = Field(default=None, description="The shape that failed")
    value: str | None = None
    details: list[str] = Field(default=[], description="Nested results of node shapes")


class ShaclOut(BaseModel):
    """SHACL validation against the shapes the credential's standard publishes (ELM/EDC)."""

    checked: bool = Field(description="False: not validated (note says why)")
    shapes: list[str] = Field(default=[], description="Shapes graphs used (ontology IRIs)")
    conforms: bool | None = None
    violations: int = 0
    warnings: int = 0
    results: list[ShaclResultOut] = []
    truncated: int = Field(default=0, description="Results left out past the limit")
    note: str | None = None


class WarningOut(BaseModel):
    code: str
    message: str
    pointer: str | None = Field(default=None, description="JSON pointer into the original")
    field: str | None = Field(default=None, description="Path in the normalised credential")


class CredentialValidation(BaseModel):
    """``POST /v1/credentials/validate``: the credential as read; nothing stored."""

    credential: MicroCredentialOut
    completeness: CompletenessOut
    shacl: ShaclOut | None = Field(
        default=None, description="SHACL validation, beside the Annex-I completeness report"
    )
    warnings: list[WarningOut]
    source_format: str
    content_hash: str
    data_release: DataReleaseOut


class CredentialRecord(BaseModel):
    """A stored credential (``POST /v1/credentials``, ``GET /v1/credentials/{id}``)."""

    id: str
    created: bool = Field(
        description="False when the same document was already stored (idempotent re-post)"
    )
    created_at: Timestamp
    source_format: str
    content_hash: str
    credential: MicroCredentialOut
    completeness: CompletenessOut
    shacl: ShaclOut | None = Field(
        default=None,
        description="SHACL validation, beside the Annex-I completeness report (null for "
        "records stored before it existed)",
    )
    warnings: list[WarningOut]
    data_release: DataReleaseOut


class CredentialSummary(BaseModel):
    id: str
    title: str | None
    source_format: str
    created_at: Timestamp
    complete: bool
    mandatory_present: int
    warnings: int


class CredentialPage(BaseModel):
    items: list[CredentialSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page, null on the last")
    data_release: DataReleaseOut


class BulkRow(BaseModel):
    row: int = Field(description="1-based data row (the header is row 0)")
    line: int = Field(description="line of the row in the file")
    id: str | None = None
    created: bool | None = None
    title: str | None = None
    complete: bool | None = None
    warnings: int | None = None
    problem: dict[str, Any] | None = Field(
        default=None, description="Why the row was skipped: {status, title, detail, pointer}"
    )


class BulkResult(BaseModel):
    imported: int
    already_stored: int
    skipped: int
    items: list[BulkRow]
    data_release: DataReleaseOut
