"""Retention: ended jobs expire POSENET_RETENTION_DAYS after they ended (0: kept forever), and files go
with their rows whatever deletes them.

- Files follow rows: a deleted PoseJob takes its results folder (MEDIA_ROOT/jobs/<id>), a deleted Video
  its upload, and a video left with no job is deleted too. The signals fire for a model delete, a
  queryset delete, the admin's delete and a deleted user's cascade alike; the files are removed only
  once the transaction commits, so a rolled-back delete keeps them.
- `cleanup()` deletes expired jobs and orphan files (in uploads/ and jobs/, with no row, older than a
  grace period so that an upload being saved is never taken). `manage.py cleanup [--dry-run]` runs it;
  `periodic()` is the entry for any scheduler (the Celery task `poseapp.retention.cleanup` below, run by
  `celery beat` from CELERY_BEAT_SCHEDULE, or a worker's own timer).
"""
from __future__ import annotations

import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils import timezone
from django.utils.html import format_html

from .models import PoseJob, Video
from .queues import CLEANUP_TASK

log = logging.getLogger(__name__)
ORPHAN_GRACE = timedelta(hours=24)
UPLOAD_DIR = re.compile(r"^[0-9a-f]{32}$")  # models.video_upload_path: uploads/<uuid hex>/<name>


def expires_at(job: PoseJob) -> datetime | None:
    """When this job and its files will be deleted (None: kept forever, or it has not ended yet)."""
    days = settings.POSENET_RETENTION_DAYS
    if not days or not job.is_terminal or not job.finished_at:
        return None
    return job.finished_at + timedelta(days=days)


def expiry_parts(job: PoseJob) -> dict:
    """The job page's retention sentence, in parts: the page renders them (expiry_text) and the live
    status message carries them, so a page left open while the job ends shows the date without a reload.
    at: the deletion time (ISO, UTC) or None; at_text: how it reads before the browser localizes it."""
    days = settings.POSENET_RETENTION_DAYS
    if not days:
        return {"before": "Results are kept until you delete the job.", "at": None, "at_text": "", "after": ""}
    when = expires_at(job)
    if when is None:
        return {"before": f"Results are kept for {days} days after the job ends, then deleted with the job.",
                "at": None, "at_text": "", "after": ""}
    utc = when.astimezone(dt_timezone.utc)  # the page shows it in the reader's own zone (base.html)
    advice = " Download what you want to keep before then." if job.status == PoseJob.Status.SUCCEEDED else ""
    return {"before": "This job and its files will be deleted on ", "at": f"{utc:%Y-%m-%dT%H:%M:%SZ}",
            "at_text": f"{utc:%d %b %Y at %H:%M} UTC", "after": f" ({days} days after it ended).{advice}"}


def expiry_text(job: PoseJob) -> str:
    """The sentence the job page shows."""
    parts = expiry_parts(job)
    if parts["at"] is None:
        return parts["before"]
    return format_html('{}<time datetime="{}" data-local>{}</time>{}', parts["before"], parts["at"],
                       parts["at_text"], parts["after"])


# --- files follow their rows ---------------------------------------------------------------------

def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _remove_upload(name: str) -> None:
    path = Path(settings.MEDIA_ROOT) / name
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()  # its random folder, when empty
    except OSError:
        pass


def _job_deleted(sender, instance: PoseJob, **kwargs) -> None:
    work_dir, video_id = instance.work_dir, instance.video_id

    def after_commit():
        _remove_tree(work_dir)
        # An upload with no job left is of no use to anyone: it goes too (its file by _video_deleted).
        Video.objects.filter(pk=video_id, jobs__isnull=True).delete()
    transaction.on_commit(after_commit)


def _video_deleted(sender, instance: Video, **kwargs) -> None:
    if instance.file and instance.file.name:
        name = instance.file.name
        transaction.on_commit(lambda: _remove_upload(name))


def connect() -> None:
    post_delete.connect(_job_deleted, sender=PoseJob, dispatch_uid="posenet-job-files")
    post_delete.connect(_video_deleted, sender=Video, dispatch_uid="posenet-video-files")


