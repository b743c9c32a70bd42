"""kill -9 the private Redis while jobs wait in its queue (issue 13): none is lost. The append-only file
brings their messages back when Redis starts again (the same task ids are delivered; the sweeper had
nothing to send again), and every job succeeds once. Real Redis, a real worker, real daphne."""
import json
import time

import pytest

from poseapp.models import PoseJob
from tests.conftest import ROOT
from tests.integration.fault_stack import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
QUEUED = 2


def test_queued_jobs_survive_a_redis_kill(fault_stack, api_token, short_clip):
    stack = fault_stack
    # A long grace: a message brought back by the AOF must not need the sweeper (which would mask it).
    stack.env["POSENET_REQUEUE_GRACE_S"] = "600"
    stack.start_worker("a")
    ids = []
    for _ in range(1 + QUEUED):
        status, _, body = stack.upload(api_token, short_clip)
        assert status == 201, body
        ids.append(body["id"])
    wait_for(lambda: PoseJob.objects.get(pk=ids[0]).status == "running", 60, "the first job to start", stack.log_tail)
    waiting = {j.pk: j.task_id for j in PoseJob.objects.filter(pk__in=ids[1:], status="queued")}
    assert len(waiting) == QUEUED and all(waiting.values()), waiting  # they really were in the queue
    time.sleep(1.5)  # the append-only file is written every second
    stack.stop_redis(kill=True)
    killed_at = time.monotonic()
    time.sleep(2)
    stack.start_redis()

    wait_for(lambda: not PoseJob.objects.filter(pk__in=ids).exclude(status__in=["succeeded", "failed"]).exists(),
             240, "every job to end", stack.log_tail)
    done_s = time.monotonic() - killed_at
    jobs = {j.pk: j for j in PoseJob.objects.filter(pk__in=ids)}
    assert [(jobs[i].status, jobs[i].error, jobs[i].attempts) for i in ids] == [("succeeded", "", 1)] * len(ids)
    log = stack.worker_log("a")
    for pk, task_id in waiting.items():
        assert jobs[pk].task_id == task_id  # the original message, kept by Redis, not one sent again
        assert log.count(f"run_pose_job[{task_id}] received") == 1
    assert "broker message is gone" not in log
    figures = {"queued_when_killed": QUEUED, "lost": 0, "failed": 0, "all_done_s_after_kill": round(done_s, 1)}
    out = ROOT / "test-artifacts" / "fault_redis_killed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
