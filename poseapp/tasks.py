"""Celery tasks. This module is imported by the web process too (to send tasks), so everything that
pulls in torch or MediaPipe is imported inside the task body, in the worker only."""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import stream
from .browser_copy import BrowserCopy
from .models import PoseJob

log = logging.getLogger(__name__)
INTERNAL_ERROR = (
    "Something went wrong on our side while processing this video. Please try again; "
    "if it happens again, contact the site's administrators."
)


def enqueue_pose_job(job: PoseJob) -> None:
    """Queue the job once the transaction that created it has committed (the worker must see it)."""
    transaction.on_commit(lambda: run_pose_job.apply_async(args=[job.pk], queue="pose"))


def _set(job: PoseJob, **fields) -> None:
    for k, v in fields.items():
        setattr(job, k, v)
    job.save(update_fields=list(fields))


@shared_task(bind=True, name="poseapp.tasks.run_pose_job")
def run_pose_job(self, job_id: int) -> None:
    from ml.pipeline import Cancelled, PipelineError, PipelineOptions, run_pipeline
    from ml.video import VideoError

    job = PoseJob.objects.select_related("video").filter(pk=job_id).first()
    if job is None or job.is_terminal:
        return  # deleted, or a re-delivered task for a job that already ended: nothing to do
    job.work_dir.mkdir(parents=True, exist_ok=True)
    job.frames_log_path.unlink(missing_ok=True)  # a re-delivered task starts over
    _set(job, status=PoseJob.Status.RUNNING, started_at=timezone.now(), task_id=self.request.id or "",
         stage="decode", progress_done=0, progress_total=0, error="")
    stream.send(job.pk, {"type": "status", "status": job.status, "message": ""})

    last_saved = [0.0]

    def on_progress(stage: str, done: int, total: int) -> None:
        stream.send(job.pk, stream.progress_message(stage, done, total))
        if playable.poll():
            stream.send(job.pk, stream.video_message(job))
        now = time.monotonic()
        if now - last_saved[0] > 0.5 or done >= total:  # the DB row is for page loads: no need for every frame
            last_saved[0] = now
            _set(job, stage=stage, progress_done=done, progress_total=total)

    def on_frames(start, kp2d, kp3d) -> None:
        message = stream.frames_message(start, kp2d, kp3d)
        stream.append_frames(job, message)
        stream.send(job.pk, message)

    def should_stop() -> bool:
        return PoseJob.objects.filter(pk=job.pk, status=PoseJob.Status.CANCELLED).exists()

    source = job.video.file.path
    playable = BrowserCopy(source, job.playable_video_path)
    options = PipelineOptions(checkpoint=settings.POSENET_CHECKPOINT or None)
    try:
        from ml.video import probe

        info = probe(source)
        _set(job, fps=info.fps, width=info.width, height=info.height)
        stream.send(job.pk, stream.meta_message(job))
        result = run_pipeline(source, options, on_progress=on_progress, on_frames=on_frames,
                              should_stop=should_stop)
        on_progress("save", 0, 1)
        result.save_json(job.result_path)
        if playable.finish():
            stream.send(job.pk, stream.video_message(job))
        _set(job, status=PoseJob.Status.SUCCEEDED, stage="done", frame_count=result.frame_count,
             model_name=result.model["name"], timings=result.timings, finished_at=timezone.now(),
             progress_done=result.frame_count, progress_total=result.frame_count)
    except Cancelled:
        playable.finish(kill=True)
        _set(job, status=PoseJob.Status.CANCELLED, finished_at=timezone.now(), error="The job was cancelled.")
    except (VideoError, PipelineError) as exc:
        playable.finish(kill=True)
        _set(job, status=PoseJob.Status.FAILED, finished_at=timezone.now(), error=str(exc))
    except Exception:
        log.exception("pose job %s failed", job.pk)
        playable.finish(kill=True)
        _set(job, status=PoseJob.Status.FAILED, finished_at=timezone.now(), error=INTERNAL_ERROR)
    stream.send(job.pk, stream.status_message(job))
