"""The running job's heartbeat thread (issue 13): it beats on its own while the task works (so long
stages beat without calling anything), and stops, saying the job is lost, once the row is no longer
this attempt's (cancelled, deleted, or handed to another worker by the sweeper)."""
import time

import pytest
from django.utils import timezone

from poseapp.heartbeat import JobHeartbeat
from poseapp.models import PoseJob, Video
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # the thread has its own database connection


def running_job(owner) -> PoseJob:
    video = Video.objects.create(owner=owner, original_name="a.mp4", file="uploads/x/a.mp4")
    # older than the beats below, younger than the default timeout (a live stack's sweeper leaves it alone)
    old = timezone.now() - timezone.timedelta(seconds=20)
    return PoseJob.objects.create(owner=owner, video=video, status="running", attempts=1, heartbeat_at=old)



def test_beats_while_the_main_thread_is_busy(owner):
    job = running_job(owner)
    before = job.heartbeat_at
    with JobHeartbeat(job.pk, attempt=1, interval_s=0.2) as beat:
        time.sleep(1.0)  # a long stage that calls nothing
        beats = PoseJob.objects.get(pk=job.pk).heartbeat_at
    assert beats > before and (timezone.now() - beats).total_seconds() < 2
    assert not beat.lost.is_set()


@pytest.mark.parametrize("takeover", ["cancelled", "requeued and claimed again", "deleted"])
def test_says_lost_once_the_row_is_not_this_attempts(owner, takeover):
    job = running_job(owner)
    with JobHeartbeat(job.pk, attempt=1, interval_s=0.2) as beat:
        if takeover == "cancelled":
            PoseJob.objects.filter(pk=job.pk).update(status="cancelled")
        elif takeover == "deleted":
            PoseJob.objects.filter(pk=job.pk).delete()
        else:
            PoseJob.objects.filter(pk=job.pk).update(attempts=2)
        assert wait_until(beat.lost.is_set, 10.0)
    if takeover == "cancelled":
        assert PoseJob.objects.get(pk=job.pk).status == "cancelled"  # never written over


def test_stops_beating_past_its_give_up_time(owner):
    job = running_job(owner)
    with JobHeartbeat(job.pk, attempt=1, interval_s=0.2, give_up_at=time.monotonic()):
        time.sleep(0.8)
    assert PoseJob.objects.get(pk=job.pk).heartbeat_at == job.heartbeat_at  # no beat: the sweeper can act
