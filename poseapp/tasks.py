"""Celery tasks. This module is imported by the web process too (to send tasks), so everything that
pulls in torch or MediaPipe is imported inside the task bodies, in the worker only.

Both tasks are idempotent. A pose job runs only after its worker has claimed it with a conditional
UPDATE (queued → running, attempts + 1), so it never runs twice at once: a re-delivered or duplicate
message for a job that is running or has ended does nothing. A killed worker's job is put back to
"queued" by the sweeper (poseapp/sweeper.py), which also sends again the messages Redis lost.
"""
import logging
import shutil
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ml.export import FORMATS

from . import overlay_parts, quotas, segments, stream
from .browser_copy import BrowserCopy
from .fair_queue import assign_priority
from .heartbeat import JobHeartbeat
from .models import LifterModel, PoseJob, TrainingJob
from .queues import POSE_QUEUE, POSE_TASK, TRAIN_QUEUE, TRAINING_TASK

log = logging.getLogger(__name__)
INTERNAL_ERROR = (
    "Something went wrong on our side while processing this video. Please try again; "
    "if it happens again, contact the site's administrators."
)
EXPORT_FORMATS = FORMATS  # every download format (ml.export, the one list)
TOO_LONG = "This video took too long to process. Please upload a shorter clip."
QUEUED_WHILE_DOWN = ("The service is busy right now, but your video is saved: it will be processed as soon as "
                     "the service is back. There is no need to upload it again.")


class QueueUnavailable(Exception):
    """The job's task could not be sent (the broker, Redis, is unreachable). The job stays "queued" and
    the sweeper sends it once the broker is back; str(exc) says so to people, `job` is the job."""

    def __init__(self, job: PoseJob):
        super().__init__(QUEUED_WHILE_DOWN)
        self.job = job


def broker_errors() -> tuple[type[BaseException], ...]:
    """What sending a task raises while the broker (Redis) is unreachable."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    return (OperationalError, RedisError, OSError, TimeoutError)


def send_pose_job(job_id: int) -> str:
    """Send the job's task to the broker now and record it (task id, queued_at); returns the task id.
    Raises one of broker_errors() when the broker is unreachable."""
    # priority: fair order between users, the owner's round (poseapp/fair_queue.py)
    result = run_pose_job.apply_async(args=[job_id], queue=POSE_QUEUE, priority=assign_priority(job_id))
    PoseJob.objects.filter(pk=job_id, status=PoseJob.Status.QUEUED).update(task_id=result.id, queued_at=timezone.now())
    return result.id


def enqueue_pose_job(job: PoseJob) -> None:
    """Queue the job once the transaction that created it has committed (the worker must see it).
    If the broker is unreachable the job stays "queued" with no task (the sweeper sends it once the
    broker is back) and QueueUnavailable is raised when that transaction ends."""
    def send():
        try:
            send_pose_job(job.pk)
        except broker_errors() as exc:
            log.warning("cannot queue pose job %s now (broker unreachable: %s); the sweeper will", job.pk, exc)
            raise QueueUnavailable(job) from exc
    transaction.on_commit(send)


def enqueue_training_job(job: TrainingJob) -> None:
    def send():
        result = run_training_job.apply_async(args=[job.pk], queue=TRAIN_QUEUE)
        TrainingJob.objects.filter(pk=job.pk).update(task_id=result.id)
    transaction.on_commit(send)


def _set(job, **fields) -> None:
    for k, v in fields.items():
        setattr(job, k, v)
    job.save(update_fields=list(fields))


def checkpoint_path(job: PoseJob) -> str | None:
    """The job's registered model, else POSENET_CHECKPOINT, else (None) the shipped default."""
    if job.lifter_id and job.lifter.checkpoint:
        path = Path(job.lifter.checkpoint)
        return str(path if path.is_absolute() else Path(settings.BASE_DIR) / path)
    return settings.POSENET_CHECKPOINT or None


class JobStopped(Exception):
    """The job's row says it should not go on: cancelled, deleted, or taken over by the sweeper."""


