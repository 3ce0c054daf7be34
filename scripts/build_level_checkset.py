"""Build tests/data/level_checkset.csv: qualification titles with their EQF level (Europass).

Run once (the output is committed; nothing reads ``shared/`` at run or test time)::

    python scripts/build_level_checkset.py \
        --source ../shared/data/nqf/europass_qualification_types_by_eqf.csv

Each row of the Europass "compare qualifications" data (as scraped by tabiya-tech, see
``tests/data/level_checkset.PROVENANCE.md``) is one check item: a national qualification type or
example qualification, its jurisdiction and the EQF level Europass shows it at. Duplicate
(jurisdiction, title, level) rows are dropped; items are sorted for a stable file.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def build(source: Path, out: Path) -> int:
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    seen: set[tuple[str, str, int]] = set()
    items: list[tuple[str, str, int]] = []
    for r in rows:
        title = " ".join(r["qualification_type_or_example"].split())
        key = (r["jurisdiction"], title, int(r["eqf_level"]))
        if title and key not in seen:
            seen.add(key)
            items.append(key)
    items.sort()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "jurisdiction", "title", "eqf_level"])
        for i, (jur, title, level) in enumerate(items, start=1):
            writer.writerow([f"q{i:04d}", jur, title, level])
    return len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=Path("../shared/data/nqf/europass_qualification_types_by_eqf.csv"),
    )
    parser.add_argument("--out", type=Path, default=Path("tests/data/level_checkset.csv"))
    args = parser.parse_args()
    print(f"{build(args.source, args.out)} items written to {args.out}")


if __name__ == "__main__":
    main()
