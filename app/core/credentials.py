"""The normalised micro-credential, its completeness against the EU standard elements, and
the warnings a recognition officer should read before relying on it.

Every importer (ELM v3 / EDC JSON-LD, Open Badges 3.0, plain JSON, CSV) produces the same frozen
:class:`MicroCredential`; everything here is a pure function of it. The 11 mandatory and 5
optional elements are those of Annex I of the Council Recommendation of 16 June 2022 on a
European approach to micro-credentials (2022/C 243/02), in the order the annex lists them.

Where an importer found a value, it records the JSON pointer(s) into the original document in
``MicroCredential.sources`` (keyed by the normalised field name), so the completeness report can
say *where* each element was found, not only *whether*.

Assumptions:

* ``workload_hours`` is the notional workload in hours; credits are kept apart (the annex asks for
  ECTS "wherever possible", so hours alone earn a warning, not a missing element);
* a level is present when either an EQF level or an NQF level is given (resolved or not);
* the outcome heuristics are deliberately conservative and only judge English text for verbs;
  other languages are only checked for length and list shape.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.identifiers import IdentifierIndex
from app.core.types import EQF_ID, LevelKey

SIGNATURE_NOT_VERIFIED = "signature not verified"
UNSIGNED = "the document carries no signature"


class SourceFormat(StrEnum):
    """The published form a credential was read from."""

    ELM = "elm"  # ELM v3 / European Digital Credentials JSON-LD
    OB3 = "ob3"  # Open Badges 3.0 AchievementCredential / OpenBadgeCredential / Achievement
    PLAIN = "plain"  # Passerelle's documented plain JSON
    CTDL = "ctdl"  # a W3C VC whose achievement is described in CTDL (Credential Engine)
    CSV = "csv"  # one credential per row of a CSV file


class WarningCode(StrEnum):
    """Why a credential deserves a second look. Stable strings: clients may switch on them."""

    WORKLOAD_HOURS_ONLY = "workload_hours_only"
    LEVEL_MISSING = "level_missing"
    UNKNOWN_NQF_LEVEL = "unknown_nqf_level"
    UNKNOWN_EQF_LEVEL = "unknown_eqf_level"
    EQF_NQF_MISMATCH = "eqf_nqf_mismatch"
    OUTCOME_TOO_SHORT = "outcome_too_short"
    OUTCOME_NO_VERB = "outcome_no_verb"
    OUTCOME_TOPIC_LIST = "outcome_topic_list"
    DURATION_NOT_CONVERTED = "duration_not_converted"
    DURATION_DAYS = "duration_days"
    CREDIT_SYSTEM_UNKNOWN = "credit_system_unknown"
    CONTEXT_NOT_BUNDLED = "context_not_bundled"
    SIGNATURE_NOT_VERIFIED = "signature_not_verified"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNATURE_TRUST_NOT_ESTABLISHED = "signature_trust_not_established"
    LANGUAGE_FALLBACK = "language_fallback"
    VALUE_IGNORED = "value_ignored"


class CredentialInputError(InvalidInput):
    """A credential document that cannot be read; ``field`` is a JSON pointer into it."""


class UnsupportedCredentialFormat(CredentialInputError):
    """The document is well-formed but in no format Passerelle reads (or not the forced one)."""


class CredentialNotFound(NotFound):
    """No credential is stored under the id asked for (``field`` names the path parameter)."""

    def __init__(self, credential_id: str) -> None:
        super().__init__(f"No credential is stored under id {credential_id!r}.")
        self.field = "id"


# --- value types ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Concept:
    """A value from a controlled vocabulary, as published: its label and, where given, its URI."""

    label: str | None = None
    uri: str | None = None

    def __bool__(self) -> bool:
        return bool(self.label or self.uri)


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str | None = None
    id: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 where known, else the code as published
    country_uri: str | None = None
    homepage: str | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    value: str
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Learner:
    """Identification of the learner. Dates of birth, addresses and e-mails are not kept:
    the original document holds them, the normalised form needs no more than identification."""

    id: str | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    identifiers: tuple[Identifier, ...] = ()

    @property
    def identified(self) -> bool:
        return bool(self.id or self.name or self.identifiers or self.given_name)


@dataclass(frozen=True, slots=True)
class Alignment:
    """A published alignment to a framework item (OB 3.0 ``alignment``): kept as what it is,
    a link to a CASE/CTDL/framework target, not as a learning outcome of the credential."""

    target_name: str | None = None
    target_url: str | None = None
    target_type: str | None = None  # as published: CFItem, ceasn:Competency, ext:EQF ...
    target_framework: str | None = None
    target_code: str | None = None
    target_description: str | None = None
    kind: str | None = None  # CASE, CTDL, EQF, NQF, ESCO, quality assurance, or framework


@dataclass(frozen=True, slots=True)
class SkillRef:
    uri: str
    label: str | None = None

    @property
    def is_esco(self) -> bool:
        return self.uri.startswith(("http://data.europa.eu/esco/", "https://data.europa.eu/esco/"))


@dataclass(frozen=True, slots=True)
class LearningOutcome:
    text: str
    esco_skills: tuple[SkillRef, ...] = ()
    other_skills: tuple[SkillRef, ...] = ()


@dataclass(frozen=True, slots=True)
class CredentialLevel:
    """The level of the learning experience.

    ``eqf``/``nqf`` are resolved against the data release; ``*_identifier`` and
    ``nqf_published_label`` keep what the document said, so an unknown URI is never lost.
    """

    eqf: int | None = None
    eqf_identifier: str | None = None
    nqf: LevelKey | None = None
    nqf_label: str | None = None
    nqf_identifier: str | None = None
    nqf_published_label: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.eqf is not None or self.eqf_identifier or self.nqf or self.nqf_identifier)


@dataclass(frozen=True, slots=True)
class Credits:
    system: str  # "ECTS", "ECVET", or "unspecified" when the document names none
    value: float
    system_uri: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    type: Concept | None = None
    mode: Concept | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Participation:
    mode: Concept | None = None  # online / blended / on-site ...
    learning_setting: Concept | None = None  # formal / non-formal
    schedule: Concept | None = None  # full time / part time


@dataclass(frozen=True, slots=True)
class QualityAssurance:
    type: Concept | None = None
    title: str | None = None
    body: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Stackability:
    partial: bool | None = None
    part_of: tuple[str, ...] = ()
    has_part: tuple[str, ...] = ()
    statement: str | None = None  # e.g. "standalone", "stackable towards ..."

    @property
    def given(self) -> bool:
        return bool(self.part_of or self.has_part or self.statement)


class Trust(StrEnum):
    """Whether the signer is shown to be who a trusted authority says it is, at signing time.

    Stable strings: clients and recognition switch on them.
    """

    ESTABLISHED = "established"  # a chain to a configured trust anchor, valid at signing time
    NOT_ESTABLISHED = "not_established"  # cannot be shown offline (reasons say why)
    EXPIRED_AT_SIGNING = "expired_at_signing"  # a certificate was expired when it signed
    NOT_YET_VALID_AT_SIGNING = "not_yet_valid_at_signing"
    NOT_CHECKED = "not_checked"  # the signature itself was not checked (e.g. did:web key)
    NOT_APPLICABLE = "not_applicable"  # nothing is signed


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of checking one signature or proof.

    ``valid`` is ``True`` when the signature verifies over the document as received, ``False``
    when it does not (tampered, wrong key, malformed), ``None`` when it could not be checked
    (the key is not available offline, an unsupported suite). ``trust`` is judged apart from
    ``valid``: a valid signature by an unknown key proves integrity, not who signed.
    """

    method: str | None = None  # e.g. "JAdES JWS JSON (RS256, b64:false)", "eddsa-rdfc-2022"
    valid: bool | None = None
    signer: str | None = None  # certificate subject, DID or verification method
    signed_at: str | None = None  # ISO 8601, as claimed by the signature (sigT, iat, created)
    trust: Trust = Trust.NOT_APPLICABLE
    reasons: tuple[str, ...] = ()

    @staticmethod
    def combine(results: Sequence[Verification], noun: str) -> Verification:
        """Several signatures or proofs on one document: valid only if every one is, trusted
        only if every one is; reasons numbered by ``noun`` ("signature", "proof")."""
        if len(results) == 1:
            return results[0]
        valid = (
            False
            if any(r.valid is False for r in results)
            else (None if any(r.valid is None for r in results) else True)
        )
        trust = next(
            (r.trust for r in results if r.trust is not Trust.ESTABLISHED), Trust.ESTABLISHED
        )
        first = results[0]
        return Verification(
            f"{len(results)} {noun}s: {first.method}",
            valid,
            first.signer,
            first.signed_at,
            trust,
            tuple(f"{noun} {i + 1}: {r}" for i, v in enumerate(results) for r in v.reasons),
        )


