"""Recognition recommendations reasoned the way the Lisbon Recognition Convention asks.

``recommend(credential, target, alignments, policy, purpose=...)`` weighs five elements — level,
workload, quality, profile and learning outcomes — and for each says what was found, whether it
is a *substantial* difference *for this purpose* (thresholds from the versioned policy), and the
evidence. The outcome follows a fixed order, so refusal is the last resort:

1. ``full`` — no substantial difference (for credit transfer: modules replaced whose credits
   match the credential's);
2. ``partial`` — some modules can be replaced, or only part of the credential's credits used;
3. ``conditional`` — the differences can be bridged (assess uncovered outcomes, add credits,
   verify quality assurance), each condition named;
4. ``alternative`` — not what was asked, but something else is comparable (the credential's own
   level in the target framework; elective credits instead of module exemptions);
5. ``refusal`` — only when a substantial difference remains and nothing above applies.

The function is pure: the service gathers the facts (level comparison through the graph, credit
conversion, outcome alignment per module) and stores the result with its evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.credits import Conversion, Range
from app.core.transfer.types import PurposePolicy
from app.core.types import Comparison, LevelKey


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


class Element(StrEnum):
    LEVEL = "level"
    WORKLOAD = "workload"
    QUALITY = "quality"
    PROFILE = "profile"
    LEARNING_OUTCOMES = "learning_outcomes"


# --- policy ----------------------------------------------------------------------------------


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

    def for_purpose(self, purpose: Purpose) -> PurposePolicy:
        return self.purposes[purpose]


# --- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What the service established about the credential (nothing here is guessed)."""

    title: str | None
    issued_on: dt.date | None
    eqf_level: int | None
    nqf_level: LevelKey | None
    level_comparison: Comparison | None  # credential level → target framework, as of issued_on
    credits_ects: Range | None
    credit_conversion: Conversion | None
    workload_hours: float | None
    quality_assurance: tuple[str, ...]
    outcomes: tuple[str, ...]
    esco_skills: frozenset[str] = frozenset()
    awarding_body: str | None = None


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    code: str
    title: str
    credits_ects: Range | None
    eqf_level: int | None
    outcomes: tuple[str, ...]
    esco_skills: frozenset[str] = frozenset()
    compulsory: bool = True


