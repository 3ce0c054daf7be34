"""Recognition recommendations reasoned the way the Lisbon Recognition Convention asks.

``recommend(candidate, target, match, policy, purpose=...)`` weighs five elements — level,
workload, quality, profile and learning outcomes — and for each says what was found, whether it
is a *substantial* difference *for this purpose* (thresholds from the versioned policy), how far
the evidence can be trusted, and the evidence. Which modules are covered is the transfer engine's
one decision (:func:`app.core.transfer.rules.decide`). The outcome follows a fixed order, so
refusal is the last resort (``docs/recognition.md``):

0. ``insufficient_information`` — the learning outcomes cannot be assessed (none, or only titles
   and placeholders) and neither can a second element (credits, level, the issuer's quality
   assurance): the documents to request are named, nothing is decided;
1. ``full`` — no substantial difference (for credit transfer: modules replaced whose credits
   match the credential's);
2. ``partial`` — some modules can be replaced, or only part of the credential's credits used;
3. ``conditional`` — the differences can be bridged (assess uncovered outcomes, add credits,
   verify quality assurance, establish the level), each condition named;
4. ``alternative`` — not what was asked, but something else is comparable (the credential's own
   level in the target framework; elective credits, when the programme has electives);
5. ``refusal`` — only when a substantial difference remains and nothing above applies.

The function is pure: the service gathers the facts (candidate and target in engine types, the
level relation, the alignment) and stores the result with its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from app.core.credits import Range
from app.core.transfer.rules import Relate, credit_check, decide, elective_credits, level_check
from app.core.transfer.types import (
    Candidate,
    CandidateFacts,
    CandidateMatch,
    Decision,
    PurposePolicy,
    Signature,
    Target,
)
from app.core.types import ComparisonFrame, LevelOrder


class Purpose(StrEnum):
    ADMISSION = "admission"
    CREDIT_TRANSFER = "credit_transfer"
    EMPLOYMENT = "employment"
    FURTHER_STUDY = "further_study"


class Outcome(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    CONDITIONAL = "conditional"
    ALTERNATIVE = "alternative"
    REFUSAL = "refusal"
    INSUFFICIENT_INFORMATION = "insufficient_information"


class Element(StrEnum):
    LEVEL = "level"
    WORKLOAD = "workload"
    QUALITY = "quality"
    PROFILE = "profile"
    LEARNING_OUTCOMES = "learning_outcomes"


@dataclass(frozen=True, slots=True)
class RecognitionPolicy:
    version: str
    purposes: dict[Purpose, PurposePolicy]
    conversion_confidence: dict[str, float] = field(
        default_factory=lambda: {"rule": 1.0, "derived": 0.9, "practice": 0.6, "identity": 1.0}
    )
    missing_level_confidence: float = 0.5
    missing_credits_confidence: float = 0.6
    lexical_only_confidence: float = 0.8
    # Evidence that is present but weak (``confidence`` in mappings/policies/recognition.yaml).
    weak_outcomes_confidence: float = 0.6  # when every outcome reads as a title or placeholder
    unknown_country_confidence: float = 0.7
    unverified_signature_confidence: float = 0.9

    def for_purpose(self, purpose: Purpose) -> PurposePolicy:
        return self.purposes[purpose]


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """A pointer to what supports a statement: kind, reference and detail."""

    kind: str  # "level_edge", "credit_rule", "outcome_pair", "quality_assurance", "signature", ...
    reference: str
    detail: str


@dataclass(frozen=True, slots=True)
class Finding:
    element: Element
    finding: str
    substantial: bool | None  # None: cannot be assessed from what was provided
    reason: str
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 1.0
    request: tuple[str, ...] = ()  # documents that would let the element be assessed


@dataclass(frozen=True, slots=True)
class ModuleDecision:
    code: str
    title: str
    decision: str  # "replace", "conditional", "not_replaced"
    coverage: float
    credits_ects: Range | None
    reasons: tuple[str, ...]
    uncovered_outcomes: tuple[str, ...] = ()
    credits_short: float = 0.0  # ECTS to add before the module can be replaced
    compulsory: bool = True


@dataclass(frozen=True, slots=True)
class Recommendation:
    outcome: Outcome
    purpose: Purpose
    findings: tuple[Finding, ...]
    modules: tuple[ModuleDecision, ...]
    recognised_credits_ects: Range | None
    conditions: tuple[str, ...]
    alternative: str | None
    confidence: float
    justification: str
    policy_version: str
    missing: tuple[str, ...] = ()  # elements that could not be assessed
    documents: tuple[str, ...] = ()  # to request from the applicant or the awarding body
    confidence_notes: tuple[str, ...] = ()  # why the confidence is below 1

    def finding(self, element: Element) -> Finding:
        return next(f for f in self.findings if f.element is element)


# --- the elements ------------------------------------------------------------------------------


def range_text(r: Range | None) -> str:
    if r is None:
        return "unknown"
    return f"{r.minimum:g}" if r.exact else f"{r.minimum:g}–{r.maximum:g}"


def country_problem(code: str | None) -> str | None:
    """Why an issuer country cannot place the issuer, or None. ISO 3166-1 reserves AA, QM–QZ,
    XA–XZ and ZZ for user assignment: they name no country.

    >>> country_problem("XX"), country_problem("IE"), country_problem(None)
    ("issuer country 'XX' is not an assigned ISO 3166-1 code", None, 'no issuer country stated')
    """
    if not code:
        return "no issuer country stated"
    c = code.strip().upper()
    reserved = c in ("AA", "ZZ") or (len(c) == 2 and c[0] == "X") or ("QM" <= c <= "QZ")
    if len(c) != 2 or not c.isalpha() or reserved:
        return f"issuer country {code!r} is not an assigned ISO 3166-1 code"
    return None


def _facts(candidate: Candidate) -> CandidateFacts:
    return candidate.facts or CandidateFacts()


def assess_level(
    candidate: Candidate,
    target: Target,
    rules: PurposePolicy,
    policy: RecognitionPolicy,
    relate: Relate | None = None,
) -> Finding:
    """Level: in the most specific frame with a basis (one framework, a crosswalk), else the
    EQF — and then equal EQF levels of two frameworks are a point to check, never "meets"."""
    evidence: list[Evidence] = []
    comparison = _facts(candidate).level_comparison
    eqf = candidate.eqf_level
    confidence = 1.0
    if comparison is not None:
        seen: set[str] = set()
        for match in comparison.matches[:3]:
            for step in match.steps:
                if f"{step.source}>{step.target}" in seen:
                    continue
                seen.add(f"{step.source}>{step.target}")
                evidence.append(
                    Evidence(
                        "level_edge",
                        f"{step.source} → {step.target}",
                        f"{step.match_type.value}, confidence {step.confidence:g}; "
                        + "; ".join(s.title for s in step.sources),
                    )
                )
        if comparison.matches:
            confidence = comparison.matches[0].confidence
            eqf = eqf if eqf is not None else comparison.matches[0].eqf_level
    relation = (
        relate(candidate.level, target.level)
        if relate and candidate.level is not None and target.level is not None
        else None
    )
    frame = relation.frame if relation is not None else None
    if relation is not None and frame in (ComparisonFrame.FRAMEWORK, ComparisonFrame.CROSSWALK):
        found = f"credential at {candidate.level}, target at {target.level} ({frame} order)"
        evidence.extend(Evidence("level_source", frame, src.title) for src in relation.sources)
        confidence = relation.confidence
        if relation.order is LevelOrder.BELOW:
            why = f"a level difference: {candidate.level} is below {target.level}" + (
                "; the policy treats it as substantial for this purpose"
                if rules.national_below_substantial
                else "; within the policy's tolerance for this purpose"
            )
            substantial = rules.national_below_substantial
            return Finding(Element.LEVEL, found, substantial, why, tuple(evidence), confidence)
        why = "the credential's level meets or exceeds the target's"
        return Finding(Element.LEVEL, found, False, why, tuple(evidence), confidence)
    eqf = eqf if eqf is not None or relation is None else relation.held_eqf
    if eqf is None:  # no level, or a national level not referenced to the EQF
        reason = "the credential states no EQF level and its NQF level is not referenced"
        if comparison is not None and comparison.reason is not None:
            reason = (
                f"no comparable level: {comparison.reason.value} ({'; '.join(comparison.notes)})"
            )
        request = ("the level of the credential (EQF or national framework level)",)
        conf = policy.missing_level_confidence
        return Finding(Element.LEVEL, "level unknown", None, reason, tuple(evidence), conf, request)
    found = f"credential at EQF {eqf}"
    if comparison is not None and comparison.matches:
        best = comparison.matches[0]
        found += (
            f", comparable to {comparison.target.id} level {best.level.code} "
            f"({best.match_type.value} match)"
        )
    if target.eqf_level is None:
        why = "the target states no level to compare with"
        return Finding(Element.LEVEL, found, False, why, tuple(evidence), confidence)
    gap = target.eqf_level - eqf
    found += f"; target at EQF {target.eqf_level}"
    if gap >= rules.level_substantial_if_below_by:
        why = (
            f"the credential is {gap} EQF level(s) below the target; the policy treats "
            f"{rules.level_substantial_if_below_by} or more as substantial for this purpose"
        )
        return Finding(Element.LEVEL, found, True, why, tuple(evidence), confidence)
    if relation is not None and frame is ComparisonFrame.EQF and gap <= 0:
        # Equal EQF levels of two frameworks: the national levels may still differ.
        why = (
            " ".join(relation.notes) or "compared at EQF granularity only: an evaluator must check"
        )
        conf = min(confidence, relation.confidence)
        return Finding(Element.LEVEL, found, False, why, tuple(evidence), conf)
    why = (
        "the level difference is within the policy's tolerance for this purpose"
        if gap > 0
        else "the credential's level meets or exceeds the target's"
    )
    return Finding(Element.LEVEL, found, False, why, tuple(evidence), confidence)


def assess_quality(
    candidate: Candidate, rules: PurposePolicy, policy: RecognitionPolicy
) -> Finding:
    """Quality: the QA the credential states (never invented), the issuer's country and the
    document's seal. An invalid seal is a substantial finding; a valid one raises confidence."""
    facts = _facts(candidate)
    confidence = 1.0
    notes: list[str] = []
    evidence = [
        Evidence("quality_assurance", qa, "as stated in the credential")
        for qa in facts.quality_assurance
    ]
    country = country_problem(facts.issuer_country)
    if country is not None:
        notes.append(country)
        confidence *= policy.unknown_country_confidence
    if facts.signature is not Signature.NONE:
        evidence.append(Evidence("signature", facts.signature.value, facts.signature_note))
    if facts.signature is Signature.INVALID:
        return Finding(
            Element.QUALITY,
            "the document's seal does not verify",
            True,
            f"{facts.signature_note or 'invalid signature'}: the document's authenticity must be "
            "established with the awarding body",
            tuple(evidence),
            confidence,
            ("an authentic copy of the credential from the awarding body",),
        )
    if facts.signature is Signature.UNVERIFIED:
        notes.append("signed, but the signature was not verified")
        confidence *= policy.unverified_signature_confidence
    elif facts.signature is Signature.VALID:
        notes.append("the seal verifies")
    tail = f" ({'; '.join(notes)})" if notes else ""
    if facts.quality_assurance:
        return Finding(
            Element.QUALITY,
            "quality assurance stated: " + "; ".join(facts.quality_assurance),
            False,
            "the credential names its quality assurance (not verified against a register)" + tail,
            tuple(evidence),
            confidence,
        )
    request = ("quality assurance of the issuer",)
    if rules.quality_required:
        return Finding(
            Element.QUALITY,
            "no quality-assurance information in the credential",
            True if country is None else None,  # None: not even the issuer's system is known
            "quality assurance cannot be established from the document; it must be verified "
            "with the awarding body before recognition" + tail,
            tuple(evidence),
            confidence,
            request,
        )
    return Finding(
        Element.QUALITY,
        "no quality-assurance information in the credential",
        False,
        "not required for this purpose; stated as missing" + tail,
        tuple(evidence),
        confidence,
    )


