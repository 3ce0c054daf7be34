"""Batch jobs of two organisations on one worker: how long the small one waits (issue 12).

Organisation A submits a large articulation batch, then organisation B a small one. Printed:
when B's job and A's job are done, counted from A's submission, with fair turns (the default
``jobs.turn_seconds``: B's job runs after at most one turn of A's) and without them (a turn
longer than the run: first come, first served). In process (the in-process runner of SQLite,
docs/jobs.md), over HTTP with the FastAPI test client, SQLite in a temporary directory, the fake
deterministic embedder (what is measured is the queue, not the model), rate limits off.

    python benchmarks/batch_fairness.py [--courses 2500] [--small 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.services.identity import bootstrap
from app.settings import PROJECT_ROOT, EmbeddingSettings, RateLimitSettings, Settings
from benchmarks.machine import describe

PROGRAMME = PROJECT_ROOT / "samples/catalogue/uppsala-msc-computer-science-selection.json"


def _courses(programme: dict[str, Any], n: int, tag: str) -> list[dict[str, Any]]:
    modules = [m for m in programme["modules"] if m.get("learning_outcomes")]
    return [
        {
            "id": f"{tag}{i}",
            "title": modules[i % len(modules)]["title"],
            "credits": 7.5,
            "level": "EQF:7",
            "learning_outcomes": [
                f"{text} ({tag}{i})" for text in modules[i % len(modules)]["learning_outcomes"][:3]
            ],
        }
        for i in range(n)
    ]


def run(workdir: Path, courses: int, small: int, fair: bool) -> tuple[float, float]:
    settings = Settings(
        database_url=f"sqlite:///{workdir / ('fair' if fair else 'fifo')}.db",
        embeddings=EmbeddingSettings(backend="fake"),
        rate_limits=RateLimitSettings(enabled=False),
    )
    app = create_app(settings)
    with TestClient(app):
        if not fair:  # a turn longer than the run: first come, first served
            app.state.job_runner.executor.turn_seconds = 86400.0
        clients: dict[str, TestClient] = {}
        targets: dict[str, str] = {}
        for org in ("org-a", "org-b"):
            with app.state.sessionmaker() as session:
                issued = bootstrap(session, org)
                session.commit()
            assert issued is not None
            clients[org] = TestClient(app, headers={settings.auth.api_key_header: issued.secret})
            stored = clients[org].post(
                "/v1/qualifications",
                content=PROGRAMME.read_bytes(),
                headers={"content-type": "application/json"},
            )
            assert stored.status_code in (200, 201), stored.text
            targets[org] = stored.json()["items"][0]["id"]
        programme = clients["org-a"].get(f"/v1/qualifications/{targets['org-a']}").json()
        start = time.perf_counter()
        jobs = {}
        for org, n in (("org-a", courses), ("org-b", small)):
            body = {"qualification_id": targets[org], "courses": _courses(programme, n, org)}
            answer = clients[org].post("/v1/batch/articulations", json=body)
            assert answer.status_code == 202, answer.text
            jobs[org] = answer.json()["id"]
        done: dict[str, float] = {}
        while len(done) < 2:
            for org, job_id in jobs.items():
                if org not in done:
                    status = clients[org].get(f"/v1/jobs/{job_id}").json()["status"]
                    assert status != "failed", status
                    if status == "done":
                        done[org] = time.perf_counter() - start
            time.sleep(0.05)
        return done["org-b"], done["org-a"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=2500, help="courses in A's batch")
    parser.add_argument("--small", type=int, default=10, help="courses in B's batch")
    args = parser.parse_args()
    describe()
    with tempfile.TemporaryDirectory(prefix="passerelle-fairness-") as tmp:
        for fair in (False, True):
            b_done, a_done = run(Path(tmp), args.courses, args.small, fair)
            mode = "fair (2 s turns)   " if fair else "first come, first served"
            print(
                f"{mode}: B's {args.small}-course job done after {b_done:6.1f} s; "
                f"A's {args.courses}-course job after {a_done:6.1f} s"
            )


if __name__ == "__main__":
    main()
