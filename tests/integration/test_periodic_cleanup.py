"""The periodic cleanup as a scheduler sends it (celery beat: the task by name, routed to `pose`) is
registered in and run by the real worker: an expired job and its files are gone."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from poseapp.models import PoseJob, Video

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_runs_the_cleanup_task(live_stack, owner, settings):
    from celery import current_app

    ended = timezone.now() - timedelta(days=settings.POSENET_RETENTION_DAYS + 1)
    job = PoseJob.objects.create(owner=owner, status="succeeded", finished_at=ended,
                                 video=Video.objects.create(owner=owner, original_name="old.mp4"))
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "result.json").write_text("{}")
    current_app.send_task("poseapp.retention.cleanup")  # as beat does: by name, routed by settings
    deadline = time.monotonic() + 60
    while PoseJob.objects.filter(pk=job.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not PoseJob.objects.filter(pk=job.pk).exists(), live_stack.log_tail()
    assert not job.work_dir.exists() and not Video.objects.filter(owner=owner).exists()
