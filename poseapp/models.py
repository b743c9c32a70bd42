import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename

from ml.catalog import ARCHITECTURES, KEYPOINTS  # torch-free names of what ml.train can train

# A running training job whose worker has not reported for this long is considered lost (worker killed,
# machine gone). Pose jobs have a heartbeat and a sweeper instead (poseapp/heartbeat.py, poseapp/sweeper.py).
STALE_AFTER = timedelta(minutes=5)
WORKER_LOST = ("The worker processing this job stopped unexpectedly (it may have been restarted or run out of "
               "memory). Please try again.")


def video_upload_path(instance: "Video", filename: str) -> str:
    # A random folder per upload; the user's name kept only in sanitised form (never trusted as a path).
    name = get_valid_filename(Path(filename).name)[-80:] or "video"
    return f"uploads/{uuid.uuid4().hex}/{name}"


class Video(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(upload_to=video_upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.original_name


class QueuedWork(models.Model):
    """What pose jobs and training jobs share: a Celery task's lifecycle."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL = {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)  # a sentence for people, never a traceback
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the worker's last sign of life
    stale_after = STALE_AFTER

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @classmethod
    def fail_stale(cls, **filters) -> int:
        """Mark running jobs whose worker stopped reporting as failed (a killed worker, a lost machine).
        Called wherever jobs are read (pages, API, websocket, admin), so none stays "running" forever."""
        return cls.objects.filter(status=cls.Status.RUNNING, heartbeat_at__lt=timezone.now() - cls.stale_after,
                                  **filters).update(status=cls.Status.FAILED, error=WORKER_LOST,
                                                    finished_at=timezone.now())

    def fail_if_stale(self) -> bool:
        if self.status == self.Status.RUNNING and type(self).fail_stale(pk=self.pk):
            self.refresh_from_db()
            return True
        return False


class LifterModel(models.Model):
    """A registered lifter checkpoint. Exactly one is active: the default for new jobs."""

    name = models.CharField(max_length=200, unique=True)
    checkpoint = models.CharField(max_length=500, help_text="Path of the checkpoint file on the workers")
    arch = models.CharField(max_length=40, blank=True)
    metrics = models.JSONField(default=dict, blank=True)  # measured: e.g. val_mpjpe_mm, epochs
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    training_job = models.OneToOneField("TrainingJob", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="registered_model")

    class Meta:
        ordering = ["-is_active", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                               name="one_active_lifter")]

    def __str__(self):
        return f"{self.name}{' (active)' if self.is_active else ''}"

    @property
    def architecture(self) -> str:
        """What the registry shows: the arch field, else what the model's own files say (the shipped
        summary ml/weights/lifter_default.json, a <checkpoint>.json written next to the weights by
        ml.ship, the metrics, the training job); '' when nothing does (a worker fills the field in
        once it has loaded the checkpoint)."""
        if self.arch:
            return self.arch
        if not self.checkpoint:
            from .apps import shipped_summary

            return str(shipped_summary().get("arch", ""))
        if (self.metrics or {}).get("arch"):
            return str(self.metrics["arch"])
        import json

        try:
            path = Path(self.checkpoint)
            path = path if path.is_absolute() else Path(settings.BASE_DIR) / path
            sidecar = json.loads(path.with_suffix(".json").read_text())
            if isinstance(sidecar, dict) and sidecar.get("arch"):
                return str(sidecar["arch"])
        except (OSError, ValueError):
            pass
        return self.training_job.arch if self.training_job_id else ""

    @classmethod
    def active(cls):
        return cls.objects.filter(is_active=True).first()

    def activate(self) -> None:
        from django.db import transaction

        with transaction.atomic():
            LifterModel.objects.filter(is_active=True).exclude(pk=self.pk).update(is_active=False)
            self.is_active = True
            self.save(update_fields=["is_active"])


class PoseJob(QueuedWork):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pose_jobs")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="jobs")
    stage = models.CharField(max_length=32, blank=True)
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)
    model_name = models.CharField(max_length=200, blank=True)
    lifter = models.ForeignKey(LifterModel, null=True, blank=True, on_delete=models.SET_NULL,
                               help_text="Empty: the shipped default model")
    smoothing = models.CharField(max_length=10, default="light",
                                 choices=[("none", "None"), ("light", "Light"), ("strong", "Strong")])
    complexity = models.IntegerField(default=1, choices=[(0, "Lite"), (1, "Full"), (2, "Heavy")])
    height_m = models.FloatField(null=True, blank=True, verbose_name="person's height (m)",
                                 help_text="Scales the skeleton; empty: a typical adult")
    # "one": the main person (MediaPipe, result version 1); "several": everyone (ml.pipeline_people, version 2)
    people_mode = models.CharField(max_length=10, default="one", verbose_name="people",
                                   choices=[("one", "One person"), ("several", "Several people")])
    # The failure comes from the video itself (not a video, no person, too long): the same job would fail
    # the same way, so the page offers a new upload instead of Retry.
    error_repeats = models.BooleanField(default=False)
    frame_count = models.IntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    # The Celery priority it was queued with: its owner's round (poseapp/quotas.py, fair order).
    queue_priority = models.SmallIntegerField(default=0)
    # Reliability (poseapp/sweeper.py): how many times a worker has claimed the job (a killed worker's job
    # is run again once), and when its task was last sent to the broker (a lost message is sent again).
    attempts = models.IntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Job {self.pk} ({self.status})"

    @property
    def model_label(self) -> str:
        """The model's name as the upload form, the job page, the API and the stream all show it (issue
        33): the registry's (the shipped model is registered under its checkpoint's own name), else the
        name its checkpoint carries (model_name, once a worker has loaded it; the model was deleted)."""
        return self.lifter.name if self.lifter_id else self.model_name

    @property
    def can_retry(self) -> bool:
        """Retry makes a new job from the same upload: only where that can end differently."""
        return (self.is_terminal and self.status != self.Status.SUCCEEDED and not self.error_repeats
                and bool(self.video.file))

    def get_absolute_url(self):
        return reverse("job-detail", args=[self.pk])

    @property
    def work_dir(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "jobs" / str(self.pk)

    @property
    def result_path(self) -> Path:
        from ml.export import FILE_NAMES  # the one list of file names (no torch)

        return self.work_dir / FILE_NAMES["json"]

    @property
    def frames_log_path(self) -> Path:
        """Frame chunks as JSON lines, appended while the job runs: replayed to late websocket clients."""
        return self.work_dir / "frames.jsonl"

    @property
    def take_path(self) -> Path:
        """A live take recorded without its camera video: the browser's 2D (poseapp/live.py), lifted
        offline instead of detecting again (ml.segments records)."""
        return self.work_dir / "take.npz"

    @property
    def preview_path(self) -> Path:
        """The latest provisional frames (one JSON message) while the first final ones are not out yet."""
        return self.work_dir / "preview.json"

    @property
    def playable_video_path(self) -> Path:
        """An H.264 copy of the upload that every browser can play."""
        return self.work_dir / "video.mp4"

    @property
    def file_names(self) -> dict:
        """Each download format's file name in the work folder (several people: BVH and GLB are zips)."""
        from ml.export import file_names

        return file_names(self.people_mode)

    def visible_to(self, user) -> bool:
        return user.is_authenticated and (user.pk == self.owner_id or user.is_staff)

    @property
    def eta_seconds(self) -> float | None:
        """Remaining time, from the detection rate so far (detection dominates the run time)."""
        if self.status != self.Status.RUNNING or not self.started_at or self.progress_done <= 0 \
                or self.progress_total <= self.progress_done or self.stage != "detect":
            return None  # not running, or nothing to extrapolate from yet
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return round(elapsed / self.progress_done * (self.progress_total - self.progress_done), 1)

    def delete_files(self) -> None:
        import shutil

        shutil.rmtree(self.work_dir, ignore_errors=True)

    def delete_outputs(self) -> None:
        """What an attempt wrote, for a re-run that starts over; the job's own input (a live take's 2D) stays."""
        import shutil

        if not self.take_path.exists():
            return self.delete_files()
        for path in self.work_dir.glob("*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path != self.take_path:
                path.unlink(missing_ok=True)


class TrainingJob(QueuedWork):
    """A training run queued by staff from the admin; the worker on queue `train` runs ml.train."""

    stale_after = timedelta(minutes=20)  # the first epoch's data loading can take a while

    name = models.SlugField(max_length=80, help_text="Run name; also the registered model's name")
    config = models.CharField(max_length=80, blank=True, verbose_name="saved configuration",
                              help_text="A configuration from ml/configs (the shipped model's among them): it sets "
                                        "the fields below; extra config still adds to it. Empty: the fields below.")
    arch = models.CharField(max_length=20, default="lstm", choices=list(ARCHITECTURES.items()))
    frames = models.IntegerField(default=81, help_text="Window length (receptive field), frames")
    epochs = models.IntegerField(default=15)
    lr = models.FloatField(default=1e-4, verbose_name="learning rate")
    batch_size = models.IntegerField(default=512)
    data_dir = models.CharField(max_length=500, default="../shared/data/h36m",
                                help_text="Folder with data_3d_h36m.npz (VideoPose3D layout)")
    keypoints = models.CharField(max_length=40, default="gt", choices=list(KEYPOINTS.items()))
    extra_config = models.JSONField(default=dict, blank=True,
                                    help_text='More ml.train settings, e.g. {"stride": 27, "max_minutes": 30}')
    history = models.JSONField(default=list, blank=True)  # per-epoch {"epoch", "loss", "val_mpjpe", ...}
    checkpoint = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self):
        return f"Training {self.name} ({self.status})"

    @property
    def out_dir(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "training" / f"{self.pk}-{self.name}"


def new_token_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    """`Authorization: Token <key>` for the JSON API."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key = models.CharField(max_length=40, unique=True, default=new_token_key)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"API token of {self.user}"

    @classmethod
    def user_for(cls, key: str):
        """The active user whose token this is, or None (the API's check, and the body limit's)."""
        token = cls.objects.select_related("user").filter(key=key).first()
        return token.user if token is not None and token.user.is_active else None


class ChunkedUpload(models.Model):
    """A resumable upload in progress (poseapp/chunked_upload.py): the bytes are appended to `part_path`
    chunk by chunk; when all have arrived, `finish` turns them into a Video and a PoseJob. The id is
    random (it is the upload's URL), and only the owner may see or extend it."""
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chunked_uploads")
    filename = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(help_text="Declared at creation; never more is accepted")
    received_bytes = models.BigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True, help_text="The job's options, checked at creation")
    job = models.OneToOneField(PoseJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.filename} ({self.received_bytes}/{self.size_bytes} bytes)"

    @property
    def part_path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "uploads-partial" / f"{self.id.hex}.part"


@receiver(post_delete, sender=ChunkedUpload)
def remove_chunked_upload_part(sender, instance: ChunkedUpload, **kwargs):
    # Whatever deletes the row (cancel, expiry, a user's deletion cascading), its bytes go with it.
    instance.part_path.unlink(missing_ok=True)
