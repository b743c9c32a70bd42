"""An upload while Redis is down (issue 13), through the real web server's JSON API: 503 with a sentence and the
job, which stays queued; once Redis is back, the sweeper in the (real) worker sends it and it is processed,
once. The figures go to test-artifacts/fault_upload_while_down.json."""
import json
import time

import pytest

from poseapp.models import PoseJob
from poseapp.tasks import QUEUED_WHILE_DOWN
from tests.conftest import ROOT
from tests.integration.fault_stack import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_upload_while_redis_is_down_is_processed_once_it_is_back(fault_stack, api_token, short_clip):
    stack = fault_stack
    stack.start_worker("a")
    stack.stop_redis()
    status, headers, body = stack.upload(api_token, short_clip)
    assert status == 503 and headers.get("Content-Type") == "application/json" and headers.get("Retry-After") == "60"
    assert body["error"] == QUEUED_WHILE_DOWN and body["job"]["status"] == "queued", body
    job = PoseJob.objects.get(pk=body["job"]["id"])
    assert job.status == "queued" and job.task_id == ""  # saved, nothing sent
    time.sleep(stack.setting("POSENET_REQUEUE_GRACE_S") + 2)  # past the grace period, with the broker still down
    assert PoseJob.objects.get(pk=job.pk).status == "queued"

    stack.start_redis()
    back_at = time.monotonic()
    wait_for(lambda: PoseJob.objects.get(pk=job.pk).status in ("succeeded", "failed"), 180, "the job to end",
             stack.log_tail)
    done_s = time.monotonic() - back_at
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == ("succeeded", "", 1), stack.log_tail()
    log = stack.worker_log("a")
    assert f"job {job.pk}: queued but its broker message is gone" in log
    assert log.count(f"run_pose_job[{job.task_id}] received") == 1
    figures = {"status_while_down": status, "processed_s_after_redis_back": round(done_s, 1)}
    out = ROOT / "test-artifacts" / "fault_upload_while_down.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))


def test_a_chunked_upload_finished_while_redis_is_down_answers_with_its_job(fault_stack, api_token, short_clip):
    """Issue 30: the resumable upload's finish answered 503 without the job and deleted the upload, so the
    client had no id to poll although the job existed and later ran. Now it answers like POST /api/jobs/."""
    stack = fault_stack
    stack.stop_redis()
    status, headers, body, upload_url = stack.chunked_upload(api_token, short_clip)
    assert status == 503 and headers.get("Retry-After") == "60", body
    assert body["error"] == QUEUED_WHILE_DOWN and body["job"]["status"] == "queued", body
    job = PoseJob.objects.get(pk=body["job"]["id"])
    assert job.status == "queued" and job.task_id == ""
    auth = {"Authorization": f"Token {api_token}"}
    status, _, raw = stack.request("GET", upload_url, headers=auth)  # the upload is kept, pointing at its job
    assert status == 200 and json.loads(raw)["job"] == job.pk
    status, _, raw = stack.request("POST", upload_url + "finish/", b"", auth)  # finishing again: the same job
    assert status == 200 and json.loads(raw)["id"] == job.pk
    assert PoseJob.objects.filter(owner=job.owner).count() == 1
