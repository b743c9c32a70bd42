"""The sweeper: nothing lost, nothing stuck (docs/deploy.md, "Heartbeats and the sweeper").

Every Celery worker runs it in a timer thread (started by the worker's `worker_ready` signal), every
POSENET_SWEEP_INTERVAL_S, so it needs no extra process under `make run` / webapp.run or
`docker compose up --scale worker=N`. The database is the source of truth, and every change is a
conditional UPDATE, so any number of sweepers (one per worker) act on a job at most once:

* a *running* job whose heartbeat (poseapp/heartbeat.py) is older than POSENET_HEARTBEAT_TIMEOUT_S lost
  its worker (kill -9, out of memory, machine gone). It is put back to "queued", its partial files are
  removed and its task sent again, until it has been run POSENET_JOB_MAX_ATTEMPTS times; then it is
  failed with a sentence. Its live viewers are told either way (a `status` message);
* a *queued* job whose broker message is gone (a Redis that restarted without its data, an upload
  accepted while Redis was down, a worker killed between receiving a message and claiming the job) is
  sent again once it has waited POSENET_REQUEUE_GRACE_S. "Gone" is read from Redis itself: the job's
  task id is neither waiting in the queue nor delivered to a worker within the grace period.

A duplicate message is harmless: the task claims its job with a compare-and-set (poseapp/tasks.py), so
the job never runs twice at once.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

from .queues import POSE_TASK

log = logging.getLogger(__name__)

RERUN = ("The worker processing this job stopped unexpectedly (it may have been restarted or run out of memory). "
         "The job will start again from the beginning in a moment.")
GAVE_UP = ("The worker processing this job stopped unexpectedly every time it was tried (it may have run out of "
           "memory on this video). Please try again later, or with a shorter clip; if it happens again, contact "
           "the site's administrators.")

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def pose_queue() -> str:
    from django.conf import settings

    return settings.CELERY_TASK_ROUTES[POSE_TASK]["queue"]


def sweep() -> dict:
    """One pass: returns how many jobs were re-queued (`rerun`), failed, and sent again (`resent`)."""
    rerun, failed = rerun_or_fail_stale_jobs()
    return {"rerun": rerun, "failed": failed, "resent": resend_lost_messages()}


def rerun_or_fail_stale_jobs() -> tuple[int, int]:
    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from . import stream
    from .models import PoseJob
    from .tasks import TOO_LONG, remove_partial_results

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.POSENET_HEARTBEAT_TIMEOUT_S)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    rerun = failed = 0
    for job in PoseJob.objects.filter(stale, status=PoseJob.Status.RUNNING):
        # The same conditions again in the UPDATE: a beat since, or another sweeper, wins.
        mine = PoseJob.objects.filter(stale, pk=job.pk, status=PoseJob.Status.RUNNING, attempts=job.attempts)
        over_time = bool(job.started_at) and job.started_at + timedelta(seconds=settings.POSENET_JOB_TIME_LIMIT_S) < now
        if job.attempts < settings.POSENET_JOB_MAX_ATTEMPTS and not over_time:
            if not mine.update(status=PoseJob.Status.QUEUED, task_id="", stage="", progress_done=0, progress_total=0,
                               started_at=None, heartbeat_at=None, queued_at=now):
                continue
            log.warning("job %s: its worker stopped (no heartbeat since %s); running it again (attempt %s of %s)",
                        job.pk, job.heartbeat_at, job.attempts + 1, settings.POSENET_JOB_MAX_ATTEMPTS)
            job.delete_outputs()  # the killed attempt's partial output; the re-run starts from scratch
            stream.send(job.pk, {"type": "status", "status": PoseJob.Status.QUEUED, "message": RERUN,
                                 "model": job.model_name, "frame_count": None})
            _send(job.pk)
            rerun += 1
        else:
            message = TOO_LONG if over_time else GAVE_UP
            if not mine.update(status=PoseJob.Status.FAILED, error=message, finished_at=now):
                continue
            log.warning("job %s: its worker stopped (no heartbeat since %s) after %s attempts; failed",
                        job.pk, job.heartbeat_at, job.attempts)
            remove_partial_results(job)
            job.refresh_from_db()
            stream.send(job.pk, stream.status_message(job))
            failed += 1
    return rerun, failed


def resend_lost_messages() -> int:
    from django.conf import settings
    from django.utils import timezone

    from .models import PoseJob
    from .tasks import broker_errors

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.POSENET_REQUEUE_GRACE_S)
    waiting = list(PoseJob.objects.filter(status=PoseJob.Status.QUEUED, queued_at__lt=cutoff)
                   .order_by("queued_at").values_list("pk", "task_id"))
    if not waiting:
        return 0
    try:  # read Redis *before* deciding: a message taken meanwhile shows as a claimed (no longer queued) job
        present = broker_task_ids(settings.POSENET_REQUEUE_GRACE_S)
    except broker_errors() as exc:
        log.info("sweeper: the broker is unreachable (%s); queued jobs are sent once it is back", exc)
        return 0
    resent = 0
    for pk, task_id in waiting:
        if task_id and (present is None or task_id in present):
            continue  # its message is there (or this broker cannot be read: only never-sent jobs are resent)
        if not PoseJob.objects.filter(pk=pk, status=PoseJob.Status.QUEUED, task_id=task_id,
                                      queued_at__lt=cutoff).update(queued_at=now):
            continue  # claimed, cancelled or resent by another sweeper meanwhile
        log.warning("job %s: queued but its broker message is gone (task %r); sending it again", pk, task_id or None)
        if _send(pk):
            resent += 1
    return resent


def broker_task_ids(grace_s: float) -> set[str] | None:
    """The task ids of pose messages in Redis: waiting in the queue (every priority level), or delivered
    to a worker less than `grace_s` ago and not acknowledged yet (kombu's `unacked` hash and its time
    index). A message delivered longer ago whose job is still queued belongs to a worker that died
    before claiming it. None when the broker is not Redis (nothing can be read)."""
    from celery import current_app

    with current_app.connection_for_read() as conn:
        channel = conn.default_channel
        client = getattr(channel, "client", None)
        if client is None or not hasattr(channel, "_q_for_pri"):
            return None
        raws = []
        for priority in sorted(set(channel.priority_steps)):
            raws += client.lrange(channel._q_for_pri(pose_queue(), priority), 0, -1)
        tags = client.zrangebyscore(channel.unacked_index_key, time.time() - grace_s, "+inf")
        if tags:
            raws += [json.loads(raw)[0] for raw in client.hmget(channel.unacked_key, tags) if raw]
    ids = set()
    for raw in raws:
        message = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        task_id = (message.get("headers") or {}).get("id")
        if task_id:
            ids.add(task_id)
    return ids


def _send(job_id: int) -> bool:
    from .tasks import broker_errors, send_pose_job

    try:
        send_pose_job(job_id)
        return True
    except broker_errors() as exc:  # the job stays queued; a later pass sends it
        log.warning("job %s: cannot send it now (broker unreachable: %s)", job_id, exc)
        return False


def _loop(interval_s: float) -> None:
    from django.db import connection

    while not _stop.is_set():
        try:
            done = sweep()
            if any(done.values()):
                log.info("sweeper: %s", done)
        except Exception:  # noqa: BLE001 - the sweeper must outlive any one failed pass
            log.exception("sweeper pass failed")
        finally:
            connection.close()  # this thread's own connection; a fresh one next pass
        _stop.wait(interval_s)


def start() -> bool:
    """Start the sweeper thread, once per process; False if it was already started."""
    global _thread
    from django.conf import settings

    with _lock:
        if _thread is not None:
            return False
        _stop.clear()
        _thread = threading.Thread(target=_loop, args=(settings.POSENET_SWEEP_INTERVAL_S,), name="posenet-sweeper",
                                   daemon=True)
        _thread.start()
    log.info("Sweeper started (every %s s; heartbeat timeout %s s, grace for lost messages %s s).",
             settings.POSENET_SWEEP_INTERVAL_S, settings.POSENET_HEARTBEAT_TIMEOUT_S, settings.POSENET_REQUEUE_GRACE_S)
    return True


def stop() -> None:
    _stop.set()


def _on_worker_ready(sender=None, **kwargs) -> None:
    start()


def _on_worker_shutdown(sender=None, **kwargs) -> None:
    stop()


def connect() -> None:
    """Hook the sweeper to the worker's signals (called from PoseappConfig.ready; the web process
    never receives them)."""
    from celery.signals import worker_ready, worker_shutdown

    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="posenet-sweeper-ready")
    worker_shutdown.connect(_on_worker_shutdown, weak=False, dispatch_uid="posenet-sweeper-shutdown")
