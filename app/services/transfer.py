"""The transfer context: what recognition, articulation and pathways share, built once (in the
API's lifespan and in the CLI) — the registry, credit systems, policies, the aligner (model and
its inference thread) and the vector cache (a target's outcome index per programme content and
model, and the embedding of every text seen).

It is also the one place where a credential becomes an engine :class:`Candidate` and a
catalogue module a :class:`TargetModule`, so a credential weighs the same in all three uses.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from app.adapters.embeddings.cached import CachedEmbedder
from app.adapters.embeddings.language import guess_language
from app.core.catalogue import Cycle, Module, ModuleStatus, Programme
from app.core.credentials import MicroCredential, outcome_problem
from app.core.credits import Conversion, CreditSystems, Range, convert
from app.core.errors import DomainError
from app.core.levels import compare_level, relate_levels
from app.core.ports import Embedder
from app.core.recognition import RecognitionPolicy
from app.core.transfer.align import TargetIndex, index_target, match_courses
from app.core.transfer.rules import Relate
from app.core.transfer.sparse import SparseIndex, sparse_index
from app.core.transfer.types import (
    ArticulationPolicy,
    Candidate,
    CandidateFacts,
    CandidateMatch,
    Signature,
    Target,
    TargetModule,
)
from app.core.types import EQF_ID, LevelKey, LevelRelation
from app.reference.articulation_policy import load_articulation_policy
from app.reference.recognition_policy import load_recognition_policy
from app.services.catalogue import CatalogueService
from app.services.credentials import CredentialService
from app.services.registry import Registry
from app.settings import Settings

T = TypeVar("T")

_CYCLE_EQF = {Cycle.SHORT: 5, Cycle.FIRST: 6, Cycle.SECOND: 7, Cycle.THIRD: 8}


class Runner(Protocol):
    def __call__(self, fn: Callable[[], T]) -> T: ...


def _here(fn: Callable[[], T]) -> T:
    return fn()


class OutcomeModel(Protocol):
    """What the context needs of the outcome engine: its model and its inference thread."""

    @property
    def embedder(self) -> Embedder | None: ...

    def run_sync(self, fn: Callable[[], T]) -> T: ...


@dataclass(frozen=True)
class Aligner:
    """How outcomes are aligned: an embedder (None: lexical only) and the thread it runs on (the
    tokenizer is not thread-safe, so model calls go to the outcome engine's one thread)."""

    embedder: Embedder | None
    model_id: str
    model_version: str
    run: Runner = _here
    warnings: tuple[str, ...] = ()

    @classmethod
    def lexical(cls) -> Aligner:
        return cls(
            None,
            "lexical-only",
            "rapidfuzz",
            _here,
            ("no embedding model: outcomes are compared lexically only (paraphrases are missed)",),
        )

    @classmethod
    def of(cls, engine: OutcomeModel | None) -> Aligner:
        """The outcome engine's model (cached per text) when there is one; else lexical."""
        if engine is None or engine.embedder is None:
            return cls.lexical()
        embedder = CachedEmbedder(engine.embedder)
        return cls(embedder, embedder.model_id, embedder.model_version, engine.run_sync)


def module_eqf(registry: Registry, module: Module, programme: Programme) -> int | None:
    """A module's EQF level: through its framework level, else its QF-EHEA cycle, else the
    programme's."""
    if module.level is not None:
        edges = registry.eqf_edges(module.level)
        if edges:
            return int(edges[0].target.code)
        if module.level.framework == EQF_ID:
            return int(module.level.code)
    if module.cycle is not None:
        return _CYCLE_EQF.get(module.cycle)
    return programme.eqf_level


def _language(outcomes: Sequence[str]) -> str | None:
    return guess_language(" ".join(outcomes)) if outcomes else None


def _signature(credential: MicroCredential) -> tuple[Signature, str]:
    proof = credential.proof
    if not proof.signed:
        return Signature.NONE, proof.note
    # ``verification`` is filled by the seal checker when it ran (valid / invalid / not checked).
    verification: Any = getattr(proof, "verification", None)
    valid = getattr(verification, "valid", None)
    reasons = "; ".join(getattr(verification, "reasons", ()) or ())
    trust = getattr(getattr(verification, "trust", None), "value", None)
    note = "; ".join(x for x in (proof.note, reasons, f"trust {trust}" if trust else "") if x)
    if valid is True:
        return Signature.VALID, note
    if valid is False:
        return Signature.INVALID, note
    return Signature.UNVERIFIED, note


@dataclass
class TransferContext:
    """Everything the three transfer use cases share; one per process."""

    registry: Registry
    credit_systems: CreditSystems
    recognition_policy: RecognitionPolicy
    recognition_sha256: str
    policy: ArticulationPolicy  # thresholds (recognition credit_transfer) + alignment + search
    policy_sha256: str
    aligner: Aligner
    credentials: CredentialService
    catalogue: CatalogueService
    index_cache: int = 8
    _indexes: OrderedDict[tuple[str, str], TargetIndex] = field(default_factory=OrderedDict)
    _sparse: OrderedDict[str, SparseIndex] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        settings: Settings,
        registry: Registry,
        credit_systems: CreditSystems,
        engine: OutcomeModel | None = None,
        *,
        aligner: Aligner | None = None,
    ) -> TransferContext:
        policies = settings.mappings_dir / "policies"
        recognition, recognition_sha = load_recognition_policy(policies / "recognition.yaml")
        articulation, articulation_sha = load_articulation_policy(settings.mappings_dir)
        return cls(
            registry=registry,
            credit_systems=credit_systems,
            recognition_policy=recognition,
            recognition_sha256=recognition_sha,
            policy=articulation,
            policy_sha256=articulation_sha,
            aligner=aligner or Aligner.of(engine),
            credentials=CredentialService.from_settings(registry, settings),
            catalogue=CatalogueService(registry),
        )

    # --- levels and credits ------------------------------------------------------------------

    def relate(self, as_of: dt.date | None = None) -> Relate:
        """National levels related through the graph as of a date (memoised per pair)."""
        memo: dict[tuple[LevelKey, LevelKey], LevelRelation] = {}
        graph = self.registry.graph

        def relate(held: LevelKey, required: LevelKey) -> LevelRelation:
            key = (held, required)
            if key not in memo:
                memo[key] = relate_levels(graph, held, required, as_of=as_of)
            return memo[key]

        return relate

    def ects(self, value: float, system: str) -> tuple[Conversion | None, str | None]:
        """Credits in ECTS, or the reason they cannot be converted."""
        try:
            return convert(self.credit_systems, value, system, "ects"), None
        except DomainError as exc:
            return None, exc.message

    # --- the two conversions -----------------------------------------------------------------

    def candidate(
        self,
        credential: MicroCredential,
        cid: str,
        *,
        target_framework: str | None = None,
        as_of: dt.date | None = None,
    ) -> tuple[Candidate, list[str]]:
        """A credential as the engine sees it (the only place this is done), with notes: its
        credits in ECTS (stated credits when their system converts, else its workload in hours),
        its EQF level (stated, or through its NQF level), and the facts a recognition weighs."""
        notes: list[str] = []
        conversion: Conversion | None = None
        stated = credential.credits
        if stated is not None and stated.system.casefold() not in ("unspecified", ""):
            conversion, problem = self.ects(stated.value, stated.system)
            if problem:
                notes.append(f"credits of {stated.value:g} {stated.system}: {problem}")
        if conversion is None and credential.workload_hours:
            conversion, _ = self.ects(credential.workload_hours, "hours")
            notes.append(
                f"credits derived from the workload of {credential.workload_hours:g} hours "
                "(25–30 hours per ECTS)"
            )
        level = credential.level.nqf
        eqf = credential.level.eqf
        if eqf is None and level is not None:
            edges = self.registry.eqf_edges(level)
            eqf = int(edges[0].target.code) if edges else None
        comparison = None
        source = level or (LevelKey(EQF_ID, str(eqf)) if credential.level.eqf else None)
        if target_framework is not None and source is not None:
            comparison = compare_level(self.registry.graph, source, target_framework, as_of=as_of)
        outcomes = tuple(o.text for o in credential.learning_outcomes if o.text.strip())
        if not outcomes:
            notes.append("no learning outcomes, so nothing can be matched")
        signature, signature_note = _signature(credential)
        issuer = credential.issuer
        facts = CandidateFacts(
            issued_on=credential.issued_on,
            level_comparison=comparison,
            credit_conversion=conversion,
            credits_as_read=(stated.value, stated.system) if stated else None,
            workload_hours=credential.workload_hours,
            quality_assurance=tuple(
                " — ".join(x for x in (qa.title, qa.type.label if qa.type else None, qa.body) if x)
                or (qa.id or "quality assurance entry")
                for qa in credential.quality_assurance
            ),
            esco_skills=frozenset(
                s.uri for o in credential.learning_outcomes for s in o.esco_skills
            ),
            awarding_body=credential.awarding_bodies[0].name
            if credential.awarding_bodies
            else (issuer.name if issuer else None),
            issuer_country=issuer.country if issuer else None,
            weak_outcomes=tuple(
                i for i, o in enumerate(outcomes) if outcome_problem(o, credential.language)
            ),
            signature=signature,
            signature_note=signature_note,
        )
        candidate = Candidate(
            cid,
            credential.title or cid,
            outcomes,
            conversion.result if conversion else None,
            eqf,
            level,
            facts,
            credential.language or (guess_language(" ".join(outcomes)) if outcomes else None),
        )
        return candidate, notes

    def modules(self, programme: Programme) -> tuple[tuple[TargetModule, ...], list[str]]:
        """A programme's modules as the engine sees them (the only place this is done): credits
        in ECTS, EQF and national levels, compulsory or elective; warnings for what is missing."""
        warnings: list[str] = []
        out = []
        # A programme's modules share a handful of credit values; a conversion walks the rules.
        converted: dict[tuple[float, str], tuple[Conversion | None, str | None]] = {}
        for m in programme.modules:
            credits: Range | None = None
            if m.credits is not None:
                key = (m.credits.value, m.credits.system)
                if key not in converted:
                    converted[key] = self.ects(*key)
                conversion, problem = converted[key]
                if problem:
                    warnings.append(f"module {m.code}: credits not converted ({problem})")
                credits = conversion.result if conversion else None
            out.append(
                TargetModule(
                    code=m.code,
                    title=m.title,
                    description=m.description or "",
                    outcomes=tuple(o for o in m.learning_outcomes if o.strip()),
                    credits_ects=credits,
                    eqf_level=module_eqf(self.registry, m, programme),
                    compulsory=m.status is not ModuleStatus.ELECTIVE,
                    prerequisites=m.prerequisites,
                    level=m.level or programme.level,
                    language=m.language or programme.language or _language(m.learning_outcomes),
                )
            )
        silent = [m.code for m in out if not m.outcomes]
        if silent:
            warnings.append(
                "module(s) without published learning outcomes cannot be matched outcome by "
                "outcome (only on their title and description): " + ", ".join(silent)
            )
        return tuple(out), warnings

    def target(
        self, framework: str, programme: Programme | None
    ) -> tuple[Target, tuple[TargetModule, ...], list[str]]:
        """The target of a recognition: the framework, the programme's level and modules, and
        the credits its electives may absorb (programme credits less compulsory ones)."""
        if programme is None:
            return Target(framework), (), []
        modules, warnings = self.modules(programme)
        eqf = programme.eqf_level
        if eqf is None:
            # A programme that publishes no award level is placed by its modules' levels.
            levels = [m.eqf_level for m in modules if m.eqf_level]
            if levels:
                eqf = max(set(levels), key=levels.count)
                warnings.append(
                    f"the programme states no level; EQF {eqf} is the level of most of its modules"
                )
        electives: Range | None = None
        if any(not m.compulsory for m in modules):
            total = (
                self.ects(programme.credits.value, programme.credits.system)[0]
                if programme.credits
                else None
            )
            fixed = [m.credits_ects for m in modules if m.compulsory]
            if total is not None and all(fixed):
                most = sum(r.maximum for r in fixed if r)
                least = sum(r.minimum for r in fixed if r)
                top = total.result.maximum - least
                electives = Range(max(0.0, min(top, total.result.minimum - most)), top)
            else:  # no programme total: the elective modules' own credits
                own = [m.credits_ects for m in modules if not m.compulsory and m.credits_ects]
                if own:
                    electives = Range(sum(r.minimum for r in own), sum(r.maximum for r in own))
        target = Target(
            framework,
            programme.id,
            programme.title,
            eqf,
            programme.level,
            modules,
            electives if electives is None or electives.maximum > 0 else None,
        )
        return target, modules, warnings

    # --- the vector cache and the aligner ------------------------------------------------------

    def index_for(self, content_hash: str, modules: Sequence[TargetModule]) -> TargetIndex:
        """The target's outcome index, built once per content and model (LRU)."""
        key = (content_hash, self.aligner.model_id)
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
        embedder = self.aligner.embedder
        index = self.aligner.run(lambda: index_target(modules, embedder))
        with self._lock:
            self._indexes[key] = index
            while len(self._indexes) > self.index_cache:
                self._indexes.popitem(last=False)
        return index

    def sparse_for(self, content_hash: str, modules: Sequence[TargetModule]) -> SparseIndex:
        """The catalogue's TF-IDF vectors for course-level ranking, built once per catalogue
        content beside its outcome index (LRU of the same size); they do not depend on the model."""
        with self._lock:
            found = self._sparse.get(content_hash)
            if found is not None:
                self._sparse.move_to_end(content_hash)
                return found
        index = sparse_index(modules)
        with self._lock:
            self._sparse[content_hash] = index
            while len(self._sparse) > self.index_cache:
                self._sparse.popitem(last=False)
        return index

    def match(
        self,
        index: TargetIndex,
        candidates: Sequence[Candidate],
        *,
        candidate_modules: int | None = None,
        sparse: SparseIndex | None = None,
    ) -> list[CandidateMatch]:
        """Candidates against a target index on the inference thread; ``candidate_modules``
        overrides how many modules each candidate has rescored."""
        policy = self.policy
        if candidate_modules is not None:
            options = replace(policy.options, candidate_modules=candidate_modules)
            policy = replace(policy, options=options)
        embedder = self.aligner.embedder
        return self.aligner.run(
            lambda: match_courses(candidates, index, embedder, policy, sparse=sparse)
        )

    @property
    def cross_lingual(self) -> bool:
        """Whether the aligner compares outcomes across languages (a multilingual model)."""
        return self.aligner.embedder is not None and self.aligner.embedder.multilingual

    def versions(self) -> dict[str, Any]:
        release = self.registry.release
        return {
            "model": {"id": self.aligner.model_id, "version": self.aligner.model_version},
            "data_release": {"id": release.label, "content_hash": release.content_hash},
            "credit_systems": self.credit_systems.version,
        }
