"""Live mode's web side (issue 31): the page (owner / anonymous), its websocket (forwarding to the live
lifter's channel and back, refusal), the live lifter worker's consumer (ready, 3D, busy, full) over the
real channel layer (the tests' private Redis), and a take made a job."""
import asyncio
import json
import time

import numpy as np
import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from poseapp import live
from poseapp.live_lifter import RATE_FRAMES, LiveLiftConsumer
from poseapp.models import PoseJob
from poseapp.queues import LIVE_CHANNEL
from poseapp.routing import websocket_urlpatterns

app = URLRouter(websocket_urlpatterns)


def blazepose_frame(rng, cx=320.0, cy=240.0):
    """33 BlazePose points of a person standing in a 640x480 picture (pixels + visibility)."""
    kp = np.zeros((33, 3))
    kp[:, 0] = cx + rng.normal(0, 30, 33)
    kp[:, 1] = np.linspace(cy - 180, cy + 180, 33)
    kp[:, 2] = 0.95
    return np.round(kp, 1).tolist()


# ---- the page -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("live"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_the_live_page_alone_may_use_the_camera_and_webassembly(client, owner):
    client.force_login(owner)
    page = client.get(reverse("live"))
    assert page.status_code == 200
    assert "camera=(self)" in page["Permissions-Policy"]
    assert "'wasm-unsafe-eval'" in page["Content-Security-Policy"] and "'unsafe-eval'" not in page["Content-Security-Policy"]
    html = page.content.decode()
    assert 'data-ws-url="/ws/live/"' in html and "mediapipe-tasks/" in html
    home = client.get(reverse("home"))
    assert "camera=()" in home["Permissions-Policy"] and "wasm" not in home["Content-Security-Policy"]


# ---- the websocket --------------------------------------------------------------------------------------

async def _connect(user):
    communicator = WebsocketCommunicator(app, "/ws/live/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_anonymous_websocket_is_refused():
    communicator, connected = await _connect(AnonymousUser())
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


@pytest.fixture
def live_channel(monkeypatch):
    """A channel of this test's own: a live lifter started by another test's stack (live_stack, session
    scope, the same private Redis) listens on the real one."""
    import uuid

    name = f"live-lift-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(live, "LIVE_CHANNEL", name)
    return name


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_keypoints_go_to_the_live_lifter_and_its_answers_to_the_page(owner, monkeypatch, live_channel):
    LIVE_CHANNEL = live_channel
    layer = get_channel_layer()
    monkeypatch.setattr(live, "READY_TIMEOUT_S", 1.0)
    communicator, connected = await _connect(owner)
    assert connected
    await communicator.send_json_to({"type": "frame", "i": 0, "t": 0, "kp": []})  # before start: dropped
    await communicator.send_json_to({"type": "start", "width": 640, "height": 480})
    start = await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 5)
    assert start["type"] == "live.start" and (start["width"], start["height"]) == (640, 480)
    kp = blazepose_frame(np.random.default_rng(0))
    await communicator.send_json_to({"type": "frame", "i": 7, "t": 12.5, "kp": kp})
    frame = await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 5)
    assert frame["type"] == "live.frame" and frame["i"] == 7 and frame["kp"] == kp
    assert frame["reply"] == start["reply"] and abs(frame["received"] - time.time()) < 5
    # no answer from the lifter within the timeout: the page is told, in words
    message = await communicator.receive_json_from(timeout=5)
    assert message["type"] == "error" and "not answering" in message["message"]
    # the lifter's answers reach the page as they are
    await layer.send(start["reply"], {"type": "live.reply", "message": {"type": "pose3d", "i": 7, "kp3d": [[0, 1, 0]] * 17}})
    assert (await communicator.receive_json_from(timeout=5))["i"] == 7
    await communicator.disconnect()
    stop = await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 5)
    assert stop == {"type": "live.stop", "reply": start["reply"]}


# ---- the live lifter's worker ---------------------------------------------------------------------------

