"""Load ``frameworks/`` and ``mappings/`` into one validated, cross-checked, hashed Release.

A bad file fails loading with a :class:`ReferenceDataError` naming the file, the line and the
field (``frameworks/ie-nfq.yaml:42: levels[7].eqf[0].level: Input should be less than or
equal to 8``). Cross-file problems (an edge to a level that does not exist, a URI used twice)
are reported the same way, all of them at once.

The content hash is the SHA-256 of every data file's path and bytes, in path order, so the same
files give the same release on any machine, and any change gives a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.core.graph import QF_EHEA_ID
from app.core.release import ConfidenceScale, Release
from app.core.types import (
    EQF_ID,
    ConfidenceClass,
    CreditRange,
    Descriptors,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    MatchType,
    QualificationType,
    Source,
    Validity,
)
from app.reference.schema import (
    ConfidenceScaleFile,
    CrosswalkFile,
    EqfFile,
    FrameworkFile,
    SourceModel,
    parse_level_ref,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ReferenceDataError(Exception):
    """One or more data files are invalid. ``problems`` lists each with file, line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(
            f"{len(problems)} problem(s) in the reference data:\n  {lines}\n"
            "Fix the files (see frameworks/README.md) and run `passerelle data check`."
        )


# --- YAML with line numbers --------------------------------------------------------------


def _node_at(node: yaml.Node, loc: Iterable[int | str]) -> yaml.Node:
    """The YAML node at a pydantic error location, as deep as the location can be followed."""
    current = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            nxt = next((v for k, v in current.value if k.value == part), None)
            if nxt is None:
                key = next((k for k, _v in current.value if k.value == part), None)
                return key or current
            current = nxt
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                return current
            current = current.value[part]
        else:
            return current
    return current


def _field_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# libyaml's C parser when PyYAML was built with it (its wheels are): the pure-Python one took
# about 3.5 s of a 4 s start-up on a slow CPU to read the 51 reference files.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_error(display: str, exc: yaml.YAMLError) -> ReferenceDataError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    return ReferenceDataError([Problem(display, line, "", f"not valid YAML: {exc}")])


def _read_yaml(path: Path, display: str) -> tuple[Any, str]:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=YAML_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        raise _yaml_error(display, exc) from exc
    return data, text


def _validate(model: type[M], path: Path, display: str) -> M:
    data, text = _read_yaml(path, display)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Only now is the node tree needed: it maps each failing field to its line.
        node = yaml.compose(text, Loader=YAML_LOADER)
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            line = _node_at(node, loc).start_mark.line + 1 if node is not None else None
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(display, line, _field_path(loc), msg))
        raise ReferenceDataError(problems) from exc


# --- conversion to core types --------------------------------------------------------------


def _source(model: SourceModel) -> Source:
    return Source(
        id=model.id,
        title=model.title,
        url=model.url,
        retrieved=model.retrieved,
        licence=model.licence,
        note=model.note,
    )


def _framework(model: FrameworkFile, sources: dict[str, Source]) -> Framework:
    levels = []
    for rank, lvl in enumerate(model.levels):
        uris = tuple(u for u in (lvl.uri, *lvl.other_uris) if u)
        desc = lvl.descriptors
        levels.append(
            Level(
                framework=model.id,
                code=lvl.code,
                label=lvl.label,
                uris=uris,
                rank=rank,
                validity=Validity(lvl.valid_from, lvl.valid_to),
                descriptors=Descriptors(desc.knowledge, desc.skills, desc.responsibility_autonomy)
                if desc
                else None,
                qualification_types=tuple(q.name for q in lvl.qualification_types),
                credit_range=CreditRange(
                    lvl.credit_range.system,
                    lvl.credit_range.minimum,
                    lvl.credit_range.maximum,
                    lvl.credit_range.note,
                )
                if lvl.credit_range
                else None,
                not_referenced_note=lvl.not_referenced,
            )
        )
    uris = tuple(u for u in (model.uris.eu_vocabulary, model.uris.esco, *model.uris.other) if u)
    return Framework(
        id=model.id,
        title=model.title,
        kind=model.kind,
        jurisdictions=tuple(model.jurisdictions),
        uris=uris,
        version=model.version,
        validity=Validity(model.valid_from, model.valid_to),
        eqf_referenced=model.eqf_referencing.referenced,
        referencing_date=model.eqf_referencing.date,
        sources=tuple(sources.values()),
        levels=tuple(levels),
        acronym=model.acronym,
        notes=model.notes,
    )


