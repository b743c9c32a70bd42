"""The running pose job's heartbeat: a small timer thread in the worker writes `heartbeat_at` every
POSENET_HEARTBEAT_INTERVAL_S while the task runs, so every stage (detection, lifting, overlay rendering,
browser copy, exports) shows a sign of life without calling anything itself. The sweeper
(poseapp/sweeper.py) re-runs or fails a running job whose heartbeat stopped: its worker was killed or
lost. A beat is written only while the row is still this attempt's ("running" with the same `attempts`):
once the job was cancelled, deleted or handed to another worker, `lost` is set and the task stops at
its next check. Past the job's time limit (plus a margin) the thread stops beating, so a worker that
hangs inside a stage does not hold its job "running" forever.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class JobHeartbeat:
    def __init__(self, job_id: int, attempt: int, interval_s: float, give_up_at: float | None = None):
        self.job_id, self.attempt, self.interval_s = job_id, attempt, interval_s
        self.give_up_at = give_up_at  # time.monotonic() after which no more beats are written
        self.lost = threading.Event()  # the row is no longer this attempt's: stop working on it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-job-{job_id}", daemon=True)

    def __enter__(self) -> "JobHeartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def beat(self) -> bool:
        """Write one beat; False (and `lost` set) when the row is no longer this attempt's."""
        from django.utils import timezone

        from .models import PoseJob

        if PoseJob.objects.filter(pk=self.job_id, status=PoseJob.Status.RUNNING, attempts=self.attempt).update(
                heartbeat_at=timezone.now()):
            return True
        self.lost.set()
        return False

    def _run(self) -> None:
        from django.db import DatabaseError, connection

        try:
            while not self._stop.wait(self.interval_s):
                if self.give_up_at is not None and time.monotonic() > self.give_up_at:
                    log.warning("job %s is past its time limit: no more heartbeats", self.job_id)
                    return
                try:
                    if not self.beat():
                        return
                except DatabaseError as exc:  # e.g. a locked SQLite file: the next beat tries again
                    log.warning("heartbeat of job %s not written: %s", self.job_id, exc)
        finally:
            connection.close()  # this thread's own database connection