@dataclass(frozen=True, slots=True)
class Proof:
    """The document's signature or proof and what checking it showed.

    ``signed`` is true only for a real signature or proof (an empty ``"proof": {}`` or an
    ``alg: none`` token is not signed); ``verified`` is ``verification.valid is True``.
    """

    type: str | None = None
    signed: bool = False
    verified: bool = False
    note: str = UNSIGNED
    verification: Verification = field(default_factory=Verification)

    @classmethod
    def unverified(cls, proof_type: str, reason: str = SIGNATURE_NOT_VERIFIED) -> Proof:
        return cls(
            type=proof_type,
            signed=True,
            verified=False,
            note=SIGNATURE_NOT_VERIFIED,
            verification=Verification(
                method=proof_type, valid=None, trust=Trust.NOT_CHECKED, reasons=(reason,)
            ),
        )

    @classmethod
    def checked(cls, proof_type: str, verification: Verification) -> Proof:
        """A signature that was checked: the note summarises the outcome in one phrase."""
        if verification.valid is True:
            note = f"signature valid; signer trust {verification.trust.value}"
        elif verification.valid is False:
            note = "signature invalid"
        else:
            note = SIGNATURE_NOT_VERIFIED
        return cls(
            type=proof_type,
            signed=True,
            verified=verification.valid is True,
            note=note,
            verification=verification,
        )


