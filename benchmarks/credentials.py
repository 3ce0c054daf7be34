"""Benchmark reading credentials: the official unsigned ELM sample, and a sealed one verified.

Targets (issue 13, 2-core machine): reading the official unsigned sample
(``Sample-MC-Annex1-unsigned.jsonld``, 109 kB as published) ≤ 20 ms p50, and the sealed
sample (``elm_Sample-MC-Annex1-signed.jsonld``: JAdES RS256 seal, b64:false, 150 kB) read
*with* verification ≤ 50 ms p50. Each is timed as:

* ``read_document``: bytes → unwrap + verify the seal → JSON-LD → importer (what the issue
  means by "the importer");
* ``read + assessment``: the same plus level resolution against the data release,
  completeness and warnings (``CredentialService.read`` without SHACL) — the target figure;
* ``SHACL alone``: validation against the official EDC shapes (pyld to RDF + pyshacl), which
  ``CredentialService.read`` adds for ELM/EDC documents; no target: it does not fit 20 ms;
* ``CredentialService.read``: all of it, what ``POST /v1/credentials/validate`` does before
  serialising.

Beside them, the seal verification alone (joserfc + chain + timestamps) and the W3C
eddsa-rdfc-2022 test vector (pyld RDFC-1.0 + Ed25519), so a regression can be placed. Wall
p50/p99 and CPU p50 (process time: on a shared machine the wall clock also counts the time
other processes held the cores).

Run: ``python benchmarks/credentials.py [--rounds 200]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.importers.registry import read_document  # noqa: E402
from app.adapters.importers.shacl import validate_edc  # noqa: E402
from app.adapters.verification.data_integrity import embedded_proof  # noqa: E402
from app.adapters.verification.jose import verify_jws_json  # noqa: E402
from app.adapters.verification.trust import TrustStore  # noqa: E402

UNSIGNED = ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
SEALED = ROOT / "tests/data/credentials_interop/edc/elm_Sample-MC-Annex1-signed.jsonld"
VECTOR = ROOT / "tests/data/credentials_interop/vc_data_integrity/eddsa-rdfc-2022-signed.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from benchmarks.machine import describe, timed

    describe()
    unsigned, sealed = UNSIGNED.read_bytes(), SEALED.read_bytes()
    sealed_json: dict[str, Any] = json.loads(sealed)
    vector: dict[str, Any] = json.loads(VECTOR.read_text())
    store = TrustStore()
    print(
        f"unsigned sample {len(unsigned) / 1024:.0f} kB, sealed sample {len(sealed) / 1024:.0f} kB"
    )

    from app.reference.loader import load_release
    from app.services.credentials import CredentialService
    from app.services.registry import Registry

    service = CredentialService(Registry(load_release(ROOT / "frameworks", ROOT / "mappings")))
    assert service.read(sealed).credential.proof.verified  # the figures are of a real check

    rounds = args.rounds
    for label, data, target in (("unsigned sample", unsigned, 20), ("sealed sample", sealed, 50)):
        read = read_document(data)
        assert read.jsonld is not None
        timed(f"{label}: read_document", rounds, partial(read_document, data), target)
        timed(
            f"{label}: read + assessment (no SHACL)",
            rounds,
            partial(lambda d: service.assess(read_document(d).imported), data),
            target,
        )
        timed(
            f"{label}:   SHACL alone (to RDF + pyshacl)",
            rounds,
            partial(validate_edc, read.jsonld),
            None,
        )
        timed(
            f"{label}: CredentialService.read (with SHACL)",
            rounds,
            partial(service.read, data),
            None,
        )
    timed(
        "  seal verification alone (JAdES, chain, sigTst)",
        rounds,
        lambda: verify_jws_json(sealed_json, store),
        None,
    )
    timed(
        "  W3C eddsa-rdfc-2022 vector (RDFC-1.0 + Ed25519)",
        rounds,
        lambda: embedded_proof(vector),
        None,
    )


if __name__ == "__main__":
    main()