def claim_pose_job(job_id: int, task_id: str) -> int | None:
    """Take a queued job for this worker: a compare-and-set on (status, attempts), so of two messages
    for the same job (a duplicate, a late re-delivery) only one runs it. Returns this run's attempt
    number, or None when the job is not queued (running elsewhere, ended, deleted)."""
    row = PoseJob.objects.filter(pk=job_id, status=PoseJob.Status.QUEUED).values("attempts").first()
    if row is None:
        return None
    now, attempt = timezone.now(), row["attempts"] + 1
    claimed = PoseJob.objects.filter(pk=job_id, status=PoseJob.Status.QUEUED, attempts=row["attempts"]).update(
        status=PoseJob.Status.RUNNING, attempts=attempt, started_at=now, heartbeat_at=now, task_id=task_id,
        stage="decode", progress_done=0, progress_total=0, error="", error_repeats=False)
    return attempt if claimed else None


def job_heartbeat(job: PoseJob, deadline: float) -> JobHeartbeat:
    """The timer thread that beats while the task runs; it gives up a while after the job's own
    deadline (the task normally fails it as too long first), so a hung worker does not beat forever."""
    margin = max(60.0, 2.0 * settings.POSENET_HEARTBEAT_TIMEOUT_S)
    return JobHeartbeat(job.pk, job.attempts, settings.POSENET_HEARTBEAT_INTERVAL_S, give_up_at=deadline + margin)


def _update_running(job: PoseJob, **fields) -> None:
    """Write fields only while the row is still this attempt's and RUNNING (a cancel or a delete in the
    web process, or the sweeper handing the job to another worker, wins); raise JobStopped otherwise."""
    if not PoseJob.objects.filter(pk=job.pk, status=PoseJob.Status.RUNNING, attempts=job.attempts).update(**fields):
        raise JobStopped()
    for k, v in fields.items():
        setattr(job, k, v)


# Celery's solo pool (one process per GPU) does not enforce time limits, so the task keeps its own
# deadline and checks it between frames and between export steps.
@shared_task(bind=True, name=POSE_TASK)
def run_pose_job(self, job_id: int) -> None:
    if claim_pose_job(job_id, self.request.id or "") is None:
        return  # deleted, ended, or running under another message: nothing to do
    job = PoseJob.objects.select_related("video", "lifter").get(pk=job_id)
    job.delete_outputs()  # a re-run starts over: nothing of a killed attempt's partial output is kept
    job.work_dir.mkdir(parents=True, exist_ok=True)
    stream.send(job.pk, {"type": "status", "status": job.status, "message": ""})
    deadline = time.monotonic() + settings.POSENET_JOB_TIME_LIMIT_S
    with job_heartbeat(job, deadline) as beat:
        _run_claimed_pose_job(job, deadline, beat)


