"""relate_levels on the real data: the cases of issue 10 as an evaluator expects them."""

from __future__ import annotations

import pytest

from app.core.levels import relate_levels
from app.core.types import ComparisonFrame, LevelKey, LevelOrder, LevelRelation
from app.services.registry import Registry


def rel(registry: Registry, held: str, required: str) -> LevelRelation:
    hf, hc = held.split(":", 1)
    rf, rc = required.split(":", 1)
    return relate_levels(registry.graph, LevelKey(hf, hc), LevelKey(rf, rc))


@pytest.mark.parametrize(
    ("held", "required", "order", "frame"),
    [
        # same EQF level, different national levels: the framework's own order decides
        ("IE-NFQ:7", "IE-NFQ:8", LevelOrder.BELOW, ComparisonFrame.FRAMEWORK),
        ("UK-SCT-SCQF:9", "UK-SCT-SCQF:10", LevelOrder.BELOW, ComparisonFrame.FRAMEWORK),
        ("UK-RQF:Entry 3", "UK-RQF:1", LevelOrder.BELOW, ComparisonFrame.FRAMEWORK),
        # the UK–Ireland leaflet (Table 2) pairs NFQ 7 with SCQF 9, not 10
        ("IE-NFQ:7", "UK-SCT-SCQF:10", LevelOrder.BELOW, ComparisonFrame.CROSSWALK),
        ("IE-NFQ:8", "UK-SCT-SCQF:10", LevelOrder.SAME, ComparisonFrame.CROSSWALK),
        ("UK-SCT-SCQF:9", "IE-NFQ:8", LevelOrder.BELOW, ComparisonFrame.CROSSWALK),
        # no crosswalk: the EQF, and "same" there is only a finding to check
        ("DE-DQR:6", "IE-NFQ:8", LevelOrder.SAME, ComparisonFrame.EQF),
        ("DE-DQR:7", "IE-NFQ:8", LevelOrder.ABOVE, ComparisonFrame.EQF),
        # French levels replaced in 2019 are compared through their successors
        ("FR-CNCP:V", "FR-CNCP:3", LevelOrder.SAME, ComparisonFrame.FRAMEWORK),
    ],
)
def test_orders_as_an_evaluator_expects(
    registry: Registry, held: str, required: str, order: LevelOrder, frame: ComparisonFrame
) -> None:
    r = rel(registry, held, required)
    assert (r.order, r.frame) == (order, frame)
    assert r.sources, "every answer cites its sources"


def test_same_through_the_eqf_is_never_full_confidence(registry: Registry) -> None:
    r = rel(registry, "DE-DQR:6", "IE-NFQ:8")
    assert r.confidence < 0.6
    assert any("national levels within one EQF level may differ" in n for n in r.notes)


def test_sublevels_are_not_ordered_by_their_labels(registry: Registry) -> None:
    r = rel(registry, "HR-CROQF:7.1", "HR-CROQF:7.2")
    assert r.frame is ComparisonFrame.EQF
    assert any("sublevels" in n for n in r.notes)


def test_a_level_below_the_eqf_cannot_be_told(registry: Registry) -> None:
    r = rel(registry, "MT-MQF:A", "IE-NFQ:3")
    assert r.order is LevelOrder.CANNOT_TELL
    assert r.reason is not None and r.notes
