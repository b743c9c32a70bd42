"""Retention: ended jobs expire POSENET_RETENTION_DAYS after they ended (0: never); the user sees when;
`manage.py cleanup` (and the periodic entry) deletes them with their files, --dry-run only says what."""
import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files import File
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from poseapp import retention
from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_RETENTION_DAYS = 30
    return tmp_path


def make_job(user, people_clip, ended_days_ago=None, status="succeeded") -> PoseJob:
    video = Video(owner=user, original_name="walk.mp4")
    with open(people_clip, "rb") as f:
        video.file.save("walk.mp4", File(f), save=True)
    finished = timezone.now() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    job = PoseJob.objects.create(owner=user, video=video, status=status, finished_at=finished)
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "result.json").write_text("{}")
    return job


def cleanup(*args) -> str:
    out = io.StringIO()
    call_command("cleanup", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_and_deletes_nothing(owner, people_clip):
    old = make_job(owner, people_clip, ended_days_ago=31)
    make_job(owner, people_clip, ended_days_ago=29)
    out = cleanup("--dry-run")
    assert "Retention: 30 days after a job ended." in out
    assert f"would delete job {old.pk} (walk.mp4, succeeded, ended" in out
    assert "Would free" in out and "1 expired job(s), 0 orphan" in out
    assert PoseJob.objects.count() == 2 and old.work_dir.exists()


def test_cleanup_deletes_expired_jobs_with_their_files(owner, other_user, people_clip, media):
    old = make_job(owner, people_clip, ended_days_ago=31)
    failed = make_job(other_user, people_clip, ended_days_ago=40, status="failed")
    recent = make_job(owner, people_clip, ended_days_ago=1)
    running = make_job(owner, people_clip, status="running")
    upload = media / old.video.file.name
    out = cleanup()
    assert f"deleted job {old.pk}" in out and f"deleted job {failed.pk}" in out
    assert set(PoseJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not old.work_dir.exists() and not upload.exists() and not failed.work_dir.exists()
    assert recent.work_dir.exists() and running.work_dir.exists()


def test_zero_keeps_jobs_forever(owner, people_clip, settings):
    settings.POSENET_RETENTION_DAYS = 0
    job = make_job(owner, people_clip, ended_days_ago=3650)
    assert "kept forever" in cleanup()
    assert PoseJob.objects.filter(pk=job.pk).exists() and retention.expires_at(job) is None


def test_periodic_entry_cleans_up(owner, people_clip):
    make_job(owner, people_clip, ended_days_ago=31)
    report = retention.periodic()
    assert len(report.jobs) == 1 and not PoseJob.objects.exists()
    from celery import current_app

    assert "poseapp.retention.cleanup" in current_app.tasks  # what celery beat's schedule names


def test_orphans_are_swept_after_the_grace_period(owner, people_clip, media):
    job = make_job(owner, people_clip, ended_days_ago=1)
    stale = time.time() - 2 * 86400
    orphan_upload = media / "uploads" / ("a" * 32) / "lost.mp4"
    orphan_upload.parent.mkdir(parents=True)
    orphan_upload.write_bytes(b"x" * 1000)
    orphan_results = media / "jobs" / "999999"
    orphan_results.mkdir(parents=True)
    (orphan_results / "result.json").write_text("{}")
    young = media / "uploads" / ("b" * 32) / "arriving.mp4"
    young.parent.mkdir(parents=True)
    young.write_bytes(b"y")
    foreign = media / "uploads" / "partial" / "chunk-1"  # not an upload folder of ours: left alone
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"z")
    training = media / "training" / "1-run" / "best.pt"
    training.parent.mkdir(parents=True)
    training.write_bytes(b"w")
    for path in (orphan_upload, orphan_results, foreign, training, job.work_dir, media / job.video.file.name):
        os.utime(path, (stale, stale))
    out = cleanup("--dry-run")
    assert f"would delete orphan uploads/{'a' * 32}/lost.mp4" in out and "would delete orphan jobs/999999" in out
    assert orphan_upload.exists()
    cleanup()
    assert not orphan_upload.exists() and not orphan_upload.parent.exists() and not orphan_results.exists()
    assert young.exists() and foreign.exists() and training.exists()
    assert job.work_dir.exists() and (media / job.video.file.name).exists()  # a job's files are not orphans


def test_the_owner_sees_when_the_result_expires(client, owner, other_user, people_clip):
    job = make_job(owner, people_clip, ended_days_ago=10)
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    when = timezone.localtime(job.finished_at + timedelta(days=30))
    # in UTC, marked for the page's script to show in the reader's own zone
    assert (f'This job and its files will be deleted on <time datetime="{when:%Y-%m-%dT%H:%M:%SZ}" data-local>'
            f"{when:%d %b %Y at %H:%M} UTC</time>") in page
    assert "Download what you want to keep before then." in page
    token = ApiToken.objects.create(user=owner)
    body = client.get(reverse("api-job", args=[job.pk]), HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert body["expires_at"] == (job.finished_at + timedelta(days=30)).isoformat()
    client.force_login(other_user)
    assert client.get(job.get_absolute_url()).status_code == 404


def test_a_job_that_has_not_ended_says_how_long_results_are_kept(client, owner, people_clip):
    job = make_job(owner, people_clip, status="queued")
    client.force_login(owner)
    assert "Results are kept for 30 days after the job ends" in client.get(job.get_absolute_url()).content.decode()
    assert client.get(reverse("job-status", args=[job.pk])).json()["expires_at"] is None
