"""A worker process for ``test_jobs_processes.py`` (not a test module).

    python -m tests.services.jobs_worker_proc DATABASE_URL LOG_FILE DELAY_SECONDS

Runs the runner the URL calls for (Procrastinate on PostgreSQL, the in-process runner on SQLite)
over the toy ``slow-double`` kind until killed. Every chunk it computes is appended to LOG_FILE as
``pid seq`` lines, flushed to disk *before* its results are recorded, so a test that kills the
process can tell what was computed from what was recorded.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.session import make_engine, make_sessionmaker
from app.services.jobs import (
    InProcessRunner,
    ItemOutcome,
    JobExecutor,
    JobView,
    ProcrastinateRunner,
    WorkItem,
    runner_kind,
)
from app.settings import JobSettings, Settings

KIND = "slow-double"
TEST_JOBS = JobSettings(
    turn_seconds=0.5, poll_seconds=0.5, heartbeat_seconds=0.5, stalled_seconds=2, sweep_seconds=1
)


class SlowDoubler:
    kind = KIND

    def __init__(self, log_file: str, delay: float) -> None:
        self.log_file = log_file
        self.delay = delay

    def prepare(self, session: Session, job: JobView) -> None:
        return None

    def process(self, context: None, job: JobView, items: Sequence[WorkItem]) -> list[ItemOutcome]:
        time.sleep(self.delay * len(items))
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write("".join(f"{os.getpid()} {i.seq}\n" for i in items))
            log.flush()
            os.fsync(log.fileno())
        return [ItemOutcome(i.seq, {"value": 2 * i.input["n"]}) for i in items]

    def finalize(
        self, session: Session, context: None, job: JobView, items: Sequence[WorkItem]
    ) -> dict[str, Any]:
        return {"sum": sum(i.result["value"] for i in items if i.result)}


def main(url: str, log_file: str, delay: float) -> None:
    settings = Settings(database_url=url, jobs=TEST_JOBS)
    factory = make_sessionmaker(make_engine(url))
    executor = JobExecutor(factory, [SlowDoubler(log_file, delay)], turn_seconds=0.5)
    if runner_kind(settings) == "procrastinate":
        ProcrastinateRunner(executor, settings, worker=True).run_forever(f"test-{os.getpid()}")
    else:
        InProcessRunner(executor, poll_seconds=0.2).run_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
