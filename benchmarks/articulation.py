"""Benchmark: articulate 1,000 incoming courses (5 outcomes each) against a 2,000-module catalogue
programme (8 outcomes each) — target ≤ 60 s on this 2-core machine with cached embeddings — and
report peak memory.

Where the text comes from (real, published, nothing invented):

* **modules** — ESCO v1.1.1 (``mappings/esco``, "ESCO, European Commission", CC BY 4.0). Skill
  concepts are grouped by their direct broader concept (so a module's 8 outcomes belong to one
  area, as a real module's do); a module outcome is the *first sentence of the concept's ESCO
  description*, which for skills is already written verb-first like an outcome ("Assign and
  manage staff tasks in areas such as scoring, arranging…"); knowledge concepts become
  "Demonstrate knowledge of <label>: <first sentence>". 2,000 modules × 8 take 16,000 outcome
  slots from 13,896 concepts, so some outcomes recur across modules, as shared standard outcomes
  do in real catalogues. The first modules are the **real modules** of the sample catalogue
  (``samples/catalogue``: Edinburgh, Una Europa, Uppsala), with their published outcomes.
* **incoming courses** — phrased from the *alternative labels* ESCO gives for the same concepts
  (a paraphrase of the module outcome, not its text: "coordinate duties of musical staff"):
  60 % take 5 of one module's 8 concepts (in pairs of courses that split a module between them,
  so many-to-one proposals arise), 30 % take 5 concepts at random (courses that should match
  nothing well), 10 % are the real sample modules' own outcomes (5 per course).

Embeddings are computed once and cached on disk (``var/vectors``, keyed by model and content),
as a deployment caches its catalogue; the timed runs read them from memory. Reported:

1. the core pipeline (index the programme, match 1,000 courses in chunks, propose) — the gate;
2. the same as a **batch job** end to end on SQLite (submit 1,000 courses, the worker's chunks
   with a commit each, proposals, results JSON and CSV);
3. peak memory: peak RSS of the process (``ru_maxrss``, includes the model) and the peak of
   Python/NumPy allocations during the pipeline (``tracemalloc``, a separate untimed pass);
4. for scale, the cost of embedding the 5,000 incoming outcome texts without the cache.

Run: ``PYTHONPATH=. python benchmarks/articulation.py [--backend auto|onnx|fake|none]
[--courses 1000] [--modules 2000] [--skip-job]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.embeddings.cached import CachedEmbedder  # noqa: E402
from app.core.articulation import propose  # noqa: E402
from app.core.credits import Range  # noqa: E402
from app.core.ports import Embedder  # noqa: E402
from app.core.transfer.align import index_target, match_courses  # noqa: E402
from app.core.transfer.types import ArticulationPolicy, Course, TargetModule  # noqa: E402

ESCO = ROOT / "mappings" / "esco" / "concepts.jsonl.gz"
SAMPLES = ROOT / "samples" / "catalogue"


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    uri: str
    label: str
    alt_labels: tuple[str, ...]
    description: str
    skill: bool
    broader: str


def load_concepts() -> list[Concept]:
    out = []
    with gzip.open(ESCO, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if not d.get("description"):
                continue
            out.append(
                Concept(
                    d["uri"],
                    d["label"],
                    tuple(d.get("alt_labels") or ()),
                    d["description"],
                    d.get("skill_type") != "knowledge",
                    (d.get("broader") or [""])[0],
                )
            )
    return out


def first_sentence(text: str, limit: int = 40) -> str:
    sentence = text.split(". ")[0].strip().rstrip(".")
    words = sentence.split()
    return " ".join(words[:limit])


def module_outcome(c: Concept) -> str:
    sentence = first_sentence(c.description)
    if c.skill:
        return sentence
    return f"Demonstrate knowledge of {c.label}: {sentence[:1].lower()}{sentence[1:]}"


def course_outcome(c: Concept, rng: random.Random) -> str:
    label = rng.choice(c.alt_labels) if c.alt_labels else c.label
    return label if c.skill else f"demonstrate knowledge of {label}"


def sample_modules() -> list[TargetModule]:
    """The real sample catalogue's modules with outcomes (credits converted to ECTS)."""
    from app.reference.credit_systems import load_credit_systems

    systems = load_credit_systems(ROOT / "mappings" / "credit_systems.yaml")
    from app.core.credits import convert

    out = []
    for path in sorted(SAMPLES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for m in doc["modules"]:
            if not m.get("learning_outcomes"):
                continue
            credits = m.get("credits")
            ects = (
                convert(systems, credits["value"], credits["system"], "ects").result
                if credits
                else None
            )
            out.append(
                TargetModule(
                    f"{path.stem[:10]}:{m['code']}",
                    m["title"],
                    tuple(m["learning_outcomes"]),
                    ects,
                    7,
                )
            )
    return out


@dataclass
class Dataset:
    modules: list[TargetModule]
    courses: list[Course]
    kinds: dict[str, int]


def build_dataset(
    n_modules: int = 2000, n_courses: int = 1000, per_module: int = 8, seed: int = 0
) -> Dataset:
    """Deterministic (seed 0): the same texts on every run and machine."""
    rng = random.Random(seed)
    concepts = load_concepts()
    clusters: dict[str, list[Concept]] = defaultdict(list)
    for c in concepts:
        clusters[c.broader].append(c)
    ordered = [clusters[k] for k in sorted(clusters) if len(clusters[k]) >= 2]
    pool = [c for group in ordered for c in group]  # hierarchy order: neighbours are related
    modules: list[TargetModule] = list(sample_modules())
    real = len(modules)
    members: list[list[Concept]] = [[] for _ in range(real)]
    start = 0
    while len(modules) < n_modules:
        chosen = [pool[(start + k) % len(pool)] for k in range(per_module)]
        start = (start + per_module) % len(pool)
        n = len(modules)
        modules.append(
            TargetModule(
                f"M{n:04d}",
                chosen[0].label.capitalize(),
                tuple(module_outcome(c) for c in chosen),
                Range(5, 5) if n % 4 else Range(7.5, 7.5),
                6 if n % 3 else 7,
            )
        )
        members.append(chosen)
    courses: list[Course] = []
    kinds = {"split_pairs": 0, "random": 0, "real": 0}
    real_outcomes = [o for m in modules[:real] for o in m.outcomes]
    while len(courses) < n_courses:
        roll = rng.random()
        n = len(courses)
        if roll < 0.6 and n + 1 < n_courses:
            m = rng.randrange(real, len(modules))
            cs = members[m]
            first, second = cs[:5], cs[3:]  # overlapping halves: together all 8 outcomes
            for part, items in enumerate((first, second)):
                courses.append(
                    Course(
                        f"C{len(courses):04d}",
                        f"{items[0].label} ({part + 1})",
                        tuple(course_outcome(c, rng) for c in items),
                        Range(3, 3),
                        modules[m].eqf_level,
                    )
                )
            kinds["split_pairs"] += 2
        elif roll < 0.9:
            items = rng.sample(concepts, 5)
            courses.append(
                Course(
                    f"C{n:04d}",
                    items[0].label,
                    tuple(course_outcome(c, rng) for c in items),
                    Range(5, 5),
                    6,
                )
            )
            kinds["random"] += 1
        else:
            k = rng.randrange(0, max(1, len(real_outcomes) - 5))
            courses.append(
                Course(
                    f"C{n:04d}", "sample outcomes", tuple(real_outcomes[k : k + 5]), Range(5, 5), 7
                )
            )
            kinds["real"] += 1
    return Dataset(modules, courses[:n_courses], kinds)


# --- embeddings --------------------------------------------------------------------------------


class Precomputed(CachedEmbedder):
    """An :class:`Embedder` answering from vectors computed beforehand (the on-disk cache).

    It borrows :class:`CachedEmbedder`'s delegation to the model (id, version, dimension); a
    text that is not in the matrix is encoded by the model and counted in ``misses``.
    """

    def __init__(self, inner: Embedder, texts: Sequence[str], matrix: NDArray[np.float32]) -> None:
        super().__init__(inner)
        self.rows = {t: i for i, t in enumerate(texts)}
        self.matrix = matrix
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        index = [self.rows.get(t, -1) for t in texts]
        if all(i >= 0 for i in index):
            return self.matrix[index]
        self.misses += sum(i < 0 for i in index)
        return self.inner.encode(texts)


def choose_embedder(backend: str) -> tuple[Embedder | None, str]:
    from app.adapters.embeddings.registry import select_embedders
    from app.settings import EmbeddingSettings

    choice = select_embedders(EmbeddingSettings(backend=backend))  # type: ignore[arg-type]
    return choice.embedder, choice.backend


def all_texts(data: Dataset) -> list[str]:
    from app.core.transfer.align import statements

    texts: dict[str, None] = {}
    for m in data.modules:
        texts.update(dict.fromkeys(statements(m.outcomes)[0]))
    for c in data.courses:
        texts.update(dict.fromkeys(statements(c.outcomes)[0]))
    return list(texts)


def cached_vectors(embedder: Embedder, texts: list[str]) -> tuple[Precomputed, float, bool]:
    from app.adapters.index.cache import VectorCache, content_hash
    from app.settings import get_settings

    cache = VectorCache(get_settings().embeddings.vectors_dir)
    t = time.perf_counter()
    matrix, cached = cache.get_or_build(
        embedder, texts, name="bench-articulation", content=content_hash(texts), progress=True
    )
    return Precomputed(embedder, texts, matrix), time.perf_counter() - t, cached


# --- runs --------------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pipeline(
    data: Dataset, embedder: Embedder | None, policy: ArticulationPolicy
) -> dict[str, Any]:
    t0 = time.perf_counter()
    index = index_target(data.modules, embedder)
    t1 = time.perf_counter()
    matches = match_courses(data.courses, index, embedder, policy)
    t2 = time.perf_counter()
    result = propose(data.courses, data.modules, matches, policy)
    t3 = time.perf_counter()
    proposals = [p for m in result.modules for p in m.proposals]
    return {
        "index_s": t1 - t0,
        "match_s": t2 - t1,
        "propose_s": t3 - t2,
        "total_s": t3 - t0,
        "modules_with_proposal": sum(1 for m in result.modules if m.proposals),
        "replace": sum(1 for m in result.replaceable),
        "kinds": {
            k: sum(1 for p in proposals if p.kind.value == k)
            for k in ("one_to_one", "one_to_many", "many_to_one")
        },
        "courses_with_proposal": len(result.by_course),
    }


