"""One long video on many workers: its 2D detection split into parts that any worker may take.

The job's own task (the coordinator, `tasks.run_pose_job`) queues helper tasks (`detect_parts`)
and then works through the parts in order itself. A part is one segment of ml.segments' plan
(20 s of video; the last part runs to the end), claimed by creating `parts/K.claim` in the job's
folder (O_EXCL: one owner). A helper writes the part's records to `parts/K.npz`; the coordinator
streams the parts in frame order into the lifter as they become available, detecting the ones
nobody claimed, so the viewer still receives every frame once and in order, and a job whose
helpers never start (no free worker) finishes on its own. Thanks to the plan the 2D, and so the
whole result, equals a one-worker run exactly.

Needs the media folder shared by every worker (docker compose's `media` volume today); with
object storage each helper would download the video and upload its part files instead.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from celery import shared_task
from django.conf import settings

from .models import PoseJob
from .queues import DETECT_PARTS_TASK, POSE_QUEUE

log = logging.getLogger(__name__)
POLL_S = 0.2  # the coordinator's wait between looks for a helper's part
TOUCH_S = 2.0  # a helper refreshes its claim this often while it detects


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def part_count(info) -> int:
    """How many parts a video is split into: 0 (not split) when splitting is off or the video is
    shorter than POSENET_SPLIT_MIN_S, else one per segment of the plan (by the container's frame
    count; the last part takes whatever frames come after it)."""
    from ml.segments import Plan

    if not settings.POSENET_SPLIT or not info.frame_count_hint:
        return 0
    if info.frame_count_hint / info.fps < settings.POSENET_SPLIT_MIN_S:
        return 0
    n = math.ceil(info.frame_count_hint / Plan.for_fps(info.fps).frames)
    return n if n >= 2 else 0


class Parts:
    """The part files of one job: K.claim (who detects part K), K.npz (its records), K.error.
    `folder`: another set of parts with the same claims (the overlay's: poseapp/overlay_parts.py)."""

    def __init__(self, job: PoseJob, count: int, folder: str = "parts"):
        self.dir = job.work_dir / folder
        self.count = count
        self.mine: set[int] = set()  # parts claimed through this object

    def path(self, k: int, kind: str) -> Path:
        return self.dir / f"{k}.{kind}"

    def claim(self, k: int, create: bool = True) -> bool:
        """Take part k (True) unless someone has. Helpers pass create=False: once the job's worker
        has removed the folder (its parts are done) a late helper must not start it again."""
        if create:
            self.dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path(k, "claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except (FileExistsError, FileNotFoundError):
            return False
        with os.fdopen(fd, "w") as f:
            f.write(owner_name())
        self.mine.add(k)
        return True

    def claimed(self, k: int) -> bool:
        return self.path(k, "claim").exists()

    def owner(self, k: int) -> str:
        try:
            return self.path(k, "claim").read_text()
        except OSError:
            return ""

    def touch(self, k: int) -> None:
        try:
            os.utime(self.path(k, "claim"))
        except OSError:
            pass

    def claim_age(self, k: int) -> float:
        try:
            return time.time() - self.path(k, "claim").stat().st_mtime
        except OSError:
            return math.inf

    def write(self, k: int, records) -> None:
        from ml.segments import records_to_arrays

        tmp = self.path(k, "tmp.npz")
        np.savez(tmp, **records_to_arrays(records))
        os.replace(tmp, self.path(k, "npz"))  # appears whole, or not at all

    def write_error(self, k: int, message: str) -> None:
        self.path(k, "error").write_text(message)

    def read(self, k: int):
        """The part's records, None if not there yet; raises VideoError if its helper failed on the video."""
        from ml.segments import arrays_to_records
        from ml.video import VideoError

        err = self.path(k, "error")
        if err.exists():
            raise VideoError(err.read_text())
        try:
            with np.load(self.path(k, "npz")) as z:
                return arrays_to_records(z)
        except FileNotFoundError:
            return None


def detect_part(video: Path, fps: float, parts: Parts, k: int, pair, should_stop=None) -> Iterator:
    from ml.segments import detect_segments

    last = None if k == parts.count - 1 else k
    return detect_segments(video, lambda s: True, pair, fps, first=k, last=last, should_stop=should_stop,
                           stride=settings.POSENET_DETECT_STRIDE)


def detector_pair(name: str, complexity: int):
    from ml.pipeline import detector_pair as pair  # the worker's warm detectors (not in the web process)

    return pair(name, complexity)


def split_records(job: PoseJob, video: Path, fps: float, parts: Parts, should_stop: Callable[[], bool],
                  tick: Callable[[], None], done_here: list) -> Iterator:
    """The coordinator's records of every frame in order: each part claimed here is detected
    here (streamed as it goes), each part claimed by a helper is read once its file is there. A
    helper that stopped refreshing its claim for POSENET_SPLIT_STALE_S has its part redone here.
    The parts detected here are appended to `done_here`."""
    for k in range(parts.count):
        if k in parts.mine or parts.claim(k):
            done_here.append(k)
            yield from detect_part(video, fps, parts, k, detector_pair("mediapipe", job.complexity), should_stop)
            continue
        while True:
            records = parts.read(k)
            if records is not None:
                yield from records
                break
            if parts.claim_age(k) > settings.POSENET_SPLIT_STALE_S:
                log.warning("job %s: part %s's helper (%s) went quiet; detecting it here", job.pk, k, parts.owner(k))
                done_here.append(k)
                yield from detect_part(video, fps, parts, k, detector_pair("mediapipe", job.complexity), should_stop)
                break
            if should_stop():
                return
            tick()
            time.sleep(POLL_S)


def start_helpers(job: PoseJob, count: int) -> int:
    """Queue up to POSENET_SPLIT_HELPERS helper tasks (one per other worker that may be free);
    returns how many were queued (0 if the broker refused: the coordinator then does it all)."""
    from .tasks import broker_errors

    wanted = min(count - 1, settings.POSENET_SPLIT_HELPERS)
    for i in range(wanted):
        try:
            detect_parts.apply_async(args=[job.pk, count], queue=POSE_QUEUE)
        except broker_errors() as exc:
            log.warning("job %s: cannot queue part helpers (%s); detecting every part here", job.pk, exc)
            return i
    return wanted


@shared_task(name=DETECT_PARTS_TASK)
def detect_parts(job_id: int, count: int) -> None:
    """A helper: take unclaimed parts of a running job until none is left, then parts of its
    overlay MP4 (poseapp/overlay_parts.py) until none of those is left."""
    from ml.video import VideoError, probe

    job = PoseJob.objects.filter(pk=job_id, status=PoseJob.Status.RUNNING).select_related("video").first()
    if job is None:
        return
    video = Path(job.video.file.path)
    info = probe(video)
    fps = info.fps
    parts = Parts(job, count)
    for k in range(count):
        if not parts.claim(k, create=False):
            continue
        should_stop = ClaimKeeper(parts, k, job_id)
        try:
            records = list(detect_part(video, fps, parts, k, detector_pair("mediapipe", job.complexity), should_stop))
        except VideoError as exc:
            parts.write_error(k, str(exc))
            return
        if should_stop.stopped:
            return  # the job ended meanwhile: nothing to hand over
        parts.write(k, records)
    from .overlay_parts import help_with_overlay

    help_with_overlay(job, video, info, count)  # no 2D left to detect: draw parts of the overlay MP4


class ClaimKeeper:
    """A helper's should_stop() for its part k: refreshes the claim every TOUCH_S (the coordinator
    redoes parts whose claim goes quiet) and says True once the job is no longer running."""

    def __init__(self, parts: Parts, k: int, job_id: int):
        self.parts, self.k, self.job_id = parts, k, job_id
        self.last_look, self.stopped = time.monotonic(), False

    def __call__(self) -> bool:
        if not self.stopped and time.monotonic() - self.last_look > TOUCH_S:
            self.last_look = time.monotonic()
            self.parts.touch(self.k)
            self.stopped = job_gone(self.job_id)
        return self.stopped


def job_gone(job_id: int) -> bool:
    return not PoseJob.objects.filter(pk=job_id, status=PoseJob.Status.RUNNING).exists()
