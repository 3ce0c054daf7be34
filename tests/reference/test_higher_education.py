"""QF-EHEA cycles only for what the national referencing places in higher education (issue 10)."""

from __future__ import annotations

from app.core.higher_education import CycleStatus, qf_ehea_cycle
from app.core.levels import compare_level, relate_levels
from app.core.types import (
    EdgeKind,
    LevelKey,
    LevelOrder,
    MatchType,
    NotComparableReason,
)
from app.services.registry import Registry

DQR6 = LevelKey("DE-DQR", "6")
NFQ6 = LevelKey("IE-NFQ", "6")


def test_dqr6_does_not_compose_to_a_cycle(registry: Registry) -> None:
    result = compare_level(registry.graph, DQR6, "QF-EHEA")
    # never through its EQF level: only the recorded placement, and only "related"
    assert all(len(m.steps) == 1 for m in result.matches)
    assert all(m.steps[0].kind is EdgeKind.QF_EHEA_PLACEMENT for m in result.matches)
    assert [m.match_type for m in result.matches] == [MatchType.RELATED]
    assert any("outside higher education" in n for n in result.matches[0].notes)


def test_the_meister_is_not_a_first_cycle_qualification(registry: Registry) -> None:
    types = registry.release.qualification_types
    meister = qf_ehea_cycle(registry.graph, DQR6, "Master craftsman", types)
    assert (meister.status, meister.cycle) == (CycleStatus.NOT_PLACED, None)
    bachelor = qf_ehea_cycle(
        registry.graph,
        DQR6,
        "Bachelor degrees and equivalent higher education qualifications",
        types,
    )
    assert (bachelor.status, bachelor.cycle) == (CycleStatus.PLACED, "first")
    assert qf_ehea_cycle(registry.graph, DQR6).status is CycleStatus.TYPE_NEEDED


def test_irish_nfq6_advanced_certificate_is_not_short_cycle(registry: Registry) -> None:
    result = compare_level(registry.graph, NFQ6, "QF-EHEA")
    assert MatchType.EXACT not in [m.match_type for m in result.matches]
    types = registry.release.qualification_types
    advanced = qf_ehea_cycle(registry.graph, NFQ6, "Advanced Certificate", types)
    assert advanced.status is CycleStatus.NOT_PLACED
    higher = qf_ehea_cycle(registry.graph, NFQ6, "Higher Certificate in Engineering", types)
    assert (higher.status, higher.cycle) == (CycleStatus.PLACED, "short")
    assert higher.sources


def test_higher_education_levels_still_map(registry: Registry) -> None:
    (match,) = compare_level(registry.graph, LevelKey("IE-NFQ", "8"), "QF-EHEA").matches
    assert (match.level.code, match.match_type) == ("first", MatchType.BROAD)
    assert match.steps[0].sources
    (match,) = compare_level(registry.graph, LevelKey("IE-NFQ", "10"), "QF-EHEA").matches
    assert (match.level.code, match.match_type) == ("third", MatchType.EXACT)
    back = compare_level(registry.graph, LevelKey("QF-EHEA", "first"), "IE-NFQ")
    assert [m.level.code for m in back.matches] == ["7", "8"]
    r = relate_levels(registry.graph, LevelKey("IE-NFQ", "7"), LevelKey("QF-EHEA", "second"))
    assert r.order is LevelOrder.BELOW


def test_where_the_data_cannot_tell_the_comparison_says_so(registry: Registry) -> None:
    result = compare_level(registry.graph, LevelKey("DE-DQR", "5"), "QF-EHEA")
    assert result.matches == ()
    assert result.reason is NotComparableReason.NOT_PLACED_IN_HIGHER_EDUCATION
    assert "higher education" in result.notes[0]
    result = compare_level(registry.graph, LevelKey("QF-EHEA", "first"), "FR-CNCP")
    assert result.reason is NotComparableReason.NOT_PLACED_IN_HIGHER_EDUCATION
    assert qf_ehea_cycle(registry.graph, LevelKey("IE-NFQ", "5")).status is CycleStatus.NOT_RECORDED


def test_the_eqf_still_relates_to_the_cycles(registry: Registry) -> None:
    (match,) = compare_level(registry.graph, LevelKey("EQF", "6"), "QF-EHEA").matches
    assert (match.level.code, match.match_type) == ("first", MatchType.EXACT)
