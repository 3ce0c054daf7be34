"""Benchmark the JSON-LD side of reading credentials (issue 13, parts 1 and 3).

* the official unsigned ELM sample read as published (a compact tree: no processor run);
* the same sample flattened into a ``@graph`` (what ``edci_credFlatten.jsonld`` looks like), read
  through the JSON-LD processor (pyld expand + frame with the bundled contexts);
* SHACL validation of the sample against the official EDC shapes (pyld to RDF + pyshacl), which
  ``CredentialService.read`` runs once per ELM/EDC import beside the completeness report.

Run: ``python benchmarks/credentials_jsonld.py [--rounds 50]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyld import jsonld  # type: ignore[import-untyped]  # noqa: E402

from app.adapters.importers.registry import read_document  # noqa: E402
from app.adapters.importers.shacl import validate_edc  # noqa: E402

UNSIGNED = ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"


def timed(name: str, rounds: int, work: Callable[[], Any], target_ms: float | None) -> None:
    for _ in range(3):  # warm the caches (bundled contexts, pyld's resolved contexts, shapes)
        work()
    samples, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        work()
        cpu.append((time.process_time() - c) * 1000)
        samples.append((time.perf_counter() - t) * 1000)
    p50 = statistics.median(samples)
    p99 = sorted(samples)[min(len(samples) - 1, int(0.99 * len(samples)))]
    verdict = (
        ""
        if target_ms is None
        else f"  target ≤ {target_ms:g} ms: " + ("met" if p50 <= target_ms else "MISSED")
    )
    # CPU time beside wall time: on a shared 2-core machine the wall clock also counts the
    # time other processes held the cores.
    print(
        f"{name:<44} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
        f"cpu p50 {statistics.median(cpu):7.2f} ms{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    from benchmarks.machine import describe

    describe()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    text = UNSIGNED.read_bytes()
    doc = json.loads(text)
    flat = json.dumps(jsonld.flatten(doc, doc["@context"])).encode()
    assert read_document(flat).processed  # the processor path is what is timed
    timed("unsigned sample, as published", args.rounds, lambda: read_document(text), 20)
    timed(
        "unsigned sample, flattened (pyld frame)",
        max(5, args.rounds // 5),
        lambda: read_document(flat),
        None,
    )
    timed(
        "SHACL, EDC generic full shapes", max(5, args.rounds // 5), lambda: validate_edc(doc), None
    )


if __name__ == "__main__":
    main()