# --- cleanup -------------------------------------------------------------------------------------

@dataclass
class Report:
    jobs: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    bytes: int = 0

    def lines(self, dry_run: bool) -> list[str]:
        verb = "would delete" if dry_run else "deleted"
        out = [f"{verb} {line}" for line in self.jobs + self.orphans]
        from .quotas import human_bytes

        out.append(f"{'Would free' if dry_run else 'Freed'} {human_bytes(self.bytes)}: {len(self.jobs)} expired "
                   f"job(s), {len(self.orphans)} orphan file(s) or folder(s).")
        return out


def _size(path: Path) -> int:
    from .quotas import _tree_bytes

    try:
        return _tree_bytes(path) if path.is_dir() else path.stat().st_size
    except OSError:
        return 0


def expired_jobs(now: datetime | None = None):
    days = settings.POSENET_RETENTION_DAYS
    if not days:
        return PoseJob.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return PoseJob.objects.filter(status__in=PoseJob.TERMINAL, finished_at__lt=cutoff).select_related("video")


def orphan_paths(grace: timedelta = ORPHAN_GRACE) -> list[Path]:
    """Upload files and results folders that no row points to, untouched for longer than `grace`."""
    media = Path(settings.MEDIA_ROOT)
    cutoff = time.time() - grace.total_seconds()
    found = []
    known_uploads = set(Video.objects.exclude(file="").values_list("file", flat=True))
    uploads = media / "uploads"
    for folder in sorted(uploads.iterdir()) if uploads.is_dir() else []:
        if not folder.is_dir() or not UPLOAD_DIR.match(folder.name):
            continue  # not ours (another feature's files): left alone
        files = list(folder.iterdir())
        for f in files:
            if f"uploads/{folder.name}/{f.name}" not in known_uploads and f.lstat().st_mtime < cutoff:
                found.append(f)
        if not files and folder.lstat().st_mtime < cutoff:
            found.append(folder)
    known_jobs = {str(pk) for pk in PoseJob.objects.values_list("pk", flat=True)}
    jobs = media / "jobs"
    for folder in sorted(jobs.iterdir(), key=lambda p: p.name) if jobs.is_dir() else []:
        if folder.name.isdigit() and folder.name not in known_jobs and folder.lstat().st_mtime < cutoff:
            found.append(folder)
    return found


def cleanup(dry_run: bool = False, now: datetime | None = None, grace: timedelta = ORPHAN_GRACE) -> Report:
    report = Report()
    for job in expired_jobs(now):
        size = _size(job.work_dir)
        if job.video.file and job.video.jobs.count() == 1:
            size += _size(Path(settings.MEDIA_ROOT) / job.video.file.name)
        report.jobs.append(f"job {job.pk} ({job.video.original_name}, {job.status}, ended "
                           f"{timezone.localtime(job.finished_at):%Y-%m-%d}, owner {job.owner_id})")
        report.bytes += size
        if not dry_run:
            job.delete()  # files and a video left with no job go by the signals above
    for path in orphan_paths(grace):
        report.orphans.append(f"orphan {path.relative_to(settings.MEDIA_ROOT)}")
        report.bytes += _size(path)
        if dry_run:
            continue
        if path.is_dir() and path.parent.name == "jobs":
            _remove_tree(path)
        elif path.is_dir():
            path.rmdir()  # an empty upload folder
        else:
            _remove_upload(str(path.relative_to(settings.MEDIA_ROOT)))  # and its folder, when empty
    return report


def periodic() -> Report:
    """The periodic run, for any scheduler: delete what has expired and the orphans; log what was done."""
    from .chunked_upload import expire_stale

    report = cleanup()
    if report.jobs or report.orphans:
        log.info("retention cleanup: %s", report.lines(dry_run=False)[-1])
    expire_stale()  # unfinished chunked uploads past POSENET_UPLOAD_EXPIRY_H, with their bytes
    return report


@shared_task(name=CLEANUP_TASK, ignore_result=True)
def cleanup_task() -> None:
    periodic()
