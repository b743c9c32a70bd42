"""Which failures offer Retry: the worker's task run in-process on real files. A failure that is the
video's own repeats (the page offers another upload); one with the server's models or an internal error
may pass on a retry once fixed (Retry stays)."""
import pytest
from django.core.files import File

from poseapp import tasks
from poseapp.models import LifterModel, PoseJob, Video

pytestmark = pytest.mark.django_db


def job_for(owner, clip, **fields) -> PoseJob:
    with open(clip, "rb") as f:
        video = Video(owner=owner, original_name=clip.name)
        video.file.save(clip.name, File(f), save=True)
    return PoseJob.objects.create(owner=owner, video=video, **fields)


def run(job: PoseJob) -> PoseJob:
    tasks.run_pose_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed"
    return job


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_video_with_nobody_in_it_repeats(owner, no_person_video):
    job = run(job_for(owner, no_person_video))
    assert "No person was found" in job.error
    assert job.error_repeats and not job.can_retry


def test_a_missing_model_file_is_the_servers_problem_and_retry_stays(owner, people_clip):
    lifter = LifterModel.objects.create(name="gone", checkpoint="/srv/models/gone.pt")
    job = run(job_for(owner, people_clip, lifter=lifter))
    assert "gone.pt is missing on the server" in job.error and "/srv/models" not in job.error
    assert not job.error_repeats and job.can_retry


def test_an_internal_error_keeps_retry(owner, people_clip, monkeypatch):
    import ml.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ml.pipeline, "run_pipeline", broken)
    job = run(job_for(owner, people_clip))
    assert job.error == tasks.INTERNAL_ERROR and "a bug" not in job.error
    assert not job.error_repeats and job.can_retry


def test_jobs_failed_before_the_flag_existed_are_backfilled_by_their_sentence(owner, people_clip):
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("poseapp.migrations.0008_backfill_error_repeats").backfill
    no_person = job_for(owner, people_clip, status="failed", error="No person was found in any frame of this video.")
    worker_lost = job_for(owner, people_clip, status="failed", error=tasks.INTERNAL_ERROR)
    running = job_for(owner, people_clip, status="running", error="No person was found (not an ended job).")
    backfill(apps, None)
    flags = dict(PoseJob.objects.values_list("pk", "error_repeats"))
    assert flags == {no_person.pk: True, worker_lost.pk: False, running.pk: False}
