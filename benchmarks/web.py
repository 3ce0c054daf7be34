"""Benchmark the officer's workspace pages: wall p50/p99 per page over HTTP (issue 14).

What it measures: one uvicorn worker on 127.0.0.1 serving the real service (fresh SQLite
database, the real data release, the three bundled catalogue samples imported through the
import page), and one signed-in client in this process that requests each page in turn (one
request at a time, keep-alive). The target is p50 < 200 ms per page. Baselines in the same run:
``GET /healthz`` (the cheapest API answer) and ``GET /v1/compare`` (the API operation behind the
compare page), so a slower machine shows as slower baselines too.

The embedding backend is the deterministic fake (``PASSERELLE_EMBEDDINGS__BACKEND=fake``): none
of these pages computes embeddings, and the real model would only lengthen the start-up.

Run: ``python benchmarks/web.py [--rounds 50]``.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.adapters.db.session import make_engine  # noqa: E402
from app.services import identity  # noqa: E402
from benchmarks.machine import describe  # noqa: E402

TARGET_MS = 200.0
HISTORICAL = "/compare?source=FR-CNCP:V&to_fw=EQF&as_of=2015-06-01"
SAMPLES = sorted((ROOT / "samples" / "catalogue").glob("*.json"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PASSERELLE_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
        PASSERELLE_EMBEDDINGS__BACKEND="fake",
        PASSERELLE_RATE_LIMITS__ENABLED="false",
        PASSERELLE_RECORDS__SIGNING_KEY=str(tmp / "records-ed25519.pem"),
        PASSERELLE_RECORDS__CHECKPOINTS_FILE=str(tmp / "checkpoints.jsonl"),
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
    )
    command = [sys.executable, "-m", "uvicorn", "app.api.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=env, cwd=ROOT)


def _wait(base: str, server: subprocess.Popen[bytes]) -> float:
    t0 = time.perf_counter()
    deadline = time.time() + 300
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _sign_in(client: httpx.Client, key: str) -> None:
    form = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/sign-in", data={"api_key": key, "csrf_token": token.group(1), "next": "/"}
    )
    assert answer.status_code == 200 and "Sign out" in answer.text, answer.status_code


def _csrf(client: httpx.Client) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    return token.group(1)


def _time(client: httpx.Client, name: str, url: str, rounds: int, warm: int = 3) -> float:
    for _ in range(warm):
        client.get(url)
    samples = []
    status = 0
    for _ in range(rounds):
        t = time.perf_counter()
        answer = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        status = answer.status_code
    p50 = statistics.median(samples)
    p99 = sorted(samples)[min(len(samples) - 1, int(0.99 * len(samples)))]
    verdict = "met" if p50 < TARGET_MS else "MISSED"
    print(f"{name:<34} {status} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {verdict}")
    return p50


def _time_post(
    client: httpx.Client,
    name: str,
    url: str,
    data: dict[str, str] | None,
    rounds: int,
    **extra: Any,
) -> float:
    samples = []
    status = 0
    for _ in range(max(3, rounds)):
        t = time.perf_counter()
        answer = client.post(url, data=data, **extra)
        samples.append((time.perf_counter() - t) * 1000)
        status = answer.status_code
    p50 = statistics.median(samples)
    print(f"{name:<34} {status} p50 {p50:7.2f} ms  (n={len(samples)}; the work itself)")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    describe()
    tmp = Path(tempfile.mkdtemp(prefix="passerelle-web-bench-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(tmp, port)
    try:
        started = _wait(base, server)
        print(f"server ready in {started:.1f} s (migrate, load the release, start the engines)")
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        with Session(engine) as session:
            issued = identity.bootstrap(session, "default", key_name="benchmark")
            assert issued is not None
            session.commit()
        engine.dispose()
        with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
            _sign_in(client, issued.secret)
            auth = f"Bearer {issued.secret}"
            token = _csrf(client)
            for sample in SAMPLES:
                answer = client.post(
                    "/catalogue/import",
                    data={"csrf_token": token},
                    files={"file": (sample.name, sample.read_bytes(), "application/json")},
                )
                assert answer.status_code == 200, (sample.name, answer.status_code)
            listing = client.get("/catalogue?q=digital+education").text
            found = re.search(r'href="/catalogue/([0-9a-f-]{36})[?"]', listing)
            assert found is not None
            programme = found.group(1)
            print(f"rounds per page: {args.rounds}; target p50 < {TARGET_MS:g} ms")
            print("baselines (API, same server, same client):")
            base_health = _time(client, "GET /healthz", "/healthz", args.rounds)
            base_compare = _time(
                client, "GET /v1/compare", "/v1/compare?source=IE-NFQ:8&target=FR-CNCP", args.rounds
            )
            print("pages:")
            pages = [
                ("home /", "/"),
                ("compare form", "/compare"),
                ("compare answer", "/compare?from_fw=IE-NFQ&level=8&to_fw=FR-CNCP"),
                (
                    "compare answer, as of a date",
                    "/compare?source=FR-CNCP:V&to_fw=EQF&as_of=2015-06-01",
                ),
                ("level chooser (htmx fragment)", "/compare/levels?from_fw=DE-DQR"),
                ("matrix, 3 frameworks", "/compare/matrix?fw=IE-NFQ&fw=DE-DQR&fw=UK-SCT-SCQF"),
                ("frameworks list", "/frameworks"),
                ("framework page FR-CNCP", "/frameworks/FR-CNCP"),
                ("catalogue list", "/catalogue"),
                ("catalogue search", "/catalogue?q=computer+science"),
                ("programme page", f"/catalogue/{programme}"),
                ("catalogue import form", "/catalogue/import"),
            ]
            results = [(name, _time(client, name, url, args.rounds)) for name, url in pages]
            # A case (the EC's unsigned ELM sample, recommended against a catalogue programme),
            # then the transfer and pathways pages. Reading a document and recommending do the
            # API's own work (SHACL, verification, alignment); they are timed beside the API.
            print("a case, credit transfer, pathways:")
            elm = ROOT / "tests/data/credentials/elm/Sample-MC-Annex1-unsigned.jsonld"
            upload = {"file": (elm.name, elm.read_bytes(), "application/ld+json")}
            read_page = _time_post(
                client,
                "read a credential (POST, ELM)",
                "/cases/new",
                {"csrf_token": token, "format": "auto"},
                args.rounds // 5,
                files=upload,
            )
            api_read = _time_post(
                client,
                "baseline: POST /v1/credentials",
                "/v1/credentials",
                None,
                args.rounds // 5,
                content=elm.read_bytes(),
                headers={"content-type": "application/ld+json", "authorization": auth},
            )
            read = client.post(
                "/cases/new", data={"csrf_token": token, "format": "auto"}, files=upload
            )
            credential = re.search(r"/cases/credentials/([0-9a-f-]{36})", str(read.url))
            assert credential is not None, read.url
            chosen = {"csrf_token": token, "qualification_id": programme, "purpose": "admission"}
            recommend = f"/cases/credentials/{credential.group(1)}/recommend"
            _time_post(client, "recommend (POST)", recommend, chosen, args.rounds // 5)
            made = client.post(recommend, data=chosen)
            record = re.search(r"/cases/([0-9a-f-]{36})", str(made.url))
            assert record is not None, made.url
            rid = record.group(1)
            more = [
                ("cases list", "/cases"),
                ("read form", "/cases/new"),
                ("credential page", f"/cases/credentials/{credential.group(1)}"),
                ("recommendation page", f"/cases/{rid}"),
                ("decision letter", f"/cases/{rid}/letter"),
                ("record verification", f"/cases/{rid}/verify"),
                ("record export", f"/cases/{rid}/export"),
                ("credit transfer form", "/transfer"),
                ("pathways form", "/pathways"),
            ]
            results += [(name, _time(client, name, url, args.rounds)) for name, url in more]
            print(
                f"reading through the page costs {read_page / api_read:.2f}× the API's "
                "POST /v1/credentials (the same service)"
            )
        worst = max(results, key=lambda r: r[1])
        print(
            f"slowest page p50: {worst[0]} {worst[1]:.1f} ms "
            f"({worst[1] / base_compare:.0f}× GET /v1/compare, {worst[1] / base_health:.0f}× "
            "GET /healthz in this run)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