@dataclass(frozen=True, slots=True)
class MicroCredential:
    """One credential in Passerelle's normalised form (API.md, "Micro-credentials")."""

    source_format: SourceFormat
    id: str | None = None
    title: str | None = None
    description: str | None = None
    issuer: Organisation | None = None
    awarding_bodies: tuple[Organisation, ...] = ()
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None
    learner: Learner | None = None
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    level: CredentialLevel = field(default_factory=CredentialLevel)
    credits: Credits | None = None
    workload_hours: float | None = None
    workload_as_published: str | None = None
    assessment: Assessment | None = None
    participation: Participation | None = None
    quality_assurance: tuple[QualityAssurance, ...] = ()
    prerequisites: str | None = None
    id_verification: Concept | None = None
    grade: str | None = None
    stackability: Stackability = field(default_factory=Stackability)
    further_information: str | None = None
    alignments: tuple[Alignment, ...] = ()  # framework targets as published (OB 3.0)
    language: str | None = None
    languages: tuple[str, ...] = ()
    # every language of a text field, keyed by its path in the normalised form
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    proof: Proof = field(default_factory=Proof)
    # where each normalised field was found: field name -> JSON pointers into the original
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CredentialWarning:
    code: WarningCode
    message: str
    pointer: str | None = None  # JSON pointer into the original document, where known
    field: str | None = None  # path in the normalised credential, where known


@dataclass(frozen=True, slots=True)
class ImportedCredential:
    """What an importer returns: the credential and the problems it met while reading."""

    credential: MicroCredential
    warnings: tuple[CredentialWarning, ...] = ()


# --- completeness -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardElement:
    id: str
    label: str
    mandatory: bool
    fields: tuple[str, ...]  # normalised fields whose sources say where it was found
    note: str | None = None


STANDARD_ELEMENTS: tuple[StandardElement, ...] = (
    StandardElement("learner", "Identification of the learner", True, ("learner",)),
    StandardElement("title", "Title of the micro-credential", True, ("title",)),
    StandardElement(
        "issuer_country", "Country(ies)/Region(s) of the issuer", True, ("issuer.country",)
    ),
    StandardElement("awarding_body", "Awarding body(ies)", True, ("awarding_bodies",)),
    StandardElement("issue_date", "Date of issuing", True, ("issued_on",)),
    StandardElement("learning_outcomes", "Learning outcomes", True, ("learning_outcomes",)),
    StandardElement(
        "workload",
        "Notional workload needed to achieve the learning outcomes",
        True,
        ("credits", "workload_hours"),
        "in ECTS, wherever possible",
    ),
    StandardElement(
        "level",
        "Level (and cycle, if applicable) of the learning experience leading to the "
        "micro-credential",
        True,
        ("level.eqf", "level.nqf"),
        "EQF, QF-EHEA, if applicable",
    ),
    StandardElement("assessment_type", "Type of assessment", True, ("assessment",)),
    StandardElement(
        "participation_form",
        "Form of participation in the learning activity",
        True,
        ("participation",),
    ),
    StandardElement(
        "quality_assurance",
        "Type of quality assurance used to underpin the micro-credential",
        True,
        ("quality_assurance",),
    ),
    StandardElement(
        "prerequisites",
        "Prerequisites needed to enrol in the learning activity",
        False,
        ("prerequisites",),
    ),
    StandardElement(
        "id_verification",
        "Supervision and identity verification during assessment",
        False,
        ("id_verification",),
    ),
    StandardElement("grade", "Grade achieved", False, ("grade",)),
    StandardElement("stackability", "Integration/stackability options", False, ("stackability",)),
    StandardElement("further_information", "Further information", False, ("further_information",)),
)


@dataclass(frozen=True, slots=True)
class ElementStatus:
    id: str
    label: str
    mandatory: bool
    present: bool
    where: tuple[str, ...] = ()
    note: str | None = None

    @property
    def status(self) -> str:
        return "present" if self.present else "missing"


@dataclass(frozen=True, slots=True)
class Completeness:
    elements: tuple[ElementStatus, ...]

    @property
    def mandatory_total(self) -> int:
        return sum(1 for e in self.elements if e.mandatory)

    @property
    def mandatory_present(self) -> int:
        return sum(1 for e in self.elements if e.mandatory and e.present)

    @property
    def optional_total(self) -> int:
        return sum(1 for e in self.elements if not e.mandatory)

    @property
    def optional_present(self) -> int:
        return sum(1 for e in self.elements if not e.mandatory and e.present)

    @property
    def complete(self) -> bool:
        """True when every mandatory element is present."""
        return self.mandatory_present == self.mandatory_total

    @property
    def missing_mandatory(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.elements if e.mandatory and not e.present)

    def element(self, element_id: str) -> ElementStatus:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)


