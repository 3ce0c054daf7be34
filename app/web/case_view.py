"""What the case pages show, computed from what the services return (no decision here).

The pages of journey 2 ("a case", issue 14) read a stored credential and a decision record as
the API returns them (plain JSON dicts); these helpers turn a few of their members into what a
person reads: the verification seal, the five Lisbon elements in a fixed order with labels, the
outcome's wording. Every figure and reason shown comes from the services unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.recognition import Element, Outcome, Purpose
from app.web.i18n import N_

#: The five elements of the Lisbon Recognition Convention's assessment, in reading order.
ELEMENT_ORDER: tuple[Element, ...] = (
    Element.LEVEL,
    Element.WORKLOAD,
    Element.QUALITY,
    Element.PROFILE,
    Element.LEARNING_OUTCOMES,
)

ELEMENT_LABELS: dict[str, str] = {
    Element.LEVEL.value: N_("Level"),
    Element.WORKLOAD.value: N_("Workload"),
    Element.QUALITY.value: N_("Quality assurance"),
    Element.PROFILE.value: N_("Profile"),
    Element.LEARNING_OUTCOMES.value: N_("Learning outcomes"),
}

OUTCOME_LABELS: dict[str, str] = {
    Outcome.FULL.value: N_("Full recognition"),
    Outcome.PARTIAL.value: N_("Partial recognition"),
    Outcome.CONDITIONAL.value: N_("Conditional recognition"),
    Outcome.ALTERNATIVE.value: N_("Alternative recognition"),
    Outcome.REFUSAL.value: N_("Refusal (substantial difference)"),
    Outcome.INSUFFICIENT_INFORMATION.value: N_("Insufficient information"),
}

PURPOSE_LABELS: dict[str, str] = {
    Purpose.CREDIT_TRANSFER.value: N_("Credit transfer"),
    Purpose.ADMISSION.value: N_("Admission"),
    Purpose.FURTHER_STUDY.value: N_("Further study"),
    Purpose.EMPLOYMENT.value: N_("Employment"),
}

TRUST_LABELS: dict[str, str] = {
    "established": N_("signer trusted (chain to a configured trust anchor)"),
    "not_established": N_("signer trust not established"),
    "expired_at_signing": N_("a certificate had expired when it signed"),
    "not_yet_valid_at_signing": N_("a certificate was not yet valid when it signed"),
    "not_checked": N_("signature not checked"),
    "not_applicable": N_("nothing is signed"),
}


@dataclass(frozen=True, slots=True)
class Seal:
    """The verification status of a credential, as one word and its details."""

    status: str  # "valid" | "invalid" | "not_checked" | "unsigned"
    label: str
    method: str | None
    signer: str | None
    signed_at: str | None
    trust: str
    trust_label: str
    reasons: tuple[str, ...]


def seal(credential: dict[str, Any]) -> Seal:
    """The seal of a credential's ``proof.verification`` (the importer's own verdict)."""
    proof = credential.get("proof") or {}
    v = proof.get("verification") or {}
    trust = str(v.get("trust") or "not_applicable")
    if not proof.get("signed"):
        status, label = "unsigned", N_("not signed")
    elif v.get("valid") is True:
        status, label = "valid", N_("valid")
    elif v.get("valid") is False:
        status, label = "invalid", N_("invalid")
    else:
        status, label = "not_checked", N_("not checked")
    return Seal(
        status=status,
        label=label,
        method=v.get("method") or proof.get("type"),
        signer=v.get("signer"),
        signed_at=v.get("signed_at"),
        trust=trust,
        trust_label=TRUST_LABELS.get(trust, trust),
        reasons=tuple(str(r) for r in v.get("reasons") or ()),
    )


@dataclass(frozen=True, slots=True)
class ElementView:
    key: str
    label: str
    finding: str
    substantial: bool | None
    verdict: str  # what the finding means for recognition, in words
    reason: str
    confidence: float
    evidence: tuple[dict[str, Any], ...]
    request: tuple[str, ...]


def elements(record: dict[str, Any]) -> list[ElementView]:
    """The record's five findings in the Convention's order (an element missing is skipped).

    ``substantial`` is the core's answer to "is there a substantial difference?": True means
    one was found, False none, None that it cannot be assessed from what was provided.
    """
    found: dict[str, Any] = record.get("elements") or {}
    out = []
    for element in ELEMENT_ORDER:
        f = found.get(element.value)
        if not isinstance(f, dict):
            continue
        substantial = f.get("substantial")
        verdict = (
            N_("cannot be assessed")
            if substantial is None
            else N_("substantial difference")
            if substantial
            else N_("no substantial difference")
        )
        out.append(
            ElementView(
                key=element.value,
                label=ELEMENT_LABELS[element.value],
                finding=str(f.get("finding") or ""),
                substantial=substantial,
                verdict=verdict,
                reason=str(f.get("reason") or ""),
                confidence=float(f.get("confidence") or 0.0),
                evidence=tuple(e for e in f.get("evidence") or () if isinstance(e, dict)),
                request=tuple(str(r) for r in f.get("request") or ()),
            )
        )
    return out


def outcome_label(outcome: str | None) -> str:
    return OUTCOME_LABELS.get(outcome or "", outcome or "")


def purpose_label(purpose: str | None) -> str:
    return PURPOSE_LABELS.get(purpose or "", purpose or "")


def current_version(record: dict[str, Any]) -> str:
    """The version a review names: the hash of the record's newest link (its ETag)."""
    reviews = record.get("reviews") or []
    if reviews:
        return str(reviews[-1]["review_hash"])
    return str(record["record"]["record_hash"])


def conditions_from_text(text: str) -> tuple[str, ...]:
    """One condition per non-empty line of a text area."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True, slots=True)
class Decision:
    """What the letter states: the outcome as it now stands and who decided it."""

    outcome: str
    label: str
    reviewed: bool
    amended: bool
    conditions: tuple[str, ...]
    reviewer: str | None
    reason: str | None
    decided_at: str | None


def decision(record: dict[str, Any]) -> Decision:
    """The record's current decision: its last review, else the (pending) recommendation."""
    reviews = record.get("reviews") or []
    if reviews:
        last = reviews[-1]
        conditions = tuple(last.get("conditions") or ()) or (
            tuple(record.get("conditions") or ()) if last.get("action") == "confirm" else ()
        )
        return Decision(
            outcome=str(last["outcome"]),
            label=outcome_label(str(last["outcome"])),
            reviewed=True,
            amended=any(r.get("action") == "amend" for r in reviews),
            conditions=conditions,
            reviewer=str(last.get("reviewer") or ""),
            reason=str(last.get("reason") or ""),
            decided_at=str(last.get("created_at") or ""),
        )
    outcome = str(record.get("outcome") or "")
    return Decision(
        outcome=outcome,
        label=outcome_label(outcome),
        reviewed=False,
        amended=False,
        conditions=tuple(record.get("conditions") or ()),
        reviewer=None,
        reason=None,
        decided_at=None,
    )


def programme_label(title: str, institution: str | None, eqf_level: int | None) -> str:
    """How a catalogue programme is named in a list: title — institution (EQF n)."""
    label = title
    if institution:
        label += f" — {institution}"
    if eqf_level is not None:
        label += f" (EQF {eqf_level})"
    return label
