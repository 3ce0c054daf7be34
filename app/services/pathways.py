"""Stackability use cases: a learner's micro-credentials against a qualification (what is
covered, what remains, ranked paths to complete it) and across the catalogue (what they stack
into).

Held credentials are stored ids or inline plain-JSON credentials (read, levels resolved, not
stored: a what-if question leaves no record). The offerings a path may use are the target's own
modules (taking the module itself) and the modules of every other catalogue programme (a
micro-credential programme's modules are micro-credentials), with their credits, levels,
prerequisites and published costs. The articulation engine (:mod:`app.core.articulation`)
matches everything against the target's outcome index; :mod:`app.core.pathways` plans.

Scale: the catalogue is read programme by programme up to ``max_programmes``; offerings are
embedded once per text (the model's per-text cache), the target's index once per programme.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.transfer_codec import course_to_json
from app.core.catalogue import Programme
from app.core.credentials import SourceFormat, credential_from_json
from app.core.errors import DomainError, InvalidInput
from app.core.pathways import (
    Objective,
    Offering,
    PathwayPlan,
    StackResult,
    plan_pathways,
    stack_into,
)
from app.core.transfer.align import TargetIndex
from app.core.transfer.types import Candidate as Course
from app.core.transfer.types import CandidateMatch as CourseMatch
from app.core.transfer.types import TargetModule
from app.services.transfer import TransferContext

MAX_HELD = 50


@dataclass(frozen=True, slots=True)
class HeldRef:
    """A held credential: a stored id, or an inline plain-JSON document."""

    where: str  # JSON pointer of the reference in the request
    credential_id: str | None = None
    credential: dict[str, Any] | None = None
    id_where: str | None = None  # where the id itself is, when not at ``where/credential_id``


@dataclass(frozen=True, slots=True)
class PathwayAnswer:
    """What the held credentials cover of a qualification, and the ranked paths (typed; the
    API's mapper makes the JSON)."""

    programme: Programme
    held: tuple[Course, ...]
    plan: PathwayPlan
    programmes: int  # catalogue programmes whose modules were offered
    warnings: tuple[str, ...]
    versions: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StackAnswer:
    """Catalogue programmes the held credentials stack into, best first."""

    held: tuple[Course, ...]
    ranked: tuple[tuple[Programme, StackResult], ...]
    programmes: int
    warnings: tuple[str, ...]
    versions: dict[str, Any]


class PathwayService:
    def __init__(
        self, context: TransferContext, *, max_programmes: int = 200, match_cache: int = 16
    ) -> None:
        self.context = context
        self.max_programmes = max_programmes
        # How the catalogue's offerings match a target changes only when the catalogue, the
        # target, the model or the policy does; a learner's request changes only the held
        # credentials. So offering matches are kept per (target, model, offerings) content.
        self._matches: OrderedDict[str, list[CourseMatch]] = OrderedDict()
        self._match_cache = match_cache
        self._lock = threading.Lock()

    @property
    def policy_version(self) -> str:
        return self.context.policy.version

    # --- inputs ---------------------------------------------------------------------------

    def held(self, session: Session, refs: Sequence[HeldRef]) -> tuple[list[Course], list[str]]:
        """The held credentials as courses (ECTS, EQF, outcomes), with notes."""
        if len(refs) > MAX_HELD:
            raise InvalidInput("/held", f"at most {MAX_HELD} held credentials")
        courses: list[Course] = []
        notes: list[str] = []
        seen: set[str] = set()
        for n, ref in enumerate(refs):
            if ref.credential_id is not None:
                try:
                    stored = self.context.credentials.get(session, ref.credential_id)
                except DomainError as exc:
                    exc.field = ref.id_where or f"{ref.where}/credential_id"
                    raise
                credential = credential_from_json(stored.credential)
                cid = stored.id
            elif ref.credential is not None:
                try:
                    report = self.context.credentials.read(
                        json.dumps(ref.credential), forced=SourceFormat.PLAIN
                    )
                except DomainError as exc:
                    inner = exc.field if exc.field and exc.field.startswith("/") else ""
                    exc.field = f"{ref.where}/credential{inner}"
                    raise
                credential = report.credential
                cid = f"held-{n + 1}"
            else:
                raise InvalidInput(ref.where, "give credential_id or an inline credential")
            if cid in seen:
                continue
            seen.add(cid)
            course, more = self.context.candidate(credential, cid)
            courses.append(course)
            notes.extend(f"{cid}: {note}" for note in more)
        return courses, notes

    def _programmes(self, session: Session, *, exclude: str | None = None) -> list[Programme]:
        """Catalogue programmes, newest first, up to ``max_programmes``."""
        out: list[Programme] = []
        offset = 0
        while len(out) < self.max_programmes:
            page = self.context.catalogue.search(session, limit=100, offset=offset)
            for summary in page.items:
                if summary.id != exclude:
                    out.append(self.context.catalogue.get(session, summary.id).programme)
            if page.next_offset is None:
                break
            offset = page.next_offset
        return out[: self.max_programmes]

    def _offerings(
        self,
        session: Session,
        programme: Programme,
        modules: Sequence[TargetModule],
        use_catalogue: bool = True,
    ) -> tuple[list[Offering], int]:
        """The target's own modules, and (``use_catalogue``) every other programme's."""
        offerings = [
            Offering(
                Course(m.code, m.title, m.outcomes, m.credits_ects, m.eqf_level),
                "target_module",
                provider=f"{programme.title} ({programme.institution.name})",
                cost=src.cost.amount if src.cost else None,
                currency=src.cost.currency if src.cost else None,
                covers_module=m.code,
            )
            for m, src in zip(modules, programme.modules, strict=True)
        ]
        others = self._programmes(session, exclude=programme.id) if use_catalogue else []
        for other in others:
            micro = "micro" in (other.award or "").casefold()
            converted, _ = self.context.modules(other)
            for src, m in zip(other.modules, converted, strict=True):
                offerings.append(
                    Offering(
                        Course(
                            f"{other.id}:{src.code}",
                            src.title,
                            m.outcomes,
                            m.credits_ects,
                            m.eqf_level,
                            m.level,
                        ),
                        "micro_credential" if micro else "module",
                        provider=f"{other.title} ({other.institution.name})",
                        cost=src.cost.amount if src.cost else None,
                        currency=src.cost.currency if src.cost else None,
                        prerequisites=tuple(f"{other.id}:{p}" for p in src.prerequisites),
                    )
                )
        return offerings, len(others)

    # --- use cases ------------------------------------------------------------------------

    def plan(
        self,
        session: Session,
        qualification_id: str,
        held: Sequence[HeldRef],
        *,
        objective: Objective = Objective.CREDITS,
        limit: int = 3,
        use_catalogue: bool = True,
        electives: Sequence[str] = (),
    ) -> PathwayAnswer:
        """What the held credentials cover of the qualification and ranked paths to finish."""
        ctx = self.context
        courses, notes = self.held(session, held)
        stored = ctx.catalogue.get(session, qualification_id)
        programme = stored.programme
        modules, warnings = ctx.modules(programme)
        codes = {m.code for m in modules}
        for i, code in enumerate(electives):
            if code not in codes:
                raise InvalidInput(f"/electives/{i}", f"{programme.title!r} has no module {code!r}")
        index = ctx.index_for(stored.content_hash, modules)
        offerings, programmes = self._offerings(session, programme, modules, use_catalogue)
        external = [o.course for o in offerings if o.covers_module is None]
        held_matches = ctx.match(index, courses)
        offering_matches = self._offering_matches(stored.content_hash, index, external)
        plan = plan_pathways(
            modules,
            courses,
            held_matches,
            offerings,
            offering_matches,
            ctx.policy,
            objective=objective,
            limit=limit,
            relate=ctx.relate(),
            electives=electives,
        )
        return PathwayAnswer(
            programme,
            tuple(courses),
            plan,
            programmes,
            (*notes, *warnings, *ctx.aligner.warnings),
            self.versions(),
        )

    def _offering_matches(
        self, target_key: str, index: TargetIndex, external: Sequence[Course]
    ) -> list[CourseMatch]:
        ctx = self.context
        digest = hashlib.sha256()
        for key in (target_key, ctx.aligner.model_id, ctx.aligner.model_version, ctx.policy_sha256):
            digest.update(key.encode("utf-8") + b"\x1f")
        for course in external:
            digest.update(json.dumps(course_to_json(course), sort_keys=True).encode("utf-8"))
        key = digest.hexdigest()
        with self._lock:
            found = self._matches.get(key)
            if found is not None:
                self._matches.move_to_end(key)
                return found
        # An offering replaces one or two modules: fewer candidates are rescored than for an
        # incoming course in a batch.
        narrow = ctx.policy.options.pathway_candidates
        matches = ctx.match(index, external, candidate_modules=narrow)
        with self._lock:
            self._matches[key] = matches
            while len(self._matches) > self._match_cache:
                self._matches.popitem(last=False)
        return matches

    def stack(self, session: Session, held: Sequence[HeldRef], *, limit: int = 10) -> StackAnswer:
        """Programmes of the catalogue the held credentials stack into, by covered share."""
        ctx = self.context
        courses, notes = self.held(session, held)
        programmes = self._programmes(session)
        combined: list[TargetModule] = []
        per: list[tuple[Programme, tuple[TargetModule, ...]]] = []
        for p in programmes:
            modules, _ = ctx.modules(p)
            per.append((p, modules))
            combined.extend(replace(m, code=f"{p.id}::{m.code}") for m in modules)
        key = hashlib.sha256("|".join(p.id or "" for p in programmes).encode()).hexdigest()
        index = ctx.index_for(f"stack:{key}", combined)
        # Held credentials are few: let each reach many modules of the whole catalogue.
        wide = max(ctx.policy.options.candidate_modules, 200)
        matches = ctx.match(index, courses, candidate_modules=wide)
        inputs = []
        for p, modules in per:
            prefix = f"{p.id}::"
            split = [
                CourseMatch(
                    m.course,
                    tuple(
                        replace(mm, module=mm.module[len(prefix) :])
                        for mm in m.modules
                        if mm.module.startswith(prefix)
                    ),
                )
                for m in matches
            ]
            inputs.append((p.id or "", p.title, modules, split))
        ranked = stack_into(courses, inputs, ctx.policy, relate=ctx.relate())[:limit]
        by_id = {p.id: p for p in programmes}
        return StackAnswer(
            tuple(courses),
            tuple((by_id[r.programme_id], r) for r in ranked),
            len(programmes),
            (*notes, *ctx.aligner.warnings),
            self.versions(),
        )

    def versions(self) -> dict[str, Any]:
        ctx = self.context
        return {
            "policy": {"version": ctx.policy.version, "sha256": ctx.policy_sha256},
            **ctx.versions(),
        }
