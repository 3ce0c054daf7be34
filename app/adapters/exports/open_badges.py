"""A recognition decision's levels and module outcomes as Open Badges 3.0 ``Alignment``s.

Each object has the members the OB 3.0 JSON schema requires of an ``Alignment`` (``type``,
``targetName``, ``targetUrl``) and, where known, ``targetCode``, ``targetFramework``,
``targetDescription`` and ``targetType``. Levels use the ``targetType`` extension values the
badge world uses for European levels (``ext:EQF``, ``ext:NQF``; Passerelle's own OB importer
reads them back), with the EU vocabulary URI as ``targetUrl`` where the level has one. Module
decisions that grant something (``replace``, ``conditional``) align the achievement with the
catalogue module whose learning outcomes it was found to cover (``ext:Module``).

The list is what goes in an OB 3.0 ``Achievement.alignment``; the document around it names
the record and its current outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from app.adapters.exports.iris import BASE, level_iri
from app.core.types import EQF_ID, Framework, Level

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


@dataclass(frozen=True, slots=True)
class LevelFact:
    """A level to align with, and why (``relation``: how the record relates to it)."""

    level: Level
    framework: Framework
    relation: str


def level_alignment(fact: LevelFact) -> dict[str, Any]:
    level, framework = fact.level, fact.framework
    return {
        "type": ["Alignment"],
        "targetName": level.label,
        "targetUrl": level_iri(level),
        "targetCode": level.code,
        "targetFramework": framework.title,
        "targetDescription": fact.relation,
        "targetType": "ext:EQF" if framework.id == EQF_ID else "ext:NQF",
    }


def module_url(programme_id: str, code: str) -> str:
    return f"{BASE}qualification/{quote(programme_id, safe='')}/module/{quote(code, safe='')}"


def recognition_alignments(
    record: Mapping[str, Any], levels: Sequence[LevelFact]
) -> dict[str, Any]:
    """The alignments of one recognition record (the ``RecognitionRecord`` JSON)."""
    alignments = [level_alignment(f) for f in levels]
    qualification = (record.get("target") or {}).get("qualification") or {}
    pid = qualification.get("id")
    for m in record.get("modules", []):
        if pid is None or m.get("decision") not in ("replace", "conditional"):
            continue
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": m["title"],
                "targetUrl": module_url(pid, m["code"]),
                "targetCode": m["code"],
                "targetFramework": f"{qualification.get('title')} "
                f"({qualification.get('institution')})",
                "targetDescription": f"Recognition decision {m['decision']}: "
                f"{m['coverage']:.0%} of the module's learning outcomes covered",
                "targetType": "ext:Module",
            }
        )
    credential = record.get("credential") or {}
    return {
        "@context": OB3_CONTEXT,
        "record": record.get("id"),
        "outcome": record.get("current_outcome"),
        "achievement": {"name": credential.get("title"), "alignment": alignments},
    }
