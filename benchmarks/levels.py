"""EQF level from a qualification mention: accuracy, abstention and calibration.

Two sets, each printed beside an always-EQF-6 baseline (the level most mentions sit at):

* **held-out mentions** (``benchmarks/data/level_mentions.csv``, 42 real mentions from job
  adverts and entry requirements, with their pages; see its PROVENANCE): never used to fit
  anything. Rows without a gold level must be abstained on.
* **Europass check set** (``tests/data/level_checkset.csv``, 810 titles), each item with its own
  jurisdiction's references held out (no item finds itself). The calibration table of
  ``app/core/level_estimation.py`` is fitted on this set (``--calibrate`` prints it).

Figures: accuracy and within-one over answered items and over all items (an abstention counts
as a miss there), the abstention rate, abstentions on mentions that have no level, and a
reliability table (calibrated confidence bins against observed accuracy).

    PYTHONPATH=. python benchmarks/levels.py [--calibrate]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from app.core.level_estimation import LevelEstimate, LevelEstimator, title_references
from app.reference.loader import load_release
from app.reference.policies import load_policy
from app.settings import PROJECT_ROOT

MENTIONS = PROJECT_ROOT / "benchmarks" / "data" / "level_mentions.csv"
CHECKSET = PROJECT_ROOT / "tests" / "data" / "level_checkset.csv"
BASELINE_LEVEL = 6


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    text: str
    gold: int | None
    jurisdiction: str | None = None


def mentions() -> list[Item]:
    with MENTIONS.open(encoding="utf-8", newline="") as fh:
        return [
            Item(r["id"], r["mention"], int(r["gold_eqf"]) if r["gold_eqf"] else None)
            for r in csv.DictReader(fh)
        ]


def checkset() -> list[Item]:
    with CHECKSET.open(encoding="utf-8", newline="") as fh:
        return [
            Item(r["id"], r["title"], int(r["eqf_level"]), r["jurisdiction"])
            for r in csv.DictReader(fh)
        ]


def run(estimator: LevelEstimator, items: list[Item]) -> list[tuple[Item, LevelEstimate]]:
    out = []
    for item in items:
        exclude = frozenset({item.jurisdiction}) if item.jurisdiction else frozenset()
        out.append((item, estimator.estimate([], title=item.text, exclude_jurisdictions=exclude)))
    return out


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def report(name: str, results: list[tuple[Item, LevelEstimate]]) -> None:
    levelled = [(i, e) for i, e in results if i.gold is not None]
    none = [(i, e) for i, e in results if i.gold is None]
    answered = [(i, e) for i, e in levelled if e.eqf_level is not None]
    assert all(i.gold is not None for i, _ in levelled)
    right = sum(e.eqf_level == i.gold for i, e in answered)
    near = sum(abs((e.eqf_level or 0) - (i.gold or 0)) <= 1 for i, e in answered)
    base_right = sum(i.gold == BASELINE_LEVEL for i, _ in levelled)
    base_near = sum(abs((i.gold or 0) - BASELINE_LEVEL) <= 1 for i, _ in levelled)
    n = len(levelled)
    print(f"\n{name}: {len(results)} items ({n} with a level, {len(none)} without)")
    head = ("answered", "acc(ans)", "acc(all)", "±1(ans)", "±1(all)")
    print(f"{'method':34} " + " ".join(f"{h:>9}" for h in head))
    print(
        f"{'estimator (abstains)':34} {len(answered):>9} {_ratio(right, len(answered)):>9} "
        f"{_ratio(right, n):>9} {_ratio(near, len(answered)):>9} {_ratio(near, n):>9}"
    )
    base = (_ratio(base_right, n), _ratio(base_right, n), _ratio(base_near, n))
    print(
        f"{'baseline: always EQF 6':34} {n:>9} {base[0]:>9} {base[1]:>9} {base[2]:>9} "
        f"{_ratio(base_near, n):>9}"
    )
    abstained = sum(e.eqf_level is None for _i, e in results)
    print(f"abstention rate: {_ratio(abstained, len(results))} of all items; ", end="")
    print(f"on items with a level {_ratio(n - len(answered), n)}", end="")
    if none:
        ok = sum(e.eqf_level is None for _i, e in none)
        print(f"; on items without a level {ok}/{len(none)} abstained (right)")
    else:
        print()
    reliability(answered)


def reliability(answered: list[tuple[Item, LevelEstimate]]) -> None:
    edges = [0.0, 0.3, 0.5, 0.7, 0.85, 1.01]
    print(f"  {'confidence':>12} {'n':>5} {'mean conf':>10} {'accuracy':>9}")
    for lo, hi in itertools.pairwise(edges):
        rows = [(i, e) for i, e in answered if lo <= e.confidence < hi]
        if not rows:
            continue
        mean = sum(e.confidence for _i, e in rows) / len(rows)
        acc = sum(e.eqf_level == i.gold for i, e in rows) / len(rows)
        print(f"  {f'[{lo:.2f},{min(hi, 1):.2f})':>12} {len(rows):>5} {mean:>10.3f} {acc:>9.3f}")


def calibrate(estimator: LevelEstimator) -> None:
    """Fit pooled top probability → accuracy on the Europass check set (isotonic)."""
    from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]

    raw, hit = [], []
    for item, est in run(estimator, checkset()):
        if not est.signals:
            continue
        raw.append(max(est.distribution))
        hit.append(float(est.most_likely == item.gold))
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, hit)
    grid = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    points = ", ".join(f"({x:.1f}, {float(iso.predict([x])[0]):.3f})" for x in grid)
    print(f"{len(raw)} answered check-set items; paste into app/core/level_estimation.py:")
    print(f"CALIBRATION = ({points})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="print the calibration table")
    args = parser.parse_args()
    release = load_release(PROJECT_ROOT / "frameworks", PROJECT_ROOT / "mappings")
    policy = load_policy(PROJECT_ROOT / "mappings")
    estimator = LevelEstimator([], title_references(release.qualification_types), policy.level)
    if args.calibrate:
        calibrate(estimator)
        return
    from benchmarks.machine import cpu_description

    print(f"CPU: {cpu_description()}")
    started = time.perf_counter()
    report("Held-out mentions (benchmarks/data/level_mentions.csv)", run(estimator, mentions()))
    report("Europass check set, own jurisdiction held out", run(estimator, checkset()))
    print(f"\n({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
