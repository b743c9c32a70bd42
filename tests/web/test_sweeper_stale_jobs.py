"""The sweeper and running jobs whose heartbeat stopped (issue 13): re-queued once (partial files removed,
the task sent again, viewers told), then failed with a sentence; a live job is left alone; a job past its
time limit is failed, not re-run; two sweepers act once. Real Redis (the broker is the test's own, so the
live stack's worker does not take the messages), real channel layer."""
from datetime import timedelta

import pytest
from django.utils import timezone

from poseapp import sweeper
from poseapp.models import PoseJob, Video
from poseapp.tasks import TOO_LONG, claim_pose_job
from tests.web.own_broker import own_broker  # noqa: F401 - fixture
from tests.web.viewer_channel import GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_for_sweeps(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_HEARTBEAT_TIMEOUT_S = 30
    settings.POSENET_JOB_MAX_ATTEMPTS = 2
    return settings


def running_job(owner, attempts: int, beat_age_s: float, started_age_s: float = 120) -> PoseJob:
    video = Video.objects.create(owner=owner, original_name="a.mp4", file="uploads/x/a.mp4")
    now = timezone.now()
    job = PoseJob.objects.create(owner=owner, video=video, status="running", attempts=attempts, task_id="old-task",
                                 started_at=now - timedelta(seconds=started_age_s), stage="detect",
                                 progress_done=40, progress_total=120, heartbeat_at=now - timedelta(seconds=beat_age_s))
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "frames.jsonl").write_text('{"type":"frames","start":0}\n')
    (job.work_dir / "video.part.mp4").write_bytes(b"half a copy")
    (job.work_dir / ".result.abc.part.glb").write_bytes(b"half an export")
    return job


def test_a_job_whose_worker_died_is_queued_again_and_its_viewers_told(owner, settings_for_sweeps, own_broker):
    job = running_job(owner, attempts=1, beat_age_s=31)
    viewer = GroupListener(job.pk)
    assert sweeper.sweep() == {"rerun": 1, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert job.status == "queued" and job.attempts == 1 and job.error == "" and job.stage == ""
    assert job.task_id and job.task_id != "old-task" and own_broker.queued_task_ids() == [job.task_id]
    assert not job.work_dir.exists()  # the killed attempt's partial output is gone before the re-run
    told = viewer.messages()
    assert told == [{"type": "status", "status": "queued", "message": sweeper.RERUN, "model": "", "frame_count": None}]
    # the re-run claims it as attempt 2; a second message for it (a late re-delivery) does nothing
    assert claim_pose_job(job.pk, job.task_id) == 2 and claim_pose_job(job.pk, "old-task") is None


def test_a_job_whose_worker_died_on_its_last_attempt_fails_with_a_sentence(owner, settings_for_sweeps, own_broker):
    job = running_job(owner, attempts=2, beat_age_s=31)
    (job.work_dir / "video.mp4").write_bytes(b"the complete browser copy")
    viewer = GroupListener(job.pk)
    assert sweeper.sweep() == {"rerun": 0, "failed": 1, "resent": 0}
    job.refresh_from_db()
    assert job.status == "failed" and job.error == sweeper.GAVE_UP and job.finished_at
    assert "Traceback" not in job.error and "try again" in job.error
    assert sorted(p.name for p in job.work_dir.iterdir()) == ["video.mp4"]  # partial results gone, the copy kept
    assert own_broker.queued_task_ids() == []
    told = viewer.messages()
    assert [(m["type"], m["status"], m["message"]) for m in told] == [("status", "failed", sweeper.GAVE_UP)]


def test_a_job_with_a_recent_heartbeat_is_left_alone(owner, settings_for_sweeps, own_broker):
    job = running_job(owner, attempts=1, beat_age_s=5)
    assert sweeper.sweep() == {"rerun": 0, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert job.status == "running" and job.task_id == "old-task" and (job.work_dir / "frames.jsonl").exists()


def test_a_stale_job_past_its_time_limit_fails_as_too_long(owner, settings_for_sweeps, own_broker):
    settings_for_sweeps.POSENET_JOB_TIME_LIMIT_S = 600
    job = running_job(owner, attempts=1, beat_age_s=31, started_age_s=601)
    assert sweeper.sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.error == TOO_LONG and own_broker.queued_task_ids() == []


def test_two_sweepers_requeue_a_job_once(owner, settings_for_sweeps, own_broker):
    job = running_job(owner, attempts=1, beat_age_s=31)
    assert [sweeper.sweep()["rerun"] for _ in range(2)] == [1, 0]
    assert len(own_broker.queued_task_ids()) == 1
    job.refresh_from_db()
    assert job.status == "queued"


def test_the_sweeper_does_not_touch_other_states(owner, settings_for_sweeps, own_broker):
    job = running_job(owner, attempts=1, beat_age_s=3600)
    for status in ("succeeded", "failed", "cancelled"):
        PoseJob.objects.filter(pk=job.pk).update(status=status)
        assert sweeper.sweep() == {"rerun": 0, "failed": 0, "resent": 0}
        assert PoseJob.objects.get(pk=job.pk).status == status


def test_a_re_queued_job_is_queued_even_while_the_broker_is_down(owner, settings_for_sweeps, own_broker):
    """The message is sent later by the lost-message pass (test_sweeper_lost_messages.py)."""
    from tests.web.own_broker import point_celery_at
    from webapp.embedded_redis import free_port

    job = running_job(owner, attempts=1, beat_age_s=31)
    point_celery_at(f"redis://127.0.0.1:{free_port()}/0")
    assert sweeper.sweep()["rerun"] == 1
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id == ""


def test_the_sweep_jobs_command_runs_one_pass(owner, settings_for_sweeps, own_broker):
    from io import StringIO

    from django.core.management import call_command

    job = running_job(owner, attempts=1, beat_age_s=31)
    out = StringIO()
    call_command("sweep_jobs", stdout=out)
    assert out.getvalue().strip() == "re-queued 1, failed 0, sent again 0"
    assert PoseJob.objects.get(pk=job.pk).status == "queued"