@pytest.fixture
def lifter_worker(settings, tiny_checkpoint):
    settings.POSENET_LIVE_CHECKPOINT = str(tiny_checkpoint)
    settings.POSENET_LIVE_MAX_SESSIONS = 2
    settings.POSENET_LIVE_MAX_WAIT_MS = 5000  # a slow test machine's queue is not "busy"; an old frame below is
    LiveLiftConsumer.lifter, LiveLiftConsumer.sessions = None, {}
    yield ApplicationCommunicator(LiveLiftConsumer.as_asgi(), {"type": "channel", "channel": LIVE_CHANNEL})
    LiveLiftConsumer.lifter, LiveLiftConsumer.sessions = None, {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_live_lifter_answers_each_frame_and_says_when_busy_or_full(lifter_worker):
    layer = get_channel_layer()
    pages = [await layer.new_channel() for _ in range(3)]

    async def answer(page):
        return (await asyncio.wait_for(layer.receive(page), 30))["message"]

    await lifter_worker.send_input({"type": "live.start", "reply": pages[0], "width": 640, "height": 480})
    ready = await answer(pages[0])
    assert ready["type"] == "ready" and ready["look_ahead_s"] == pytest.approx(0.1)
    rng = np.random.default_rng(1)
    for i in range(12):  # 30 frames/s by the page's clock
        await lifter_worker.send_input({"type": "live.frame", "reply": pages[0], "i": 100 + i, "t": 1000 + 33.3 * i,
                                        "kp": blazepose_frame(rng), "received": time.time()})
    # the page's pace is measured on its first RATE_FRAMES frames; then each frame is answered 3 frames
    # later (0.1 s at 30 frames/s), by the page's own frame numbers
    first = 100 + RATE_FRAMES - 1 - 3
    poses = [await answer(pages[0]) for _ in range(first, 109)]
    assert [p["type"] for p in poses] == ["pose3d"] * len(poses)
    assert [p["i"] for p in poses] == list(range(first, 109))
    assert np.isfinite(np.array(poses[-1]["kp3d"])).all() and np.array(poses[-1]["kp3d"]).shape == (17, 3)
    # a frame that waited too long in the queue: no 3D, and the page is told the server is busy
    await lifter_worker.send_input({"type": "live.frame", "reply": pages[0], "i": 112, "t": 1400.0,
                                    "kp": blazepose_frame(rng), "received": time.time() - 60})
    busy = await answer(pages[0])
    assert busy["type"] == "busy" and "busy" in busy["message"]
    # two sessions at most: the third is refused with a sentence
    await lifter_worker.send_input({"type": "live.start", "reply": pages[1], "width": 640, "height": 480})
    assert (await answer(pages[1]))["type"] == "ready"
    await lifter_worker.send_input({"type": "live.start", "reply": pages[2], "width": 640, "height": 480})
    full = await answer(pages[2])
    assert full["type"] == "full" and "Try again" in full["message"]
    # a session that stopped frees its place
    await lifter_worker.send_input({"type": "live.stop", "reply": pages[0]})
    await lifter_worker.send_input({"type": "live.start", "reply": pages[2], "width": 640, "height": 480})
    assert (await answer(pages[2]))["type"] == "ready"
    await lifter_worker.send_input({"type": "live.start", "reply": pages[0], "width": 0, "height": 480})
    assert (await answer(pages[0]))["type"] in ("error", "full")
    # a broken page's frame is dropped; the others' sessions go on
    await lifter_worker.send_input({"type": "live.frame", "reply": pages[1], "i": 0, "t": 0.0,
                                    "kp": [["x", 1, 2]] * 33, "received": time.time()})
    await lifter_worker.send_input({"type": "live.stop", "reply": pages[1]})
    await lifter_worker.send_input({"type": "live.start", "reply": pages[0], "width": 640, "height": 480})
    assert (await answer(pages[0]))["type"] == "ready"


# ---- a take made a job ----------------------------------------------------------------------------------

def _take(frames, width=640, height=480):
    return SimpleUploadedFile("take.json", json.dumps({"width": width, "height": height, "frames": frames}).encode(),
                              content_type="application/json")


@pytest.mark.django_db
def test_a_take_without_its_video_becomes_a_queued_job_with_the_browsers_2d(client, owner, settings, tmp_path,
                                                                           django_capture_on_commit_callbacks):
    from ml.video import iter_frames

    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    rng = np.random.default_rng(2)
    frames = [{"t": round(i / 15, 3), "kp": None if i == 4 else blazepose_frame(rng)} for i in range(30)]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("live-takes"), {"keypoints": _take(frames)})
    assert response.status_code == 201, response.content
    job = PoseJob.objects.get(pk=response.json()["job"])
    assert response.json()["url"] == job.get_absolute_url()
    assert job.owner == owner and job.status == "queued" and len(queued) == 1
    with np.load(job.take_path) as take:
        assert take["kp"].shape == (30, 33, 3) and np.isnan(take["kp"][4]).all() and take["t"][-1] == pytest.approx(29 / 15, abs=1e-3)
    pictures = [f for f, _ in iter_frames(tmp_path / job.video.file.name)]  # plain, one per frame of the take
    assert len(pictures) == 30 and pictures[0].shape[:2] == (480, 640) and pictures[0].reshape(-1, 3).std(0).max() < 2  # one plain colour