def _present(c: MicroCredential, element_id: str) -> bool:
    if element_id == "learner":
        return c.learner is not None and c.learner.identified
    if element_id == "title":
        return bool(c.title)
    if element_id == "issuer_country":
        return bool(c.issuer and c.issuer.country)
    if element_id == "awarding_body":
        return any(o.name or o.id for o in c.awarding_bodies)
    if element_id == "issue_date":
        return c.issued_on is not None
    if element_id == "learning_outcomes":
        return bool(c.learning_outcomes)
    if element_id == "workload":
        return c.credits is not None or c.workload_hours is not None
    if element_id == "level":
        return c.level.given
    if element_id == "assessment_type":
        return bool(c.assessment and (c.assessment.type or c.assessment.title))
    if element_id == "participation_form":
        return bool(c.participation and (c.participation.mode or c.participation.learning_setting))
    if element_id == "quality_assurance":
        return bool(c.quality_assurance)
    if element_id == "prerequisites":
        return bool(c.prerequisites)
    if element_id == "id_verification":
        return bool(c.id_verification)
    if element_id == "grade":
        return bool(c.grade)
    if element_id == "stackability":
        return c.stackability.given
    if element_id == "further_information":
        return bool(c.further_information)
    raise KeyError(element_id)


def completeness(credential: MicroCredential) -> Completeness:
    """Each EU standard element as present or missing, with where it was found.

    >>> c = MicroCredential(
    ...     SourceFormat.PLAIN, title="Data literacy", sources={"title": ("/title",)}
    ... )
    >>> report = completeness(c)
    >>> report.element("title").status, report.element("title").where
    ('present', ('/title',))
    >>> report.mandatory_present, report.mandatory_total, report.complete
    (1, 11, False)
    """
    out: list[ElementStatus] = []
    for element in STANDARD_ELEMENTS:
        present = _present(credential, element.id)
        where: list[str] = []
        if present:
            for name in element.fields:
                for pointer in credential.sources.get(name, ()):
                    if pointer not in where:
                        where.append(pointer)
        out.append(
            ElementStatus(
                id=element.id,
                label=element.label,
                mandatory=element.mandatory,
                present=present,
                where=tuple(where),
                note=element.note,
            )
        )
    return Completeness(tuple(out))


# --- learning outcomes --------------------------------------------------------------------------