def _eqf_framework(model: EqfFile) -> Framework:
    levels = tuple(
        Level(
            framework=EQF_ID,
            code=str(lvl.level),
            label=f"EQF level {lvl.level}",
            uris=tuple(u for u in (lvl.uri, lvl.esco_uri) if u),
            rank=lvl.level - 1,
            descriptors=Descriptors(lvl.knowledge, lvl.skills, lvl.responsibility_autonomy),
        )
        for lvl in sorted(model.levels, key=lambda x: x.level)
    )
    uris = tuple(u for u in (model.uris.eu_vocabulary, model.uris.esco, *model.uris.other) if u)
    return Framework(
        id=EQF_ID,
        title=model.title,
        kind="eqf",
        jurisdictions=("EU",),
        uris=uris,
        version=model.version,
        validity=Validity(model.valid_from, None),
        eqf_referenced=True,
        referencing_date=None,
        sources=tuple(_source(s) for s in model.sources),
        levels=levels,
        acronym="EQF",
    )


def _eqf_edges(
    model: FrameworkFile, sources: dict[str, Source], scale: ConfidenceScale
) -> Iterator[LevelEdge]:
    for lvl in model.levels:
        for e in lvl.eqf:
            yield LevelEdge(
                source=LevelKey(model.id, lvl.code),
                target=LevelKey(EQF_ID, str(e.level)),
                kind=EdgeKind.EQF_REFERENCING,
                match_type=MatchType(e.match_type),
                confidence_class=ConfidenceClass(e.confidence),
                confidence=scale.value(e.confidence),
                sources=tuple(sources[s] for s in e.sources),
                basis=e.basis,
                validity=Validity(e.valid_from, e.valid_to),
            )
        for succ in lvl.successors:
            target = next(x.code for x in model.levels if x.code.casefold() == succ.code.casefold())
            yield LevelEdge(
                source=LevelKey(model.id, lvl.code),
                target=LevelKey(model.id, target),
                kind=EdgeKind.SUCCESSION,
                match_type=MatchType(succ.match_type),
                confidence_class=ConfidenceClass(succ.confidence),
                confidence=scale.value(succ.confidence),
                sources=tuple(sources[s] for s in succ.sources),
                basis=succ.basis,
            )


def _qf_ehea_placements(
    model: FrameworkFile, sources: dict[str, Source], scale: ConfidenceScale
) -> Iterator[LevelEdge]:
    for lvl in model.levels:
        placed = lvl.qf_ehea
        if placed is None:
            continue
        yield LevelEdge(
            source=LevelKey(model.id, lvl.code),
            target=LevelKey(QF_EHEA_ID, placed.cycle),
            kind=EdgeKind.QF_EHEA_PLACEMENT,
            match_type=MatchType(placed.match_type),
            confidence_class=ConfidenceClass(placed.confidence),
            confidence=scale.value(placed.confidence),
            sources=tuple(sources[s] for s in placed.sources),
            basis=placed.basis,
        )


