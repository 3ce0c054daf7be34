"""Benchmark level comparison: in-process latency over all level pairs, and HTTP throughput.

What it measures (targets from issue 2, 2-core machine):

* in-process ``Registry.compare`` (identifier resolution + graph walk + ranking) over every
  (level, target framework) pair of the real release: p50 ≤ 50 µs; the bare core function
  ``compare_level`` is reported beside it, and a dict look-up baseline for scale;
* HTTP ``GET /v1/compare`` against one uvicorn worker on 127.0.0.1 from a load generator in
  another process (httpx clients on keep-alive connections, bounded in time): p50 ≤ 5 ms and
  ≥ 1,000 requests/s.

Run: ``python benchmarks/compare.py [--seconds 10] [--concurrency 4] [--skip-http]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.levels import compare_level  # noqa: E402
from app.reference.loader import load_release  # noqa: E402
from app.services.registry import Registry  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process() -> list[tuple[str, str]]:
    t0 = time.perf_counter()
    release = load_release(ROOT / "frameworks", ROOT / "mappings")
    t1 = time.perf_counter()
    registry = Registry(release)
    t2 = time.perf_counter()
    print(
        f"load + validate + hash release: {(t1 - t0) * 1000:.0f} ms; "
        f"graph + index build: {(t2 - t1) * 1000:.1f} ms "
        f"({registry.graph.number_of_nodes()} nodes, {registry.graph.number_of_edges()} edges)"
    )
    ids = sorted(release.frameworks)
    pairs = [(str(lvl.key), t) for f in ids for lvl in release.frameworks[f].levels for t in ids]
    keys = [(lvl.key, t) for f in ids for lvl in release.frameworks[f].levels for t in ids]
    print(
        f"pairs: {len(pairs)} ({sum(len(f.levels) for f in release.frameworks.values())} levels "
        f"x {len(ids)} frameworks)"
    )

    for _ in range(2):  # warm-up
        for s, t in pairs:
            registry.compare(s, t)

    def timed(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        clock = time.perf_counter_ns
        for a, b in items:
            start = clock()
            fn(a, b)
            out.append((clock() - start) / 1000)
        return out

    lookup = {p: p for p in pairs}
    rounds: dict[str, list[float]] = {
        "registry.compare": [],
        "core compare_level": [],
        "dict baseline": [],
    }
    for _ in range(3):  # alternating rounds, so the ratios hold on a shared machine
        rounds["registry.compare"] += timed(registry.compare, pairs)
        rounds["core compare_level"] += timed(
            lambda k, t: compare_level(registry.graph, k, t), keys
        )
        rounds["dict baseline"] += timed(lambda s, t: lookup[(s, t)], pairs)
    print("\nin-process latency (µs) over all pairs, 3 rounds:")
    print(f"{'':22} {'p50':>8} {'p99':>8} {'mean':>8}")
    for name, values in rounds.items():
        p50, p99, mean = pct(values, 0.5), pct(values, 0.99), statistics.fmean(values)
        print(f"{name:22} {p50:8.1f} {p99:8.1f} {mean:8.1f}")
    p50 = pct(rounds["registry.compare"], 0.5)
    print(f"target p50 <= 50 µs: {'met' if p50 <= 50 else 'NOT met'} ({p50:.1f} µs)")
    return pairs


def _client(
    port: int, pairs: list[tuple[str, str]], seconds: float, seed: int, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    import httpx

    rnd = random.Random(seed)
    lat: list[float] = []
    errors = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            s, t = rnd.choice(pairs)
            start = time.perf_counter()
            r = client.get("/v1/compare", params={"source": s, "target": t})
            lat.append((time.perf_counter() - start) * 1000)
            if r.status_code != 200:
                errors += 1
    out.put((lat, errors))


def _wrk(port: int, pairs: list[tuple[str, str]], seconds: float, concurrency: int) -> None:
    """wrk (C, one thread) with a Lua script rotating over every level pair."""
    from urllib.parse import urlencode

    paths = [f"/v1/compare?{urlencode({'source': s, 'target': t})}" for s, t in pairs]
    random.Random(1).shuffle(paths)
    script = Path(tempfile.mkdtemp()) / "pairs.lua"
    lines = ",\n".join(f'"{p}"' for p in paths)
    script.write_text(
        "local paths = {\n" + lines + "\n}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n",
        encoding="utf-8",
    )
    # One pass over every pair fills the response cache, as a long-running server would be.
    for c in sorted({1, concurrency}):
        for label in ("cold+warm", "warm") if c == 1 else ("warm",):
            out = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    f"-c{c}",
                    f"-d{int(seconds)}s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = next(ln for ln in out.splitlines() if ln.startswith("Requests/sec"))
            p50 = next(ln for ln in out.splitlines() if ln.strip().startswith("50%"))
            p99 = next(ln for ln in out.splitlines() if ln.strip().startswith("99%"))
            errs = [
                ln.strip() for ln in out.splitlines() if "Non-2xx" in ln or "Socket errors" in ln
            ]
            print(
                f"wrk GET /v1/compare, {c} connection(s), {seconds:.0f} s, {label}: "
                f"{rps.split()[-1]} req/s, p50 {p50.split()[-1]}, p99 {p99.split()[-1]}"
                + (f", {'; '.join(errs)}" if errs else "")
            )
    print("targets: p50 <= 5 ms, >= 1,000 req/s (wrk shares the 2 cores with the server)")


def http(pairs: list[tuple[str, str]], seconds: float, concurrency: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tmp = tempfile.mkdtemp()
    env = dict(
        os.environ,
        PASSERELLE_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        import httpx

        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not start")
        if shutil.which("wrk"):
            _wrk(port, pairs, seconds, concurrency)
            return
        print("(wrk not installed: using httpx clients, which cost more CPU than the server)")
        for c in sorted({1, concurrency}):
            queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
            procs = [
                mp.Process(target=_client, args=(port, pairs, seconds, i, queue)) for i in range(c)
            ]
            for p in procs:
                p.start()
            results = [queue.get() for _ in procs]
            for p in procs:
                p.join()
            lat = [x for r, _ in results for x in r]
            errors = sum(e for _, e in results)
            rps = len(lat) / seconds
            print(
                f"HTTP GET /v1/compare, {c} client(s), {seconds:.0f} s: {rps:,.0f} req/s, "
                f"p50 {pct(lat, 0.5):.2f} ms, p99 {pct(lat, 0.99):.2f} ms, errors {errors}"
            )
        print("targets: p50 <= 5 ms, >= 1,000 req/s (the load generator shares the 2 cores)")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    from benchmarks.machine import describe

    describe()
    pairs = in_process()
    if not args.skip_http:
        print()
        http(pairs, args.seconds, args.concurrency)


if __name__ == "__main__":
    main()
