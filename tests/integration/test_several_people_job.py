"""Several people end to end: an upload with people=several processed by a real Celery worker, streamed to
a real websocket client (daphne); the result (version 2) and the downloads agree with the stream."""
import io
import json
import zipfile

import numpy as np
import pytest
from django.urls import reverse

from poseapp.models import PoseJob
from tests.integration.test_pose_job_live import open_socket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def download(client, job, fmt) -> bytes:
    response = client.get(reverse("job-download", args=[job.pk, fmt]))
    assert response.status_code == 200, fmt
    return b"".join(response.streaming_content)


def test_several_people_stream_and_result(live_stack, client, owner, short_clip):
    client.force_login(owner)
    with open(short_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f, "people": "several"})
    assert response.status_code == 302, response.content[:500]
    job = PoseJob.objects.latest("pk")
    assert job.people_mode == "several"
    messages = []
    with open_socket(live_stack, client, job) as ws:
        while True:
            message = json.loads(ws.recv(timeout=300))
            messages.append(message)
            if message["type"] == "status" and message["status"] in ("succeeded", "failed"):
                break
    assert message["status"] == "succeeded", (message, live_stack.log_tail())
    kinds = [m["type"] for m in messages]
    # Frames arrived while detection was still going on: detect progress comes after the first of them.
    assert any(m["type"] == "progress" and m["stage"] == "detect" for m in messages[kinds.index("frames"):]), kinds
    meta = next(m for m in messages if m["type"] == "meta")
    assert meta["people_mode"] == "several"
    # de-duplicated by first frame; provisional chunks (a first look, issue 33) are replaced by the final ones
    chunks = {m["start"]: m for m in messages if m["type"] == "frames" and not m.get("provisional")}
    assert chunks and all("people" in c and "kp3d" not in c for c in chunks.values())
    starts = sorted(chunks)
    assert starts[0] == 0 and all(chunks[a]["start"] + chunks[a]["count"] == b for a, b in zip(starts, starts[1:]))
    job.refresh_from_db()
    assert sum(c["count"] for c in chunks.values()) == job.frame_count == 50
    streamed = {}  # person id -> {frame: kp3d}
    for c in chunks.values():
        for q in c["people"]:
            assert c["start"] <= q["start"] and q["start"] + len(q["kp3d"]) <= c["start"] + c["count"]
            assert np.asarray(q["kp3d"]).shape == (len(q["kp2d"]), 17, 3) and len(q["visible"]) == len(q["kp3d"])
            streamed.setdefault(q["id"], {}).update({q["start"] + k: f for k, f in enumerate(q["kp3d"])})
    per_frame = np.zeros(50, int)
    for frames in streamed.values():
        per_frame[list(frames)] += 1
    assert per_frame.mean() >= 2, per_frame  # the short clip has several people in view

    result = json.loads(download(client, job, "json"))
    assert result["version"] == 2 and result["people_mode"] == "several" and result["frame_count"] == 50
    assert result["timings"]["people_per_frame"] == pytest.approx(per_frame.mean(), abs=1e-3)
    assert set(result["camera"]) >= {"world_from_camera", "tilt_deg", "height_m"}
    assert sorted(p["id"] for p in result["people"]) == sorted(streamed)
    for p in result["people"]:
        frames = streamed[p["id"]]
        assert sorted(frames) == list(range(p["start"], p["end"]))
        assert np.allclose(np.asarray(p["keypoints_3d"]), [frames[f] for f in sorted(frames)], atol=1e-3)

    with zipfile.ZipFile(io.BytesIO(download(client, job, "bvh"))) as zf:
        assert {f"person_{p['id']}.bvh" for p in result["people"]} <= set(zf.namelist())
    csv = download(client, job, "csv").decode().splitlines()
    assert csv[0].startswith("person_id,frame,") and len(csv) - 1 == 17 * sum(len(f) for f in streamed.values())
    assert download(client, job, "mp4")[4:8] == b"ftyp"

    # Reconnecting after the end replays the same frames from frames.jsonl, then the final status.
    replay = []
    with open_socket(live_stack, client, job) as ws:
        while not replay or replay[-1]["type"] != "status":
            replay.append(json.loads(ws.recv(timeout=30)))
    assert replay[0]["type"] == "meta" and replay[0]["people_mode"] == "several"
    assert {m["start"]: m for m in replay if m["type"] == "frames"} == chunks
