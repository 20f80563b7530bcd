"""Syncs started from the console: each runs in a thread of the serving process while the
page that started it watches its progress (rows read so far, then the run's report).

The run itself is the sync engine's (`run_sync`), recorded in the run history like one the CLI
started; only the live counter lives here, in this process. A page that asks another gateway
process for the job finds the run in the history once it has finished."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from gateway.busy import StoreBusy
from gateway.config import Settings
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from gateway.sync.sources import SOURCE_ERRORS, build_adapter


@dataclass
class SyncJob:
    id: int
    source: str
    dry_run: bool
    started_by: str
    started: float = field(default_factory=time.monotonic)
    rows: int = 0
    state: str = "starting"  # starting | reading | then the run's state, or failed
    message: str = ""
    report: RunReport | None = None

    @property
    def finished(self) -> bool:
        return self.state not in ("starting", "reading")

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


class SyncJobs:
    """The console's running and recent syncs in this process."""

    def __init__(self, keep: int = 50) -> None:
        self._jobs: dict[int, SyncJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.keep = keep

    def get(self, job_id: int) -> SyncJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, settings: Settings, engine: Engine, source: str, *, dry_run: bool,
              force: bool = False, started_by: str = "") -> SyncJob:
        """Start the sync in a thread; raises one of SOURCE_ERRORS (or ValueError with the
        check's problems) before starting when the source cannot run."""
        config, adapter = build_adapter(settings, source)
        problems = adapter.check()
        if problems:
            raise ValueError(f"source {source!r}: " + "; ".join(problems))
        job = SyncJob(next(self._ids), source, dry_run, started_by)
        with self._lock:
            self._jobs[job.id] = job
            for old in sorted(self._jobs)[:-self.keep]:
                del self._jobs[old]

        def progress(rows: int, _source: Any = None) -> None:
            job.rows, job.state = rows, "reading"

        def work() -> None:
            try:
                job.state = "reading"
                job.report = run_sync(
                    engine, config, adapter.read(), adapter_name=config.adapter,
                    var_dir=settings.var_dir, dry_run=dry_run, force=force, progress=progress,
                    lock_timeout=settings.sync_lock_timeout)
                job.rows = job.report.rows_read
                job.state, job.message = job.report.state, job.report.message
            except StoreBusy as busy:
                job.state, job.message = "failed", str(busy)
            except Exception as exc:  # noqa: BLE001  the page must say why, not hang
                job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"

        threading.Thread(target=work, name=f"console-sync-{job.id}", daemon=True).start()
        return job


__all__ = ["SOURCE_ERRORS", "SyncJob", "SyncJobs"]
