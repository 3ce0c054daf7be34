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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyld import jsonld  # type: ignore[import-untyped]  # noqa: E402

from app.adapters.importers.registry import read_document  # noqa: E402
from app.adapters.importers.shacl import validate_edc  # noqa: E402

UNSIGNED = ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    from benchmarks.machine import describe, timed

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
