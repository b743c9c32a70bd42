"""Fair order and where a queued job stands: each user's round as the Celery priority, the position
from the same rule, and an estimated start from measured recent durations (job page and API; owner /
other user / anonymous)."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from poseapp import fair_queue
from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db


def queue(user, status="queued", **fields) -> PoseJob:
    job = PoseJob.objects.create(owner=user, status=status,
                                 video=Video.objects.create(owner=user, original_name="clip.mp4"), **fields)
    job.queue_priority = fair_queue.fair_priority(job)
    job.save(update_fields=["queue_priority"])
    return job


def finished(user, seconds: float, ago_min: float = 10):
    end = timezone.now() - timedelta(minutes=ago_min)
    PoseJob.objects.create(owner=user, status="succeeded", started_at=end - timedelta(seconds=seconds),
                           finished_at=end, video=Video.objects.create(owner=user, original_name="old.mp4"))


def test_rounds_put_another_users_first_job_ahead_of_my_tenth(owner, other_user):
    mine = [queue(owner) for _ in range(10)]
    assert [j.queue_priority for j in mine] == list(range(10))
    theirs = queue(other_user)
    assert theirs.queue_priority == 0
    # A worker serves the lowest round first, FIFO within it: mine[0], then theirs, then mine[1]…
    assert fair_queue.queue_info(theirs)["position"] == 2
    assert fair_queue.queue_info(mine[1])["position"] == 3
    assert fair_queue.queue_info(mine[9])["position"] == 11


def test_rounds_start_again_once_my_jobs_have_ended(owner):
    first = queue(owner)
    queue(owner)
    PoseJob.objects.filter(owner=owner).update(status="succeeded")
    assert queue(owner).queue_priority == 0 and first.queue_priority == 0
    assert fair_queue.fair_priority(PoseJob(owner=owner)) == 1


def test_rounds_are_capped_at_the_highest_priority(owner):
    jobs = [queue(owner) for _ in range(12)]
    assert [j.queue_priority for j in jobs][-3:] == [9, 9, 9]


def test_the_queued_job_is_what_is_sent(owner, other_user, monkeypatch, django_capture_on_commit_callbacks):
    from poseapp import tasks

    sent = []
    monkeypatch.setattr(tasks.run_pose_job, "apply_async",
                        lambda args, queue, priority: sent.append((args[0], priority)) or type("R", (), {"id": "t"}))
    # (the real send to the real Redis and the order a real worker then follows: tests/integration/test_fair_order.py)
    with django_capture_on_commit_callbacks(execute=True):
        for user in (owner, owner, other_user):
            job = PoseJob.objects.create(owner=user, video=Video.objects.create(owner=user, original_name="c.mp4"))
            tasks.enqueue_pose_job(job)
    assert [p for _, p in sent] == [0, 1, 0]
    assert [PoseJob.objects.get(pk=pk).queue_priority for pk, _ in sent] == [0, 1, 0]


def test_estimate_from_recent_durations(owner, other_user, django_user_model):
    for seconds in (100, 120, 140):
        finished(other_user, seconds)
    finished(other_user, 5000, ago_min=60 * 24 * 8)  # older than a week: not used
    queue(other_user, status="running", started_at=timezone.now() - timedelta(seconds=30))
    ahead = queue(django_user_model.objects.create_user("third"))  # round 0, before mine
    job = queue(owner)
    info = fair_queue.queue_info(job)
    assert info["position"] == 2 and info["ahead"] == 1 and info["running"] == 1
    assert info["estimate_basis"] == {"recent_jobs": 3, "mean_duration_s": 120.0}
    assert info["estimated_start_s"] == 90 + 120  # the running one's remaining 90 s, then one more job
    assert info["text"] == ("Number 2 in the queue (1 job ahead of yours, 1 running now); estimated start in "
                            "about 4 minutes. This is an estimate from the last 3 jobs, which took 2 minutes on "
                            "average; longer or shorter videos ahead of yours change it.")
    assert fair_queue.queue_info(ahead)["position"] == 1


def test_no_history_says_there_is_no_estimate(owner):
    info = fair_queue.queue_info(queue(owner))
    assert info["estimated_start_s"] is None
    assert info["text"] == ("Yours is next in the queue. No estimate of the start yet: no job has finished in the "
                            "last 7 days to measure from.")


def test_owner_sees_the_position_on_the_page_and_in_the_api(client, owner, other_user):
    queue(other_user)
    job = queue(owner)
    client.force_login(owner)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="job-queue"' in page and "Number 2 in the queue (1 job ahead of yours)" in page
    token = ApiToken.objects.create(user=owner)
    body = client.get(reverse("api-job", args=[job.pk]), HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert body["queue"]["position"] == 2 and body["queue"]["text"].startswith("Number 2 in the queue")
    assert client.get(reverse("job-status", args=[job.pk])).json()["queue"]["position"] == 2


def test_a_running_job_has_no_queue_entry(client, owner):
    job = queue(owner, status="running", started_at=timezone.now())
    client.force_login(owner)
    assert 'id="job-queue"' not in client.get(job.get_absolute_url()).content.decode()
    assert client.get(reverse("job-status", args=[job.pk])).json()["queue"] is None


def test_other_user_and_anonymous_see_nothing(client, owner, other_user):
    job = queue(owner)
    assert client.get(reverse("job-status", args=[job.pk])).status_code == 302
    client.force_login(other_user)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("job-status", args=[job.pk])).status_code == 404
