"""relate_levels on toy frameworks: the frame chosen, the order, and what it says otherwise."""

from __future__ import annotations

import pytest

from app.core.level_relation import EQF_SAME_FACTOR_SHARED, relate_levels
from app.core.types import (
    ComparisonFrame,
    EdgeKind,
    LevelKey,
    LevelOrder,
    LevelRelation,
    NotComparableReason,
)
from tests.core.toy import toy_graph

G = toy_graph()


def rel(held: str, required: str) -> LevelRelation:
    hf, hc = held.split(":")
    rf, rc = required.split(":")
    return relate_levels(G, LevelKey(hf, hc), LevelKey(rf, rc))


class TestSameFramework:
    @pytest.mark.parametrize(
        ("held", "required", "order"),
        [
            ("IE-NFQ:7", "IE-NFQ:8", LevelOrder.BELOW),
            ("IE-NFQ:8", "IE-NFQ:7", LevelOrder.ABOVE),
            ("IE-NFQ:8", "IE-NFQ:8", LevelOrder.SAME),
            ("MT-MQF:A", "MT-MQF:1", LevelOrder.BELOW),  # unreferenced levels still have an order
        ],
    )
    def test_the_frameworks_own_order(self, held: str, required: str, order: LevelOrder) -> None:
        r = rel(held, required)
        assert (r.order, r.frame, r.confidence) == (order, ComparisonFrame.FRAMEWORK, 1.0)
        assert r.sources and r.notes

    def test_two_national_levels_at_one_eqf_level_are_not_the_same(self) -> None:
        r = rel("IE-NFQ:7", "IE-NFQ:8")
        assert (r.held_eqf, r.required_eqf) == (6, 6)
        assert r.order is LevelOrder.BELOW
        assert r.meets is False

    def test_a_replaced_level_is_compared_through_its_successor(self) -> None:
        r = rel("FR-CNCP:V", "FR-CNCP:3")
        assert (r.order, r.frame) == (LevelOrder.SAME, ComparisonFrame.FRAMEWORK)
        assert [s.kind for s in r.steps] == [EdgeKind.SUCCESSION]
        assert any("succeeded by FR-CNCP:3" in n for n in r.notes)
        assert rel("FR-CNCP:V", "FR-CNCP:4").order is LevelOrder.BELOW


class TestCrosswalk:
    def test_the_crosswalk_counterpart_is_the_required_level(self) -> None:
        r = rel("IE-NFQ:8", "UK-SCT-SCQF:10")
        assert (r.order, r.frame) == (LevelOrder.SAME, ComparisonFrame.CROSSWALK)
        assert r.confidence == pytest.approx(0.6)
        assert [s.kind for s in r.steps] == [EdgeKind.CROSSWALK]

    def test_the_crosswalk_counterpart_orders_against_the_required_level(self) -> None:
        assert rel("IE-NFQ:8", "UK-SCT-SCQF:11").order is LevelOrder.BELOW
        assert rel("IE-NFQ:8", "UK-SCT-SCQF:9").order is LevelOrder.ABOVE
        # read the other way along the same crosswalk
        r = rel("UK-SCT-SCQF:10", "IE-NFQ:9")
        assert (r.order, r.frame) == (LevelOrder.BELOW, ComparisonFrame.CROSSWALK)

    def test_without_a_counterpart_it_falls_back_to_the_eqf(self) -> None:
        r = rel("IE-NFQ:7", "UK-SCT-SCQF:10")  # the toy crosswalk has only NFQ 8 ↔ SCQF 10
        assert r.frame is ComparisonFrame.EQF


class TestThroughTheEqf:
    def test_same_eqf_level_is_same_with_lower_confidence_and_a_warning(self) -> None:
        r = rel("IE-NFQ:7", "DE-DQR:6")
        assert (r.order, r.frame) == (LevelOrder.SAME, ComparisonFrame.EQF)
        assert r.confidence == pytest.approx(0.9 * EQF_SAME_FACTOR_SHARED)
        assert any("EQF granularity" in n and "evaluator must check" in n for n in r.notes)
        assert [str(k) for k in (r.steps[0].source, r.steps[0].target, r.steps[1].target)] == [
            "IE-NFQ:7",
            "EQF:6",
            "DE-DQR:6",
        ]

    def test_same_eqf_level_is_never_full_confidence(self) -> None:
        r = rel("DE-DQR:6", "MT-MQF:6")  # both alone at EQF 6
        assert r.order is LevelOrder.SAME
        assert r.confidence < 0.9

    @pytest.mark.parametrize(
        ("held", "required", "order"),
        [("DE-DQR:5", "IE-NFQ:8", LevelOrder.BELOW), ("IE-NFQ:9", "DE-DQR:6", LevelOrder.ABOVE)],
    )
    def test_different_eqf_levels(self, held: str, required: str, order: LevelOrder) -> None:
        r = rel(held, required)
        assert (r.order, r.frame) == (order, ComparisonFrame.EQF)
        assert 0 < r.confidence < 1

    def test_an_eqf_level_itself(self) -> None:
        r = rel("EQF:6", "IE-NFQ:8")
        assert (r.order, r.frame, r.held_eqf) == (LevelOrder.SAME, ComparisonFrame.EQF, 6)
        assert rel("EQF:5", "EQF:6").frame is ComparisonFrame.FRAMEWORK


class TestCannotTell:
    def test_unreferenced_level(self) -> None:
        r = rel("MT-MQF:A", "IE-NFQ:8")
        assert (r.order, r.frame, r.reason) == (
            LevelOrder.CANNOT_TELL,
            None,
            NotComparableReason.NOT_REFERENCED,
        )
        assert r.meets is None
        assert any("below EQF level 1" in n for n in r.notes)

    def test_framework_not_referenced_at_all(self) -> None:
        r = rel("AU-AQF:7", "IE-NFQ:8")
        assert r.order is LevelOrder.CANNOT_TELL

    def test_unknown_level(self) -> None:
        r = rel("IE-NFQ:99", "IE-NFQ:8")
        assert (r.order, r.reason) == (LevelOrder.CANNOT_TELL, NotComparableReason.UNKNOWN_LEVEL)
        assert "IE-NFQ:99" in r.notes[0]
