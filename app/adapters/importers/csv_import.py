"""CSV for bulk upload: one credential per row, columns named after the plain JSON form.

Columns (all optional except ``title``; unknown columns are refused)::

    id, title, description, issuer_name, issuer_id, issuer_country, awarding_bodies,
    issued_on, valid_until, learner_id, learner_name, learning_outcomes, eqf_level, nqf_level,
    credits_system, credits_value, workload_hours, assessment_type, assessment_mode,
    participation_mode, learning_setting, quality_assurance, prerequisites, id_verification,
    grade, stackability, part_of, has_part, further_information, language

Multi-valued cells (``awarding_bodies``, ``learning_outcomes``, ``quality_assurance``,
``part_of``, ``has_part``) hold one value per line; a cell without a line break may separate
values with ``|`` instead. A value may end with URIs in angle brackets: a learning outcome
``Design a relational schema <http://data.europa.eu/esco/skill/...>`` carries that skill, an
awarding body ``University of Zed <urn:epass:org:1>`` its id, a vocabulary cell
``Online <http://data.europa.eu/snb/learning-assessment/920fbb3cbe>`` its URI.

Round trip: :func:`credentials_to_csv` writes what these columns can hold (skill labels,
learner identifiers, awarding-body countries and translations are not kept), and reading the
file back gives the same credential. Source pointers of a CSV credential name its columns
(``/issuer_country``), relative to its row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.plain import plain_to_credential, validate_plain
from app.adapters.importers.safety import decode_text
from app.core.credentials import (
    Concept,
    CredentialInputError,
    ImportedCredential,
    MicroCredential,
    SourceFormat,
)
from app.core.errors import DomainError, PayloadTooLarge

COLUMNS = (
    "id",
    "title",
    "description",
    "issuer_name",
    "issuer_id",
    "issuer_country",
    "awarding_bodies",
    "issued_on",
    "valid_until",
    "learner_id",
    "learner_name",
    "learning_outcomes",
    "eqf_level",
    "nqf_level",
    "credits_system",
    "credits_value",
    "workload_hours",
    "assessment_type",
    "assessment_mode",
    "participation_mode",
    "learning_setting",
    "quality_assurance",
    "prerequisites",
    "id_verification",
    "grade",
    "stackability",
    "part_of",
    "has_part",
    "further_information",
    "language",
)

# plain-form member (first pointer segment) -> CSV column, for source pointers
_MEMBER_COLUMN = {
    "issuer": "issuer_name",
    "awarding_bodies": "awarding_bodies",
    "learner": "learner_name",
    "learning_outcomes": "learning_outcomes",
    "credits": "credits_value",
    "assessment": "assessment_type",
    "participation": "participation_mode",
    "stackability": "stackability",
}
_POINTER_COLUMN = {
    "/issuer/country": "/issuer_country",
    "/level/eqf": "/eqf_level",
    "/level/nqf": "/nqf_level",
}
_URI_SUFFIX = re.compile(r"\s*<([^<>\s]+)>\s*$")
_MAX_CELL = 100_000


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its line in the file, the cells, and the credential or the problem."""

    number: int  # 1-based data row (the header is row 0)
    line: int
    cells: dict[str, str]
    text: str  # the row as CSV text (header + row), kept as the original document
    result: ImportedCredential | None = None
    error: DomainError | None = None


def split_values(cell: str) -> list[str]:
    """Values of a multi-valued cell: one per line, or ``|``-separated on one line.

    >>> split_values("a | b"), split_values("a|b\\nc")
    (['a', 'b'], ['a|b', 'c'])
    """
    parts = cell.splitlines() if ("\n" in cell or "\r" in cell) else cell.split("|")
    return [p.strip() for p in parts if p.strip()]


def split_uris(value: str) -> tuple[str, list[str]]:
    """Text and the ``<uri>`` suffixes of a value.

    >>> split_uris("Develop content <http://x/1> <http://x/2>")
    ('Develop content', ['http://x/1', 'http://x/2'])
    """
    uris: list[str] = []
    text = value
    while True:
        m = _URI_SUFFIX.search(text)
        if not m:
            break
        uris.insert(0, m.group(1))
        text = text[: m.start()]
    return text.strip(), uris


def _concept_cell(cell: str) -> dict[str, str] | None:
    text, uris = split_uris(cell)
    if not text and not uris:
        return None
    out: dict[str, str] = {}
    if text:
        out["label"] = text
    if uris:
        out["uri"] = uris[0]
    return out


