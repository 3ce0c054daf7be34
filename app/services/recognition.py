"""Recognition use cases: recommend, store as an immutable record, review, verify, list.

A recommendation gathers the facts (the credential's level compared through the graph as of its
award date, its credits converted to ECTS, its outcomes aligned with each module of the target
programme), asks the pure core (:func:`app.core.recognition.recommend`) for the reasoning, finds
similar earlier decisions (precedents), and appends the whole — inputs, findings, evidence,
versions of data, model and policy — to the hash-chained record store. A human then confirms or
amends it; reviews are appended, never rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from app import __version__
from app.adapters.db.models_recognition import RecognitionRecordRow, RecognitionReviewRow
from app.adapters.db.recognition_repository import NewRecord, RecognitionRepository
from app.core.alignment import Alignment, align
from app.core.catalogue import Cycle, Module, Programme
from app.core.credentials import MicroCredential, SourceFormat, credential_from_json
from app.core.credits import Conversion, CreditSystems, Range, convert
from app.core.errors import DomainError, InvalidInput
from app.core.outcome_policy import AlignPolicy
from app.core.ports import Embedder
from app.core.recognition import (
    CredentialFacts,
    Finding,
    ModuleAlignment,
    ModuleFacts,
    Outcome,
    OutcomePair,
    Purpose,
    RecognitionPolicy,
    Recommendation,
    TargetFacts,
    recommend,
)
from app.core.records import canonical
from app.core.types import EQF_ID, Comparison, LevelKey
from app.services.catalogue import CatalogueService
from app.services.credentials import CredentialService
from app.services.registry import Registry

T = TypeVar("T")

_CYCLE_EQF = {Cycle.SHORT: 5, Cycle.FIRST: 6, Cycle.SECOND: 7, Cycle.THIRD: 8}


def credential_ects(
    systems: CreditSystems, c: MicroCredential
) -> tuple[Conversion | None, list[str]]:
    """A credential's credits in ECTS, with the conversion's rule and source, and notes.

    Its stated credits when their system converts, else its workload in hours (ECTS: 25–30
    hours per credit), else ``None``. Used by recognition and by articulation alike, so a
    credential weighs the same in both.
    """
    notes: list[str] = []
    if c.credits is not None and c.credits.system.casefold() not in ("unspecified", ""):
        try:
            return convert(systems, c.credits.value, c.credits.system, "ects"), notes
        except DomainError as exc:
            notes.append(f"credits of {c.credits.value:g} {c.credits.system}: {exc.message}")
    if c.workload_hours:
        conv = convert(systems, c.workload_hours, "hours", "ects")
        notes.append(
            f"credits derived from the workload of {c.workload_hours:g} hours "
            "(25–30 hours per ECTS)"
        )
        return conv, notes
    return None, notes


def module_eqf(registry: Registry, module: Module, programme: Programme) -> int | None:
    """A module's EQF level: through its framework level, else its QF-EHEA cycle, else the
    programme's. Recognition, articulation and pathways all place modules this way."""
    if module.level is not None:
        edges = registry.eqf_edges(module.level)
        if edges:
            return int(edges[0].target.code)
        if module.level.framework == EQF_ID:
            return int(module.level.code)
    if module.cycle is not None:
        return _CYCLE_EQF.get(module.cycle)
    return programme.eqf_level


# --- a text-keyed embedding cache: catalogue outcomes are embedded once, not per request --------


