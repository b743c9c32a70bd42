"""Fair order between users on one Celery queue, and where a queued job stands.

How: every pose job is sent with a Celery priority, its owner's *round*. A user with nothing queued
or running gets round 0; each further job they queue while earlier ones are still waiting or running
gets the round after their latest one (capped at 9). The Redis transport keeps one list per priority
(CELERY_BROKER_TRANSPORT_OPTIONS priority_steps 0..9) and every worker takes from the lowest round
first, FIFO within a round. So when one user has queued 10 jobs (rounds 0..9), another user's new job
(round 0) is the next one any worker takes; each user's own jobs keep their order; no worker sits idle
while anything is queued; and it needs nothing but the messages themselves (several workers, a
restarted web process, a re-sent message all keep the order).

Queue position and the estimated start are computed from the same rule and from the durations of the
jobs that finished recently (measured, not assumed).
"""
from __future__ import annotations

import heapq
from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from .models import PoseJob

MAX_ROUND = 9  # the highest Celery priority the Redis transport is configured with
RECENT_JOBS = 20  # the estimate averages the durations of up to this many recent jobs…
RECENT_WINDOW = timedelta(days=7)  # …that finished within this window
ACTIVE = (PoseJob.Status.QUEUED, PoseJob.Status.RUNNING)


def fair_priority(job: PoseJob) -> int:
    """The round to queue this job in (0 is served first)."""
    earlier = PoseJob.objects.filter(owner_id=job.owner_id, status__in=ACTIVE)
    earlier = earlier.filter(pk__lt=job.pk) if job.pk else earlier  # two uploads at once keep their order
    latest = earlier.aggregate(top=Max("queue_priority"))["top"]
    return 0 if latest is None else min(MAX_ROUND, latest + 1)


def assign_priority(job_id: int) -> int:
    """Compute the job's round, record it on the row (for its queue position) and return it: the
    priority to send its task with (every send, first or again, goes through here)."""
    job = PoseJob.objects.only("pk", "owner_id").get(pk=job_id)
    priority = fair_priority(job)
    PoseJob.objects.filter(pk=job_id).update(queue_priority=priority)
    return priority


def jobs_ahead(job: PoseJob):
    """Queued jobs that a worker will take before this one: lower rounds, then earlier in the same round."""
    return PoseJob.objects.filter(status=PoseJob.Status.QUEUED).exclude(pk=job.pk).filter(
        Q(queue_priority__lt=job.queue_priority) | Q(queue_priority=job.queue_priority, pk__lt=job.pk))


def recent_durations() -> list[float]:
    since = timezone.now() - RECENT_WINDOW
    rows = (PoseJob.objects.filter(status=PoseJob.Status.SUCCEEDED, finished_at__gte=since,
                                   started_at__isnull=False).order_by("-finished_at")
            .values_list("started_at", "finished_at")[:RECENT_JOBS])
    return [(end - start).total_seconds() for start, end in rows if end > start]


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return "about a minute" if seconds >= 45 else "less than a minute"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} minutes"
    return f"about {seconds / 3600:.1f} hours"


def queue_info(job: PoseJob) -> dict | None:
    """For a queued job: its position, the jobs running now, and an estimated start with what it is based on
    (None for a job that is not queued)."""
    if job.status != PoseJob.Status.QUEUED:
        return None
    ahead = jobs_ahead(job).count()
    running = list(PoseJob.objects.filter(status=PoseJob.Status.RUNNING).only("started_at", "status", "stage",
                                                                              "progress_done", "progress_total"))
    durations = recent_durations()
    info = {"position": ahead + 1, "ahead": ahead, "running": len(running), "estimated_start_s": None,
            "estimate_basis": {"recent_jobs": len(durations), "mean_duration_s": None}}
    if durations:
        mean = sum(durations) / len(durations)
        info["estimate_basis"]["mean_duration_s"] = round(mean, 1)
        now = timezone.now()
        # One slot per worker busy now (at least one): each frees when its job is expected to end;
        # the jobs ahead take the earliest free slot in turn, and so will this one.
        slots = [max(0.0, j.eta_seconds if j.eta_seconds is not None else
                     mean - (now - (j.started_at or now)).total_seconds()) for j in running] or [0.0]
        heapq.heapify(slots)
        for _ in range(ahead):
            heapq.heappush(slots, heapq.heappop(slots) + mean)
        info["estimated_start_s"] = round(slots[0])
    info["text"] = queue_text(info)
    return info


def queue_text(info: dict) -> str:
    position, ahead = info["position"], info["ahead"]
    where = ("Yours is next in the queue" if ahead == 0 else
             f"Number {position} in the queue ({ahead} job{'s' if ahead != 1 else ''} ahead of yours")
    if ahead:
        where += f", {info['running']} running now)" if info["running"] else ")"
    basis = info["estimate_basis"]
    if info["estimated_start_s"] is None:
        return f"{where}. No estimate of the start yet: no job has finished in the last 7 days to measure from."
    if info["estimated_start_s"] < 5:
        when = "it should start in a moment"
    else:
        when = f"estimated start in {_minutes(info['estimated_start_s'])}"
    n = basis["recent_jobs"]
    return (f"{where}; {when}. This is an estimate from the last {n} job{'s' if n != 1 else ''}, which took "
            f"{_minutes(basis['mean_duration_s']).replace('about ', '')} on average; longer or shorter videos "
            "ahead of yours change it.")