def job_run(data: Dataset, embedder: Embedder | None, chunk: int) -> dict[str, Any]:
    """The registrar's path: a batch job on SQLite, worker chunks committed one by one."""
    from app.adapters.db import migrate
    from app.adapters.db.catalogue_repository import CatalogueRepository
    from app.adapters.db.session import make_engine, make_sessionmaker, session_scope
    from app.core.catalogue import CreditValue, Cycle, Institution, Module, Programme, content_hash
    from app.reference.articulation_policy import load_articulation_policy
    from app.reference.credit_systems import load_credit_systems
    from app.reference.loader import load_release
    from app.services.articulation import ArticulationService, IncomingCourse, results_csv
    from app.services.jobs import JobWorker
    from app.services.registry import Registry
    from app.services.transfer import Aligner, TransferContext
    from app.settings import Settings

    registry = Registry(load_release(ROOT / "frameworks", ROOT / "mappings"))
    systems = load_credit_systems(ROOT / "mappings" / "credit_systems.yaml")
    policy, sha = load_articulation_policy(ROOT / "mappings")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        programme = Programme(
            "Benchmark programme (ESCO-derived modules)",
            Institution("Benchmark", "IE"),
            modules=tuple(
                Module(
                    code=m.code,
                    title=m.title,
                    credits=CreditValue(m.credits_ects.minimum, "ects") if m.credits_ects else None,
                    cycle=Cycle.FIRST if m.eqf_level == 6 else Cycle.SECOND,
                    learning_outcomes=m.outcomes,
                )
                for m in data.modules
            ),
        )
        with session_scope(factory) as session:
            pid, _ = CatalogueRepository(session).add(
                programme, content_hash=content_hash(programme)
            )
        aligner = (
            Aligner(embedder, embedder.model_id, embedder.model_version)
            if embedder is not None
            else Aligner.lexical()
        )
        context = TransferContext.build(Settings(), registry, systems, aligner=aligner)
        context.policy, context.policy_sha256 = policy, sha
        service = ArticulationService(context)
        incoming = [
            IncomingCourse(
                f"/courses/{n}",
                id=c.id,
                title=c.title,
                outcomes=c.outcomes,
                credits=c.credits_ects.minimum if c.credits_ects else None,
                credit_system="ects",
                eqf_level=c.eqf_level,
            )
            for n, c in enumerate(data.courses)
        ]
        t0 = time.perf_counter()
        with session_scope(factory) as session:
            job, _ = service.submit(session, pid, incoming)
        t1 = time.perf_counter()
        chunks: list[float] = []
        last = [time.perf_counter()]

        def tick(_: str, done: int, total: int) -> None:
            now = time.perf_counter()
            chunks.append(now - last[0])
            last[0] = now

        worker = JobWorker(factory, [service.handler()], chunk_size=chunk, on_progress=tick)
        worker.run_once(job_id=job["id"])
        t2 = time.perf_counter()
        with session_scope(factory) as session:
            payload = service.results(session, job["id"])
        text = json.dumps(payload)
        csv_text = results_csv(payload)
        t3 = time.perf_counter()
        engine.dispose()
    assert payload["job"]["status"] == "done", payload["job"]
    return {
        "submit_s": t1 - t0,
        "run_s": t2 - t1,
        "results_s": t3 - t2,
        "total_s": t3 - t0,
        "chunks": len(chunks),
        "chunk_p50_ms": 1000 * float(np.median(chunks[1:] or chunks)),
        "results_json_mb": len(text) / 2**20,
        "results_csv_rows": csv_text.count("\r\n") - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", default="auto", choices=["auto", "onnx", "torch", "fake", "none"]
    )
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=25, help="job chunk size")
    parser.add_argument("--skip-job", action="store_true")
    args = parser.parse_args()
    from benchmarks.machine import describe

    describe()

    try:  # as the server does (PERFORMANCE.md §6): BLAS on one thread beside the model's threads
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        pass
    t = time.perf_counter()
    data = build_dataset(args.modules, args.courses)
    print(
        f"data: {len(data.modules)} modules ({sum(len(m.outcomes) for m in data.modules)} outcomes,"
        f" {len(sample_modules())} real sample modules), {len(data.courses)} courses "
        f"({sum(len(c.outcomes) for c in data.courses)} outcomes; {data.kinds}); "
        f"built in {time.perf_counter() - t:.1f} s"
    )
    embedder, backend = choose_embedder(args.backend)
    policy = ArticulationPolicy()
    from app.reference.articulation_policy import load_articulation_policy

    policy, _ = load_articulation_policy(ROOT / "mappings")
    model = embedder.model_id if embedder else "none (lexical only)"
    print(f"backend: {backend}, model {model}; policy {policy.version}")
    cached: Embedder | None = None
    if embedder is not None:
        texts = all_texts(data)
        cached, seconds, hit = cached_vectors(embedder, texts)
        print(
            f"vectors: {len(texts)} distinct statements, "
            + (f"read from the cache in {seconds:.2f} s" if hit else f"embedded in {seconds:.1f} s")
        )
        course_texts = list(dict.fromkeys(o for c in data.courses for o in c.outcomes))[:5000]
        t = time.perf_counter()
        embedder.encode(course_texts[:500])
        per = (time.perf_counter() - t) / min(500, len(course_texts))
        print(
            f"  (uncached, the {len(course_texts)} incoming outcome texts would take about "
            f"{per * len(course_texts):.1f} s to embed: {1 / per:.0f} texts/s)"
        )
    rss_before = rss_mb()
    result = pipeline(data, cached, policy)
    print(
        f"core pipeline: {result['total_s']:.2f} s  (index {result['index_s']:.2f} s, match "
        f"{result['match_s']:.2f} s, propose {result['propose_s']:.2f} s)  [target ≤ 60 s]"
    )
    print(
        f"  proposals: {result['modules_with_proposal']} modules with a proposal, "
        f"{result['replace']} replaceable; {result['kinds']}; "
        f"{result['courses_with_proposal']} of {len(data.courses)} courses proposed"
    )
    print(
        f"  RSS {rss_before:.0f} MB before, {rss_mb():.0f} MB after; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    tracemalloc.start()
    pipeline(data, cached, policy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  peak Python/NumPy allocations during the pipeline (tracemalloc): {peak / 2**20:.0f} MB"
    )
    if not args.skip_job:
        job = job_run(data, cached, args.chunk)
        print(
            f"batch job on SQLite: {job['total_s']:.2f} s end to end "
            f"(submit {job['submit_s']:.2f} s, worker {job['run_s']:.2f} s in {job['chunks']} "
            f"chunks of {args.chunk}, chunk p50 "
            f"{job['chunk_p50_ms']:.0f} ms; results JSON {job['results_json_mb']:.1f} MB + CSV "
            f"{job['results_csv_rows']} rows in {job['results_s']:.2f} s)  [target ≤ 60 s]"
        )
        print(f"  peak RSS {peak_rss_mb():.0f} MB")
    if isinstance(cached, Precomputed) and cached.misses:
        print(f"note: {cached.misses} texts were not in the cache and were embedded on the fly")
    print(f"run at {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")


if __name__ == "__main__":
    main()