class CachedEmbedder:
    """Wraps an embedder with a bounded LRU cache of vectors per text."""

    def __init__(self, inner: Embedder, maxsize: int = 100_000) -> None:
        self.inner = inner
        self.maxsize = maxsize
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def model_version(self) -> str:
        return self.inner.model_version

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def multilingual(self) -> bool:
        return self.inner.multilingual

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.inner.encode(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._cache[text] = vec
                while len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        with self._lock:
            out = (
                np.stack([self._cache[t] for t in texts])
                if texts
                else np.zeros((0, self.dimension), dtype=np.float32)
            )
            for t in texts:
                self._cache.move_to_end(t)
        return out.astype(np.float32, copy=False)


@dataclass(frozen=True, slots=True)
class Aligner:
    """How outcomes are aligned: an embedder (or none: lexical only), a policy, a thread."""

    embedder: Embedder | None
    policy: AlignPolicy
    model_id: str
    model_version: str
    run: Callable[[Callable[[], Alignment]], Alignment]
    warnings: tuple[str, ...] = ()

    @classmethod
    def lexical(cls) -> Aligner:
        return cls(
            None,
            AlignPolicy(),
            "lexical-only",
            "rapidfuzz",
            lambda fn: fn(),
            ("no embedding model: outcomes are aligned lexically only",),
        )


@dataclass(frozen=True, slots=True)
class RecognitionCommand:
    target: str
    purpose: Purpose
    credential_id: str | None = None
    credential_document: Any = None
    credential_format: SourceFormat | None = None
    qualification_id: str | None = None
    as_of: dt.date | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewCommand:
    action: str  # "confirm" | "amend"
    reviewer: str
    reason: str
    outcome: Outcome | None = None
    conditions: tuple[str, ...] = ()
    note: str | None = None


# --- JSON forms --------------------------------------------------------------------------------


def _range(r: Range | None) -> dict[str, float] | None:
    return None if r is None else {"min": round(r.minimum, 4), "max": round(r.maximum, 4)}


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "finding": f.finding,
        "substantial": f.substantial,
        "reason": f.reason,
        "confidence": round(f.confidence, 4),
        "evidence": [
            {"kind": e.kind, "reference": e.reference, "detail": e.detail} for e in f.evidence
        ],
    }


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    return {
        "outcome": rec.outcome.value,
        "confidence": rec.confidence,
        "elements": {f.element.value: _finding(f) for f in rec.findings},
        "modules": [
            {
                "code": m.code,
                "title": m.title,
                "decision": m.decision,
                "coverage": m.coverage,
                "credits_ects": _range(m.credits_ects),
                "reasons": list(m.reasons),
                "uncovered_outcomes": list(m.uncovered_outcomes),
            }
            for m in rec.modules
        ],
        "recognised_credits_ects": _range(rec.recognised_credits_ects),
        "conditions": list(rec.conditions),
        "alternative": rec.alternative,
        "justification": rec.justification,
    }


def _conversion_json(c: Conversion | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "value": c.value,
        "from": c.source,
        "to": c.target,
        "result": _range(c.result),
        "kind": c.kind.value if c.steps else "identity",
        "warnings": list(c.warnings),
    }


def record_json(
    row: RecognitionRecordRow, reviews: Sequence[RecognitionReviewRow]
) -> dict[str, Any]:
    """A record as the API shows it: the stored payload, its chain links and its history."""
    current = reviews[-1].outcome if reviews else row.outcome
    return {
        "id": row.id,
        "seq": row.seq,
        "created_at": row.created_at,
        **row.payload,
        "status": "reviewed" if reviews else "pending_review",
        "current_outcome": current,
        "reviews": [
            {
                "seq": r.seq,
                "created_at": r.created_at,
                "action": r.action,
                "outcome": r.outcome,
                "reviewer": r.reviewer,
                "reason": r.reason,
                **r.payload,
                "review_hash": r.review_hash,
                "prev_hash": r.prev_hash,
            }
            for r in reviews
        ],
        "record": {
            "input_hash": row.input_hash,
            "record_hash": row.record_hash,
            "prev_hash": row.prev_hash,
            "policy_version": row.policy_version,
            "data_release": row.data_release,
            "model_id": row.model_id,
        },
    }


# --- the service -------------------------------------------------------------------------------


