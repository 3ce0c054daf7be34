"""Toy frameworks for core tests: small, hand-made, independent of the real data files.

Shapes mirror the irregular cases the real data has: two national levels at one EQF level
(IE-NFQ 7 and 8 → EQF 6), a level below EQF 1 that is not referenced (MT-MQF A), a framework
whose old levels were replaced on a date (FR-CNCP V → 3), a framework with no EQF referencing
at all (AU-AQF), and a direct crosswalk (IE-NFQ 8 ↔ UK-SCT-SCQF 10).
"""

from __future__ import annotations

import datetime as dt

import networkx as nx

from app.core.graph import NodeKey, build_graph
from app.core.release import ConfidenceScale, Release
from app.core.types import (
    ConfidenceClass,
    EdgeKind,
    Framework,
    Level,
    LevelEdge,
    LevelKey,
    MatchType,
    Source,
    Validity,
)

SRC = Source("toy", "Toy source")
SWITCH = dt.date(2019, 1, 1)


def _fw(
    fid: str,
    levels: list[tuple[str, Validity] | str],
    *,
    referenced: bool = True,
    validity: Validity | None = None,
) -> Framework:
    lv = []
    for rank, item in enumerate(levels):
        code, val = (item, Validity()) if isinstance(item, str) else item
        note = None if referenced else "not referenced (toy)"
        lv.append(
            Level(
                fid,
                code,
                f"{fid} {code}",
                (f"http://toy/{fid}/{code}",),
                rank,
                val,
                not_referenced_note=note,
            )
        )
    return Framework(
        fid,
        f"Toy {fid}",
        "national",
        (fid.split("-")[0],),
        (f"http://toy/{fid}",),
        "1",
        validity or Validity(),
        referenced,
        None,
        (SRC,),
        tuple(lv),
    )


def _edge(
    src: str,
    dst: str,
    mt: MatchType,
    conf: float = 0.9,
    kind: EdgeKind = EdgeKind.EQF_REFERENCING,
    validity: Validity | None = None,
) -> LevelEdge:
    sf, sc = src.split(":")
    tf, tc = dst.split(":")
    cls = ConfidenceClass.HIGH if conf >= 0.9 else ConfidenceClass.MEDIUM
    return LevelEdge(
        LevelKey(sf, sc),
        LevelKey(tf, tc),
        kind,
        mt,
        cls,
        conf,
        (SRC,),
        None,
        validity or Validity(),
    )


def toy_frameworks() -> list[Framework]:
    eqf = Framework(
        "EQF",
        "EQF",
        "eqf",
        ("EU",),
        ("http://toy/eqf",),
        "1",
        Validity(),
        True,
        None,
        (SRC,),
        tuple(
            Level("EQF", str(n), f"EQF {n}", (f"http://toy/eqf/{n}",), n - 1) for n in range(1, 9)
        ),
    )
    return [
        eqf,
        _fw("IE-NFQ", [str(n) for n in range(1, 11)]),
        _fw("DE-DQR", [str(n) for n in range(1, 9)]),
        _fw("MT-MQF", ["A", "B", *[str(n) for n in range(1, 9)]]),
        _fw("UK-SCT-SCQF", [str(n) for n in range(1, 13)]),
        _fw(
            "FR-CNCP",
            [
                *[(c, Validity(None, SWITCH)) for c in ("V", "IV")],
                *[(str(n), Validity(SWITCH, None)) for n in (3, 4)],
            ],
        ),
        _fw("AU-AQF", [str(n) for n in range(1, 11)], referenced=False),
        _fw("SK-SKKR", ["1", "2", "3"]),
    ]


def toy_edges() -> list[LevelEdge]:
    E, B = MatchType.EXACT, MatchType.BROAD
    ie = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 6, 9: 7, 10: 8}
    edges = [
        _edge(f"IE-NFQ:{n}", f"EQF:{e}", B if list(ie.values()).count(e) > 1 else E)
        for n, e in ie.items()
    ]
    edges += [_edge(f"DE-DQR:{n}", f"EQF:{n}", E) for n in range(1, 9)]
    edges += [_edge(f"MT-MQF:{n}", f"EQF:{n}", E) for n in range(1, 9)]
    scqf = {3: 1, 4: 2, 5: 3, 6: 4, 7: 5, 8: 5, 9: 6, 10: 6, 11: 7, 12: 8}
    edges += [
        _edge(f"UK-SCT-SCQF:{n}", f"EQF:{e}", B if list(scqf.values()).count(e) > 1 else E, 0.6)
        for n, e in scqf.items()
    ]
    edges += [
        _edge("FR-CNCP:V", "EQF:3", E),
        _edge("FR-CNCP:IV", "EQF:4", E),
        _edge("FR-CNCP:3", "EQF:3", E),
        _edge("FR-CNCP:4", "EQF:4", E),
    ]
    edges += [
        _edge("FR-CNCP:V", "FR-CNCP:3", E, kind=EdgeKind.SUCCESSION),
        _edge("FR-CNCP:IV", "FR-CNCP:4", E, kind=EdgeKind.SUCCESSION),
    ]
    edges += [
        _edge("SK-SKKR:1", "EQF:1", E),
        _edge("SK-SKKR:2", "EQF:2", E),
        _edge("SK-SKKR:3", "EQF:3", E),
    ]
    edges += [_edge("IE-NFQ:8", "UK-SCT-SCQF:10", MatchType.CLOSE, 0.6, EdgeKind.CROSSWALK)]
    # SCQF 1-2 and MQF A/B carry no EQF edge: they are not referenced.
    return edges


def toy_release() -> Release:
    frameworks = toy_frameworks()
    fixed = []
    for fw in frameworks:
        if fw.id in ("MT-MQF", "UK-SCT-SCQF"):
            referenced_codes = {e.source.code for e in toy_edges() if e.source.framework == fw.id}
            levels = tuple(
                lvl
                if lvl.code in referenced_codes
                else Level(
                    lvl.framework,
                    lvl.code,
                    lvl.label,
                    lvl.uris,
                    lvl.rank,
                    lvl.validity,
                    not_referenced_note="below EQF level 1 (toy)",
                )
                for lvl in fw.levels
            )
            fw = Framework(
                fw.id,
                fw.title,
                fw.kind,
                fw.jurisdictions,
                fw.uris,
                fw.version,
                fw.validity,
                fw.eqf_referenced,
                fw.referencing_date,
                fw.sources,
                levels,
            )
        fixed.append(fw)
    return Release(
        content_hash="0" * 64,
        label="toy",
        frameworks={f.id: f for f in fixed},
        edges=tuple(toy_edges()),
        qualification_types=(),
        confidence_scale=ConfidenceScale("toy", 0.9, 0.6, 0.3),
    )


def toy_graph() -> nx.MultiDiGraph[NodeKey]:
    release = toy_release()
    return build_graph(release.frameworks.values(), release.edges)
