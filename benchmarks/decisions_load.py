"""Benchmark: 8 concurrent clients creating decision records on PostgreSQL, over HTTP.

Issue 12 measured 23.4 % of creates answering 409 with 8 concurrent clients on PostgreSQL
(1.2 % with 4; SQLite 0): the chain append raced for the next sequence number. Appends now queue
on a transaction-level advisory lock, and the request commits before its response is sent. This
script starts a real uvicorn server (one worker, as in production) on a scratch PostgreSQL
database, posts one real credential (the official ELM sample), then has N clients each create M
recommendations at once, and prints the status counts, p50/p95/p99 latency, throughput, and
whether the chain verifies afterwards (every record, in sequence order, from the database).

Settings of the server, and why: the deterministic fake embedder (what is measured is the write
path under concurrency, not the alignment model; ``benchmarks/recognition.py`` measures that),
rate limits off (600 writes/min per organisation would answer 429 to this load by design), and
when authentication is present an admin API key from ``passerelle auth bootstrap``.

``--kill-after S`` sends SIGKILL to the server S seconds into the burst, then checks that every
decision acknowledged with a 201 is in the database (issue 12 found 3 of 897 missing, when the
commit ran after the response).

Run: ``python benchmarks/decisions_load.py [--clients 8] [--per-client 25] [--sqlite]
[--kill-after 3]``
(PostgreSQL at ``PASSERELLE_BENCH_POSTGRES_URL``, default postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import cpu_description  # noqa: E402

ELM_MC = ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
PYTHON = sys.executable


def scratch_postgres(name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(
        os.environ.get(
            "PASSERELLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    conninfo = (
        f"host={admin.host} port={admin.port or 5432} user={admin.username} "
        f"dbname={admin.database or 'postgres'}"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_key(env: dict[str, str]) -> dict[str, str]:
    """An admin key when the tree has authentication (``passerelle auth``), else no header."""
    done = subprocess.run(
        [str(Path(PYTHON).parent / "passerelle"), "auth", "bootstrap", "--organisation", "default"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if "No such command" in done.stderr:
            return {}
        raise SystemExit(f"auth bootstrap failed: {done.stderr}")
    from app.settings import Settings

    return {Settings().auth.api_key_header: done.stdout.strip().splitlines()[-1].strip()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--sqlite", action="store_true", help="a scratch SQLite file instead")
    parser.add_argument("--kill-after", type=float, help="SIGKILL the server after S seconds")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="passerelle-load-"))
    url = (
        f"sqlite:///{tmp / 'load.db'}"
        if args.sqlite
        else scratch_postgres("passerelle_bench_decisions_load")
    )
    env = {
        **os.environ,
        "PASSERELLE_DATABASE_URL": url,
        "PASSERELLE_EMBEDDINGS__BACKEND": "fake",
        "PASSERELLE_RATE_LIMITS__ENABLED": "false",
        "PASSERELLE_RECORDS__SIGNING_KEY": str(tmp / "records.pem"),
        "PASSERELLE_RECORDS__CHECKPOINTS_FILE": str(tmp / "checkpoints.jsonl"),
    }
    # migrate first (the bootstrap needs the tables), then start the server
    subprocess.run(
        [PYTHON, "-c", "from app.services.startup import prepare; from app.settings import "
         "Settings; prepare(Settings())"],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    headers = api_key(env)
    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "app.api.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            stored = client.post(
                "/v1/credentials",
                content=ELM_MC.read_bytes(),
                headers={"content-type": "application/json"},
            )
            stored.raise_for_status()
            credential_id = stored.json()["id"]
            # warm-up: the first recognition builds the service's caches
            client.post(
                "/v1/recognitions", json={"credential_id": credential_id, "target": "IE-NFQ"}
            ).raise_for_status()

        statuses: Counter[int] = Counter()
        latencies: list[float] = []
        acknowledged: list[str] = []
        lost = 0
        lock = threading.Lock()
        start = threading.Barrier(args.clients)
        purposes = ["admission", "credit_transfer", "employment", "further_study"]

        def worker(n: int) -> None:
            nonlocal lost
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                start.wait()
                for i in range(args.per_client):
                    body: dict[str, Any] = {
                        "credential_id": credential_id,
                        "target": "IE-NFQ",
                        "purpose": purposes[(n + i) % len(purposes)],
                    }
                    t = time.perf_counter()
                    try:
                        r = client.post("/v1/recognitions", json=body)
                    except httpx.TransportError:  # the server was killed (--kill-after)
                        with lock:
                            lost += 1
                        return
                    elapsed = (time.perf_counter() - t) * 1000
                    with lock:
                        statuses[r.status_code] += 1
                        latencies.append(elapsed)
                        if r.status_code == 201:
                            acknowledged.append(r.json()["id"])

        wall = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        if args.kill_after:
            time.sleep(args.kill_after)
            server.kill()  # SIGKILL: no shutdown, no pending commit gets its chance
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
    finally:
        server.terminate()
        server.wait(timeout=30)

    from sqlalchemy import select

    from app.adapters.db.models_recognition import RecognitionRecordRow
    from app.adapters.db.recognition_repository import RecognitionRepository
    from app.adapters.db.session import make_engine, make_sessionmaker

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        chain = RecognitionRepository(session).verify_all()
        stored = set(
            session.scalars(
                select(RecognitionRecordRow.id).where(RecognitionRecordRow.id.in_(acknowledged))
            )
        )
    engine.dispose()
    missing = len(set(acknowledged) - stored)

    total = sum(statuses.values())
    errors = total - statuses.get(201, 0)
    if args.kill_after:
        print(
            f"killed after {args.kill_after} s: {len(acknowledged)} acknowledged (201), "
            f"{missing} of them missing from the database; {lost} requests cut off"
        )
    print(f"machine: {cpu_description()}")
    print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}, one uvicorn worker")
    print(f"{args.clients} concurrent clients x {args.per_client} decisions: {total} answered")
    print(f"statuses: {dict(sorted(statuses.items()))}; errors: {errors}")
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 "
        f"{percentile(latencies, 0.95):.1f}, p99 {percentile(latencies, 0.99):.1f}, max "
        f"{max(latencies):.1f}"
    )
    print(f"throughput: {total / wall:.1f} decisions/s over {wall:.1f} s")
    print(
        f"chain: {chain.checked} records, {'verifies' if chain.valid else 'BROKEN'}"
        + ("" if chain.valid else f": {chain.problems[:3]}")
    )
    print("baseline (issue 12, before): 23.4 % of creates answered 409 with 8 clients")
    if errors or missing or not chain.valid:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