class RecognitionService:
    def __init__(
        self,
        registry: Registry,
        credit_systems: CreditSystems,
        policy: RecognitionPolicy,
        policy_sha256: str,
        credentials: CredentialService,
        catalogue: CatalogueService,
        aligner: Aligner,
    ) -> None:
        self.registry = registry
        self.credit_systems = credit_systems
        self.policy = policy
        self.policy_sha256 = policy_sha256
        self.credentials = credentials
        self.catalogue = catalogue
        self.aligner = aligner

    # --- facts ---------------------------------------------------------------------------

    def _credential(
        self, session: Session, cmd: RecognitionCommand
    ) -> tuple[MicroCredential, str | None, str, list[str]]:
        """The credential, its stored id, its content hash and import warnings."""
        if cmd.credential_id is not None:
            stored = self.credentials.get(session, cmd.credential_id)
            return credential_from_json(stored.credential), stored.id, stored.content_hash, []
        if cmd.credential_document is None:
            raise InvalidInput("/credential", "give a credential document or a credential_id")
        data = (
            cmd.credential_document
            if isinstance(cmd.credential_document, (str, bytes))
            else json.dumps(cmd.credential_document)
        )
        try:
            report = self.credentials.read(
                data, forced=cmd.credential_format, language=cmd.language
            )
        except DomainError as exc:
            # The document is nested in the request: point at it from the request's root.
            if exc.field is not None and (exc.field == "" or exc.field.startswith("/")):
                exc.field = "/credential" + exc.field
            raise
        stored = self.credentials.store(session, report)
        return (
            report.credential,
            stored.id,
            stored.content_hash,
            [w.message for w in report.warnings],
        )

    def _credits(self, c: MicroCredential) -> tuple[Range | None, Conversion | None, list[str]]:
        conv, notes = credential_ects(self.credit_systems, c)
        return (conv.result if conv else None), conv, notes

    def _level_comparison(
        self, c: MicroCredential, target: str, as_of: dt.date | None
    ) -> Comparison | None:
        source: LevelKey | None = c.level.nqf
        if source is None and c.level.eqf is not None:
            source = LevelKey(EQF_ID, str(c.level.eqf))
        if source is None:
            return None
        from app.core.levels import compare_level

        return compare_level(self.registry.graph, source, target, as_of=as_of)

    def _module_credits(self, m: Module) -> Range | None:
        if m.credits is None:
            return None
        try:
            return convert(self.credit_systems, m.credits.value, m.credits.system, "ects").result
        except DomainError:
            return None

    def _align(self, outcomes: Sequence[str], modules: Sequence[Module]) -> list[ModuleAlignment]:
        """One alignment of the credential's outcomes against every module outcome at once."""
        flat: list[str] = []
        owner: list[tuple[int, int]] = []
        for mi, m in enumerate(modules):
            for oi, text in enumerate(m.learning_outcomes):
                flat.append(text)
                owner.append((mi, oi))
        if not outcomes or not flat:
            return [
                ModuleAlignment(m.code, 0.0, (), tuple(range(len(m.learning_outcomes))))
                for m in modules
                if m.learning_outcomes
            ]
        aligner = self.aligner
        result = aligner.run(lambda: align(outcomes, flat, aligner.embedder, aligner.policy))
        per_module: list[ModuleAlignment] = []
        lexical_only = aligner.embedder is None
        _min_pair, cover = aligner.policy.thresholds(lexical_only)
        # Each module's pairs, in the alignment's order (one pass, not one per module).
        pairs_of: dict[int, list[OutcomePair]] = {}
        for p in result.pairs:
            mi, oi = owner[p.target_index]
            pairs_of.setdefault(mi, []).append(OutcomePair(p.source_index, oi, p.score))
        start = 0  # flat holds the modules' outcomes module after module
        for mi, m in enumerate(modules):
            n = len(m.learning_outcomes)
            if not n:
                continue
            best = result.best_for_target[start : start + n]
            start += n
            uncovered = tuple(oi for oi, b in enumerate(best) if b < cover)
            coverage = (n - len(uncovered)) / n
            pairs = tuple(pairs_of.get(mi, ()))
            per_module.append(ModuleAlignment(m.code, coverage, pairs, uncovered, lexical_only))
        return per_module

    # --- use cases -------------------------------------------------------------------------

    def recommend(self, session: Session, cmd: RecognitionCommand) -> dict[str, Any]:
        """Recommend, store the record, and return it as JSON (with precedents)."""
        framework = self.registry.framework(cmd.target, field="target")
        programme: Programme | None = None
        programme_hash: str | None = None
        if cmd.qualification_id is not None:
            stored = self.catalogue.get(session, cmd.qualification_id)
            programme, programme_hash = stored.programme, stored.content_hash
        credential, credential_id, credential_hash, import_warnings = self._credential(session, cmd)
        as_of = cmd.as_of or credential.issued_on
        comparison = self._level_comparison(credential, framework.id, as_of)
        credits, conversion, credit_notes = self._credits(credential)
        outcomes = tuple(o.text for o in credential.learning_outcomes if o.text.strip())
        modules = programme.modules if programme else ()
        target_eqf = programme.eqf_level if programme else None
        level_notes: list[str] = []
        if programme is not None and target_eqf is None:
            # A programme that publishes no award level is placed by its modules' levels.
            levels = [e for e in (module_eqf(self.registry, m, programme) for m in modules) if e]
            if levels:
                target_eqf = max(set(levels), key=levels.count)
                level_notes.append(
                    f"the programme states no level; EQF {target_eqf} is the level of most of "
                    "its modules"
                )
        target = TargetFacts(
            framework=framework.id,
            qualification_id=programme.id if programme else None,
            qualification_title=programme.title if programme else None,
            eqf_level=target_eqf,
            level=programme.level if programme else None,
            modules=tuple(
                ModuleFacts(
                    code=m.code,
                    title=m.title,
                    credits_ects=self._module_credits(m),
                    eqf_level=module_eqf(self.registry, m, programme),
                    outcomes=m.learning_outcomes,
                    compulsory=(m.status is None or m.status.value == "compulsory"),
                )
                for m in modules
                if programme is not None
            ),
        )
        facts = CredentialFacts(
            title=credential.title,
            issued_on=credential.issued_on,
            eqf_level=credential.level.eqf,
            nqf_level=credential.level.nqf,
            level_comparison=comparison,
            credits_ects=credits,
            credit_conversion=conversion,
            workload_hours=credential.workload_hours,
            quality_assurance=tuple(
                " — ".join(
                    x
                    for x in (
                        qa.title,
                        qa.type.label if qa.type else None,
                        qa.body,
                    )
                    if x
                )
                or (qa.id or "quality assurance entry")
                for qa in credential.quality_assurance
            ),
            outcomes=outcomes,
            esco_skills=frozenset(
                s.uri for o in credential.learning_outcomes for s in o.esco_skills
            ),
            awarding_body=credential.awarding_bodies[0].name
            if credential.awarding_bodies
            else (credential.issuer.name if credential.issuer else None),
        )
        alignments = self._align(outcomes, modules)
        rec = recommend(facts, target, alignments, self.policy, purpose=cmd.purpose)

        inputs = {
            "credential": credential_hash,
            "target": framework.id,
            "qualification": programme_hash,
            "purpose": cmd.purpose.value,
            "as_of": as_of.isoformat() if as_of else None,
        }
        input_hash = hashlib.sha256(canonical(inputs)).hexdigest()
        repo = RecognitionRepository(session)
        precedents = self._precedents(repo, facts, credential_id, target, rec)
        release = self.registry.release
        payload: dict[str, Any] = {
            "purpose": cmd.purpose.value,
            "as_of": as_of.isoformat() if as_of else None,
            "credential": {
                "id": credential_id,
                "content_hash": credential_hash,
                "title": credential.title,
                "issued_on": credential.issued_on.isoformat() if credential.issued_on else None,
                "awarding_body": facts.awarding_body,
                "source_format": credential.source_format.value,
                "eqf_level": credential.level.eqf,
                "nqf_level": str(credential.level.nqf) if credential.level.nqf else None,
                "credits": {"value": credential.credits.value, "system": credential.credits.system}
                if credential.credits
                else None,
                "credits_ects": _range(credits),
                "credit_conversion": _conversion_json(conversion),
                "workload_hours": credential.workload_hours,
                "learning_outcomes": list(outcomes),
            },
            "target": {
                "framework": framework.id,
                "qualification": {
                    "id": programme.id,
                    "title": programme.title,
                    "institution": programme.institution.name,
                    "level": str(programme.level) if programme.level else None,
                    "eqf_level": programme.eqf_level,
                    "content_hash": programme_hash,
                    "modules": len(programme.modules),
                }
                if programme
                else None,
            },
            **recommendation_json(rec),
            "precedents": precedents,
            "warnings": [*import_warnings, *credit_notes, *level_notes, *self.aligner.warnings],
            "versions": {
                "app": __version__,
                "data_release": {"id": release.label, "content_hash": release.content_hash},
                "model": {"id": self.aligner.model_id, "version": self.aligner.model_version},
                "policy": {"version": self.policy.version, "sha256": self.policy_sha256},
                "credit_systems": self.credit_systems.version,
            },
        }
        # Round-trip through JSON now, so what is hashed is exactly what the database returns.
        payload = json.loads(json.dumps(payload))
        row = repo.append(
            NewRecord(
                input_hash=input_hash,
                data_release=release.content_hash,
                model_id=self.aligner.model_id,
                policy_version=self.policy.version,
                purpose=cmd.purpose.value,
                outcome=rec.outcome.value,
                target_framework=framework.id,
                qualification_id=programme.id if programme else None,
                credential_id=credential_id,
                credential_title=credential.title,
                credential_eqf=credential.level.eqf,
                confidence=rec.confidence,
                payload=payload,
            )
        )
        return record_json(row, [])

    def _precedents(
        self,
        repo: RecognitionRepository,
        facts: CredentialFacts,
        credential_id: str | None,
        target: TargetFacts,
        rec: Recommendation,
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for row in repo.candidates_for_precedent(
            target_framework=target.framework, qualification_id=target.qualification_id
        ):
            if credential_id is not None and row.credential_id == credential_id:
                similarity = 100.0
            elif facts.title and row.credential_title:
                similarity = float(
                    fuzz.token_set_ratio(facts.title.casefold(), row.credential_title.casefold())
                )
            else:
                continue
            if similarity < 80 or (
                facts.eqf_level is not None
                and row.credential_eqf is not None
                and row.credential_eqf != facts.eqf_level
            ):
                continue
            reviews = repo.reviews(row.id)
            effective = reviews[-1].outcome if reviews else row.outcome
            found.append(
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "credential_title": row.credential_title,
                    "purpose": row.purpose,
                    "outcome": effective,
                    "reviewed": bool(reviews),
                    "similarity": round(similarity, 1),
                    "disagrees": row.purpose == rec.purpose.value
                    and effective != rec.outcome.value,
                }
            )
            if len(found) >= 5:
                break
        return found

    def get(self, session: Session, record_id: str) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        return record_json(row, repo.reviews(record_id))

    def review(self, session: Session, record_id: str, cmd: ReviewCommand) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        if cmd.action not in ("confirm", "amend"):
            raise InvalidInput("/action", "action is confirm or amend")
        if cmd.action == "amend" and cmd.outcome is None:
            raise InvalidInput("/outcome", "an amendment states the outcome it decides")
        reviews = repo.reviews(record_id)
        current = reviews[-1].outcome if reviews else row.outcome
        outcome = cmd.outcome.value if cmd.outcome else current
        if cmd.action == "confirm" and cmd.outcome is not None and cmd.outcome.value != current:
            raise InvalidInput(
                "/outcome",
                f"confirming keeps the outcome {current!r}; use action 'amend' to change it",
            )
        repo.add_review(
            record_id,
            action=cmd.action,
            outcome=outcome,
            reviewer=cmd.reviewer,
            reason=cmd.reason,
            payload={"conditions": list(cmd.conditions), "note": cmd.note},
        )
        return record_json(row, repo.reviews(record_id))

    def verify(self, session: Session, record_id: str) -> dict[str, Any]:
        repo = RecognitionRepository(session)
        row = repo.get(record_id)
        check = repo.verify(record_id)
        return {
            "id": row.id,
            "valid": check.valid,
            "checked_links": check.checked,
            "problems": list(check.problems),
            "record_hash": row.record_hash,
            "prev_hash": row.prev_hash,
            "algorithm": "sha256(prev_hash + '\\n' + canonical_json(content))",
        }

    def list(
        self, session: Session, *, limit: int, offset: int, **filters: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        repo = RecognitionRepository(session)
        rows, total = repo.list(limit=limit, offset=offset, **filters)
        items = []
        for r in rows:
            reviews = repo.reviews(r.id)
            items.append(
                {
                    "id": r.id,
                    "seq": r.seq,
                    "created_at": r.created_at,
                    "purpose": r.purpose,
                    "outcome": r.outcome,
                    "current_outcome": reviews[-1].outcome if reviews else r.outcome,
                    "status": "reviewed" if reviews else "pending_review",
                    "confidence": r.confidence,
                    "target_framework": r.target_framework,
                    "qualification_id": r.qualification_id,
                    "credential_id": r.credential_id,
                    "credential_title": r.credential_title,
                    "record_hash": r.record_hash,
                }
            )
        return items, total