def row_to_plain(cells: dict[str, str]) -> dict[str, Any]:
    """The plain-form document of one CSV row (empty cells are absent)."""
    c = {k: v.strip() for k, v in cells.items() if v is not None and v.strip()}
    doc: dict[str, Any] = {}
    for key in (
        "id",
        "title",
        "description",
        "issued_on",
        "valid_until",
        "prerequisites",
        "grade",
        "further_information",
        "language",
    ):
        if key in c:
            doc[key] = c[key]
    issuer = {
        k: c[col]
        for k, col in (("name", "issuer_name"), ("id", "issuer_id"), ("country", "issuer_country"))
        if col in c
    }
    if issuer:
        doc["issuer"] = issuer
    if "awarding_bodies" in c:
        bodies = []
        for value in split_values(c["awarding_bodies"]):
            name, uris = split_uris(value)
            body: dict[str, str] = {}
            if name:
                body["name"] = name
            if uris:
                body["id"] = uris[0]
            bodies.append(body)
        doc["awarding_bodies"] = bodies
    learner = {k: c[col] for k, col in (("id", "learner_id"), ("name", "learner_name")) if col in c}
    if learner:
        doc["learner"] = learner
    if "learning_outcomes" in c:
        outcomes = []
        for value in split_values(c["learning_outcomes"]):
            text, uris = split_uris(value)
            esco = [u for u in uris if "/esco/" in u]
            other = [u for u in uris if "/esco/" not in u]
            outcomes.append({"text": text or value, "esco_skills": esco, "other_skills": other})
        doc["learning_outcomes"] = outcomes
    level: dict[str, Any] = {}
    if "eqf_level" in c:
        level["eqf"] = int(c["eqf_level"]) if c["eqf_level"].isdigit() else c["eqf_level"]
    if "nqf_level" in c:
        level["nqf"] = c["nqf_level"]
    if level:
        doc["level"] = level
    if "credits_value" in c:
        try:
            value_num: Any = float(c["credits_value"].replace(",", "."))
        except ValueError:
            value_num = c["credits_value"]
        doc["credits"] = {"system": c.get("credits_system", "ECTS"), "value": value_num}
    if "workload_hours" in c:
        try:
            doc["workload_hours"] = float(c["workload_hours"].replace(",", "."))
        except ValueError:
            doc["workload_as_published"] = c["workload_hours"]
    assessment = {
        k: v
        for k, v in (
            ("type", _concept_cell(c.get("assessment_type", ""))),
            ("mode", _concept_cell(c.get("assessment_mode", ""))),
        )
        if v
    }
    if assessment:
        doc["assessment"] = assessment
    participation = {
        k: v
        for k, v in (
            ("mode", _concept_cell(c.get("participation_mode", ""))),
            ("learning_setting", _concept_cell(c.get("learning_setting", ""))),
        )
        if v
    }
    if participation:
        doc["participation"] = participation
    if "quality_assurance" in c:
        qa = []
        for value in split_values(c["quality_assurance"]):
            title, uris = split_uris(value)
            entry: dict[str, str] = {}
            if title:
                entry["title"] = title
            if uris:
                entry["id"] = uris[0]
            qa.append(entry)
        doc["quality_assurance"] = qa
    if "id_verification" in c:
        doc["id_verification"] = _concept_cell(c["id_verification"])
    stack: dict[str, Any] = {}
    if "stackability" in c:
        stack["statement"] = c["stackability"]
    for key in ("part_of", "has_part"):
        if key in c:
            stack[key] = split_values(c[key])
    if stack:
        doc["stackability"] = stack
    return doc


def _column_pointer(pointer: str) -> str:
    for prefix, column in _POINTER_COLUMN.items():
        if pointer == prefix or pointer.startswith(prefix + "/"):
            return column
    head = pointer.split("/", 2)[1] if pointer.count("/") >= 1 else ""
    if head in _MEMBER_COLUMN:
        return "/" + _MEMBER_COLUMN[head]
    return "/" + head if head else pointer


def read_csv(data: bytes, options: ImportOptions) -> list[CsvRow]:
    """Every row of a CSV file, each with its credential or its problem.

    Raises (for the file as a whole): PayloadTooLarge, CredentialInputError (not UTF-8, no
    header, unknown columns, malformed CSV).
    """
    limits = options.limits
    text = decode_text(data, limits)
    if "\x00" in text:
        raise CredentialInputError("", "NUL characters are not allowed in CSV")
    # The delimiter is the most frequent of , ; TAB on the header line (spreadsheets in many
    # European locales write semicolons); csv.Sniffer guesses wrongly on cells full of ';'.
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise CredentialInputError("", "the CSV file is empty") from None
    except csv.Error as exc:
        raise CredentialInputError("/0", f"the CSV header cannot be read: {exc}") from None
    columns = [h.strip().lstrip("\ufeff").casefold() for h in header]
    unknown = [h for h in columns if h and h not in COLUMNS]
    if unknown:
        raise CredentialInputError(
            "/" + unknown[0],
            f"unknown column {unknown[0]!r}; the columns are: {', '.join(COLUMNS)}",
        )
    if "title" not in columns:
        raise CredentialInputError("/title", "the CSV header needs a 'title' column")
    rows: list[CsvRow] = []
    number = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CredentialInputError(f"/{number + 1}", f"row {number + 1}: {exc}") from None
        if not any(v.strip() for v in values):
            continue
        number += 1
        if number > limits.max_csv_rows:
            raise PayloadTooLarge(
                f"/{number}", f"the file has more than {limits.max_csv_rows} rows"
            )
        cells = {
            col: (values[i] if i < len(values) else "") for i, col in enumerate(columns) if col
        }
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c for c in columns if c])
        writer.writerow([cells[c] for c in columns if c])
        row_text = buffer.getvalue()
        try:
            if len(values) > len(columns):
                raise CredentialInputError(
                    f"/{len(columns)}", f"row {number} has more cells than the header"
                )
            too_long = next((k for k, v in cells.items() if len(v) > _MAX_CELL), None)
            if too_long is not None:
                raise PayloadTooLarge(
                    "/" + too_long, f"a cell is longer than {_MAX_CELL} characters"
                )
            result = import_row(cells, options)
        except DomainError as exc:
            rows.append(CsvRow(number, line, cells, row_text, error=exc))
        else:
            rows.append(CsvRow(number, line, cells, row_text, result=result))
    return rows


