"""Cancel, retry, delete and downloads, for owner / other user / anonymous."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from poseapp import jobs
from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(owner, settings, tmp_path, people_clip):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files import File

    v = Video(owner=owner, original_name="walk.mp4")
    with open(people_clip, "rb") as f:
        v.file.save("walk.mp4", File(f), save=True)
    return v


@pytest.fixture
def running_job(owner, video):
    return PoseJob.objects.create(owner=owner, video=video, status="running", started_at=timezone.now(),
                                  heartbeat_at=timezone.now(), task_id="abc")


@pytest.fixture
def done_job(owner, video):
    job = PoseJob.objects.create(owner=owner, video=video, status="succeeded")
    job.work_dir.mkdir(parents=True)
    for name in ("result.json", "result.csv", "result.npz", "result.bvh", "result.glb", "overlay.mp4"):
        (job.work_dir / name).write_bytes(b"data")
    return job


def test_owner_cancels_a_running_job(client, owner, running_job):
    client.force_login(owner)
    client.post(reverse("job-cancel", args=[running_job.pk]))
    running_job.refresh_from_db()
    assert running_job.status == "cancelled" and running_job.finished_at


@pytest.mark.parametrize("action", ["job-cancel", "job-retry", "job-delete"])
def test_other_user_cannot_act(client, other_user, running_job, action):
    client.force_login(other_user)
    assert client.post(reverse(action, args=[running_job.pk])).status_code == 404
    assert PoseJob.objects.get(pk=running_job.pk).status == "running"


@pytest.mark.parametrize("action", ["job-cancel", "job-retry", "job-delete"])
def test_anonymous_cannot_act(client, running_job, action):
    assert client.post(reverse(action, args=[running_job.pk])).status_code == 302
    assert PoseJob.objects.get(pk=running_job.pk).status == "running"


def test_actions_need_post(client, owner, running_job):
    client.force_login(owner)
    assert client.get(reverse("job-cancel", args=[running_job.pk])).status_code == 405


def test_retry_a_failed_job_makes_a_new_queued_job(client, owner, running_job, django_capture_on_commit_callbacks):
    PoseJob.objects.filter(pk=running_job.pk).update(status="failed", error="x", height_m=1.55)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("job-retry", args=[running_job.pk]))
    new = PoseJob.objects.latest("pk")
    assert new.pk != running_job.pk and new.status == "queued" and new.video == running_job.video
    assert new.height_m == 1.55  # a retry keeps the options of the job it repeats
    assert response["Location"] == new.get_absolute_url() and len(queued) == 1


def test_a_failure_that_is_the_videos_own_offers_another_upload_not_retry(client, owner, running_job):
    PoseJob.objects.filter(pk=running_job.pk).update(status="failed", error="No person was found in any frame.",
                                                     error_repeats=True)
    client.force_login(owner)
    page = client.get(running_job.get_absolute_url()).content.decode()
    assert re.search(r'<form [^>]*id="retry-form"[^>]* hidden>', page)
    assert re.search(r'<a [^>]*id="upload-another"(?![^>]* hidden)[^>]*>Upload another video</a>', page)
    response = client.post(reverse("job-retry", args=[running_job.pk]), follow=True)
    assert PoseJob.objects.count() == 1  # no new job
    assert "Retrying would fail the same way" in response.content.decode()
    assert jobs.job_json(PoseJob.objects.get())["can_retry"] is False


def test_a_failure_retry_can_help_shows_retry_only(client, owner, running_job):
    PoseJob.objects.filter(pk=running_job.pk).update(status="failed", error="The worker stopped.")
    client.force_login(owner)
    page = client.get(running_job.get_absolute_url()).content.decode()
    assert re.search(r'<form [^>]*id="retry-form"(?![^>]* hidden)[^>]*>', page)
    assert re.search(r'<a [^>]*id="upload-another"[^>]* hidden>', page)
    assert jobs.job_json(PoseJob.objects.get())["can_retry"] is True


def test_a_succeeded_job_is_not_retried(client, owner, done_job):
    client.force_login(owner)
    response = client.post(reverse("job-retry", args=[done_job.pk]), follow=True)
    assert PoseJob.objects.count() == 1
    assert "already succeeded" in response.content.decode()


def test_delete_removes_the_job_and_its_files(client, owner, done_job):
    client.force_login(owner)
    upload = done_job.video.file.path
    client.post(reverse("job-delete", args=[done_job.pk]))
    assert not PoseJob.objects.exists() and not Video.objects.exists()
    assert not done_job.work_dir.exists()
    import os

    assert not os.path.exists(upload)


@pytest.mark.parametrize("fmt, content_type, filename", [
    ("json", "application/json", "walk.result.json"),
    ("csv", "text/csv; charset=utf-8", "walk.result.csv"),
    ("npz", "application/octet-stream", "walk.result.npz"),
    ("bvh", "application/octet-stream", "walk.result.bvh"),
    ("mp4", "video/mp4", "walk.overlay.mp4"),
])
def test_downloads_have_type_and_name(client, owner, other_user, done_job, fmt, content_type, filename):
    url = reverse("job-download", args=[done_job.pk, fmt])
    assert client.get(url).status_code == 302  # anonymous
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert f'filename="{filename}"' in response["Content-Disposition"]


def test_reading_a_job_whose_heartbeat_stopped_leaves_it_to_the_sweeper(client, owner, running_job):
    """Pages, the API and the websocket no longer fail a job as stale when they read it: the sweeper
    (tests/web/test_sweeper_stale_jobs.py) runs it again or fails it, and tells its viewers."""
    PoseJob.objects.filter(pk=running_job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    client.force_login(owner)
    client.get(running_job.get_absolute_url())
    client.get(reverse("home"))
    client.get(reverse("job-status", args=[running_job.pk]))
    assert PoseJob.objects.get(pk=running_job.pk).status == "running"


def test_eta_is_unknown_until_detection_has_progressed(owner, running_job):
    assert running_job.eta_seconds is None
    running_job.stage, running_job.progress_done, running_job.progress_total = "detect", 50, 100
    running_job.started_at = timezone.now() - timedelta(seconds=10)
    assert 9 < running_job.eta_seconds < 11


def test_a_training_job_whose_worker_died_does_not_stay_running(client, django_user_model):
    from poseapp.models import TrainingJob

    staff = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    job = TrainingJob.objects.create(name="lost", status="running",
                                     heartbeat_at=timezone.now() - timedelta(hours=1))
    client.force_login(staff)
    data = client.get(reverse("admin:poseapp_trainingjob_metrics", args=[job.pk])).json()
    assert data["status"] == "failed" and "stopped unexpectedly" in data["error"]
