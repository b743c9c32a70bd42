"""kill -9 the worker mid-job (issue 13): its ffmpeg child dies with it, the job's viewers are told, the
job runs again on another worker process and succeeds, with nothing of the killed attempt left behind.
Real Redis, two real Celery workers, real daphne, a real websocket viewer; tiny heartbeat settings
(tests/integration/fault_stack.py). The figures go to test-artifacts/fault_worker_killed.json."""
import json
import signal
import time

import pytest

from poseapp.models import PoseJob
from poseapp.sweeper import RERUN
from tests.conftest import ROOT
from tests.integration.fault_stack import Viewer, alive, children_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_whose_worker_is_killed_runs_again_and_succeeds(fault_stack, api_token, session_cookie, people_clip):
    stack = fault_stack
    workers = {name: stack.start_worker(name) for name in ("a", "b")}  # `docker compose up --scale worker=2`
    status, _, body = stack.upload(api_token, people_clip)
    assert status == 201, body
    job_id = body["id"]
    viewer = Viewer(stack, job_id, session_cookie)

    # The worker that took the job is the one with an ffmpeg child (the browser copy): kill it while
    # that child still runs, so the test sees whether the child outlives it.
    def busy_worker():
        for name, proc in workers.items():
            kids = children_of(proc.pid)
            if kids:
                return name, kids
        return None
    victim, kids = wait_for(busy_worker, 90, "a worker with an ffmpeg child", stack.log_tail)
    job = PoseJob.objects.get(pk=job_id)
    assert job.status == "running" and job.attempts == 1, (job.status, job.attempts)
    workers[victim].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    workers[victim].wait()
    survivor = "b" if victim == "a" else "a"

    wait_for(lambda: not any(alive(k) for k in kids), 5, f"the killed worker's children {kids} to die", stack.log_tail)
    told_at = viewer.wait_for(lambda m: m["type"] == "status" and m["status"] == "queued", 60,
                              "the viewer told the job runs again", stack.log_tail)
    wait_for(viewer.done.is_set, 240, "the job's final status", stack.log_tail)
    finished_at = time.monotonic()

    job = PoseJob.objects.get(pk=job_id)
    assert job.status == "succeeded" and job.attempts == 2 and job.error == "", (job.status, job.error, stack.log_tail())
    assert job.frame_count == 120
    final = viewer.messages()[-1][1]
    assert final["type"] == "status" and final["status"] == "succeeded"
    queued = [m for _, m in viewer.messages() if m["type"] == "status" and m["status"] == "queued"]
    assert queued and queued[0]["message"] == RERUN
    assert sorted(viewer.frames_by_index(strict=False)) == list(range(120))
    # The survivor ran it; the killed worker's partial files (the .part copy) are gone, the results complete.
    assert f"Task poseapp.tasks.run_pose_job[{job.task_id}] received" in stack.worker_log(survivor)
    names = sorted(p.name for p in job.work_dir.iterdir())
    assert not [n for n in names if ".part" in n], names
    assert {"result.json", "video.mp4", "frames.jsonl"} <= set(names), names
    assert len([line for line in job.frames_log_path.read_text().splitlines() if line]) == \
        len({json.loads(line)["start"] for line in job.frames_log_path.read_text().splitlines() if line})

    figures = {"victim": victim, "children_killed": kids, "viewer_told_s": round(told_at - killed_at, 2),
               "succeeded_s_after_kill": round(finished_at - killed_at, 2),
               "heartbeat_timeout_s": stack.setting("POSENET_HEARTBEAT_TIMEOUT_S"),
               "sweep_interval_s": stack.setting("POSENET_SWEEP_INTERVAL_S")}
    out = ROOT / "test-artifacts" / "fault_worker_killed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
    # told within the heartbeat timeout plus a sweep (and a margin for a loaded machine)
    timeout_s, sweep_s = figures["heartbeat_timeout_s"], figures["sweep_interval_s"]
    assert figures["viewer_told_s"] < timeout_s + sweep_s + 10, figures