def assess_profile(candidate: Candidate) -> Finding:
    """Profile: ESCO skills are shown as evidence; catalogue modules carry none to compare."""
    skills = sorted(_facts(candidate).esco_skills)
    return Finding(
        Element.PROFILE,
        "the target's modules carry no ESCO skills" if skills else "no ESCO skills to compare",
        None,
        "the profile is judged on the learning outcomes alone",
        tuple(Evidence("skill", uri, "stated by the credential") for uri in skills[:20]),
    )


def _module_decisions(
    candidate: Candidate,
    target: Target,
    match: CandidateMatch | None,
    rules: PurposePolicy,
    relate: Relate | None,
) -> tuple[ModuleDecision, ...]:
    """Every module through the engine's one decision, best first."""
    out = []
    for module in target.modules:
        mm = match.module(module.code) if match is not None else None
        coverage = mm.coverage if mm is not None else 0.0
        covered = set(mm.covered) if mm is not None else set()
        uncovered = tuple(t for j, t in enumerate(module.outcomes) if j not in covered)
        short = 0.0
        if not module.outcomes or not candidate.outcomes:
            what = "the module publishes" if not module.outcomes else "the credential states"
            verdict, reasons = None, [f"{what} no learning outcomes to compare"]
        else:
            level = level_check(candidate, module, rules, relate)
            credits = credit_check(candidate.credits_ects, module, rules)
            verdict, reasons = decide(coverage, [level], credits, rules)
            if credits.sufficient is False and credits.bridgeable and module.credits_ects:
                short = module.credits_ects.minimum - (
                    candidate.credits_ects.maximum if candidate.credits_ects else 0.0
                )
        out.append(
            ModuleDecision(
                module.code,
                module.title,
                verdict.value if verdict is not None else "not_replaced",
                round(coverage, 4),
                module.credits_ects,
                tuple(reasons),
                uncovered,
                short,
                module.compulsory,
            )
        )
    rank = {Decision.REPLACE.value: 2, Decision.CONDITIONAL.value: 1}
    return tuple(sorted(out, key=lambda d: (-rank.get(d.decision, 0), -d.coverage)))


