import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import get_valid_filename


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


class PoseJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL = {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pose_jobs")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=32, blank=True)
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)
    error = models.TextField(blank=True)  # a sentence for the user, never a traceback
    model_name = models.CharField(max_length=200, blank=True)
    frame_count = models.IntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Job {self.pk} ({self.status})"

    def get_absolute_url(self):
        return reverse("job-detail", args=[self.pk])

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def group_name(self) -> str:
        return f"job_{self.pk}"

    @property
    def work_dir(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "jobs" / str(self.pk)

    @property
    def result_path(self) -> Path:
        return self.work_dir / "result.json"

    @property
    def frames_log_path(self) -> Path:
        """Frame chunks as JSON lines, appended while the job runs: replayed to late websocket clients."""
        return self.work_dir / "frames.jsonl"

    @property
    def playable_video_path(self) -> Path:
        """An H.264 copy of the upload that every browser can play."""
        return self.work_dir / "video.mp4"

    def visible_to(self, user) -> bool:
        return user.is_authenticated and (user.pk == self.owner_id or user.is_staff)