def _qualification_types(
    model: FrameworkFile, sources: dict[str, Source]
) -> Iterator[QualificationType]:
    eqf_of = {lvl.code: (lvl.eqf[0].level if lvl.eqf else None) for lvl in model.levels}
    jurisdiction = model.jurisdictions[0]
    for lvl in model.levels:
        for qt in lvl.qualification_types:
            yield QualificationType(
                name=qt.name,
                jurisdiction=jurisdiction,
                framework=model.id,
                level_code=lvl.code,
                eqf_level=eqf_of[lvl.code],
                source=sources[qt.sources[0]],
                is_example=qt.example,
                alt_labels=tuple(qt.alt_labels),
            )
            if qt.qf_ehea_cycle and lvl.qf_ehea:
                # The same type placed at its QF-EHEA cycle, cited to the placement's source:
                # a second row, so the cycle survives storage without a new column.
                yield QualificationType(
                    name=qt.name,
                    jurisdiction=jurisdiction,
                    framework=QF_EHEA_ID,
                    level_code=qt.qf_ehea_cycle,
                    eqf_level=eqf_of[lvl.code],
                    source=sources[lvl.qf_ehea.sources[0]],
                    is_example=qt.example,
                    alt_labels=tuple(qt.alt_labels),
                )
    for uq in model.unplaced_qualification_types:
        yield QualificationType(
            name=uq.name,
            jurisdiction=jurisdiction,
            framework=model.id,
            level_code=None,
            eqf_level=uq.eqf_level,
            source=sources[uq.sources[0]],
            is_example=uq.example,
        )


# --- the release ----------------------------------------------------------------------------


def data_files(frameworks_dir: Path, mappings_dir: Path) -> list[tuple[str, Path]]:
    """Every data file of a release as ``(display name, path)``, in a stable order."""
    files: list[tuple[str, Path]] = []
    for base, name in ((frameworks_dir, "frameworks"), (mappings_dir, "mappings")):
        for path in sorted(base.rglob("*.yaml")):
            rel = path.relative_to(base).as_posix()
            if rel.startswith("_") or "/_" in rel:
                continue
            files.append((f"{name}/{rel}", path))
    return files


def content_hash(files: list[tuple[str, Path]]) -> tuple[str, dict[str, str]]:
    digest = hashlib.sha256()
    per_file: dict[str, str] = {}
    for display, path in files:
        data = path.read_bytes()
        per_file[display] = hashlib.sha256(data).hexdigest()
        digest.update(display.encode() + b"\0" + data + b"\0")
    return digest.hexdigest(), per_file


