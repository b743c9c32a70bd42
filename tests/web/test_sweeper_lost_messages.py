"""The sweeper and queued jobs whose broker message is gone (issue 13): Redis restarted without its data,
an upload accepted while Redis was down, a worker killed between taking a message and claiming its job.
Such a job is sent again once it has waited POSENET_REQUEUE_GRACE_S; a job whose message is waiting in the
queue, or was just delivered to a worker, is not. Real Redis, read as the sweeper reads it."""
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from poseapp import sweeper
from poseapp.models import PoseJob, Video
from poseapp.tasks import send_pose_job
from tests.web.own_broker import own_broker, point_celery_at  # noqa: F401 - fixture
from webapp.embedded_redis import free_port

pytestmark = pytest.mark.django_db
GRACE_S = 30


@pytest.fixture(autouse=True)
def grace(settings):
    settings.POSENET_REQUEUE_GRACE_S = GRACE_S


def queued_job(owner, waited_s: float, task_id: str = "") -> PoseJob:
    video = Video.objects.create(owner=owner, original_name="a.mp4", file="uploads/x/a.mp4")
    return PoseJob.objects.create(owner=owner, video=video, task_id=task_id,
                                  queued_at=timezone.now() - timedelta(seconds=waited_s))


def age(job: PoseJob, seconds: float) -> None:
    PoseJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=seconds))


def deliver_to_a_worker(own_broker, delivered_ago_s: float) -> None:
    """What kombu does when a worker takes a message (acks_late): off the queue, into `unacked`."""
    raw = own_broker.client.rpop("pose")
    tag = json.loads(raw)["properties"]["delivery_tag"]
    own_broker.client.hset("unacked", tag, json.dumps([json.loads(raw), "", "pose"]))
    own_broker.client.zadd("unacked_index", {tag: time.time() - delivered_ago_s})


def test_a_job_never_sent_is_sent_after_the_grace_period(owner, own_broker):
    job = queued_job(owner, waited_s=GRACE_S + 1)  # the upload came while Redis was down: no task id
    fresh = queued_job(owner, waited_s=1)  # its web process may still be sending it
    assert sweeper.sweep()["resent"] == 1
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id and own_broker.queued_task_ids() == [job.task_id]
    assert PoseJob.objects.get(pk=fresh.pk).task_id == ""


def test_a_message_lost_by_redis_is_sent_again(owner, own_broker):
    job = queued_job(owner, waited_s=0)
    lost_id = send_pose_job(job.pk)
    own_broker.client.flushall()  # Redis restarted without its data
    age(job, GRACE_S + 1)
    assert sweeper.sweep()["resent"] == 1
    job.refresh_from_db()
    assert job.task_id != lost_id and own_broker.queued_task_ids() == [job.task_id]
    assert sweeper.sweep()["resent"] == 0  # sent once: its message is there now


def test_a_message_waiting_in_the_queue_is_not_sent_twice(owner, own_broker):
    job = queued_job(owner, waited_s=0)
    task_id = send_pose_job(job.pk)
    age(job, 3600)  # a long queue: the job has waited an hour behind others
    assert sweeper.sweep()["resent"] == 0
    assert own_broker.queued_task_ids() == [task_id] and PoseJob.objects.get(pk=job.pk).task_id == task_id


def test_a_message_just_delivered_to_a_worker_is_not_sent_again(owner, own_broker):
    job = queued_job(owner, waited_s=0)
    task_id = send_pose_job(job.pk)
    deliver_to_a_worker(own_broker, delivered_ago_s=2)  # the worker is about to claim it (or warming up)
    age(job, GRACE_S + 1)
    assert sweeper.sweep()["resent"] == 0
    assert PoseJob.objects.get(pk=job.pk).task_id == task_id


def test_a_message_held_by_a_worker_that_died_before_claiming_is_sent_again(owner, own_broker):
    job = queued_job(owner, waited_s=0)
    task_id = send_pose_job(job.pk)
    deliver_to_a_worker(own_broker, delivered_ago_s=GRACE_S + 5)  # delivered long ago, job still queued
    age(job, GRACE_S + 1)
    assert sweeper.sweep()["resent"] == 1
    job.refresh_from_db()
    assert job.task_id != task_id and own_broker.queued_task_ids() == [job.task_id]


def test_claimed_and_finished_jobs_are_not_sent(owner, own_broker):
    for status in ("running", "succeeded", "failed", "cancelled"):
        job = queued_job(owner, waited_s=GRACE_S + 1)
        PoseJob.objects.filter(pk=job.pk).update(status=status, heartbeat_at=timezone.now())
    assert sweeper.sweep() == {"rerun": 0, "failed": 0, "resent": 0}
    assert own_broker.queued_task_ids() == []


def test_while_the_broker_is_down_the_sweeper_waits(owner, own_broker):
    job = queued_job(owner, waited_s=GRACE_S + 1)
    point_celery_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    started = time.monotonic()
    assert sweeper.sweep()["resent"] == 0
    assert time.monotonic() - started < 30  # a pass does not hang on a dead broker
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id == ""
    point_celery_at(own_broker.url)  # back: the next pass sends it
    assert sweeper.sweep()["resent"] == 1 and own_broker.queued_task_ids() == [PoseJob.objects.get(pk=job.pk).task_id]
