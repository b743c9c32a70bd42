"""Pose-job operations shared by the HTML views and the JSON API (one place for each rule)."""
import shutil

import numpy as np
from celery import current_app
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone

from ml.export import FILE_NAMES, FORMATS

from . import fair_queue, quotas, retention, stream
from .models import LifterModel, PoseJob, Video
from .tasks import enqueue_pose_job
from .uploads import video_problem

# The formats and their file names are ml.export's (FORMATS, FILE_NAMES: the one list); what the web
# adds per format is its content type and label, here, keyed by those formats (tests check they match).
DOWNLOAD_TYPES = {  # format: (content type, label)
    "json": ("application/json", "JSON"),
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "npz": ("application/octet-stream", "NPZ"),
    "bvh": ("application/octet-stream", "BVH (rig)"),
    "glb": ("model/gltf-binary", "GLB (rig + mannequin)"),
    "mp4": ("video/mp4", "Overlay MP4"),
}
DOWNLOADS = {fmt: (FILE_NAMES[fmt], *DOWNLOAD_TYPES[fmt]) for fmt in FORMATS}  # format: (file, type, label)


class UnusableVideo(Exception):
    """The upload is not a usable video; str(exc) is the sentence for people."""


def create_from_upload(user, upload, lifter: LifterModel | None = None, smoothing: str = "light",
                       complexity: int = 1, height_m: float | None = None, reject_unusable: bool = False,
                       people_mode: str = "one", take: dict | None = None) -> PoseJob:
    """Store the upload, check that it is a usable video, and queue it. An unusable file's bytes are not
    kept; it gives a failed job with the reason (the form: the job page says why), or with
    `reject_unusable` (the API: 400) raises UnusableVideo and leaves no rows. Over a fair-use limit
    (poseapp/quotas.py) it raises QuotaExceeded and keeps neither rows nor bytes. `take`: a live take's 2D
    (poseapp/live.read_take), lifted instead of detecting again (job.take_path)."""
    quotas.check_can_submit(user, upload.size)
    with transaction.atomic():
        video = Video.objects.create(owner=user, file=upload, original_name=upload.name[:255], size_bytes=upload.size)
        job = PoseJob.objects.create(owner=user, video=video, lifter=lifter or LifterModel.active(),
                                     smoothing=smoothing, complexity=complexity, height_m=height_m,
                                     people_mode=people_mode)
        problem = video_problem(video.file.path)
        if not problem:
            from ml.video import probe  # OpenCV, loaded on first use (as in uploads.video_problem)

            try:
                quotas.check_decoded_work(probe(video.file.path), user)
            except quotas.QuotaExceeded:
                video.file.delete(save=False)
                raise  # rolls the rows back
        if problem and reject_unusable:
            video.file.delete(save=False)
            raise UnusableVideo(problem)  # rolls the rows back
        if problem:
            video.file.delete(save=True)  # not a usable video: do not keep its bytes
            job.status, job.error, job.finished_at = PoseJob.Status.FAILED, problem, timezone.now()
            job.error_repeats = True
            job.save(update_fields=["status", "error", "finished_at", "error_repeats"])
        else:
            if take is not None:
                job.work_dir.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(job.take_path, **take)
            enqueue_pose_job(job)
    return job


def cancel(job: PoseJob) -> bool:
    if job.is_terminal:
        return False
    updated = PoseJob.objects.filter(pk=job.pk, status__in=[PoseJob.Status.QUEUED, PoseJob.Status.RUNNING]).update(
        status=PoseJob.Status.CANCELLED, error="The job was cancelled.", finished_at=timezone.now())
    if not updated:
        return False
    if job.task_id:
        # A queued task is dropped; a running one stops cooperatively (it checks the status between frames).
        current_app.control.revoke(job.task_id)
    job.refresh_from_db()
    stream.send(job.pk, stream.status_message(job))
    return True


def retry(job: PoseJob) -> PoseJob | None:
    """A new job from the same upload and options; None where that cannot end differently (see can_retry)."""
    if not job.can_retry or not job.video.file.storage.exists(job.video.file.name):
        return None
    quotas.check_can_submit(job.owner)  # the jobs limit (the video is already stored and counted)
    with transaction.atomic():
        new = PoseJob.objects.create(owner=job.owner, video=job.video, lifter=job.lifter,
                                     smoothing=job.smoothing, complexity=job.complexity, height_m=job.height_m,
                                     people_mode=job.people_mode)
        if job.take_path.exists():  # a live take's 2D is its input, with the video
            new.work_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(job.take_path, new.take_path)
        enqueue_pose_job(new)
    return new


def retry_refusal(job: PoseJob) -> str:
    """Why retry(job) returned None, in a sentence for the user."""
    if job.error_repeats:
        return "Retrying would fail the same way, because the problem is in the video. Please upload another video."
    if job.status == PoseJob.Status.SUCCEEDED:
        return "This job has already succeeded: there is nothing to retry."
    return "This job cannot be retried: it is still running, or its video is gone."


def delete(job: PoseJob) -> None:
    cancel(job)
    job.delete_files()
    video = job.video
    job.delete()
    if not video.jobs.exists():
        video.file.delete(save=False)
        video.delete()


def download_urls(job: PoseJob) -> dict:
    return {fmt: reverse("job-download", args=[job.pk, fmt]) for fmt in DOWNLOADS}


def download_response(job: PoseJob, fmt: str) -> FileResponse:
    if fmt not in DOWNLOADS:
        raise Http404("Unknown format")
    _, content_type, _ = DOWNLOADS[fmt]
    name = job.file_names[fmt]  # several people: BVH and GLB are zips of one file per person
    if name.endswith(".zip"):
        content_type = "application/zip"
    path = job.work_dir / name
    if job.status != PoseJob.Status.SUCCEEDED or not path.exists():
        raise Http404("The result is not ready")
    stem = job.video.original_name.rsplit(".", 1)[0][:60] or f"job{job.pk}"
    filename = f"{stem}.{name}"  # clip.result.json, clip.overlay.mp4, clip.result_bvh.zip
    return FileResponse(open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)


def job_json(job: PoseJob) -> dict:
    ready = job.status == PoseJob.Status.SUCCEEDED
    return {
        "id": job.pk, "video": job.video.original_name, "status": job.status, "stage": job.stage,
        "progress": {"done": job.progress_done, "total": job.progress_total,
                     "percent": round(100 * job.progress_done / job.progress_total, 1) if job.progress_total else 0},
        "eta_seconds": job.eta_seconds, "error": job.error, "model": job.model_label, "smoothing": job.smoothing, "complexity": job.complexity,
        "height_m": job.height_m, "people": job.people_mode, "frame_count": job.frame_count,
        "fps": job.fps, "timings": job.timings, "can_retry": job.can_retry,
        "created_at": job.created_at.isoformat(), "started_at": job.started_at and job.started_at.isoformat(),
        "finished_at": job.finished_at and job.finished_at.isoformat(),
        "url": job.get_absolute_url(), "websocket": f"/ws/jobs/{job.pk}/",
        "queue": fair_queue.queue_info(job), "expires_at": retention.expires_at(job) and
        retention.expires_at(job).isoformat(),
        "results": {fmt: reverse("api-job-result", args=[job.pk, fmt]) for fmt in DOWNLOADS} if ready else {},
    }