def assess_outcomes(
    candidate: Candidate,
    target: Target,
    match: CandidateMatch | None,
    decisions: Sequence[ModuleDecision],
    rules: PurposePolicy,
    policy: RecognitionPolicy,
    *,
    lexical_only: bool = False,
) -> Finding:
    """Learning outcomes: which modules the credential's outcomes cover, and how well."""
    outcomes = candidate.outcomes
    weak = _facts(candidate).weak_outcomes
    if not outcomes:
        return Finding(
            Element.LEARNING_OUTCOMES,
            "the credential states no learning outcomes",
            None,
            "learning outcomes cannot be compared; ask the awarding body for them",
            confidence=0.5,
            request=("learning outcomes",),
        )
    confidence = policy.lexical_only_confidence if lexical_only else 1.0
    request: tuple[str, ...] = ()
    note = ""
    if weak:
        confidence *= 1 - (1 - policy.weak_outcomes_confidence) * len(weak) / len(outcomes)
        note = (
            f" ({len(weak)} of the {len(outcomes)} outcomes read as titles, topic lists or "
            "placeholders, not statements of what the learner can do)"
        )
        if len(weak) >= len(outcomes):
            request = ("learning outcomes",)

    def finding(
        found: str, substantial: bool | None, why: str, evidence: Sequence[Evidence] = ()
    ) -> Finding:
        return Finding(
            Element.LEARNING_OUTCOMES,
            found,
            substantial,
            why + note,
            tuple(evidence),
            confidence,
            request,
        )

    if not target.modules:
        return finding(
            f"{len(outcomes)} learning outcomes stated; no target modules to compare",
            None,
            "give a qualification or programme to compare learning outcomes with",
        )
    evidence = []
    modules = {m.code: m for m in target.modules}
    for mm in match.modules if match is not None else ():
        module = modules.get(mm.module)
        if module is None:
            continue
        for p in mm.pairs[:5]:
            if p.course_outcome < len(outcomes) and p.module_outcome < len(module.outcomes):
                evidence.append(
                    Evidence(
                        "outcome_pair",
                        f"{module.code}#{p.module_outcome}",
                        f"{p.score:.2f}: «{outcomes[p.course_outcome]}» ↔ "
                        f"«{module.outcomes[p.module_outcome]}»",
                    )
                )
    replaced = [d for d in decisions if d.decision == "replace"]
    near = [d for d in decisions if d.decision == "conditional"]
    if replaced or near:
        found = ("covers the outcomes of " if replaced else "partly covers ") + ", ".join(
            f"{d.code} ({d.coverage:.0%})" for d in (replaced or near)
        )
        why = (
            "no substantial difference for the modules listed"
            if replaced
            else "the differences can be bridged by assessing the uncovered outcomes"
        )
        return finding(found, False, why, evidence)
    best = decisions[0] if decisions else None
    return finding(
        f"best module coverage {best.coverage:.0%} ({best.code})" if best else "no module compared",
        True,
        f"no module's outcomes are covered to {rules.conditional_coverage:.0%}: a substantial "
        "difference for exempting modules",
        evidence,
    )