def import_row(cells: dict[str, str], options: ImportOptions) -> ImportedCredential:
    """One CSV row -> credential (problems name the column)."""
    doc = row_to_plain(cells)
    try:
        model = validate_plain(doc)
    except CredentialInputError as exc:
        raise CredentialInputError(_column_pointer(exc.field or ""), exc.message) from None
    imported = plain_to_credential(model, options, source_format=SourceFormat.CSV, present=doc)
    c = imported.credential
    sources: dict[str, tuple[str, ...]] = {}
    for name, pointers in c.sources.items():
        mapped: list[str] = []
        for p in pointers:
            col = _column_pointer(p)
            if name != "learning_outcomes" and col in mapped:
                continue
            mapped.append(col)
        sources[name] = tuple(mapped)
    return ImportedCredential(replace(c, sources=sources), imported.warnings)


def _concept_text(concept: Concept | None) -> str:
    if concept is None:
        return ""
    if concept.uri and concept.label:
        return f"{concept.label} <{concept.uri}>"
    return concept.label or (f"<{concept.uri}>" if concept.uri else "")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def credential_to_row(c: MicroCredential) -> dict[str, str]:
    """The CSV cells of a credential (what the columns can hold)."""
    outcomes = []
    for o in c.learning_outcomes:
        uris = " ".join(f"<{s.uri}>" for s in (*o.esco_skills, *o.other_skills))
        outcomes.append(f"{' '.join(o.text.split())} {uris}".strip())
    bodies = [
        f"{o.name or ''} <{o.id}>".strip() if o.id else (o.name or "") for o in c.awarding_bodies
    ]
    qa = [
        f"{q.title or ''} <{q.id}>".strip() if q.id else (q.title or "")
        for q in c.quality_assurance
    ]
    level = c.level
    return {
        "id": c.id or "",
        "title": c.title or "",
        "description": c.description or "",
        "issuer_name": (c.issuer.name if c.issuer else None) or "",
        "issuer_id": (c.issuer.id if c.issuer else None) or "",
        "issuer_country": (c.issuer.country if c.issuer else None) or "",
        "awarding_bodies": "\n".join(b for b in bodies if b),
        "issued_on": c.issued_on.isoformat() if c.issued_on else "",
        "valid_until": c.valid_until.isoformat() if c.valid_until else "",
        "learner_id": (c.learner.id if c.learner else None) or "",
        "learner_name": (c.learner.name if c.learner else None) or "",
        "learning_outcomes": "\n".join(outcomes),
        "eqf_level": str(level.eqf) if level.eqf is not None else (level.eqf_identifier or ""),
        "nqf_level": level.nqf_identifier or (str(level.nqf) if level.nqf else ""),
        "credits_system": c.credits.system if c.credits else "",
        "credits_value": _num(c.credits.value) if c.credits else "",
        "workload_hours": _num(c.workload_hours) if c.workload_hours is not None else "",
        "assessment_type": _concept_text(c.assessment.type) if c.assessment else "",
        "assessment_mode": _concept_text(c.assessment.mode) if c.assessment else "",
        "participation_mode": _concept_text(c.participation.mode) if c.participation else "",
        "learning_setting": _concept_text(c.participation.learning_setting)
        if c.participation
        else "",
        "quality_assurance": "\n".join(q for q in qa if q),
        "prerequisites": c.prerequisites or "",
        "id_verification": _concept_text(c.id_verification),
        "grade": c.grade or "",
        "stackability": c.stackability.statement or "",
        "part_of": "\n".join(c.stackability.part_of),
        "has_part": "\n".join(c.stackability.has_part),
        "further_information": c.further_information or "",
        "language": c.language or "",
    }


def credentials_to_csv(credentials: Iterable[MicroCredential]) -> str:
    """A CSV file (header + one row per credential) that :func:`read_csv` reads back."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for c in credentials:
        writer.writerow(credential_to_row(c))
    return buffer.getvalue()
