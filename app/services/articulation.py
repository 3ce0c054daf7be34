"""Articulation use cases: incoming courses against a catalogue programme, at once or as a
batch job, with results as JSON or CSV.

Input (JSON or CSV, ``docs/credit-transfer.md``) is read and *normalised at submission*: credits
converted to an ECTS range (:func:`app.core.credits.convert`), a framework level resolved to its
EQF level through the registry, outcomes kept as published. Every problem is reported at once,
by JSON pointer or CSV row and column, before anything is queued; a job's items are then
self-contained, so a worker never meets an input it cannot read.

A batch job (kind ``articulation``) stores, per course, its :class:`~app.core.articulation
.CourseMatch` (the expensive part: retrieval and rescoring against the programme's outcomes) and
proposes across all courses at the end (many-to-one needs them all); the result is stored with
the job. Results of a job still running are proposed from the courses done so far and say so
(``complete: false``).

The programme's outcome index (segmented, embedded) is built once per programme content and model,
and kept in a small LRU, so the jobs and pathway requests on one programme share it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.jobs_repository import JobRepository
from app.adapters.db.transfer_codec import (
    course_from_json,
    course_to_json,
    match_from_json,
    match_to_json,
    proposal_to_json,
    range_to_json,
)
from app.adapters.embeddings.language import guess_language
from app.core.articulation import propose
from app.core.catalogue import Programme
from app.core.credits import CreditSystems, Range, convert
from app.core.csv_safety import safe_row
from app.core.errors import DomainError, InvalidInput
from app.core.records import canonical
from app.core.transfer.align import TargetIndex
from app.core.transfer.sparse import CourseRanking, SparseIndex, rank_courses
from app.core.transfer.types import Candidate as Course
from app.core.transfer.types import CandidateMatch as CourseMatch
from app.core.transfer.types import TargetModule
from app.core.types import EQF_ID
from app.services.jobs import (
    DONE,
    FAILED,
    ItemOutcome,
    JobView,
    WorkItem,
    get_job,
    job_items,
    job_json,
    utcnow,
)
from app.services.transfer import TransferContext

log = logging.getLogger(__name__)

KIND = "articulation"
MAX_COURSES = 5000  # per batch; the body-size limit usually binds first
MAX_SYNC_COURSES = 100  # POST /v1/articulations answers at once; more is a batch job
MAX_OUTCOMES = 100  # per course
MAX_TEXT = 5000  # characters per outcome or title


def to_ects(
    systems: CreditSystems, value: float | None, system: str | None, *, field: str
) -> Range | None:
    if value is None or not system:
        return None
    try:
        return convert(systems, value, system, "ects").result
    except DomainError as exc:
        raise InvalidInput(field, exc.message) from exc


# --- reading incoming courses -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncomingCourse:
    """One incoming course as submitted (before normalisation)."""

    where: str  # "/courses/3" (JSON) or "row 4" (CSV)
    id: str | None = None
    title: str | None = None
    outcomes: tuple[str, ...] = ()
    credits: float | None = None
    credit_system: str | None = None
    eqf_level: int | None = None
    level: str | None = None
    description: str | None = None  # aims / description: read by the course-level ranking


class BatchInputError(InvalidInput):
    """Every problem of a submitted batch; ``issues`` locate each (pointer, or row and column)."""

    def __init__(self, issues: Sequence[dict[str, Any]]) -> None:
        first = issues[0]
        place = first.get("pointer") or (
            f"row {first['row']}" + (f", column {first['column']}" if "column" in first else "")
        )
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(first.get("pointer", ""), f"{place}: {first['detail']}{more}")
        self.issues = list(issues)


CSV_COLUMNS = (
    "id",
    "title",
    "credits",
    "credit_system",
    "eqf_level",
    "level",
    "learning_outcomes",
    "description",  # optional: aims / description
)
_SPLIT = re.compile(r"\s*(?:\r?\n|\|)\s*")


def _cells(value: str) -> tuple[str, ...]:
    """A multi-valued cell: one value per line, or separated by ``|`` (as the catalogue CSV)."""
    return tuple(v for v in _SPLIT.split(value.strip()) if v)


def read_courses_csv(data: bytes | str) -> list[IncomingCourse]:
    """Incoming courses from CSV, one row per course (header: :data:`CSV_COLUMNS`; only
    ``learning_outcomes`` and ``title`` or ``id`` are needed). Rows are numbered from the
    header (row 1)."""
    text = data.decode("utf-8-sig", errors="strict") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown or "learning_outcomes" not in header:
        detail = (
            f"unknown column(s): {', '.join(unknown)}"
            if unknown
            else "the column learning_outcomes is missing"
        )
        raise BatchInputError(
            [{"row": 1, "detail": f"{detail} (columns: {', '.join(CSV_COLUMNS)})"}]
        )
    reader.fieldnames = header
    issues: list[dict[str, Any]] = []
    out: list[IncomingCourse] = []
    for n, raw in enumerate(reader, start=2):
        if None in raw:
            issues.append({"row": n, "detail": "more cells than columns"})
            continue
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        credits: float | None = None
        if row.get("credits"):
            try:
                credits = float(row["credits"].replace(",", "."))
            except ValueError:
                issues.append({"row": n, "column": "credits", "detail": "not a number"})
            else:
                if not math.isfinite(credits) or credits < 0:
                    issues.append(
                        {"row": n, "column": "credits", "detail": "not a finite number >= 0"}
                    )
        eqf: int | None = None
        if row.get("eqf_level"):
            try:
                eqf = int(row["eqf_level"])
            except ValueError:
                issues.append({"row": n, "column": "eqf_level", "detail": "not a whole number"})
        out.append(
            IncomingCourse(
                where=f"row {n}",
                id=row.get("id") or None,
                title=row.get("title") or None,
                outcomes=_cells(row.get("learning_outcomes", "")),
                credits=credits,
                credit_system=row.get("credit_system") or None,
                eqf_level=eqf,
                level=row.get("level") or None,
                description=row.get("description") or None,
            )
        )
        if len(out) > MAX_COURSES:
            raise BatchInputError([{"row": n, "detail": f"more than {MAX_COURSES} courses"}])
    if issues:
        raise BatchInputError(issues)
    return out


def _issue(where: str, member: str | None, detail: str) -> dict[str, Any]:
    if where.startswith("row "):
        entry: dict[str, Any] = {"row": int(where.split()[1])}
        if member:
            entry["column"] = member
    else:
        entry = {"pointer": where + (f"/{member}" if member else "")}
    entry["detail"] = detail
    return entry


# --- results ------------------------------------------------------------------------------------


CSV_RESULT_COLUMNS = (
    "module_code",
    "module_title",
    "module_ects",
    "decision",
    "kind",
    "courses",
    "course_titles",
    "coverage",
    "covered_outcomes",
    "uncovered_outcomes",
    "courses_ects",
    "credits_sufficient",
    "level_compatible",
    "evidence",
    "reasons",
)


def _range_text(r: Mapping[str, float] | None) -> str:
    if not r:
        return ""
    return f"{r['min']:g}" if r["min"] == r["max"] else f"{r['min']:g}-{r['max']:g}"


def results_csv(payload: Mapping[str, Any]) -> str:
    """One row per proposed exemption, with its evidence flattened into text columns; a module
    without a proposal gets one row with decision ``none`` and the reason."""
    titles = {c["id"]: c.get("title") or "" for c in payload.get("courses", ())}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_RESULT_COLUMNS)
    for module in payload.get("modules", ()):
        if not module["proposals"]:
            blank = [""] * (len(CSV_RESULT_COLUMNS) - 5)
            row = [module["code"], module["title"], _range_text(module.get("credits_ects"))]
            writer.writerow(safe_row([*row, "none", *blank, module.get("miss") or ""]))
        for p in module["proposals"]:
            levels = {lv["compatible"] for lv in p["level"]}
            level = "no" if False in levels else ("unknown" if None in levels else "yes")
            sufficient = p["credits"]["sufficient"]
            writer.writerow(
                safe_row(
                    [
                        module["code"],
                        module["title"],
                        _range_text(module.get("credits_ects")),
                        p["decision"],
                        p["kind"],
                        "|".join(p["courses"]),
                        "|".join(titles.get(c, "") for c in p["courses"]),
                        f"{p['coverage']:.2f}",
                        len(p["covered_outcomes"]),
                        "|".join(u["text"] or "" for u in p["uncovered_outcomes"]),
                        _range_text(p["credits"]["courses_ects"]),
                        {True: "yes", False: "no", None: "unknown"}[sufficient],
                        level,
                        " | ".join(
                            f"{e['course']}#{e['course_outcome']} ↔ {module['code']}#"
                            f"{e['module_outcome']} {e['score']:.2f}: «{e['course_text']}» ↔ "
                            f"«{e['module_text']}»"
                            for e in p["pairs"]
                        ),
                        " | ".join(p["reasons"]),
                    ]
                )
            )
    return buffer.getvalue()


@dataclass
class _Context:
    programme: Programme
    modules: tuple[TargetModule, ...]
    index: TargetIndex
    warnings: list[str] = field(default_factory=list)
    sparse: SparseIndex | None = None  # the catalogue's TF-IDF vectors (course-level ranking)


# --- the service --------------------------------------------------------------------------------


def _ranking_json(ranking: CourseRanking | None) -> dict[str, Any]:
    """The course-level ranking of one course: its best modules over all the text (title,
    description, outcomes; sparse and dense evidence), and the one proposed above the bar."""
    if ranking is None:
        return {"candidates": [], "proposal": None}
    items = [
        {
            "module": c.module,
            "score": c.score,
            "sparse": c.sparse,
            "dense": c.dense,
            "terms": list(c.terms),
        }
        for c in ranking.candidates
    ]
    return {"candidates": items, "proposal": items[0] if ranking.proposal else None}


class ArticulationService:
    def __init__(self, context: TransferContext) -> None:
        self.context = context
        self.registry = context.registry
        self.credit_systems = context.credit_systems
        self.catalogue = context.catalogue
        self.policy = context.policy
        self.policy_sha256 = context.policy_sha256
        self.aligner = context.aligner

    # --- reading -----------------------------------------------------------------------------

    def normalise(self, incoming: Sequence[IncomingCourse]) -> list[Course]:
        """Courses in the core's terms (ECTS ranges, EQF levels); every problem raised at once."""
        if not incoming:
            raise BatchInputError([{"pointer": "/courses", "detail": "no courses given"}])
        if len(incoming) > MAX_COURSES:
            raise BatchInputError(
                [{"pointer": "/courses", "detail": f"more than {MAX_COURSES} courses"}]
            )
        issues: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        out: list[Course] = []
        for n, item in enumerate(incoming, start=1):
            cid = (item.id or "").strip() or f"#{n}"
            if cid in seen:
                issues.append(_issue(item.where, "id", f"id {cid!r} is used by {seen[cid]} too"))
            seen[cid] = item.where
            outcomes = tuple(o.strip() for o in item.outcomes if o.strip())
            if not outcomes:
                issues.append(_issue(item.where, "learning_outcomes", "no learning outcomes"))
            if len(outcomes) > MAX_OUTCOMES:
                issues.append(
                    _issue(item.where, "learning_outcomes", f"more than {MAX_OUTCOMES} outcomes")
                )
            if any(len(o) > MAX_TEXT for o in outcomes):
                issues.append(
                    _issue(
                        item.where, "learning_outcomes", f"an outcome over {MAX_TEXT} characters"
                    )
                )
            credits: Range | None = None
            if item.credits is not None:
                if item.credits < 0:
                    issues.append(_issue(item.where, "credits", "credits cannot be negative"))
                else:
                    try:
                        credits = to_ects(
                            self.credit_systems,
                            item.credits,
                            item.credit_system or "ects",
                            field="credit_system",
                        )
                    except InvalidInput as exc:
                        issues.append(_issue(item.where, "credit_system", exc.message))
            eqf = item.eqf_level
            if eqf is not None and not 1 <= eqf <= 8:
                issues.append(_issue(item.where, "eqf_level", "an EQF level is 1 to 8"))
                eqf = None
            level = None
            if item.level:
                try:
                    key = self.registry.index.level(item.level)
                    edges = self.registry.eqf_edges(key)
                    from_level = (
                        int(edges[0].target.code)
                        if edges
                        else (int(key.code) if key.framework == EQF_ID else None)
                    )
                    if from_level is None:
                        issues.append(
                            _issue(item.where, "level", f"{item.level} is not referenced to EQF")
                        )
                    elif eqf is not None and eqf != from_level:
                        issues.append(
                            _issue(
                                item.where,
                                "eqf_level",
                                f"EQF {eqf} disagrees with {item.level} (EQF {from_level})",
                            )
                        )
                    else:
                        eqf, level = from_level, (key if key.framework != EQF_ID else None)
                except DomainError as exc:
                    issues.append(_issue(item.where, "level", exc.message))
            title = (item.title or "").strip() or cid
            description = (item.description or "").strip()
            if len(description) > MAX_TEXT:
                issues.append(
                    _issue(item.where, "description", f"a description over {MAX_TEXT} characters")
                )
            # The national level is kept: levels are related in its framework's own order.
            language = guess_language(" ".join(outcomes)) if outcomes else None
            out.append(
                Course(
                    cid,
                    title[:MAX_TEXT],
                    outcomes,
                    credits,
                    eqf,
                    level,
                    None,
                    language,
                    description[:MAX_TEXT],
                )
            )
        if issues:
            raise BatchInputError(issues)
        return out

    # --- the target ---------------------------------------------------------------------------

    def prepare(self, session: Session, qualification_id: str) -> _Context:
        stored = self.catalogue.get(session, qualification_id)
        programme = stored.programme
        modules, warnings = self.context.modules(programme)
        # A module's description (aims) is enough for the course-level ranking's sparse channel.
        if not any(m.outcomes or m.description.strip() for m in modules):
            raise InvalidInput(
                "qualification_id",
                f"{programme.title!r} publishes no module learning outcomes or descriptions to "
                "articulate against",
            )
        index = self.context.index_for(stored.content_hash, modules)
        sparse = self.context.sparse_for(stored.content_hash, modules)
        return _Context(programme, modules, index, [*warnings, *self.aligner.warnings], sparse)

    def match(self, context: _Context, courses: Sequence[Course]) -> list[CourseMatch]:
        return self.context.match(context.index, courses, sparse=context.sparse)

    # --- answers --------------------------------------------------------------------------

    def payload(
        self,
        context: _Context,
        courses: Sequence[tuple[int, Course, CourseMatch | None, str | None]],
        *,
        complete: bool,
    ) -> dict[str, Any]:
        """Results as the API shows them: (seq, course, match or None, error) per course."""
        usable = [(c, m) for _, c, m, _ in courses if m is not None]
        result = propose(
            [c for c, _ in usable],
            context.modules,
            [m for _, m in usable],
            self.policy,
            self.context.relate(),
            cross_lingual=self.context.cross_lingual,
        )
        by_id = {c.id: c for _, c, _, _ in courses}
        ranked: dict[str, CourseRanking] = {}
        if context.sparse is not None and usable:
            for r in rank_courses(
                [c for c, _ in usable],
                context.modules,
                [m for _, m in usable],
                context.sparse,
            ):
                ranked[r.course] = r
        modules = [
            {
                "code": r.module.code,
                "title": r.module.title,
                "credits_ects": range_to_json(r.module.credits_ects),
                "eqf_level": r.module.eqf_level,
                "outcomes": len(r.module.outcomes),
                "proposals": [proposal_to_json(p, r.module, by_id) for p in r.proposals],
                "miss": r.miss,
            }
            for r in result.modules
        ]
        replace = list(result.replaceable)
        conditional = [
            r
            for r in result.modules
            if r.best is not None and r.best.decision.value == "conditional"
        ]
        programme = context.programme
        return {
            "complete": complete,
            "qualification": {
                "id": programme.id,
                "title": programme.title,
                "institution": programme.institution.name,
                "modules": len(context.modules),
            },
            "summary": {
                "courses": len(courses),
                "courses_processed": len(usable),
                "courses_failed": sum(1 for *_, e in courses if e is not None),
                "courses_with_proposals": len(result.by_course),
                "modules": len(context.modules),
                "modules_replaceable": len(replace),
                "modules_conditional": len(conditional),
                "exempted_credits_ects": range_to_json(result.exempted_credits()),
            },
            "modules": modules,
            "courses": [
                {
                    "seq": seq,
                    "id": c.id,
                    "title": c.title,
                    "credits_ects": range_to_json(c.credits_ects),
                    "eqf_level": c.eqf_level,
                    "status": "failed" if error else ("done" if m is not None else "pending"),
                    "modules": list(result.by_course.get(c.id, ())),
                    "reason": result.course_misses.get(c.id)
                    or ("not processed yet" if m is None and error is None else None),
                    "error": error,
                    **_ranking_json(ranked.get(c.id)),
                }
                for seq, c, m, error in courses
            ],
            "warnings": list(context.warnings),
            "versions": {
                "policy": {"version": self.policy.version, "sha256": self.policy_sha256},
                **self.context.versions(),
            },
        }

    def articulate(
        self, session: Session, qualification_id: str, incoming: Sequence[IncomingCourse]
    ) -> dict[str, Any]:
        """A small set of courses, answered at once (no job)."""
        if len(incoming) > MAX_SYNC_COURSES:
            raise InvalidInput(
                "/courses",
                f"{len(incoming)} courses: at most {MAX_SYNC_COURSES} are answered at once; "
                "submit a batch (POST /v1/batch/articulations)",
            )
        courses = self.normalise(incoming)
        context = self.prepare(session, qualification_id)
        matches = self.match(context, courses)
        return self.payload(
            context,
            [(n, c, m, None) for n, (c, m) in enumerate(zip(courses, matches, strict=True))],
            complete=True,
        )

    # --- batch jobs ---------------------------------------------------------------------------

    def submit(
        self, session: Session, qualification_id: str, incoming: Sequence[IncomingCourse]
    ) -> tuple[dict[str, Any], bool]:
        """Queue a batch job; the same batch (same courses, programme, policy and model) again
        returns the job already made (``created`` False)."""
        courses = self.normalise(incoming)
        stored = self.catalogue.get(session, qualification_id)
        identity = {
            "kind": KIND,
            "qualification": stored.content_hash,
            "courses": [course_to_json(c) for c in courses],
            "policy": self.policy_sha256,
            "model": [self.aligner.model_id, self.aligner.model_version],
        }
        digest = hashlib.sha256(canonical(identity)).hexdigest()
        row, created = JobRepository(session).create(
            kind=KIND,
            target=stored.id,
            content_hash=digest,
            params={
                "qualification_id": stored.id,
                "qualification_title": stored.programme.title,
                "policy_version": self.policy.version,
                "model_id": self.aligner.model_id,
            },
            inputs=[{"course": course_to_json(c)} for c in courses],
            now=utcnow(),
        )
        return job_json(row), created

    def job(self, session: Session, job_id: str) -> dict[str, Any]:
        return job_json(get_job(session, job_id))

    def results(self, session: Session, job_id: str) -> dict[str, Any]:
        """The job's results: stored when it is done, proposed from the courses done so far
        while it runs (``complete: false``)."""
        row = get_job(session, job_id)
        if row.kind != KIND:
            raise InvalidInput("id", f"job {job_id} is a {row.kind} job, not an articulation")
        head = job_json(row)
        if row.status == DONE and row.result is not None:
            return {"job": head, **row.result}
        context = self.prepare(session, row.target)
        items = job_items(session, row.id)
        return {"job": head, **self._from_items(context, items, complete=False)}

    def _from_items(
        self, context: _Context, items: Sequence[WorkItem], *, complete: bool
    ) -> dict[str, Any]:
        rows = []
        for item in items:
            course = course_from_json(item.input["course"])
            match = match_from_json(item.result) if item.result is not None else None
            rows.append((item.seq, course, match, item.error))
        return self.payload(context, rows, complete=complete)

    def handler(self) -> ArticulationHandler:
        return ArticulationHandler(self)


class ArticulationHandler:
    """The ``articulation`` job kind for :class:`app.services.jobs.JobWorker`."""

    kind = KIND

    def __init__(self, service: ArticulationService) -> None:
        self.service = service

    def prepare(self, session: Session, job: JobView) -> _Context:
        return self.service.prepare(session, job.target)

    def process(
        self, context: _Context, job: JobView, items: Sequence[WorkItem]
    ) -> list[ItemOutcome]:
        courses = [course_from_json(i.input["course"]) for i in items]
        matches = self.service.match(context, courses)
        return [
            ItemOutcome(item.seq, result=match_to_json(match))
            for item, match in zip(items, matches, strict=True)
        ]

    def finalize(
        self, session: Session, context: _Context, job: JobView, items: Sequence[WorkItem]
    ) -> dict[str, Any]:
        failed = [i for i in items if i.status == FAILED]
        payload = self.service._from_items(context, items, complete=True)
        if failed:
            payload["warnings"].append(f"{len(failed)} course(s) could not be processed")
        # Stored as JSON: round-trip now so what is served later is exactly what is stored.
        result: dict[str, Any] = json.loads(json.dumps(payload))
        return result
