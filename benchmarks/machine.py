"""What machine a benchmark ran on, and how fast it is against the one PERFORMANCE.md measured.

The targets of PERFORMANCE.md §0 were set on a Zen 4 EPYC with AVX-512 VNNI (fp32 GEMM about
200 GFLOP/s on 2 threads, int8 dot products in one VNNI instruction). Machines of the same
"2 cores, 24 GB" kind are not all that CPU: one session's machine was a first-generation EPYC
with AVX2 only, where the same GEMM gives about 65 GFLOP/s and int8 MiniLM runs no faster than
fp32. A benchmark therefore prints the CPU, its vector extensions and an fp32 GEMM calibration
next to its figures, so a reader can tell a slower machine from a slower program.

    python benchmarks/machine.py
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# fp32 GEMM 1024² on 2 BLAS threads where PERFORMANCE.md's targets were measured (§1).
REFERENCE_GFLOPS = 200.0
_EXTENSIONS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu_description() -> str:
    """Model name and the vector extensions that matter to BLAS and int8 inference."""
    name, flags = platform.processor() or "unknown CPU", set[str]()
    family = model = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = row.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model name":
                name = value
            elif key == "cpu family":
                family = value
            elif key == "model" and not model:
                model = value
            elif key == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    found = [e for e in _EXTENSIONS if e in flags] or ["?"]
    ident = f" (family {family} model {model})" if family else ""
    return f"{name}{ident}, {', '.join(found)}"


def gemm_gflops(size: int = 1024, repeats: int = 10) -> float:
    """fp32 matrix product throughput with numpy's BLAS at its current thread setting."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    for _ in range(2):
        a @ a
    t = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * size**3 * repeats / (time.perf_counter() - t) / 1e9


def describe() -> float:
    """Print the machine line; return its GEMM speed as a fraction of the reference machine's."""
    gflops = gemm_gflops()
    ratio = gflops / REFERENCE_GFLOPS
    print(
        f"machine: {cpu_description()}; fp32 GEMM {gflops:.0f} GFLOP/s "
        f"({ratio:.2f}× the {REFERENCE_GFLOPS:.0f} GFLOP/s where PERFORMANCE.md set the targets)"
    )
    return ratio


def timed(
    name: str, rounds: int, work: Callable[[], Any], target_ms: float | None, *, warm: int = 5
) -> None:
    """Print wall p50/p99 and CPU p50 of ``work`` over ``rounds`` runs, after ``warm`` runs.

    CPU time stands beside wall time: on a shared 2-core machine the wall clock also counts the
    time other processes held the cores.
    """
    for _ in range(warm):  # warm caches (contexts, pyld's resolved-context cache, SHACL shapes)
        work()
    samples, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        work()
        cpu.append((time.process_time() - c) * 1000)
        samples.append((time.perf_counter() - t) * 1000)
    p50 = statistics.median(samples)
    p99 = sorted(samples)[min(len(samples) - 1, int(0.99 * len(samples)))]
    verdict = (
        ""
        if target_ms is None
        else f"  target p50 ≤ {target_ms:g} ms: " + ("met" if p50 <= target_ms else "MISSED")
    )
    print(
        f"{name:<52} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
        f"cpu p50 {statistics.median(cpu):7.2f} ms{verdict}"
    )


if __name__ == "__main__":
    describe()
