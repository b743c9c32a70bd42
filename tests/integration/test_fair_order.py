"""Fair order with the real worker and the real Redis: one user queues 10 jobs, then another user
uploads one; the other user's job is the next one the worker starts (not the 11th)."""
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from poseapp.models import PoseJob
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def upload(client, path) -> PoseJob:
    with open(path, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    assert response.status_code == 302, response.content[:500]
    return PoseJob.objects.latest("pk")


def test_another_users_job_starts_next(live_stack, client, owner, other_user, no_person_video, settings):
    settings.POSENET_MAX_ACTIVE_JOBS_PER_USER = 10
    client.force_login(owner)
    heavy = [upload(client, no_person_video) for _ in range(10)]
    client.force_login(other_user)
    submitted = time.monotonic()
    light = upload(client, no_person_video)
    waiting_then = set(PoseJob.objects.filter(owner=owner, status="queued").values_list("pk", flat=True))
    started_before = {j.pk for j in heavy} - waiting_then
    light_done = wait_for_job(light.pk, 300, live_stack)
    light_wait = time.monotonic() - submitted
    done = [wait_for_job(j.pk, 300, live_stack) for j in heavy]
    assert light_done.started_at and all(j.started_at for j in done), live_stack.log_tail()

    order = sorted(done + [light_done], key=lambda j: j.started_at)
    position = [j.pk for j in order].index(light.pk) + 1
    print(f"\nfair order: {len(waiting_then)} of the first user's 10 jobs were still queued when the second "
          f"user uploaded; the second user's job was started {position} of 11 (1 = first) "
          f"(after {len(started_before)} already started), {light_wait:.1f} s after its upload; "
          f"queue rounds sent: {[j.queue_priority for j in done]} and {light_done.queue_priority}")
    assert len(waiting_then) >= 5  # the scenario really had a backlog
    # Next: before every one of the first user's later jobs (their first shares round 0 and came earlier).
    assert all(light_done.started_at < j.started_at for j in done[1:]), [(j.pk, j.started_at) for j in order]
    assert position <= 2
    # The first user's own jobs keep their order.
    assert [j.pk for j in sorted(done, key=lambda j: j.started_at)] == [j.pk for j in heavy]


def test_fair_order_holds_with_two_workers(live_stack, client, owner, other_user, no_person_video, settings,
                                           tmp_path):
    """A second real worker on the same queue: both take the lowest round first."""
    import os
    import subprocess

    from django.db import connection

    from tests.conftest import ROOT, database_url_for_subprocess
    from webapp.run import worker_command

    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), DJANGO_MEDIA_ROOT=str(live_stack.media_root),
               DJANGO_DEBUG="true", PYTHONUNBUFFERED="1")
    log = tmp_path / "worker2.log"
    second = subprocess.Popen(worker_command() + ["--without-mingle", "--without-gossip", "-n", "second@%h"],
                              cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text(errors="replace") and second.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.3)
        assert second.poll() is None and " ready." in log.read_text(errors="replace"), log.read_text()
        connection.close()
        client.force_login(owner)
        heavy = [upload(client, no_person_video) for _ in range(10)]
        client.force_login(other_user)
        light = upload(client, no_person_video)
        sent_at = timezone.now()  # it is in Redis by now (sent on commit, before the response)
        light_done = wait_for_job(light.pk, 300, live_stack)
        done = [wait_for_job(j.pk, 300, live_stack) for j in heavy]
        later = [j for j in done if j.queue_priority > 0 and j.started_at > sent_at]
        order = sorted(done + [light_done], key=lambda j: j.started_at)
        position = [j.pk for j in order].index(light.pk) + 1
        print(f"\nfair order, two workers: the second user's job was started {position} of 11 (1 = first); "
              f"{len(later)} of the first user's later-round jobs started after it was queued")
        assert len(later) >= 5
        # Each worker, once free, took it before those; at most one could have been taken by the other
        # worker at the same moment.
        assert sum(j.started_at < light_done.started_at for j in later) <= 1, [(j.pk, j.started_at) for j in order]
        assert "run_pose_job" in log.read_text(errors="replace")  # the second worker took jobs too
    finally:
        second.terminate()
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
