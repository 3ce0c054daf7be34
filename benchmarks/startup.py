"""Cold start with caches: time to engine-ready and to the first answer, and peak RSS.

Issue 15 (API hygiene) and PERFORMANCE.md T6/T7: cold start to first answer **< 3 s** with the
database and the vector caches in place, peak RSS of the serving process **< 300 MB**.

Two measurements, each in fresh processes (a first launch on a new SQLite database migrates and
stores the data release and ESCO; it is run once, untimed, so the timed runs are restarts):

1. **uvicorn** (what an operator sees): launch ``uvicorn app.api.main:app``, poll ``/healthz``
   (uvicorn accepts connections only after the lifespan, i.e. once the engine is ready), then
   ``POST /v1/outcomes/skills`` with one outcome. Wall time from launch, the server's CPU time
   at its first answer (``/proc/<pid>/stat``; steadier than wall time on a shared machine) and
   its peak RSS (``VmHWM``).
2. **in-process breakdown** (where the time goes): the same steps in one child process, each
   phase with wall and CPU time — imports, ``create_app``, the lifespan's parts
   (``startup.prepare``, the outcome engine, the transfer context), the first answer.
   ``--profile`` adds a cProfile of the whole start (top functions by cumulative time).

The machine is shared: read the CPU-time columns and the machine line (benchmarks/machine.py).

    PYTHONPATH=. python benchmarks/startup.py [--runs 3] [--profile] [--skip-uvicorn]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from benchmarks.machine import describe as describe_machine

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0
TARGET_RSS_MB = 300.0
OUTCOME = json.dumps({"outcomes": ["write SQL queries to retrieve data"], "top_k": 5})
_TICKS = os.sysconf("SC_CLK_TCK")


def server_env(tmp: str, root: Path = ROOT) -> dict[str, str]:
    """The serving configuration of benchmarks/matching.py (public outcome endpoints)."""
    return dict(
        os.environ,
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        PASSERELLE_DATABASE_URL=f"sqlite:///{tmp}/startup.db",
        PASSERELLE_AUTH__PUBLIC='["meta", "frameworks", "comparison", "credits", "outcomes"]',
        PASSERELLE_RATE_LIMITS__ENABLED="false",
        PYTHONPATH=str(root),
    )


# --- 1. uvicorn ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(port: int, method: str, path: str, body: str | None = None) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"} if body else {}
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _peak_rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return float("nan")


def uvicorn_run(
    env: dict[str, str], root: Path = ROOT, deadline_s: float = 180
) -> dict[str, float] | None:
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "app.api.main:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "1", "--log-level", "warning"),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ready = None
        while time.perf_counter() - started < deadline_s and server.poll() is None:
            if _get(port, "GET", "/healthz") == 200:
                ready = time.perf_counter() - started
                break
            time.sleep(0.02)
        if ready is None:
            return None
        status = _get(port, "POST", "/v1/outcomes/skills", OUTCOME)
        answer = time.perf_counter() - started
        if status != 200:
            print(f"  first answer was HTTP {status}")
            return None
        return {
            "ready": ready,
            "answer": answer,
            "cpu": _cpu_s(server.pid),
            "rss": _peak_rss_mb(server.pid),
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# --- 2. in-process breakdown (child) ---------------------------------------------------------


def child(profile: bool) -> None:
    """Run in a fresh interpreter: print one JSON line of phases (wall, cpu) and peak RSS."""
    import resource

    phases: list[tuple[str, float, float]] = []

    class Phase:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            self.t, self.c = time.perf_counter(), time.process_time()

        def __exit__(self, *exc: object) -> None:
            phases.append((self.name, time.perf_counter() - self.t, time.process_time() - self.c))

    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with Phase("import app.api.main (+ fastapi, starlette)"):
        from app.api import main
    with Phase("import the test client (httpx; benchmark only)"):
        from fastapi.testclient import TestClient
    from app.api.routers import outcomes as outcomes_router
    from app.services import startup

    def timed(owner: Any, attr: str, name: str) -> None:
        fn = getattr(owner, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Phase(name):
                if not profile:
                    return fn(*args, **kwargs)
                # The lifespan runs on the test client's thread, which the process-wide
                # profiler does not see: each part gets its own.
                import cProfile

                inner = cProfile.Profile()
                try:
                    return inner.runcall(fn, *args, **kwargs)
                finally:
                    _print_profile(inner, name.strip(), 30)

        setattr(owner, attr, wrapper)

    timed(startup, "prepare", "  lifespan: startup.prepare (migrate check, release, registry)")
    timed(outcomes_router, "start_engine", "  lifespan: outcome engine (ESCO, model, indexes)")
    timed(startup, "transfer", "  lifespan: transfer context")
    with Phase("create_app"):
        app = main.create_app()
    client = TestClient(app)
    with Phase("lifespan (all start-up work)"):
        client.__enter__()
    with Phase("first answer: POST /v1/outcomes/skills, 1 outcome"):
        response = client.post(
            "/v1/outcomes/skills", content=OUTCOME, headers={"Content-Type": "application/json"}
        )
    with Phase("second answer (warm)"):
        client.post(
            "/v1/outcomes/skills", content=OUTCOME, headers={"Content-Type": "application/json"}
        )
    if profiler is not None:
        profiler.disable()
        _print_profile(profiler, "imports and requests (main thread)", 45)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"status": response.status_code, "phases": phases, "rss": rss}))
    client.__exit__(None, None, None)


def _print_profile(profiler: Any, title: str, rows: int) -> None:
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(rows)
    print(f"--- profile: {title}\n{out.getvalue()}", file=sys.stderr)


def breakdown(env: dict[str, str], profile: bool, root: Path = ROOT) -> dict[str, Any] | None:
    started = time.perf_counter()
    script = root / "benchmarks" / "startup.py"
    cmd = [sys.executable, str(script), "--child"] + (["--profile"] if profile else [])
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    total = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        print(proc.stderr[-3000:])
        return None
    if profile:
        print(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = total
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--skip-uvicorn", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout to measure in alternating runs (e.g. `git archive <commit>` "
        "unpacked, with var/ linked to this one's caches and this script copied in)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.profile)
        return
    describe_machine()
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    trees = {"this tree": ROOT}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
        print(f"baseline: {trees['baseline']}; this tree: {ROOT} (runs alternate)")
    envs = {
        name: server_env(tempfile.mkdtemp(prefix="passerelle-startup-"), root)
        for name, root in trees.items()
    }
    for name, root in trees.items():
        t = time.perf_counter()
        if breakdown(envs[name], False, root) is None:  # fresh database: migrate, store data
            print(f"{name}: start-up failed")
            return
        print(
            f"{name}: first launch on a fresh database (untimed below): "
            f"{time.perf_counter() - t:.1f} s"
        )

    if not args.skip_uvicorn:
        print(f"\n1. uvicorn restart, database and caches in place ({args.runs} runs, median)")
        served: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, root in trees.items():
                result = uvicorn_run(envs[name], root)
                if result is not None:
                    served[name].append(result)
        for name, runs in served.items():
            if not runs:
                continue
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            answer = "met" if med["answer"] < TARGET_S else "MISSED"
            rss = "met" if med["rss"] < TARGET_RSS_MB else "MISSED"
            print(
                f"  {name:10} engine ready {med['ready']:5.2f} s, first answer "
                f"{med['answer']:5.2f} s (target < {TARGET_S:g} s: {answer}), server CPU at first "
                f"answer {med['cpu']:5.2f} s, peak RSS {med['rss']:4.0f} MB "
                f"(target < {TARGET_RSS_MB:g} MB: {rss})"
            )

    print(f"\n2. In-process breakdown ({args.runs} fresh processes each, median wall / CPU)")
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, root in trees.items():
            r = breakdown(envs[name], False, root)
            if r is not None:
                results[name].append(r)
    for name, rs in results.items():
        if not rs:
            continue
        print(f"  {name}:")
        names = [p[0] for p in rs[0]["phases"]]
        for i, phase in enumerate(names):
            wall = statistics.median(r["phases"][i][1] for r in rs)
            cpu = statistics.median(r["phases"][i][2] for r in rs)
            print(f"    {phase:62} {wall:6.2f} s  cpu {cpu:6.2f} s")
        proc = statistics.median(r["process"] for r in rs)
        print(f"    {'whole child process (interpreter start to exit)':62} {proc:6.2f} s")
        print(f"    peak RSS {statistics.median(r['rss'] for r in rs):.0f} MB")
    if args.profile:
        breakdown(envs["this tree"], True)


if __name__ == "__main__":
    main()
