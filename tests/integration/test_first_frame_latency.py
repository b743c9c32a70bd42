"""How soon a new user sees 3D: the skater clip uploaded through the form to a real worker, timed from
the end of the upload to the first `frames` websocket message, for the first job after the worker
started (cold: its warm-up may still be running, the job waits for it and says so) and for the next
one (warm). Figures are printed and written to test-artifacts/first_frame_latency.json.

    .venv/bin/python -m pytest -m slow tests/integration/test_first_frame_latency.py -s
    POSENET_WARMUP=0 ...  # the same without the worker warm-up, for comparison

The pipeline holds its first chunk back until the skeleton's bone lengths are frozen (ml/pipeline.py;
~45 frames detected on the skater clip), so the figure includes detecting those frames.
"""
import json
import os
import time
from pathlib import Path

import pytest
from django.urls import reverse
from websockets.sync.client import connect

from poseapp.models import PoseJob
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SKATER = ROOT.parent / "shared" / "data" / "video" / "skater_1280x720_25fps.mp4"
WARM_TARGET_S = 3.0  # issue 14: first 3D frame <= 3 s after the upload, warm worker
WARM_LIMIT_S = 6.0   # what the test enforces on a shared 2-core machine (the figure is reported either way)


def time_first_frames(live_stack, client) -> dict:
    with open(SKATER, "rb") as f:
        t_post = time.monotonic()
        response = client.post(reverse("home"), {"video": f})
    t0 = time.monotonic()  # the upload has completed: the job page opens now
    assert response.status_code == 302, response.content[:300]
    job = PoseJob.objects.latest("pk")
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    events = []
    with connect(f"{live_stack.ws_base}/ws/jobs/{job.pk}/", origin=live_stack.base_url,
                 additional_headers={"Cookie": cookie}, open_timeout=20) as ws:
        while True:
            m = json.loads(ws.recv(timeout=120))
            t = round(time.monotonic() - t0, 2)
            if m["type"] == "progress":
                events.append((t, m["stage"], m.get("step"), m["done"], m["total"]))
            if m["type"] == "frames":
                first = {"first_frames_s": t, "first_chunk_start": m["start"], "first_chunk_frames": len(m["kp3d"]),
                         "upload_s": round(t0 - t_post, 2), "progress_before": events}
                break
            if m["type"] == "status" and m["status"] in ("failed", "cancelled"):
                pytest.fail(f"job {m}\n{live_stack.log_tail()}")
    # Let it finish so the next job finds an idle worker.
    deadline = time.monotonic() + 300
    while not PoseJob.objects.get(pk=job.pk).is_terminal and time.monotonic() < deadline:
        time.sleep(0.5)
    job.refresh_from_db()
    assert job.status == "succeeded", (job.error, live_stack.log_tail())
    return first


@pytest.mark.skipif(not SKATER.is_file(), reason="needs ../shared/data/video/skater_1280x720_25fps.mp4")
def test_first_3d_frame_soon_after_upload(live_stack, client, owner):
    client.force_login(owner)
    worker_log = live_stack.logs / "worker.log"
    cold = time_first_frames(live_stack, client)
    warm = time_first_frames(live_stack, client)
    warmed = [line for line in worker_log.read_text(errors="replace").splitlines() if "Models warmed in" in line]
    report = {"warmup": os.environ.get("POSENET_WARMUP", "1"), "cold": cold, "warm": warm,
              "worker_warmup_log": warmed, "target_s": WARM_TARGET_S}
    out = ROOT / "test-artifacts" / "first_frame_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    if os.environ.get("POSENET_WARMUP", "1") != "0":
        assert warmed, live_stack.log_tail()  # the worker loaded its models at start-up
    assert warm["first_frames_s"] <= WARM_LIMIT_S, report
