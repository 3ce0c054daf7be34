"""Every query on the catalogue tables (``programme``, ``module``, ``module_outcome``).

Rows go in and come out as the core's :class:`~app.core.catalogue.Programme`; nothing above this
module sees a row. Text search ranks with rapidfuzz in Python over the rows the SQL filters leave
(framework, level, EQF level): a catalogue holds thousands of programmes, not millions, and fuzzy
ranking of titles, codes and institution names is what users of a catalogue expect.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.adapters.db.models_catalogue import ModuleOutcomeRow, ModuleRow, ProgrammeRow
from app.adapters.db.tenancy import organisation_of
from app.core.catalogue import (
    Cost,
    CreditValue,
    Cycle,
    Institution,
    Module,
    ModuleStatus,
    Programme,
    Provenance,
    module_key,
    text_score,
)
from app.core.errors import Conflict
from app.core.types import LevelKey

#: Below this fuzzy score (0–100) a programme does not match a text query.
SCORE_CUTOFF = 70.0


@dataclass(frozen=True, slots=True)
class StoredProgramme:
    """A programme as stored: its id, content hash, when, against which data release."""

    programme: Programme
    content_hash: str
    created_at: dt.datetime
    warnings: tuple[dict[str, Any], ...]
    data_release_id: int | None
    created: bool = False

    @property
    def id(self) -> str:
        assert self.programme.id is not None
        return self.programme.id


@dataclass(frozen=True, slots=True)
class ProgrammeSummary:
    """One line of a catalogue listing (no modules)."""

    id: str
    title: str
    code: str | None
    award: str | None
    institution: Institution
    level: LevelKey | None
    eqf_level: int | None
    credits: CreditValue | None
    isced_f: str | None
    module_count: int
    created_at: dt.datetime
    score: float | None = None


@dataclass(frozen=True, slots=True)
class ProgrammeFilter:
    """SQL-side filters of a search; ``None`` means "any"."""

    framework: str | None = None
    level: LevelKey | None = None
    eqf_level: int | None = None
    any_eqf_level: bool = False  # only programmes with an EQF level (framework=EQF)


class CatalogueRepository:
    """The catalogue of one organisation (``organisation``, else the session's: see
    ``tenancy``); another organisation's programme is answered exactly like a missing one."""

    def __init__(self, session: Session, organisation: str | None = None) -> None:
        self.session = session
        self.organisation = organisation_of(session, organisation)
        self._mine = ProgrammeRow.organisation_id == self.organisation

    # --- writing ---------------------------------------------------------------------------

    def id_by_hash(self, content_hash: str) -> str | None:
        return self.session.scalar(
            select(ProgrammeRow.id).where(self._mine, ProgrammeRow.content_hash == content_hash)
        )

    def add(
        self,
        programme: Programme,
        *,
        content_hash: str,
        warnings: Sequence[dict[str, Any]] = (),
        data_release_id: int | None = None,
    ) -> tuple[str, bool]:
        """Store ``programme`` unless a programme with the same content hash exists.

        Returns its id and whether it was created. A concurrent insert of the same content is
        caught by the unique constraint: on PostgreSQL inside a savepoint, answered with the row
        the other transaction stored; on SQLite (no usable savepoint under pysqlite, and writers
        serialised anyway) as a :class:`Conflict` to retry.
        """
        existing = self.id_by_hash(content_hash)
        if existing is not None:
            return existing, False
        row = _to_row(programme, content_hash, warnings, data_release_id)
        row.organisation_id = self.organisation
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.add(row)
            try:
                self.session.flush()
            except IntegrityError as exc:
                self.session.rollback()
                raise Conflict(
                    "The same programme was stored by a concurrent request; retry."
                ) from exc
            return row.id, True
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            existing = self.id_by_hash(content_hash)
            if existing is None:
                raise
            return existing, False
        return row.id, True

    def delete(self, programme_id: str) -> bool:
        row = self.session.get(ProgrammeRow, programme_id)
        if row is None or row.organisation_id != self.organisation:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    # --- reading ---------------------------------------------------------------------------

    def get(self, programme_id: str) -> StoredProgramme | None:
        """The programme with its modules and outcomes, or ``None``."""
        row = self.session.scalar(
            select(ProgrammeRow)
            .where(self._mine, ProgrammeRow.id == programme_id)
            .options(selectinload(ProgrammeRow.modules).selectinload(ModuleRow.outcomes))
        )
        if row is None:
            return None
        return StoredProgramme(
            programme=_programme(row, [_module(m) for m in row.modules]),
            content_hash=row.content_hash,
            created_at=row.created_at,
            warnings=tuple(row.warnings),
            data_release_id=row.data_release_id,
        )

    def count(self) -> int:
        return int(
            self.session.scalar(select(func.count()).select_from(ProgrammeRow).where(self._mine))
            or 0
        )

    def outcome_ids(self, programme_id: str) -> dict[tuple[str, int], int]:
        """Row ids of a programme's outcomes by (module code, position), for callers that keep
        per-outcome data (embeddings, decision evidence) keyed by a stable id."""
        rows = self.session.execute(
            select(ModuleRow.code, ModuleOutcomeRow.position, ModuleOutcomeRow.id)
            .join(ModuleOutcomeRow, ModuleOutcomeRow.module_id == ModuleRow.id)
            .join(ProgrammeRow, ProgrammeRow.id == ModuleRow.programme_id)
            .where(self._mine, ModuleRow.programme_id == programme_id)
        ).all()
        return {(code, position): oid for code, position, oid in rows}

    def search(
        self,
        *,
        q: str | None = None,
        where: ProgrammeFilter | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[ProgrammeSummary], int]:
        """Programmes matching the filters (and ``q``, fuzzily), with the total count.

        Without ``q``: newest first. With ``q``: best score first (title, code, award,
        institution, and the titles and codes of modules), programmes under
        :data:`SCORE_CUTOFF` left out.
        """
        conditions = [self._mine, *_conditions(where or ProgrammeFilter())]
        if not q:
            total = int(
                self.session.scalar(
                    select(func.count()).select_from(ProgrammeRow).where(*conditions)
                )
                or 0
            )
            rows = self.session.scalars(
                select(ProgrammeRow)
                .where(*conditions)
                .order_by(ProgrammeRow.created_at.desc(), ProgrammeRow.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            counts = self._module_counts([r.id for r in rows])
            return [_summary(r, counts.get(r.id, 0)) for r in rows], total

        candidates = self.session.execute(
            select(
                ProgrammeRow.id,
                ProgrammeRow.title,
                ProgrammeRow.code,
                ProgrammeRow.award,
                ProgrammeRow.institution_name,
                ProgrammeRow.created_at,
            ).where(*conditions)
        ).all()
        module_texts: dict[str, list[str]] = defaultdict(list)
        module_codes: dict[str, list[str]] = defaultdict(list)
        ids = [c.id for c in candidates]
        for chunk in _chunks(ids, 500):
            for pid, code, title in self.session.execute(
                select(ModuleRow.programme_id, ModuleRow.code, ModuleRow.title).where(
                    ModuleRow.programme_id.in_(chunk)
                )
            ):
                module_texts[pid].append(title)
                module_codes[pid].append(code)
        scored: list[tuple[float, dt.datetime, str]] = []
        for c in candidates:
            own = text_score(q, [c.title, c.award, c.institution_name], codes=[c.code])
            # A module match counts a little less than a match on the programme itself.
            inner = 0.9 * text_score(q, module_texts[c.id], codes=module_codes[c.id])
            score = max(own, round(inner, 1))
            if score >= SCORE_CUTOFF:
                scored.append((score, c.created_at, c.id))
        scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), s[2]))
        page = scored[offset : offset + limit]
        by_id = {
            r.id: r
            for r in self.session.scalars(
                select(ProgrammeRow).where(ProgrammeRow.id.in_([p[2] for p in page]))
            )
        }
        counts = self._module_counts(list(by_id))
        return [_summary(by_id[pid], counts.get(pid, 0), score) for score, _, pid in page], len(
            scored
        )

    def _module_counts(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        rows = self.session.execute(
            select(ModuleRow.programme_id, func.count())
            .where(ModuleRow.programme_id.in_(ids))
            .group_by(ModuleRow.programme_id)
        ).all()
        return {pid: int(n) for pid, n in rows}


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _conditions(where: ProgrammeFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if where.framework is not None:
        out.append(ProgrammeRow.framework == where.framework)
    if where.level is not None:
        out.append(ProgrammeRow.framework == where.level.framework)
        out.append(ProgrammeRow.level_code == where.level.code)
    if where.eqf_level is not None:
        out.append(ProgrammeRow.eqf_level == where.eqf_level)
    if where.any_eqf_level:
        out.append(ProgrammeRow.eqf_level.is_not(None))
    return out


# --- rows <-> core values ------------------------------------------------------------------------


def _to_row(
    p: Programme,
    content_hash: str,
    warnings: Sequence[dict[str, Any]],
    data_release_id: int | None,
) -> ProgrammeRow:
    row = ProgrammeRow(
        id=str(uuid.uuid4()),
        content_hash=content_hash,
        title=p.title,
        code=p.code,
        award=p.award,
        institution_name=p.institution.name,
        institution_country=p.institution.country,
        framework=p.level.framework if p.level else None,
        level_code=p.level.code if p.level else None,
        eqf_level=p.eqf_level,
        credits_value=p.credits.value if p.credits else None,
        credits_system=p.credits.system if p.credits else None,
        isced_f=p.isced_f,
        language=p.language,
        url=p.url,
        cost_amount=p.cost.amount if p.cost else None,
        cost_currency=p.cost.currency if p.cost else None,
        cost_note=p.cost.note if p.cost else None,
        notes=p.notes,
        sources=[
            {
                "url": s.url,
                "title": s.title,
                "retrieved": s.retrieved.isoformat() if s.retrieved else None,
                "licence": s.licence,
                "note": s.note,
            }
            for s in p.sources
        ],
        warnings=list(warnings),
        created_at=dt.datetime.now(dt.UTC),
        data_release_id=data_release_id,
    )
    row.modules = [
        ModuleRow(
            position=i,
            code=m.code,
            code_key=module_key(m.code),
            title=m.title,
            description=m.description,
            credits_value=m.credits.value if m.credits else None,
            credits_system=m.credits.system if m.credits else None,
            framework=m.level.framework if m.level else None,
            level_code=m.level.code if m.level else None,
            cycle=m.cycle.value if m.cycle else None,
            year=m.year,
            semester=m.semester,
            status=m.status.value if m.status else None,
            isced_f=m.isced_f,
            language=m.language,
            url=m.url,
            cost_amount=m.cost.amount if m.cost else None,
            cost_currency=m.cost.currency if m.cost else None,
            cost_note=m.cost.note if m.cost else None,
            prerequisites=list(m.prerequisites),
            outcomes=[
                ModuleOutcomeRow(position=j, text=text)
                for j, text in enumerate(m.learning_outcomes)
            ],
        )
        for i, m in enumerate(p.modules)
    ]
    return row


def _level(framework: str | None, code: str | None) -> LevelKey | None:
    return LevelKey(framework, code) if framework and code else None


def _credits(value: float | None, system: str | None) -> CreditValue | None:
    return CreditValue(float(value), system) if value is not None and system else None


def _cost(amount: float | None, currency: str | None, note: str | None) -> Cost | None:
    return Cost(float(amount), currency, note) if amount is not None and currency else None


def _module(m: ModuleRow) -> Module:
    return Module(
        code=m.code,
        title=m.title,
        description=m.description,
        credits=_credits(m.credits_value, m.credits_system),
        level=_level(m.framework, m.level_code),
        cycle=Cycle(m.cycle) if m.cycle else None,
        year=m.year,
        semester=m.semester,
        learning_outcomes=tuple(o.text for o in m.outcomes),
        isced_f=m.isced_f,
        prerequisites=tuple(m.prerequisites),
        status=ModuleStatus(m.status) if m.status else None,
        cost=_cost(m.cost_amount, m.cost_currency, m.cost_note),
        language=m.language,
        url=m.url,
    )


def _programme(row: ProgrammeRow, modules: Sequence[Module]) -> Programme:
    return Programme(
        id=row.id,
        title=row.title,
        institution=Institution(row.institution_name, row.institution_country),
        code=row.code,
        award=row.award,
        level=_level(row.framework, row.level_code),
        eqf_level=row.eqf_level,
        credits=_credits(row.credits_value, row.credits_system),
        isced_f=row.isced_f,
        language=row.language,
        url=row.url,
        cost=_cost(row.cost_amount, row.cost_currency, row.cost_note),
        sources=tuple(
            Provenance(
                url=s.get("url"),
                title=s.get("title"),
                retrieved=dt.date.fromisoformat(s["retrieved"]) if s.get("retrieved") else None,
                licence=s.get("licence"),
                note=s.get("note"),
            )
            for s in row.sources
        ),
        notes=row.notes,
        modules=tuple(modules),
    )


def _summary(row: ProgrammeRow, module_count: int, score: float | None = None) -> ProgrammeSummary:
    return ProgrammeSummary(
        id=row.id,
        title=row.title,
        code=row.code,
        award=row.award,
        institution=Institution(row.institution_name, row.institution_country),
        level=_level(row.framework, row.level_code),
        eqf_level=row.eqf_level,
        credits=_credits(row.credits_value, row.credits_system),
        isced_f=row.isced_f,
        module_count=module_count,
        created_at=row.created_at,
        score=score,
    )