def _run_claimed_pose_job(job: PoseJob, deadline: float, beat: JobHeartbeat) -> None:
    from ml.export import export
    from ml.pipeline import Cancelled, PipelineError, PipelineOptions, VideoProblem, run_pipeline
    from ml.video import VideoError, probe

    last_saved, last_sent = [0.0], {}

    def heartbeat(**fields) -> None:  # also a check: stops the task past its deadline or once the row is not ours
        if time.monotonic() > deadline:
            raise TimeoutError()
        if beat.lost.is_set():
            raise JobStopped()
        _update_running(job, heartbeat_at=timezone.now(), **fields)

    def on_progress(stage: str, done: int, total: int, step: str | None = None) -> None:
        now = time.monotonic()
        final = done >= total > 0
        if now - last_sent.get(stage, 0.0) > 0.25 or final or step:  # a few a second; every named step
            last_sent[stage] = now
            stream.send(job.pk, stream.progress_message(stage, done, total, step=step))
        if playable.poll():
            stream.send(job.pk, stream.video_message(job))
        # The row (page loads, ETA) follows detection, then the later stages.
        if stage != "lift" and (now - last_saved[0] > 1.0 or final):
            last_saved[0] = now
            heartbeat(stage=stage, progress_done=done, progress_total=total)

    def on_frames(start, kp2d, kp3d, visible=None, cuts=()) -> None:
        if beat.lost.is_set():
            raise JobStopped()  # another attempt owns the job's files now
        message = stream.frames_message(start, kp2d, kp3d, visible=visible, cuts=cuts)
        stream.append_frames(job, message)
        stream.send(job.pk, message)
        if overlay is not None:
            overlay.push(kp2d, kp3d)  # the overlay MP4 is drawn and encoded while the pipeline runs

    def on_preview(start, *frames, **fields) -> None:  # provisional frames, the first second (ml.pipeline)
        if beat.lost.is_set():
            raise JobStopped()
        build = stream.people_frames_message if several else stream.frames_message
        message = build(start, *frames, **fields, provisional=True)
        try:
            stream.write_preview(job, message)
        except OSError:  # best effort, as the live message: the job goes on
            log.warning("job %s: cannot keep the provisional frames", job.pk, exc_info=True)
        stream.send(job.pk, message)

    def on_people_frames(start, count, people=(), cuts=()) -> None:  # several people (ml.pipeline_people)
        if beat.lost.is_set():
            raise JobStopped()
        message = stream.people_frames_message(start, count, people, cuts=cuts)
        stream.append_frames(job, message)
        stream.send(job.pk, message)
        if overlay is not None:
            overlay.push_people(start, count, people)

    def should_stop() -> bool:
        return time.monotonic() > deadline or beat.lost.is_set() or not PoseJob.objects.filter(
            pk=job.pk, status=PoseJob.Status.RUNNING, attempts=job.attempts).exists()

    source = job.video.file.path
    options = PipelineOptions(checkpoint=checkpoint_path(job), smoothing=job.smoothing, complexity=job.complexity,
                              max_seconds=settings.POSENET_MAX_DURATION_S, height_m=job.height_m,
                              detect_processes=settings.POSENET_DETECT_PROCESSES,
                              detect_stride=settings.POSENET_DETECT_STRIDE,
                              device=settings.POSENET_LIFTER_DEVICE, people=job.people_mode)
    several = job.people_mode == "several"
    names = job.file_names  # several people: BVH and GLB are zips
    overlay = overlay_split = None
    playable = BrowserCopy(source, job.playable_video_path)  # ffmpeg starts: from here on every exit ends it
    try:
        info = probe(source)
        options.max_frames = quotas.frame_limit(job.owner, info.width, info.height)  # fair use, while decoding
        _update_running(job, fps=info.fps, width=info.width, height=info.height)
        stream.send(job.pk, stream.meta_message(job))
        # a long one-person video: other workers help with the 2D; several people are not split (yet)
        n_parts, records, done_here, helpers = (0 if several else segments.part_count(info)), None, [], 0
        if job.take_path.exists():  # a live take kept without its video: the browser's 2D (poseapp/live.py)
            from ml.live import take_records

            n_parts, records = 0, take_records(job.take_path)
        if n_parts:  # a long video: other workers help with the 2D (poseapp/segments.py)
            parts = segments.Parts(job, n_parts)
            parts.claim(0)  # the first part is this worker's: it streams at once, helpers take the next
            if "mp4" in EXPORT_FORMATS:  # before the helpers start: it tells them to draw overlay parts
                overlay_split = overlay_parts.OverlayParts(job, n_parts, info, source)
                overlay_split.start()
            helpers = segments.start_helpers(job, n_parts)
            records = segments.split_records(job, Path(source), info.fps, parts, should_stop,
                                             tick=heartbeat, done_here=done_here)
        if "mp4" in EXPORT_FORMATS and not helpers:  # drawn and encoded here while the pipeline runs
            from ml.export.overlay import BackgroundOverlay
            from ml.skeleton import JOINT_NAMES, PARENTS

            if overlay_split is not None:  # no helper was queued: nobody else draws parts
                shutil.rmtree(overlay_split.parts.dir, ignore_errors=True)
                overlay_split = None
            overlay = BackgroundOverlay(source, job.work_dir / names["mp4"], width=info.width,
                                        height=info.height, fps=info.fps, joint_names=JOINT_NAMES, parents=PARENTS,
                                        panel=not several)
        if overlay_split is not None:
            overlay_split.start_drawing()  # parts whose frames are final, beside the pipeline
        result = run_pipeline(source, options, on_progress=on_progress,
                              on_frames=on_people_frames if several else on_frames,
                              should_stop=should_stop, records=records, on_preview=on_preview)
        job.preview_path.unlink(missing_ok=True)
        if overlay_split is not None:
            overlay_split.set_total(result.frame_count)  # helpers may draw the last part now
        if n_parts:
            result.timings["split"] = {"parts": n_parts, "helpers_queued": helpers, "parts_here": len(done_here)}
            shutil.rmtree(segments.Parts(job, n_parts).dir, ignore_errors=True)
        _update_running(job, model_name=result.model["name"])
        export_s = {}
        for i, fmt in enumerate(EXPORT_FORMATS):
            on_progress("export", i, len(EXPORT_FORMATS), step=fmt)  # the viewer: "Writing BVH…"
            t0 = time.perf_counter()
            if fmt == "mp4" and overlay is not None:
                overlay.finish(tick=heartbeat)  # what is left of it: the time is the wait
                overlay = None
            elif fmt == "mp4" and overlay_split is not None:  # drawn in parts by every worker, joined here
                overlay_split.finish(job.work_dir / names["mp4"], tick=heartbeat)
                result.timings["split"]["overlay_parts_here"] = len(overlay_split.here)
            else:
                export(result, fmt, job.work_dir / names[fmt], video_path=source)
            export_s[fmt] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()  # the browser copy ran since the start: what is left of it
        if playable.finish(tick=heartbeat):
            stream.send(job.pk, stream.video_message(job))
        timings = {**result.timings, "export_s": export_s, "browser_copy_wait_s": round(time.perf_counter() - t0, 3)}
        _update_running(job, status=PoseJob.Status.SUCCEEDED, stage="done", frame_count=result.frame_count,
                        timings=timings, finished_at=timezone.now(),
                        progress_done=result.frame_count, progress_total=result.frame_count)
    except (Cancelled, JobStopped):
        if time.monotonic() > deadline:
            _fail(job, playable, TOO_LONG)
        else:
            playable.finish(kill=True)  # cancelled, deleted or taken over: whoever did that decided
    except TimeoutError:  # wall-clock: on a quieter server the same job may finish, so Retry stays offered
        _fail(job, playable, TOO_LONG)
    except (VideoError, PipelineError) as exc:
        # the video's own problem repeats; one with the server's models may pass once an administrator fixed it
        _fail(job, playable, str(exc), repeats=isinstance(exc, (VideoError, VideoProblem)))
    except Exception:
        log.exception("pose job %s failed", job.pk)
        _fail(job, playable, INTERNAL_ERROR)
    finally:
        if overlay is not None:
            overlay.close()  # the job did not get as far as the overlay: leave no partial file
        if overlay_split is not None:
            overlay_split.close()  # stops this worker's drawing thread (a no-op after finish())
    if not PoseJob.objects.filter(pk=job.pk).exists():
        job.delete_files()  # deleted while it ran: leave nothing behind
        return
    attempt = job.attempts
    job.refresh_from_db()
    if job.attempts == attempt:  # not when another attempt has taken the job over: it speaks for itself
        stream.send(job.pk, stream.status_message(job))