@pytest.mark.django_db
@pytest.mark.parametrize("frames, sentence", [
    ([{"t": 0.0, "kp": None}, {"t": 0.1, "kp": None}], "No person was seen"),
    ([{"t": 0.0, "kp": [[1, 2]]}], "could not be read"),
    ([], "could not be read"),
])
def test_a_take_that_cannot_be_a_job_is_refused_in_words(client, owner, frames, sentence):
    client.force_login(owner)
    response = client.post(reverse("live-takes"), {"keypoints": _take(frames)})
    assert response.status_code == 400 and sentence in response.json()["error"]
    assert not PoseJob.objects.exists()


@pytest.mark.django_db
def test_anonymous_cannot_post_a_take(client):
    response = client.post(reverse("live-takes"), {"keypoints": _take([{"t": 0, "kp": None}])})
    assert response.status_code == 302 and not PoseJob.objects.exists()


@pytest.mark.django_db
def test_a_takes_2d_outlives_a_rerun_and_goes_with_a_retry(client, owner, settings, tmp_path,
                                                           django_capture_on_commit_callbacks):
    from poseapp import jobs

    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    frames = [{"t": i / 15, "kp": blazepose_frame(np.random.default_rng(i))} for i in range(10)]
    with django_capture_on_commit_callbacks(execute=False):
        job = PoseJob.objects.get(pk=client.post(reverse("live-takes"), {"keypoints": _take(frames)}).json()["job"])
    (job.work_dir / "result.json").write_text("{}")  # an attempt's output
    job.delete_outputs()  # what a re-run does first
    assert job.take_path.exists() and not (job.work_dir / "result.json").exists()
    job.status, job.error = PoseJob.Status.FAILED, "The server stopped."
    job.save()
    with django_capture_on_commit_callbacks(execute=False):
        new = jobs.retry(job)
    assert new is not None and new.take_path.read_bytes() == job.take_path.read_bytes()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_only_well_formed_frames_reach_the_lifter_and_a_forgotten_session_starts_again(owner, lifter_worker,
                                                                                             live_channel):
    LIVE_CHANNEL = live_channel
    layer = get_channel_layer()
    communicator, _ = await _connect(owner)
    await communicator.send_json_to({"type": "start", "width": 640, "height": 480})
    start = await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 5)
    bad = blazepose_frame(np.random.default_rng(3))
    bad[5] = ["x", 1, 2]
    for frame in ({"i": 1, "t": 5.0, "kp": bad}, {"i": "1", "t": 5.0, "kp": blazepose_frame(np.random.default_rng(3))},
                  {"i": 1, "t": 5.0, "kp": [[0, 0, 0]] * 34}):
        await communicator.send_json_to({"type": "frame", **frame})
    with pytest.raises(asyncio.TimeoutError):  # none of them was forwarded
        await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 1)
    # the lifter has no session for this page (forgotten): it asks the page's consumer to start again
    await lifter_worker.send_input({"type": "live.frame", "reply": start["reply"], "i": 3, "t": 9.0,
                                    "kp": blazepose_frame(np.random.default_rng(4)), "received": time.time()})
    await asyncio.sleep(2.5)  # a restart is not sent twice within 2 s of a start
    await lifter_worker.send_input({"type": "live.frame", "reply": start["reply"], "i": 4, "t": 10.0,
                                    "kp": blazepose_frame(np.random.default_rng(4)), "received": time.time()})
    again = await asyncio.wait_for(layer.receive(LIVE_CHANNEL), 10)
    assert again["type"] == "live.start" and again["reply"] == start["reply"] and again["width"] == 640
    await communicator.disconnect()


def test_a_takes_frames_with_non_numbers_count_as_no_person():
    frames = [{"t": 0.0, "kp": [[1.0, 2.0, 0.9]] * 33}, {"t": 0.1, "kp": [[1e39, 2.0, 0.9]] * 33}]
    take = live.read_take(json.dumps({"width": 640, "height": 480, "frames": frames}).encode())
    assert np.isfinite(take["kp"][0]).all() and np.isnan(take["kp"][1]).all()