def assess_workload(
    candidate: Candidate,
    decisions: Sequence[ModuleDecision],
    rules: PurposePolicy,
    policy: RecognitionPolicy,
) -> Finding:
    """Workload: the credits as read (value and system), converted to ECTS where the system is
    known, against the smallest module in question."""
    facts = _facts(candidate)
    evidence: list[Evidence] = []
    confidence = 1.0
    conversion = facts.credit_conversion
    if conversion is not None:
        for step in conversion.steps:
            evidence.append(
                Evidence(
                    "credit_rule",
                    f"{step.rule.source} → {step.rule.target}",
                    f"{step.rule.kind.value}: factor {range_text(step.rule.factor)}"
                    + (f" ({step.rule.note})" if step.rule.note else "")
                    + "; "
                    + "; ".join(s.title for s in step.rule.sources),
                )
            )
        kind = conversion.kind.value if conversion.steps else "identity"
        confidence = policy.conversion_confidence.get(kind, 1.0)
    read = facts.credits_as_read
    stated = ""
    if read is not None:
        value, system = read
        unstated = system.casefold() in ("", "unspecified")
        stated = f"{value:g} credits, no system stated" if unstated else f"{value:g} {system}"
    hours = f"workload stated as {facts.workload_hours:g} hours" if facts.workload_hours else ""
    if candidate.credits_ects is None:
        found = "; ".join(x for x in (stated or "no credits stated", hours) if x)
        return Finding(
            Element.WORKLOAD,
            found,
            None,
            "the workload cannot be compared in credits"
            + (": the credit system is needed to convert them" if stated else ""),
            tuple(evidence),
            policy.missing_credits_confidence,
            ("credit system",) if stated else ("credits or workload in hours",),
        )
    found = f"{range_text(candidate.credits_ects)} ECTS"
    if conversion is not None and conversion.steps:
        found += f" (from {conversion.value:g} {conversion.source})"
    elif stated and not found.startswith(stated):
        found += f" (stated as {stated})"
    wanted = [d for d in decisions if d.decision in ("replace", "conditional")]
    sized = [d.credits_ects for d in wanted if d.credits_ects]
    if not sized or rules.workload_min_ratio == 0:
        why = (
            "workload is not a criterion for this purpose"
            if rules.workload_min_ratio == 0 and sized
            else "no module's outcomes are covered, so no module workload is compared"
            if not wanted
            else "the modules in question publish no credits to compare with"
        )
        return Finding(Element.WORKLOAD, found, False, why, tuple(evidence), confidence)
    claimed = min(r.minimum for r in sized)
    ratio = candidate.credits_ects.maximum / claimed
    found += f" against {claimed:g} ECTS for the smallest module in question"
    substantial = ratio < rules.workload_bridgeable_ratio
    reason = (
        "sufficient"
        if ratio >= rules.workload_min_ratio
        else "short, but bridgeable with additional credits"
        if not substantial
        else "far below the module's workload: a substantial difference"
    )
    return Finding(Element.WORKLOAD, found, substantial, reason, tuple(evidence), confidence)