def remove_partial_results(job: PoseJob) -> None:
    """Failed jobs keep no partial results (a complete browser copy of a real video is kept for the page;
    ffmpeg's half-written .part files go)."""
    keep = {job.playable_video_path, job.take_path}  # a live take's 2D is its input, like the video
    for path in job.work_dir.glob("*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)  # e.g. the parts of a split video
        elif path not in keep:
            path.unlink(missing_ok=True)


def _fail(job: PoseJob, playable: BrowserCopy, message: str, repeats: bool = False) -> None:
    """repeats: the failure is the video's (or its options'), so Retry is not offered."""
    playable.finish(kill=True)
    if PoseJob.objects.filter(pk=job.pk, status=PoseJob.Status.RUNNING, attempts=job.attempts).update(
            status=PoseJob.Status.FAILED, finished_at=timezone.now(), error=message, error_repeats=repeats):
        remove_partial_results(job)  # only while the job is still this attempt's: never another's files


def training_config(job: TrainingJob):
    """The ml.train configuration of a training job: its saved configuration (ml/configs), if it has
    one, then the extra config, then the job's own fields (which the saved configuration filled in)."""
    from ml.catalog import config_path
    from ml.train import TrainConfig, load_config

    known = {f for f in TrainConfig.__dataclass_fields__}
    extra = {k: v for k, v in (job.extra_config or {}).items() if k in known}
    fields = {**extra, "name": job.name, "arch": job.arch, "frames": job.frames, "epochs": job.epochs, "lr": job.lr,
              "batch_size": job.batch_size, "data_dir": str(Path(job.data_dir)), "keypoints": job.keypoints,
              "out": str(job.out_dir)}
    if job.config:
        return load_config(str(config_path(job.config)), **fields)
    return TrainConfig(**fields)


@shared_task(bind=True, name=TRAINING_TASK)
def run_training_job(self, job_id: int) -> None:
    from ml.train import train

    job = TrainingJob.objects.filter(pk=job_id).first()
    if job is None or job.is_terminal:
        return
    _set(job, status=TrainingJob.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(),
         history=[], error="", task_id=self.request.id or job.task_id)
    data_dir = Path(job.data_dir)
    if not (data_dir / "data_3d_h36m.npz").is_file():
        _set(job, status=TrainingJob.Status.FAILED, finished_at=timezone.now(),
             error=f"The dataset folder {job.data_dir} has no data_3d_h36m.npz. Set 'Data dir' to a folder in "
                   "VideoPose3D's layout (data_3d_h36m.npz, data_2d_h36m_<keypoints>.npz) on the training worker.")
        return
    cfg = training_config(job)

    def callback(event: dict):
        fields = {"heartbeat_at": timezone.now()}
        if event.get("event") == "epoch":
            row = {k: event.get(k) for k in ("epoch", "epochs", "loss", "val_mpjpe", "lr", "elapsed_s")}
            job.history = fields["history"] = [*job.history, row]
        # Only a running job is written to; anything else (cancelled, failed as stale) stops training.
        return bool(TrainingJob.objects.filter(pk=job.pk, status=TrainingJob.Status.RUNNING).update(**fields))

    try:
        summary = train(cfg, callback=callback, progress=False)
    except Exception as exc:  # noqa: BLE001 - training errors are shown to staff, who can act on them
        log.exception("training job %s failed", job.pk)
        TrainingJob.objects.filter(pk=job.pk, status=TrainingJob.Status.RUNNING).update(
            status=TrainingJob.Status.FAILED, finished_at=timezone.now(), error=f"Training failed: {exc}")
        return
    job.refresh_from_db(fields=["status"])
    if job.status != TrainingJob.Status.RUNNING:
        return  # cancelled (or failed as stale) while training: the checkpoint is not registered
    best = Path(summary["out"]) / "best.pt"
    model, _ = LifterModel.objects.update_or_create(
        name=f"{job.name} (training #{job.pk})",
        defaults={"checkpoint": str(best.resolve()), "arch": job.arch, "training_job": job,
                  "metrics": {"val_mpjpe_mm": round(summary["best_val_mpjpe"], 2), "epochs": len(job.history),
                              "keypoints": job.keypoints, "frames": job.frames}},
    )
    TrainingJob.objects.filter(pk=job.pk, status=TrainingJob.Status.RUNNING).update(
        status=TrainingJob.Status.SUCCEEDED, finished_at=timezone.now(), checkpoint=str(best.resolve()))
