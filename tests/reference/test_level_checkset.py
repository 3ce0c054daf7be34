"""The level check set is well formed, and the estimator stays clearly above the baseline.

The floor is deliberately loose (the figures are reported by benchmarks/level_checkset.py and
the set is never used for tuning); this only catches a broken estimator or data file.
"""

from __future__ import annotations

from benchmarks.level_checkset import evaluate, load_items


def test_checkset_is_well_formed() -> None:
    items = load_items()
    assert len(items) == 810
    assert len({i.id for i in items}) == len(items)
    assert {i.eqf_level for i in items} == set(range(1, 9))
    assert all(i.title and i.jurisdiction for i in items)


def test_estimator_beats_the_baseline_without_leakage() -> None:
    ours, baseline = evaluate(hold_out_jurisdiction=True)
    assert ours.accuracy > baseline.accuracy + 0.1
    assert ours.mae < baseline.mae