@dataclass(frozen=True, slots=True)
class TargetFacts:
    framework: str
    qualification_id: str | None = None
    qualification_title: str | None = None
    eqf_level: int | None = None
    level: LevelKey | None = None
    modules: tuple[ModuleFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomePair:
    source_index: int
    target_index: int
    score: float


@dataclass(frozen=True, slots=True)
class ModuleAlignment:
    """How the credential's outcomes cover one module's outcomes (from the alignment engine)."""

    module_code: str
    coverage: float
    pairs: tuple[OutcomePair, ...]
    uncovered: tuple[int, ...]
    lexical_only: bool = False


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """A pointer to what supports a statement: kind, reference and detail."""

    kind: str  # "level_edge", "credit_rule", "outcome_pair", "quality_assurance", "skill", ...
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


@dataclass(frozen=True, slots=True)
class ModuleDecision:
    code: str
    title: str
    decision: str  # "replace", "conditional", "not_replaced"
    coverage: float
    credits_ects: Range | None
    reasons: tuple[str, ...]
    uncovered_outcomes: tuple[str, ...] = ()


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

    def finding(self, element: Element) -> Finding:
        return next(f for f in self.findings if f.element is element)


# --- the elements ----------------------------------------------------------------------------


def _range_text(r: Range | None) -> str:
    if r is None:
        return "unknown"
    return f"{r.minimum:g}" if r.exact else f"{r.minimum:g}–{r.maximum:g}"


def assess_level(
    credential: CredentialFacts,
    target: TargetFacts,
    rules: PurposePolicy,
    policy: RecognitionPolicy,
) -> Finding:
    """Level: the credential's EQF level (stated or through its NQF level) against the target's."""
    evidence: list[Evidence] = []
    comparison = credential.level_comparison
    credential_eqf = credential.eqf_level
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
            if credential_eqf is None:
                credential_eqf = comparison.matches[0].eqf_level
    if credential_eqf is None:
        reason = "the credential states no EQF level and its NQF level is not referenced"
        if comparison is not None and comparison.reason is not None:
            reason = (
                f"no comparable level: {comparison.reason.value} ({'; '.join(comparison.notes)})"
            )
        return Finding(
            Element.LEVEL,
            "level unknown",
            None,
            reason,
            tuple(evidence),
            policy.missing_level_confidence,
        )
    found = f"credential at EQF {credential_eqf}"
    if comparison is not None and comparison.matches:
        best = comparison.matches[0]
        found += (
            f", comparable to {comparison.target.id} level {best.level.code} "
            f"({best.match_type.value} match)"
        )
    if target.eqf_level is None:
        return Finding(
            Element.LEVEL,
            found,
            False,
            "the target states no level to compare with",
            tuple(evidence),
            confidence,
        )
    gap = target.eqf_level - credential_eqf
    found += f"; target at EQF {target.eqf_level}"
    if gap >= rules.level_substantial_if_below_by:
        return Finding(
            Element.LEVEL,
            found,
            True,
            f"the credential is {gap} EQF level(s) below the target; the policy treats "
            f"{rules.level_substantial_if_below_by} or more as substantial for this purpose",
            tuple(evidence),
            confidence,
        )
    return Finding(
        Element.LEVEL,
        found,
        False,
        "the level difference is within the policy's tolerance for this purpose"
        if gap > 0
        else "the credential's level meets or exceeds the target's",
        tuple(evidence),
        confidence,
    )


def assess_quality(credential: CredentialFacts, rules: PurposePolicy) -> Finding:
    """Quality: the QA or accreditation the credential states — as found, never invented."""
    if credential.quality_assurance:
        return Finding(
            Element.QUALITY,
            "quality assurance stated: " + "; ".join(credential.quality_assurance),
            False,
            "the credential names its quality assurance (not verified against a register)",
            tuple(
                Evidence("quality_assurance", qa, "as stated in the credential")
                for qa in credential.quality_assurance
            ),
        )
    if rules.quality_required:
        return Finding(
            Element.QUALITY,
            "no quality-assurance information in the credential",
            True,
            "quality assurance cannot be established from the document; it must be verified "
            "with the awarding body before recognition",
        )
    return Finding(
        Element.QUALITY,
        "no quality-assurance information in the credential",
        False,
        "not required for this purpose; stated as missing",
    )


def assess_profile(credential: CredentialFacts, target: TargetFacts) -> Finding:
    """Profile: ESCO skills the credential and the target's modules have in common."""
    target_skills: frozenset[str] = frozenset().union(*(m.esco_skills for m in target.modules))
    if not credential.esco_skills or not target_skills:
        return Finding(
            Element.PROFILE,
            "no ESCO skills to compare"
            if not credential.esco_skills
            else "the target's modules carry no ESCO skills",
            None,
            "the profile is judged on the learning outcomes alone",
        )
    common = sorted(credential.esco_skills & target_skills)
    share = len(common) / len(credential.esco_skills)
    return Finding(
        Element.PROFILE,
        f"{len(common)} of the credential's {len(credential.esco_skills)} ESCO skills appear in "
        "the target's modules",
        None,
        "shared skills support the outcome alignment; the profile alone is not decisive",
        tuple(Evidence("skill", uri, "in common") for uri in common[:20]),
        confidence=0.5 + 0.5 * share,
    )


def _module_decision(
    credential: CredentialFacts,
    module: ModuleFacts,
    alignment: ModuleAlignment | None,
    rules: PurposePolicy,
) -> ModuleDecision:
    coverage = alignment.coverage if alignment else 0.0
    reasons: list[str] = []
    decision = "not_replaced"
    if alignment is None or not module.outcomes:
        reasons.append("the module publishes no learning outcomes to compare")
    elif coverage >= rules.replace_coverage:
        decision = "replace"
        reasons.append(
            f"{coverage:.0%} of the module's outcomes covered (≥ {rules.replace_coverage:.0%})"
        )
    elif coverage >= rules.conditional_coverage:
        decision = "conditional"
        reasons.append(
            f"{coverage:.0%} of the module's outcomes covered: between "
            f"{rules.conditional_coverage:.0%} and {rules.replace_coverage:.0%}"
        )
    else:
        reasons.append(f"only {coverage:.0%} of the module's outcomes covered")
    if decision != "not_replaced" and credential.eqf_level and module.eqf_level:
        gap = module.eqf_level - credential.eqf_level
        if gap >= rules.level_substantial_if_below_by:
            decision = "not_replaced"
            reasons.append(f"the module is at EQF {module.eqf_level}, {gap} above the credential")
    if decision != "not_replaced" and credential.credits_ects and module.credits_ects:
        ratio = credential.credits_ects.maximum / module.credits_ects.minimum
        if ratio < rules.workload_bridgeable_ratio:
            decision = "not_replaced"
            reasons.append(
                f"the credential's {_range_text(credential.credits_ects)} ECTS are far below the "
                f"module's {_range_text(module.credits_ects)}"
            )
        elif ratio < rules.workload_min_ratio:
            decision = "conditional"
            reasons.append(
                f"the credential's {_range_text(credential.credits_ects)} ECTS fall short of the "
                f"module's {_range_text(module.credits_ects)} (bridging credits needed)"
            )
    uncovered: tuple[str, ...] = ()
    if alignment is not None:
        uncovered = tuple(
            module.outcomes[i] for i in alignment.uncovered if 0 <= i < len(module.outcomes)
        )
    return ModuleDecision(
        module.code,
        module.title,
        decision,
        round(coverage, 4),
        module.credits_ects,
        tuple(reasons),
        uncovered,
    )


def assess_outcomes(
    credential: CredentialFacts,
    target: TargetFacts,
    alignments: Sequence[ModuleAlignment],
    rules: PurposePolicy,
    policy: RecognitionPolicy,
) -> tuple[Finding, tuple[ModuleDecision, ...]]:
    """Learning outcomes: which modules the credential's outcomes cover, and how well."""
    by_code = {a.module_code: a for a in alignments}
    decisions = tuple(
        sorted(
            (_module_decision(credential, m, by_code.get(m.code), rules) for m in target.modules),
            key=lambda d: (-{"replace": 2, "conditional": 1}.get(d.decision, 0), -d.coverage),
        )
    )
    if not credential.outcomes:
        return Finding(
            Element.LEARNING_OUTCOMES,
            "the credential states no learning outcomes",
            None,
            "learning outcomes cannot be compared; ask the awarding body for them",
            confidence=0.5,
        ), decisions
    if not target.modules:
        return Finding(
            Element.LEARNING_OUTCOMES,
            f"{len(credential.outcomes)} learning outcomes stated; no target modules to compare",
            None,
            "give a qualification or programme to compare learning outcomes with",
        ), decisions
    evidence = []
    for a in alignments:
        module = next((m for m in target.modules if m.code == a.module_code), None)
        if module is None:
            continue
        for p in a.pairs[:5]:
            if 0 <= p.source_index < len(credential.outcomes) and 0 <= p.target_index < len(
                module.outcomes
            ):
                evidence.append(
                    Evidence(
                        "outcome_pair",
                        f"{module.code}#{p.target_index}",
                        f"{p.score:.2f}: «{credential.outcomes[p.source_index]}» ↔ "
                        f"«{module.outcomes[p.target_index]}»",
                    )
                )
    replaced = [d for d in decisions if d.decision == "replace"]
    near = [d for d in decisions if d.decision == "conditional"]
    best = decisions[0] if decisions else None
    lexical_only = any(a.lexical_only for a in alignments)
    confidence = policy.lexical_only_confidence if lexical_only else 1.0
    if replaced:
        found = "covers the outcomes of " + ", ".join(
            f"{d.code} ({d.coverage:.0%})" for d in replaced
        )
        return Finding(
            Element.LEARNING_OUTCOMES,
            found,
            False,
            "no substantial difference for the modules listed",
            tuple(evidence),
            confidence,
        ), decisions
    if near:
        found = "partly covers " + ", ".join(f"{d.code} ({d.coverage:.0%})" for d in near)
        return Finding(
            Element.LEARNING_OUTCOMES,
            found,
            False,
            "the differences can be bridged by assessing the uncovered outcomes",
            tuple(evidence),
            confidence,
        ), decisions
    found = (
        f"best module coverage {best.coverage:.0%} ({best.code})" if best else "no module compared"
    )
    return Finding(
        Element.LEARNING_OUTCOMES,
        found,
        True,
        f"no module's outcomes are covered to {rules.conditional_coverage:.0%}: a substantial "
        "difference for exempting modules",
        tuple(evidence),
        confidence,
    ), decisions


def assess_workload(
    credential: CredentialFacts,
    target: TargetFacts,
    decisions: Sequence[ModuleDecision],
    rules: PurposePolicy,
    policy: RecognitionPolicy,
) -> Finding:
    """Workload: the credential's credits (converted to ECTS, a range) against what is claimed."""
    evidence: list[Evidence] = []
    confidence = 1.0
    conversion = credential.credit_conversion
    if conversion is not None:
        for step in conversion.steps:
            evidence.append(
                Evidence(
                    "credit_rule",
                    f"{step.rule.source} → {step.rule.target}",
                    f"{step.rule.kind.value}: factor {_range_text(step.rule.factor)}"
                    + (f" ({step.rule.note})" if step.rule.note else "")
                    + "; "
                    + "; ".join(s.title for s in step.rule.sources),
                )
            )
        kind = conversion.kind.value if conversion.steps else "identity"
        confidence = policy.conversion_confidence.get(kind, 1.0)
    if credential.credits_ects is None:
        hours = (
            f"; workload stated as {credential.workload_hours:g} hours"
            if credential.workload_hours
            else ""
        )
        return Finding(
            Element.WORKLOAD,
            "no credits stated" + hours,
            None,
            "the workload cannot be compared in credits",
            tuple(evidence),
            policy.missing_credits_confidence,
        )
    found = f"{_range_text(credential.credits_ects)} ECTS"
    if conversion is not None and conversion.steps:
        found += f" (from {conversion.value:g} {conversion.source})"
    wanted = [d for d in decisions if d.decision in ("replace", "conditional") and d.credits_ects]
    if not wanted or rules.workload_min_ratio == 0:
        return Finding(
            Element.WORKLOAD,
            found,
            False,
            "no module credits to compare with"
            if not wanted
            else "workload is not a criterion for this purpose",
            tuple(evidence),
            confidence,
        )
    claimed = min(d.credits_ects.minimum for d in wanted if d.credits_ects)
    ratio = credential.credits_ects.maximum / claimed
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


# --- the recommendation ----------------------------------------------------------------------


def _allocate(
    credential: CredentialFacts, decisions: Sequence[ModuleDecision]
) -> tuple[list[ModuleDecision], Range | None]:
    """Modules the credential replaces, best covered first, within its credits."""
    replaced = [d for d in decisions if d.decision == "replace"]
    if credential.credits_ects is None:
        return replaced[:1], None
    budget = credential.credits_ects.maximum
    chosen: list[ModuleDecision] = []
    low = high = 0.0
    for d in replaced:
        need = d.credits_ects.minimum if d.credits_ects else 0.0
        if need <= budget + 1e-9:
            chosen.append(d)
            budget -= need
            low += d.credits_ects.minimum if d.credits_ects else 0.0
            high += d.credits_ects.maximum if d.credits_ects else 0.0
    return chosen, (Range(low, high) if chosen else None)


def recommend(
    credential: CredentialFacts,
    target: TargetFacts,
    alignments: Sequence[ModuleAlignment],
    policy: RecognitionPolicy,
    *,
    purpose: Purpose,
) -> Recommendation:
    """Recommend recognition of ``credential`` for ``purpose`` in ``target``.

    Args:
        credential: facts about the micro-credential (level comparison, credits in ECTS, QA...).
        target: the target framework and, optionally, a qualification with its modules.
        alignments: outcome coverage of each target module by the credential's outcomes.
        policy: the versioned recognition policy.
        purpose: why recognition is sought.

    Returns:
        A :class:`Recommendation` whose every finding carries its reason and evidence.

    Example:
        >>> from tests.core.test_recognition import POLICY, credential, module, aligned
        >>> rec = recommend(credential(eqf=6, ects=5), TargetFacts("IE-NFQ", eqf_level=6,
        ...                 modules=(module("M1", ects=5, eqf=6),)), [aligned("M1", 0.9)],
        ...                 POLICY, purpose=Purpose.CREDIT_TRANSFER)
        >>> rec.outcome.value, [m.code for m in rec.modules if m.decision == "replace"]
        ('full', ['M1'])
    """
    rules = policy.for_purpose(purpose)
    level = assess_level(credential, target, rules, policy)
    outcomes, decisions = assess_outcomes(credential, target, alignments, rules, policy)
    workload = assess_workload(credential, target, decisions, rules, policy)
    quality = assess_quality(credential, rules)
    profile = assess_profile(credential, target)
    findings = (level, workload, quality, profile, outcomes)

    conditions: list[str] = []
    alternative: str | None = None
    recognised: Range | None = None
    if quality.substantial:
        conditions.append("verify the quality assurance of the awarding body")
    if level.substantial is None:
        conditions.append("establish the level of the credential (none stated or referenced)")

    chosen, recognised = _allocate(credential, decisions)
    near = [d for d in decisions if d.decision == "conditional"]
    comparison = credential.level_comparison
    own_level = (
        f"{comparison.target.id} level {comparison.matches[0].level.code}"
        if comparison is not None and comparison.matches
        else (f"EQF level {credential.eqf_level}" if credential.eqf_level else None)
    )

    if level.substantial:
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
                credential.credits_ects is None
                or used >= credential.credits_ects.minimum * rules.workload_min_ratio
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
                if any("bridging credits" in r for r in d.reasons) and d.credits_ects:
                    short = d.credits_ects.minimum - (
                        credential.credits_ects.maximum if credential.credits_ects else 0
                    )
                    if short > 0:
                        conditions.append(f"{short:g} additional ECTS towards {d.code}")
        elif credential.credits_ects is not None and level.substantial is False:
            outcome = Outcome.ALTERNATIVE
            alternative = (
                f"{_range_text(credential.credits_ects)} ECTS recognised as elective credits at "
                f"{own_level or 'its level'}, without exempting a specific module"
            )
        else:
            outcome = Outcome.REFUSAL if outcomes.substantial else Outcome.CONDITIONAL
            if outcome is Outcome.CONDITIONAL:
                conditions.append("provide learning outcomes and credits to compare")
    else:
        outcome = Outcome.CONDITIONAL if conditions else Outcome.FULL
        if workload.substantial:
            outcome = Outcome.PARTIAL

    if outcome is Outcome.CONDITIONAL and not conditions:
        conditions.append("review by a recognition officer")
    known = [
        f.confidence
        for f in findings
        if f.substantial is not None or f.element in (Element.LEVEL, Element.WORKLOAD)
    ]
    confidence = round(min(known) if known else 0.5, 4)
    if any(f.substantial is None for f in (level, workload, outcomes)):
        confidence = round(confidence * 0.8, 4)
    rec = Recommendation(
        outcome=outcome,
        purpose=purpose,
        findings=findings,
        modules=tuple(decisions),
        recognised_credits_ects=recognised,
        conditions=tuple(conditions),
        alternative=alternative,
        confidence=confidence,
        justification="",
        policy_version=policy.version,
    )
    return _with_justification(rec, credential, target, chosen)


def _with_justification(
    rec: Recommendation,
    credential: CredentialFacts,
    target: TargetFacts,
    chosen: Sequence[ModuleDecision],
) -> Recommendation:
    title = f"«{credential.title}»" if credential.title else "the micro-credential"
    where = target.qualification_title or target.framework
    lines = [
        f"Recommendation for {title}"
        + (f" (awarded {credential.issued_on.isoformat()})" if credential.issued_on else "")
        + f", for {rec.purpose.value.replace('_', ' ')} in {where}: {rec.outcome.value.upper()}."
    ]
    for f in rec.findings:
        verdict = {
            True: "substantial difference",
            False: "no substantial difference",
            None: "not assessable",
        }[f.substantial]
        lines.append(
            f"- {f.element.value.replace('_', ' ').capitalize()}: {f.finding} — "
            f"{verdict}: {f.reason}."
        )
    if chosen:
        lines.append(
            "Modules the credential can replace: "
            + ", ".join(f"{d.code} {d.title} ({_range_text(d.credits_ects)} ECTS)" for d in chosen)
            + "."
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
    return Recommendation(
        rec.outcome,
        rec.purpose,
        rec.findings,
        rec.modules,
        rec.recognised_credits_ects,
        rec.conditions,
        rec.alternative,
        rec.confidence,
        "\n".join(lines),
        rec.policy_version,
    )
