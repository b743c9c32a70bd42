"""Fair use: what one account may ask of the workers and the disk (docs/deploy.md, "Fair use").

Two entry points, for every way a job is submitted (the upload form, the API, a chunked upload, Retry):

- `check_can_submit(user, upload_size_bytes)` before anything is stored: the limit on jobs queued or
  running at once and the storage quota (uploads + results on disk);
- `check_decoded_work(meta, user)` once the file has been probed: the frames and the frames x pixels
  the workers would decode (a 50 MB clip of 320x240 at 240 fps is hours of detection: duration alone
  does not bound the work).

Each raises QuotaExceeded with a sentence that says what is wrong and what to do, and the HTTP status
the API answers with (429: wait and try again; 413: this upload is too much). Staff are exempt while
POSENET_QUOTA_EXEMPT_STAFF is on (the default). Every limit is off at 0.
"""
from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from .models import PoseJob, Video

ACTIVE = (PoseJob.Status.QUEUED, PoseJob.Status.RUNNING)


class QuotaExceeded(Exception):
    """str(exc) is the sentence for people; `status` the HTTP status; `code` a stable name for clients."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message)
        self.status = status
        self.code = code


def exempt(user) -> bool:
    return bool(settings.POSENET_QUOTA_EXEMPT_STAFF and getattr(user, "is_staff", False))


def active_jobs(user) -> int:
    return PoseJob.objects.filter(owner=user, status__in=ACTIVE).count()


def _tree_bytes(path: Path) -> int:
    total = 0
    try:
        entries = list(os.scandir(path))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                total += _tree_bytes(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue  # removed while we looked
    return total


def storage_used_bytes(user) -> int:
    """What the user's uploads and results take on disk now (measured, not the sizes recorded at upload)."""
    total = 0
    for name in Video.objects.filter(owner=user).exclude(file="").values_list("file", flat=True):
        try:
            total += (Path(settings.MEDIA_ROOT) / name).stat().st_size
        except OSError:
            pass  # its bytes are gone (an unusable upload, a deleted file)
    for job_id in PoseJob.objects.filter(owner=user).values_list("pk", flat=True):
        total += _tree_bytes(Path(settings.MEDIA_ROOT) / "jobs" / str(job_id))
    return total


def human_bytes(n: float) -> str:
    if n >= 1000 ** 3:
        return f"{n / 1000 ** 3:.1f} GB"
    return f"{max(n, 0) / 1000 ** 2:.0f} MB" if n >= 1000 ** 2 else f"{max(n, 0) / 1000:.0f} kB"


def _expiry_hint() -> str:
    days = settings.POSENET_RETENTION_DAYS
    return f", or wait for old results to be deleted {days} days after their job ended" if days else ""


def check_can_submit(user, upload_size_bytes: int = 0) -> None:
    """Raise QuotaExceeded if this user may not queue another job of this size now."""
    if exempt(user):
        return
    limit = settings.POSENET_MAX_ACTIVE_JOBS_PER_USER
    if limit and active_jobs(user) >= limit:
        raise QuotaExceeded(
            f"You already have {limit} jobs queued or running, the most one account may have at a time. "
            "Wait until one has finished (or cancel one), then upload again.", 429, "too_many_jobs")
    quota = settings.POSENET_STORAGE_QUOTA_MB * 1000 ** 2
    if quota:
        used = storage_used_bytes(user)
        if used + upload_size_bytes > quota:
            what = (f"This upload ({human_bytes(upload_size_bytes)}) would bring your storage to "
                    f"{human_bytes(used + upload_size_bytes)}" if upload_size_bytes else
                    f"Your uploads and results take {human_bytes(used)}")
            raise QuotaExceeded(
                f"{what}; your quota is {human_bytes(quota)} (uploads and results together). "
                f"Delete jobs you no longer need{_expiry_hint()}, then try again.", 413, "storage_quota")


def _field(meta, name: str, default=0):
    return meta.get(name, default) if isinstance(meta, dict) else getattr(meta, name, default)


def check_decoded_work(meta, user=None) -> None:
    """Raise QuotaExceeded if decoding this video is more work than one job may be. `meta`: the probe
    (ml.video.VideoInfo, or a dict with width, height, fps and frame_count_hint). A container that
    gives no frame count cannot be checked here; the worker's duration and time limits still apply."""
    if user is not None and exempt(user):
        return
    frames = int(_field(meta, "frame_count_hint") or 0)
    width, height = int(_field(meta, "width") or 0), int(_field(meta, "height") or 0)
    fps = float(_field(meta, "fps") or 0)
    if frames <= 0:
        return
    shape = f"{frames:,} frames" + (f" ({_duration(frames / fps)} at {fps:.0f} frames per second)" if fps else "")
    max_frames = settings.POSENET_MAX_FRAMES
    if max_frames and frames > max_frames:
        raise QuotaExceeded(
            f"This video has {shape}; the limit is {max_frames:,} frames per video. Please upload a "
            "shorter clip, or one recorded at a lower frame rate.", 413, "too_many_frames")
    max_mp = settings.POSENET_MAX_DECODED_MEGAPIXELS
    megapixels = frames * width * height / 1e6
    if max_mp and megapixels > max_mp:
        raise QuotaExceeded(
            f"This video is {width}×{height} with {shape}: {megapixels:,.0f} megapixels to decode, and the "
            f"limit is {max_mp:,}. Please upload a shorter clip or a lower resolution "
            "(1080p or less is plenty for the skeleton).", 413, "too_many_pixels")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} seconds" if seconds < 120 else f"{seconds / 60:.1f} minutes"


def frame_limit(user, width: int, height: int) -> int:
    """The most frames the worker may decode for this user's video of this size (0: no limit): the frame
    limit and the frames x pixels limit, enforced while decoding too (a container can hide its frame count)."""
    if exempt(user):
        return 0
    limits = [settings.POSENET_MAX_FRAMES] if settings.POSENET_MAX_FRAMES else []
    if settings.POSENET_MAX_DECODED_MEGAPIXELS and width > 0 and height > 0:
        limits.append(max(1, int(settings.POSENET_MAX_DECODED_MEGAPIXELS * 1e6 // (width * height))))
    return min(limits) if limits else 0