# --- the recommendation ------------------------------------------------------------------------


def _allocate(
    candidate: Candidate, decisions: Sequence[ModuleDecision]
) -> tuple[list[ModuleDecision], Range | None]:
    """Modules the credential replaces, best covered first, within its credits."""
    replaced = [d for d in decisions if d.decision == "replace"]
    if candidate.credits_ects is None:
        return replaced[:1], None
    budget = candidate.credits_ects.maximum
    chosen: list[ModuleDecision] = []
    low = high = 0.0
    for d in replaced:
        need = d.credits_ects.minimum if d.credits_ects else 0.0
        if need <= budget + 1e-9:
            chosen.append(d)
            budget -= need
            low += need
            high += d.credits_ects.maximum if d.credits_ects else 0.0
    return chosen, (Range(low, high) if chosen else None)


def recommend(
    candidate: Candidate,
    target: Target,
    match: CandidateMatch | None,
    policy: RecognitionPolicy,
    *,
    purpose: Purpose,
    relate: Relate | None = None,
    lexical_only: bool = False,
) -> Recommendation:
    """Recommend recognition of ``candidate`` (a credential) for ``purpose`` in ``target``.

    Args:
        candidate: the credential in engine terms, its :class:`CandidateFacts` attached.
        target: the target framework and, optionally, a programme with its modules.
        match: how the credential's outcomes cover each module (the engine's aligner).
        policy: the versioned recognition policy.
        purpose: why recognition is sought.
        relate: relates two national levels in the most specific frame with a basis.
        lexical_only: the outcomes were aligned without an embedding model.

    Example:
        >>> from tests.core.test_recognition import POLICY, aligned, credential, matched
        >>> from tests.core.test_recognition import module, target
        >>> rec = recommend(credential(eqf=6, ects=5), target(module("M1", ects=5, eqf=6)),
        ...                 matched(aligned("M1", 0.9)), POLICY, purpose=Purpose.CREDIT_TRANSFER)
        >>> rec.outcome.value, [m.code for m in rec.modules if m.decision == "replace"]
        ('full', ['M1'])
    """
    rules = policy.for_purpose(purpose)
    decisions = _module_decisions(candidate, target, match, rules, relate)
    level = assess_level(candidate, target, rules, policy, relate)
    outcomes = assess_outcomes(
        candidate, target, match, decisions, rules, policy, lexical_only=lexical_only
    )
    workload = assess_workload(candidate, decisions, rules, policy)
    quality = assess_quality(candidate, rules, policy)
    profile = assess_profile(candidate)
    findings = (level, workload, quality, profile, outcomes)

    conditions: list[str] = []
    alternative: str | None = None
    recognised: Range | None = None
    if quality.substantial or (quality.substantial is None and rules.quality_required):
        conditions.append("verify the quality assurance of the awarding body")
    if level.substantial is None:
        conditions.append("establish the level of the credential (none stated or referenced)")

    chosen, recognised = _allocate(candidate, decisions)
    near = [d for d in decisions if d.decision == "conditional"]
    comparison = _facts(candidate).level_comparison
    own_level = (
        f"{comparison.target.id} level {comparison.matches[0].level.code}"
        if comparison is not None and comparison.matches
        else (f"EQF level {candidate.eqf_level}" if candidate.eqf_level else None)
    )
    unassessed = [f for f in (level, workload, quality) if f.substantial is None and f.request]
    electives = elective_credits(target, candidate.credits_ects)

    if outcomes.substantial is None and outcomes.request and unassessed:
        outcome = Outcome.INSUFFICIENT_INFORMATION
        conditions = []
    elif level.substantial:
        outcome = Outcome.ALTERNATIVE if own_level else Outcome.REFUSAL
        if own_level:
            alternative = (
                f"recognition at the credential's own level ({own_level}) rather than at the "
                "target's level"
            )
    elif purpose is Purpose.CREDIT_TRANSFER and target.modules:
        if chosen:
            used = recognised.minimum if recognised else 0.0
            full_use = (
                candidate.credits_ects is None
                or used >= candidate.credits_ects.minimum * rules.workload_min_ratio
            )
            outcome = Outcome.FULL if full_use and not conditions else Outcome.PARTIAL
            if outcome is Outcome.PARTIAL and conditions:
                outcome = Outcome.CONDITIONAL
        elif near:
            outcome = Outcome.CONDITIONAL
            for d in near[:3]:
                what = f"an assessment of the uncovered outcomes of {d.code}"
                if d.uncovered_outcomes:
                    what += " (" + "; ".join(d.uncovered_outcomes[:3]) + ")"
                conditions.append(what)
                if d.credits_short > 0:
                    conditions.append(f"{d.credits_short:g} additional ECTS towards {d.code}")
        elif electives is not None and outcomes.substantial is not None:
            # Electives absorb credits; a compulsory module is exempted only by its outcomes.
            outcome = Outcome.ALTERNATIVE
            allowed = range_text(target.elective_ects)
            alternative = (
                f"{range_text(electives)} ECTS recognised as elective credits at "
                f"{own_level or 'its level'} (the programme allows {allowed} ECTS of "
                "electives), without exempting a compulsory module"
            )
        elif outcomes.request:  # nothing but titles or placeholders to compare
            outcome = Outcome.INSUFFICIENT_INFORMATION
        elif outcomes.substantial:
            outcome = Outcome.REFUSAL
        else:
            outcome = Outcome.CONDITIONAL
            conditions.append("provide learning outcomes and credits to compare")
    else:
        outcome = Outcome.CONDITIONAL if conditions else Outcome.FULL
        if workload.substantial:
            outcome = Outcome.PARTIAL

    if outcome is Outcome.CONDITIONAL and not conditions:
        conditions.append("review by a recognition officer")
    missing = tuple(
        f.element.value
        for f in findings
        if f.request and (f.substantial is None or f.element is Element.LEARNING_OUTCOMES)
    )
    documents = tuple(dict.fromkeys(d for f in findings for d in f.request))
    always = (Element.LEVEL, Element.WORKLOAD, Element.QUALITY)
    known = [f.confidence for f in findings if f.substantial is not None or f.element in always]
    confidence = min(known) if known else 0.5
    if any(f.substantial is None for f in (level, workload, outcomes)):
        confidence *= 0.8
    notes = tuple(
        f"{f.element.value.replace('_', ' ')}: {f.reason}"
        for f in findings
        if f.confidence < 1 and f.element is not Element.PROFILE
    )
    rec = Recommendation(
        outcome=outcome,
        purpose=purpose,
        findings=findings,
        modules=decisions,
        recognised_credits_ects=recognised,
        conditions=tuple(conditions),
        alternative=alternative,
        confidence=round(confidence, 4),
        justification="",
        policy_version=policy.version,
        missing=missing if outcome is Outcome.INSUFFICIENT_INFORMATION else (),
        documents=documents,
        confidence_notes=notes,
    )
    return replace(rec, justification=_justification(rec, candidate, target, chosen))


