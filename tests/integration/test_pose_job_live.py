"""A real upload processed by a real Celery worker, streamed to a real websocket client through daphne."""
import json
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from websockets.sync.client import connect

from poseapp.models import PoseJob
from tests.conftest import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def upload(client, path: Path) -> PoseJob:
    with open(path, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    assert response.status_code == 302, response.content[:500]
    return PoseJob.objects.latest("pk")


def open_socket(live_stack, client, job):
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return connect(f"{live_stack.ws_base}/ws/jobs/{job.pk}/", origin=live_stack.base_url,
                   additional_headers={"Cookie": cookie}, open_timeout=20)


def test_frames_stream_to_the_browser_while_the_job_runs(live_stack, client, owner, people_clip):
    client.force_login(owner)
    job = upload(client, people_clip)
    messages = []
    with open_socket(live_stack, client, job) as ws:
        while True:
            message = json.loads(ws.recv(timeout=240))
            messages.append(message)
            if message["type"] == "status" and message["status"] in ("succeeded", "failed"):
                break
    assert message["status"] == "succeeded", (message, live_stack.log_tail())
    kinds = [m["type"] for m in messages]
    first_chunk = kinds.index("frames")
    # Frames arrived while detection was still going on: progress of the detect stage comes after them.
    assert any(m["type"] == "progress" and m["stage"] == "detect" for m in messages[first_chunk:]), kinds
    assert kinds.count("frames") >= 3

    # Provisional chunks (a first look, issue 33) come only before the first final one, which replaces them.
    provisional = [i for i, m in enumerate(messages) if m["type"] == "frames" and m.get("provisional")]
    first_final = next(i for i, m in enumerate(messages) if m["type"] == "frames" and not m.get("provisional"))
    assert all(i < first_final for i in provisional), provisional
    # Every final frame exactly once, in order, with 17 joints in 2D and 3D.
    chunks = [m for m in messages if m["type"] == "frames" and not m.get("provisional")]
    starts = sorted({c["start"]: c for c in chunks}.items())
    frames3d = [f for _, c in starts for f in c["kp3d"]]
    assert [s for s, _ in starts] == sorted({c["start"] for c in chunks})
    job.refresh_from_db()
    assert len(frames3d) == job.frame_count == 120
    assert np.asarray(frames3d).shape == (120, 17, 3)

    # The downloadable result agrees with what was streamed.
    response = client.get(reverse("job-result", args=[job.pk]))
    result = json.loads(b"".join(response.streaming_content))
    assert result["format"] == "3dposenet-result" and result["version"] == 1
    assert result["frame_count"] == 120 and result["joint_names"][0] == "pelvis"
    kp3d = np.asarray(result["keypoints_3d"])
    assert np.allclose(kp3d, np.asarray(frames3d), atol=1e-3)
    streamed_visible = [v for _, c in starts for v in c["visible"]]
    assert result["visible"] == streamed_visible and 0 < np.mean(streamed_visible) < 1
    assert result["cuts"] == [] and result["skeleton"]["height_source"] == "prior"
    # A person-shaped skeleton: standing on the floor, head above pelvis, plausible size (metres).
    height = kp3d[:, 10, 1] - np.minimum(kp3d[:, 3, 1], kp3d[:, 6, 1])
    assert 1.0 < np.median(height) < 2.2, np.median(height)
    assert (kp3d[:, 10, 1] > kp3d[:, 0, 1]).mean() > 0.95
    assert np.asarray(result["keypoints_2d"]).shape == (120, 17, 3)
    assert result["model"]["name"] and result["timings"]["fps"] > 0
    assert result["model"]["checkpoint"].endswith(".pt") and "/" not in result["model"]["checkpoint"]  # no server path

    # Reconnecting after the end replays everything, then the final status.
    replay = []
    with open_socket(live_stack, client, job) as ws:
        while not replay or replay[-1]["type"] != "status":
            replay.append(json.loads(ws.recv(timeout=30)))
    assert replay[0]["type"] == "meta" and replay[-1] == {**replay[-1], "type": "status", "status": "succeeded"}
    assert sum(len(m["kp3d"]) for m in replay if m["type"] == "frames") == 120


@pytest.mark.parametrize("make_input, expected", [
    ("not_a_video", "not a video"),
    ("no_person_video", "No person was found"),
])
def test_bad_input_ends_in_a_failed_job_with_a_plain_message(live_stack, client, owner, request, make_input, expected):
    client.force_login(owner)
    job = upload(client, request.getfixturevalue(make_input))
    job = wait_for_job(job.pk, timeout=180, stack=live_stack)
    assert job.status == "failed", live_stack.log_tail()
    assert expected.lower() in job.error.lower()
    assert job.error_repeats  # the video's own problem: the page offers another upload, not Retry
    page = client.get(job.get_absolute_url()).content.decode()
    assert job.error in page and "Traceback" not in page
    assert not job.result_path.exists()


def test_web_process_never_imports_torch(live_stack, client, owner, people_clip):
    """Serve an upload, a job page and a websocket through the live daphne, then read its memory map."""
    import urllib.request

    client.force_login(owner)
    job = upload(client, people_clip)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    request = urllib.request.Request(f"{live_stack.base_url}/jobs/{job.pk}/", headers={"Cookie": cookie})
    assert b'id="viewer"' in urllib.request.urlopen(request, timeout=20).read()
    with open_socket(live_stack, client, job) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "meta"
    wait_for_job(job.pk, timeout=240, stack=live_stack)
    web_maps = Path(f"/proc/{live_stack.web.pid}/maps").read_text()
    worker_maps = Path(f"/proc/{live_stack.worker.pid}/maps").read_text()
    assert "libtorch" in worker_maps  # the check can see torch when it is there
    assert "libtorch" not in web_maps and "mediapipe" not in web_maps


def wait_for_first_frames(ws) -> None:
    while json.loads(ws.recv(timeout=240))["type"] != "frames":
        pass


def test_cancel_while_running_wins_over_the_worker(live_stack, client, owner, people_clip):
    client.force_login(owner)
    job = upload(client, people_clip)
    with open_socket(live_stack, client, job) as ws:
        wait_for_first_frames(ws)
        client.post(reverse("job-cancel", args=[job.pk]))
        while True:
            message = json.loads(ws.recv(timeout=120))
            if message["type"] == "status" and message["status"] != "running":
                break
    assert message["status"] == "cancelled"
    # The worker stops at its next check and writes nothing over the cancel; a later job proves it is done.
    barrier = wait_for_job(upload(client, people_clip).pk, timeout=240, stack=live_stack)
    assert barrier.status == "succeeded"
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.result_path.exists()


def test_deleting_a_running_job_leaves_no_files(live_stack, client, owner, people_clip):
    client.force_login(owner)
    job = upload(client, people_clip)
    with open_socket(live_stack, client, job) as ws:
        wait_for_first_frames(ws)
    work_dir = job.work_dir
    client.post(reverse("job-delete", args=[job.pk]))
    assert not PoseJob.objects.filter(pk=job.pk).exists()
    barrier = wait_for_job(upload(client, people_clip).pk, timeout=240, stack=live_stack)
    assert barrier.status == "succeeded"
    assert not work_dir.exists()