def load_release(frameworks_dir: Path, mappings_dir: Path) -> Release:
    """Validate every file, cross-check them, and return the hashed Release.

    Raises:
        ReferenceDataError: with every problem found (file, line, field, message).
    """
    files = data_files(frameworks_dir, mappings_dir)
    problems: list[Problem] = []
    scale_path = mappings_dir / "confidence.yaml"
    eqf_path = frameworks_dir / "eqf.yaml"
    for required, display in (
        (eqf_path, "frameworks/eqf.yaml"),
        (scale_path, "mappings/confidence.yaml"),
    ):
        if not required.is_file():
            problems.append(Problem(display, None, "", "required file is missing"))
    if problems:
        raise ReferenceDataError(problems)

    def attempt(model: type[M], path: Path, display: str) -> M | None:
        try:
            return _validate(model, path, display)
        except ReferenceDataError as exc:
            problems.extend(exc.problems)
            return None

    scale_file = attempt(ConfidenceScaleFile, scale_path, "mappings/confidence.yaml")
    eqf_file = attempt(EqfFile, eqf_path, "frameworks/eqf.yaml")
    framework_files: list[tuple[str, FrameworkFile]] = []
    crosswalk_files: list[tuple[str, CrosswalkFile]] = []
    for display, path in files:
        if display in ("frameworks/eqf.yaml", "mappings/confidence.yaml"):
            continue
        if display.startswith("frameworks/"):
            fw = attempt(FrameworkFile, path, display)
            if fw:
                expected = path.stem.upper()
                if fw.id.upper() != expected:
                    problems.append(
                        Problem(display, 1, "id", f"id {fw.id!r} does not match the file name")
                    )
                framework_files.append((display, fw))
        elif display.startswith("mappings/crosswalks/"):
            cw = attempt(CrosswalkFile, path, display)
            if cw:
                crosswalk_files.append((display, cw))
    if problems or scale_file is None or eqf_file is None:
        raise ReferenceDataError(problems)

    scale = ConfidenceScale(scale_file.version, scale_file.high, scale_file.medium, scale_file.low)
    frameworks: dict[str, Framework] = {EQF_ID: _eqf_framework(eqf_file)}
    edges: list[LevelEdge] = []
    qtypes: list[QualificationType] = []
    placements: list[tuple[str, LevelEdge]] = []
    origin: dict[str, str] = {EQF_ID: "frameworks/eqf.yaml"}
    for display, fw in framework_files:
        if fw.id in frameworks:
            problems.append(
                Problem(display, 1, "id", f"{fw.id} is also defined in {origin[fw.id]}")
            )
            continue
        sources = {s.id: _source(s) for s in fw.sources}
        frameworks[fw.id] = _framework(fw, sources)
        origin[fw.id] = display
        edges.extend(_eqf_edges(fw, sources, scale))
        qtypes.extend(_qualification_types(fw, sources))
        placements.extend((display, e) for e in _qf_ehea_placements(fw, sources, scale))

    cycles = frameworks.get(QF_EHEA_ID)
    for display, edge in placements:
        if edge.source.framework != QF_EHEA_ID and cycles and cycles.level(edge.target.code):
            edges.append(edge)
        else:
            problems.append(
                Problem(
                    display,
                    None,
                    f"levels[{edge.source.code}].qf_ehea",
                    f"no QF-EHEA cycle {edge.target.code!r} in frameworks/qf-ehea.yaml",
                )
            )

    for display, cw in crosswalk_files:
        sources = {s.id: _source(s) for s in cw.sources}
        for i, pair in enumerate(cw.pairs):
            keys = []
            for side in ("source", "target"):
                fid, code = parse_level_ref(getattr(pair, side))
                level = frameworks[fid].level(code) if fid in frameworks else None
                if level is None:
                    problems.append(
                        Problem(display, None, f"pairs[{i}].{side}", f"no level {fid}:{code}")
                    )
                    break
                keys.append(level.key)
            if len(keys) == 2:
                edges.append(
                    LevelEdge(
                        source=keys[0],
                        target=keys[1],
                        kind=EdgeKind.CROSSWALK,
                        match_type=MatchType(pair.match_type),
                        confidence_class=ConfidenceClass(pair.confidence),
                        confidence=scale.value(pair.confidence),
                        sources=tuple(sources[s] for s in pair.sources),
                        basis=pair.note or cw.title,
                        validity=Validity(pair.valid_from, pair.valid_to),
                    )
                )

    problems.extend(_cross_checks(frameworks, origin))
    if problems:
        raise ReferenceDataError(problems)

    digest, per_file = content_hash(files)
    label = f"{dt.date.today():%Y.%m.%d}-{digest[:8]}"
    manifest: dict[str, object] = {
        "files": per_file,
        "framework_versions": {fid: f.version for fid, f in sorted(frameworks.items())},
        "confidence_scale_version": scale.version,
    }
    return Release(
        content_hash=digest,
        label=label,
        frameworks=frameworks,
        edges=tuple(edges),
        qualification_types=tuple(qtypes),
        confidence_scale=scale,
        manifest=manifest,
    )


def _cross_checks(frameworks: dict[str, Framework], origin: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    seen_uri: dict[str, str] = {}
    for fid, fw in frameworks.items():
        for uri in fw.uris:
            if uri in seen_uri:
                problems.append(
                    Problem(origin[fid], None, "uris", f"{uri} also used by {seen_uri[uri]}")
                )
            seen_uri[uri] = fid
        for lvl in fw.levels:
            for uri in lvl.uris:
                if uri in seen_uri:
                    problems.append(
                        Problem(
                            origin[fid],
                            None,
                            f"levels[{lvl.code}].uri",
                            f"{uri} also used by {seen_uri[uri]}",
                        )
                    )
                seen_uri[uri] = f"{fid}:{lvl.code}"
    return problems