def _justification(
    rec: Recommendation, candidate: Candidate, target: Target, chosen: Sequence[ModuleDecision]
) -> str:
    title = f"«{candidate.title}»" if candidate.title else "the micro-credential"
    issued = _facts(candidate).issued_on
    where = target.title or target.framework
    outcome = rec.outcome.value.replace("_", " ").upper()
    lines = [
        f"Recommendation for {title}"
        + (f" (awarded {issued.isoformat()})" if issued else "")
        + f", for {rec.purpose.value.replace('_', ' ')} in {where}: {outcome}."
    ]
    verdicts = {True: "substantial difference", False: "no substantial difference", None: ""}
    for f in rec.findings:
        lines.append(
            f"- {f.element.value.replace('_', ' ').capitalize()}: {f.finding} — "
            f"{verdicts[f.substantial] or 'not assessable'}: {f.reason}."
        )
    if chosen:
        lines.append(
            "Modules the credential can replace: "
            + ", ".join(f"{d.code} {d.title} ({range_text(d.credits_ects)} ECTS)" for d in chosen)
            + "."
        )
    if rec.outcome is Outcome.INSUFFICIENT_INFORMATION:
        lines.append(
            "Not assessable: " + ", ".join(m.replace("_", " ") for m in rec.missing) + ". "
            "Documents to request: " + "; ".join(rec.documents) + "."
        )
    if rec.conditions:
        lines.append("Conditions: " + "; ".join(rec.conditions) + ".")
    if rec.alternative:
        lines.append(f"Alternative: {rec.alternative}.")
    lines.append(
        "Under the Lisbon Recognition Convention, recognition is granted unless a substantial "
        f"difference is shown; this recommendation follows policy {rec.policy_version} and must "
        "be confirmed by a recognition officer."
    )
    return "\n".join(lines)
