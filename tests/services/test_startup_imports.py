"""Start-up does not import what only some requests need (issue 15: cold start < 3 s).

Measured with ``python -X importtime`` and ``benchmarks/startup.py``: scikit-learn + SciPy
(TF-IDF of course articulation) cost about 1 s of CPU, pyshacl (SHACL of ELM credentials) about
0.3–1.4 s, onnx (only for building graphs) 0.5–2.5 s, torch + sentence-transformers 5 s. Each is
imported where it is used; this test fails when a module-level import brings one back.
"""

from __future__ import annotations

import json
import subprocess
import sys

from app.settings import PROJECT_ROOT

HEAVY = ("sklearn", "scipy", "pyshacl", "onnx", "torch", "sentence_transformers")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_and_creating_the_app_loads_no_heavy_module() -> None:
    loaded = _loaded_after("from app.api.main import create_app\ncreate_app()")
    assert "fastapi" in loaded  # the probe ran
    assert not {m for m in HEAVY if m in loaded}