# Action verbs of the revised Bloom taxonomy and of European learning-outcome guidance (CEDEFOP
# 2017 handbook), in base form. Nouns that are also verbs ("design", "plan") only count where
# they stand as verbs: first word, or after a modal/"to"/a learner subject.
_VERBS = frozenset(
    """
    access adapt address administer advise analyse analyze anticipate apply appraise argue
    arrange articulate assemble assess assist build calculate carry categorise categorize
    check choose cite clarify classify code collaborate collect combine communicate compare
    compile complete compose compute conduct configure construct contrast contribute convert
    coordinate create critique debate debug decide deduce define deliver demonstrate deploy
    describe design detect determine develop devise diagnose differentiate discuss distinguish
    document draft draw edit employ engage establish estimate evaluate examine execute explain
    explore express facilitate formulate generate give handle identify illustrate implement
    improve infer integrate interpret investigate judge justify label lead list locate
    maintain manage map measure mediate model monitor name negotiate observe operate organise
    organize outline perform plan predict prepare present prioritise prioritize produce
    program propose protect prove provide publish question rank rate read recall recognise
    recognize recommend reconstruct record reflect relate report represent research resolve
    respond restate review revise schedule select sequence set show sketch solve sort specify
    state structure summarise summarize supervise support synthesise synthesize teach test
    train transfer translate troubleshoot understand use utilise utilize validate verify work
    write stimulate foster promote motivate encourage inspire coach mentor
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_MODALS = frozenset({"can", "will", "to", "shall", "should", "must", "may", "able"})
_SUBJECTS = frozenset(
    {
        "learner",
        "learners",
        "student",
        "students",
        "participant",
        "participants",
        "graduate",
        "graduates",
        "holder",
        "holders",
        "they",
        "he",
        "she",
        "you",
        "i",
        "we",
    }
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def _third_person(word: str) -> str | None:
    """The base form of a regular third-person verb (``analyses`` -> ``analyse``), if any."""
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)] + repl
            if base in _VERBS:
                return base
    if word.endswith("es") and word[:-1] in _VERBS:  # "analyses" -> "analyse"
        return word[:-1]
    return None


def _has_outcome_verb(words: Sequence[str]) -> bool:
    if not words:
        return False
    first = words[0]
    if first in _VERBS or _third_person(first):
        return True
    for i, w in enumerate(words[1:], start=1):
        prev = words[i - 1]
        if prev in _MODALS and w in _VERBS:
            return True
        if prev in _SUBJECTS and (w in _VERBS or _third_person(w)):
            return True
    return False


def outcome_problem(text: str, language: str | None = "en") -> WarningCode | None:
    """Why ``text`` is not a statement of learning, or None when it reads like one.

    A statement says what the learner knows, understands or can do: it has an action verb.
    Titles ("Developing digital content") and topic lists ("Communication, collaboration and
    creativity") are reported; only English is checked for verbs.

    >>> outcome_problem("Communication, collaboration and creativity")
    <WarningCode.OUTCOME_TOPIC_LIST: 'outcome_topic_list'>
    >>> outcome_problem("Developing digital content")
    <WarningCode.OUTCOME_NO_VERB: 'outcome_no_verb'>
    >>> outcome_problem("Design a relational database schema for a small business") is None
    True
    >>> outcome_problem("The learner can explain the ECTS credit system") is None
    True
    >>> outcome_problem("SQL")
    <WarningCode.OUTCOME_TOO_SHORT: 'outcome_too_short'>
    """
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < 3 or len(text.strip()) < 12:
        return WarningCode.OUTCOME_TOO_SHORT
    english = language is None or language.casefold().split("-", 1)[0] == "en"
    listy = bool(re.search(r"[,;•·/]|\s(?:and|&)\s", text)) and not re.search(r"[.!?]\s*$", text)
    if english:
        if _has_outcome_verb(words):
            return None
        return WarningCode.OUTCOME_TOPIC_LIST if listy else WarningCode.OUTCOME_NO_VERB
    # Without a verb list for the language, only a short comma list is flagged.
    if listy and len(words) <= 8 and text.count(",") + text.count(";") >= 1:
        return WarningCode.OUTCOME_TOPIC_LIST
    return None


_OUTCOME_MESSAGES = {
    WarningCode.OUTCOME_TOO_SHORT: "is too short to be a statement of learning",
    WarningCode.OUTCOME_NO_VERB: "has no action verb: it reads like a title, not a statement of "
    "what the learner can do",
    WarningCode.OUTCOME_TOPIC_LIST: "is a list of topics, not a statement of what the learner "
    "can do",
}


# --- warnings -------------------------------------------------------------------------------------


def credential_warnings(credential: MicroCredential) -> tuple[CredentialWarning, ...]:
    """Warnings that follow from the normalised credential alone (no reference data needed)."""
    out: list[CredentialWarning] = []
    src = credential.sources
    if credential.workload_hours is not None and credential.credits is None:
        out.append(
            CredentialWarning(
                WarningCode.WORKLOAD_HOURS_ONLY,
                "The workload is given only in hours; the EU standard elements ask for ECTS "
                "credits wherever possible.",
                pointer=_first(src.get("workload_hours")),
                field="workload_hours",
            )
        )
    if not credential.level.given:
        out.append(
            CredentialWarning(
                WarningCode.LEVEL_MISSING,
                "No EQF or NQF level is given, so the credential cannot be placed in a "
                "qualifications framework.",
                field="level",
            )
        )
    pointers = src.get("learning_outcomes", ())
    for i, outcome in enumerate(credential.learning_outcomes):
        problem = outcome_problem(outcome.text, credential.language)
        if problem is not None:
            out.append(
                CredentialWarning(
                    problem,
                    f"Learning outcome {i + 1} ({_clip(outcome.text)!r}) "
                    f"{_OUTCOME_MESSAGES[problem]}.",
                    pointer=pointers[i] if i < len(pointers) else None,
                    field=f"learning_outcomes/{i}",
                )
            )
    if credential.credits is not None and credential.credits.system == "unspecified":
        out.append(
            CredentialWarning(
                WarningCode.CREDIT_SYSTEM_UNKNOWN,
                f"{credential.credits.value:g} credits are given without a credit system; they "
                "are not assumed to be ECTS.",
                pointer=_first(src.get("credits")),
                field="credits",
            )
        )
    out.extend(_proof_warnings(credential.proof, _first(src.get("proof"))))
    return tuple(out)


def _proof_warnings(proof: Proof, pointer: str | None) -> list[CredentialWarning]:
    """One warning for a signature that is invalid, unchecked, or by an unestablished signer."""
    if not proof.signed:
        return []
    v = proof.verification
    why = "; ".join(v.reasons[:3])
    if v.valid is False:
        code, text = WarningCode.SIGNATURE_INVALID, f"the signature does not verify: {why}"
    elif v.valid is None:
        code, text = WarningCode.SIGNATURE_NOT_VERIFIED, f"{SIGNATURE_NOT_VERIFIED}: {why}"
    elif v.trust is not Trust.ESTABLISHED:
        code = WarningCode.SIGNATURE_TRUST_NOT_ESTABLISHED
        text = f"the signature is valid but the signer's trust is {v.trust.value}: {why}"
    else:
        return []
    return [
        CredentialWarning(
            code,
            f"The document is signed ({proof.type}); {text}.",
            pointer=pointer,
            field="proof/verification",
        )
    ]


def _first(pointers: tuple[str, ...] | None) -> str | None:
    return pointers[0] if pointers else None


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- level resolution -----------------------------------------------------------------------------

_EQF_URI = re.compile(r"^https?://data\.europa\.eu/snb/eqf/([1-8])/?$", re.IGNORECASE)


def eqf_from_identifier(identifier: str) -> int | None:
    """The EQF level named by an EQF URI, ``EQF:n`` or a bare ``n`` (1-8).

    >>> eqf_from_identifier("http://data.europa.eu/snb/eqf/6"), eqf_from_identifier("EQF:4")
    (6, 4)
    >>> eqf_from_identifier("9") is None
    True
    """
    value = identifier.strip()
    m = _EQF_URI.match(value)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"(?:eqf\s*(?:level)?\s*[: ]?\s*)?([1-8])", value, re.IGNORECASE)
    return int(m.group(1)) if m else None


def resolve_levels(
    credential: MicroCredential,
    index: IdentifierIndex | None,
    level_label: Callable[[LevelKey], str | None] | None = None,
) -> tuple[MicroCredential, tuple[CredentialWarning, ...]]:
    """Resolve the published EQF and NQF identifiers against the data release.

    An unknown NQF identifier is kept as published and reported; it never fails the import.
    """
    level = credential.level
    warnings: list[CredentialWarning] = []
    src = credential.sources
    eqf = level.eqf
    if eqf is None and level.eqf_identifier:
        eqf = eqf_from_identifier(level.eqf_identifier)
        if eqf is None:
            warnings.append(
                CredentialWarning(
                    WarningCode.UNKNOWN_EQF_LEVEL,
                    f"{level.eqf_identifier!r} is not an EQF level (1-8).",
                    pointer=_first(src.get("level.eqf")),
                    field="level/eqf",
                )
            )
    nqf = level.nqf
    nqf_label = level.nqf_label
    if nqf is None and level.nqf_identifier and index is not None:
        try:
            nqf = index.level(level.nqf_identifier)
        except DomainError:
            warnings.append(
                CredentialWarning(
                    WarningCode.UNKNOWN_NQF_LEVEL,
                    f"The NQF level {level.nqf_identifier!r}"
                    + (f" ({level.nqf_published_label})" if level.nqf_published_label else "")
                    + " is not in the data release; it is kept as published.",
                    pointer=_first(src.get("level.nqf")),
                    field="level/nqf",
                )
            )
        else:
            if nqf.framework == EQF_ID and eqf is None:
                # An EQF URI given as the national level still says the EQF level.
                eqf = int(nqf.code)
    if nqf is not None and level_label is not None and nqf_label is None:
        nqf_label = level_label(nqf)
    resolved = replace(level, eqf=eqf, nqf=nqf, nqf_label=nqf_label)
    return replace(credential, level=resolved), tuple(warnings)


def eqf_consistency(
    credential: MicroCredential, referenced_eqf: Sequence[int]
) -> CredentialWarning | None:
    """A warning when the stated EQF level is not one the NQF level is referenced to."""
    level = credential.level
    if level.eqf is None or level.nqf is None or not referenced_eqf:
        return None
    if level.nqf.framework == EQF_ID or level.eqf in referenced_eqf:
        return None
    listed = ", ".join(str(n) for n in sorted(set(referenced_eqf)))
    return CredentialWarning(
        WarningCode.EQF_NQF_MISMATCH,
        f"The credential states EQF level {level.eqf}, but {level.nqf} is referenced to EQF "
        f"level {listed} in the data release.",
        pointer=_first(credential.sources.get("level.eqf")),
        field="level/eqf",
    )


# --- ISO 8601 durations ---------------------------------------------------------------------------

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DurationHours:
    """An ISO 8601 duration turned into hours, or why it could not be."""

    hours: float | None
    problem: str | None = None
    uses_days: bool = False


def duration_hours(value: str) -> DurationHours:
    """Convert an ISO 8601 duration to hours.

    Days and weeks are calendar units (24 h, 168 h) as in XML Schema; years and months have no
    fixed length in hours and are refused rather than guessed.

    >>> duration_hours("PT60H").hours, duration_hours("PT1H30M").hours
    (60.0, 1.5)
    >>> duration_hours("P2M").problem
    "'P2M' is in calendar months, which have no fixed length in hours (for 2 minutes write 'PT2M')"
    >>> duration_hours("sixty hours").problem
    "'sixty hours' is not an ISO 8601 duration"
    """
    text = value.strip()
    m = _DURATION.match(text)
    if not m or len(text) > 64:
        return DurationHours(None, f"{_clip(value, 40)!r} is not an ISO 8601 duration")
    parts = {k: float(v.replace(",", ".")) for k, v in m.groupdict().items() if v is not None}
    if parts.get("years") or parts.get("months"):
        unit = "years" if parts.get("years") else "calendar months"
        hint = ""
        if parts.get("months") and not parts.get("years") and "T" not in text.upper():
            hint = f" (for {parts['months']:g} minutes write 'PT{parts['months']:g}M')"
        return DurationHours(
            None, f"{text!r} is in {unit}, which have no fixed length in hours{hint}"
        )
    hours = (
        parts.get("weeks", 0.0) * 168
        + parts.get("days", 0.0) * 24
        + parts.get("hours", 0.0)
        + parts.get("minutes", 0.0) / 60
        + parts.get("seconds", 0.0) / 3600
    )
    if not math.isfinite(hours):
        return DurationHours(None, f"{text!r} is out of range")
    uses_days = bool(parts.get("weeks") or parts.get("days"))
    return DurationHours(round(hours, 4), None, uses_days)


# --- JSON form ------------------------------------------------------------------------------------
# The normalised credential is stored and served as JSON; these two functions are inverse
# (``credential_from_json(credential_to_json(c)) == c``), which a test checks.


def _concept_json(c: Concept | None) -> dict[str, Any] | None:
    return None if c is None else {"label": c.label, "uri": c.uri}


def _org_json(o: Organisation | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "name": o.name,
        "id": o.id,
        "country": o.country,
        "country_uri": o.country_uri,
        "homepage": o.homepage,
    }


def _skill_json(s: SkillRef) -> dict[str, Any]:
    return {"uri": s.uri, "label": s.label}


def credential_to_json(c: MicroCredential) -> dict[str, Any]:
    """The JSON form of a credential (API.md "MicroCredential"), ready for ``json.dumps``."""
    lvl = c.level
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "issuer": _org_json(c.issuer),
        "awarding_bodies": [_org_json(o) for o in c.awarding_bodies],
        "issued_on": c.issued_on.isoformat() if c.issued_on else None,
        "valid_until": c.valid_until.isoformat() if c.valid_until else None,
        "learner": None
        if c.learner is None
        else {
            "id": c.learner.id,
            "name": c.learner.name,
            "given_name": c.learner.given_name,
            "family_name": c.learner.family_name,
            "identifiers": [{"value": i.value, "scheme": i.scheme} for i in c.learner.identifiers],
        },
        "learning_outcomes": [
            {
                "text": o.text,
                "esco_skills": [_skill_json(s) for s in o.esco_skills],
                "other_skills": [_skill_json(s) for s in o.other_skills],
            }
            for o in c.learning_outcomes
        ],
        "level": {
            "eqf": lvl.eqf,
            "eqf_identifier": lvl.eqf_identifier,
            "nqf": None
            if lvl.nqf is None
            else {"framework": lvl.nqf.framework, "code": lvl.nqf.code, "label": lvl.nqf_label},
            "nqf_identifier": lvl.nqf_identifier,
            "nqf_published_label": lvl.nqf_published_label,
        },
        "credits": None
        if c.credits is None
        else {
            "system": c.credits.system,
            "value": c.credits.value,
            "system_uri": c.credits.system_uri,
        },
        "workload_hours": c.workload_hours,
        "workload_as_published": c.workload_as_published,
        "assessment": None
        if c.assessment is None
        else {
            "type": _concept_json(c.assessment.type),
            "mode": _concept_json(c.assessment.mode),
            "title": c.assessment.title,
        },
        "participation": None
        if c.participation is None
        else {
            "mode": _concept_json(c.participation.mode),
            "learning_setting": _concept_json(c.participation.learning_setting),
            "schedule": _concept_json(c.participation.schedule),
        },
        "quality_assurance": [
            {"type": _concept_json(q.type), "title": q.title, "body": q.body, "id": q.id}
            for q in c.quality_assurance
        ],
        "prerequisites": c.prerequisites,
        "id_verification": _concept_json(c.id_verification),
        "grade": c.grade,
        "stackability": {
            "partial": c.stackability.partial,
            "part_of": list(c.stackability.part_of),
            "has_part": list(c.stackability.has_part),
            "statement": c.stackability.statement,
        },
        "further_information": c.further_information,
        "alignments": [
            {
                "target_name": a.target_name,
                "target_url": a.target_url,
                "target_type": a.target_type,
                "target_framework": a.target_framework,
                "target_code": a.target_code,
                "target_description": a.target_description,
                "kind": a.kind,
            }
            for a in c.alignments
        ],
        "source_format": c.source_format.value,
        "language": c.language,
        "languages": list(c.languages),
        "translations": {k: dict(v) for k, v in c.translations.items()},
        "proof": proof_to_json(c.proof),
        "sources": {k: list(v) for k, v in c.sources.items()},
    }


def _concept(d: Any) -> Concept | None:
    return None if d is None else Concept(label=d.get("label"), uri=d.get("uri"))


def _org(d: Any) -> Organisation | None:
    if d is None:
        return None
    return Organisation(
        name=d.get("name"),
        id=d.get("id"),
        country=d.get("country"),
        country_uri=d.get("country_uri"),
        homepage=d.get("homepage"),
    )


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def credential_from_json(d: Mapping[str, Any]) -> MicroCredential:
    """Rebuild a credential from :func:`credential_to_json` output (as stored)."""
    lvl = d.get("level") or {}
    nqf = lvl.get("nqf")
    learner = d.get("learner")
    credits = d.get("credits")
    assessment = d.get("assessment")
    participation = d.get("participation")
    stack = d.get("stackability") or {}
    proof = d.get("proof") or {}
    return MicroCredential(
        source_format=SourceFormat(d["source_format"]),
        id=d.get("id"),
        title=d.get("title"),
        description=d.get("description"),
        issuer=_org(d.get("issuer")),
        awarding_bodies=tuple(o for o in (_org(x) for x in d.get("awarding_bodies", [])) if o),
        issued_on=_date(d.get("issued_on")),
        valid_until=_date(d.get("valid_until")),
        learner=None
        if learner is None
        else Learner(
            id=learner.get("id"),
            name=learner.get("name"),
            given_name=learner.get("given_name"),
            family_name=learner.get("family_name"),
            identifiers=tuple(
                Identifier(value=i["value"], scheme=i.get("scheme"))
                for i in learner.get("identifiers", [])
            ),
        ),
        learning_outcomes=tuple(
            LearningOutcome(
                text=o["text"],
                esco_skills=tuple(
                    SkillRef(s["uri"], s.get("label")) for s in o.get("esco_skills", [])
                ),
                other_skills=tuple(
                    SkillRef(s["uri"], s.get("label")) for s in o.get("other_skills", [])
                ),
            )
            for o in d.get("learning_outcomes", [])
        ),
        level=CredentialLevel(
            eqf=lvl.get("eqf"),
            eqf_identifier=lvl.get("eqf_identifier"),
            nqf=None if nqf is None else LevelKey(nqf["framework"], nqf["code"]),
            nqf_label=None if nqf is None else nqf.get("label"),
            nqf_identifier=lvl.get("nqf_identifier"),
            nqf_published_label=lvl.get("nqf_published_label"),
        ),
        credits=None
        if credits is None
        else Credits(credits["system"], float(credits["value"]), credits.get("system_uri")),
        workload_hours=d.get("workload_hours"),
        workload_as_published=d.get("workload_as_published"),
        assessment=None
        if assessment is None
        else Assessment(
            type=_concept(assessment.get("type")),
            mode=_concept(assessment.get("mode")),
            title=assessment.get("title"),
        ),
        participation=None
        if participation is None
        else Participation(
            mode=_concept(participation.get("mode")),
            learning_setting=_concept(participation.get("learning_setting")),
            schedule=_concept(participation.get("schedule")),
        ),
        quality_assurance=tuple(
            QualityAssurance(
                type=_concept(q.get("type")),
                title=q.get("title"),
                body=q.get("body"),
                id=q.get("id"),
            )
            for q in d.get("quality_assurance", [])
        ),
        prerequisites=d.get("prerequisites"),
        id_verification=_concept(d.get("id_verification")),
        grade=d.get("grade"),
        stackability=Stackability(
            partial=stack.get("partial"),
            part_of=tuple(stack.get("part_of", [])),
            has_part=tuple(stack.get("has_part", [])),
            statement=stack.get("statement"),
        ),
        further_information=d.get("further_information"),
        alignments=tuple(
            Alignment(**{k: a.get(k) for k in Alignment.__dataclass_fields__})
            for a in d.get("alignments") or ()
            if isinstance(a, Mapping)
        ),
        language=d.get("language"),
        languages=tuple(d.get("languages", [])),
        translations={k: dict(v) for k, v in (d.get("translations") or {}).items()},
        proof=proof_from_json(proof),
        sources={k: tuple(v) for k, v in (d.get("sources") or {}).items()},
    )


def proof_to_json(p: Proof) -> dict[str, Any]:
    v = p.verification
    return {
        "type": p.type,
        "signed": p.signed,
        "verified": p.verified,
        "note": p.note,
        "verification": {
            "method": v.method,
            "valid": v.valid,
            "signer": v.signer,
            "signed_at": v.signed_at,
            "trust": v.trust.value,
            "reasons": list(v.reasons),
        },
    }


def proof_from_json(d: Mapping[str, Any]) -> Proof:
    """A proof as stored; records stored before verification existed read as unchecked."""
    signed = bool(d.get("signed", False))
    raw = d.get("verification")
    if isinstance(raw, Mapping):
        verification = Verification(
            method=raw.get("method"),
            valid=raw.get("valid"),
            signer=raw.get("signer"),
            signed_at=raw.get("signed_at"),
            trust=Trust(raw.get("trust", Trust.NOT_APPLICABLE.value)),
            reasons=tuple(raw.get("reasons", ())),
        )
    elif signed:
        verification = Verification(
            method=d.get("type"), trust=Trust.NOT_CHECKED, reasons=(SIGNATURE_NOT_VERIFIED,)
        )
    else:
        verification = Verification()
    return Proof(
        type=d.get("type"),
        signed=signed,
        verified=bool(d.get("verified", False)),
        note=d.get("note", UNSIGNED),
        verification=verification,
    )


def completeness_to_json(report: Completeness) -> dict[str, Any]:
    return {
        "complete": report.complete,
        "mandatory": {"present": report.mandatory_present, "total": report.mandatory_total},
        "optional": {"present": report.optional_present, "total": report.optional_total},
        "missing_mandatory": list(report.missing_mandatory),
        "elements": [
            {
                "id": e.id,
                "label": e.label,
                "mandatory": e.mandatory,
                "status": e.status,
                "where": list(e.where),
                "note": e.note,
            }
            for e in report.elements
        ],
    }


def warning_to_json(w: CredentialWarning) -> dict[str, Any]:
    return {"code": w.code.value, "message": w.message, "pointer": w.pointer, "field": w.field}


def warning_from_json(d: Mapping[str, Any]) -> CredentialWarning:
    return CredentialWarning(
        code=WarningCode(d["code"]),
        message=d["message"],
        pointer=d.get("pointer"),
        field=d.get("field"),
    )


def json_pointer(*parts: str | int) -> str:
    """An RFC 6901 pointer from path parts.

    >>> json_pointer("credentialSubject", "achievement", 0, "a/b")
    '/credentialSubject/achievement/0/a~1b'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
