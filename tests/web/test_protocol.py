"""One protocol (issue 14): poseapp/stream.py defines the websocket's message types and stages once.

* docs/websocket.md lists exactly those types and stages;
* the server's real message builders, replayed through the viewer's job model (node), are all
  understood, every stage has a label, and the job ends where the server says;
* frontend/test/fixtures/stream.json (the vitest contract test's and the mock server's input) is
  what those builders produce now. Rewrite it with PROTOCOL_FIXTURE_WRITE=1 after a protocol change.
"""
import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from poseapp import stream, warmup

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "frontend" / "test" / "fixtures" / "stream.json"
PEOPLE_FIXTURE = ROOT / "frontend" / "test" / "fixtures" / "stream_people.json"  # several people (issue 12)
DOC = ROOT / "docs" / "websocket.md"


def _job(status, **kw):
    ended = status in ("succeeded", "failed", "cancelled")
    fields = dict(pk=7, status=status, fps=25.0, width=640, height=480, frame_count=None,
                  model_name="vp3d-27f", model_label="vp3d-27f", error="", error_repeats=False,
                  playable_video_path=Path("/nonexistent/video.mp4"), is_terminal=ended,
                  finished_at=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc) if ended else None)
    return SimpleNamespace(**{**fields, **kw})


def _pose(n, start):
    kp2d = [[[100.0 + j, 200.0 + start + k, 0.9] for j in range(17)] for k in range(n)]
    kp3d = [[[0.01 * (start + k), 0.1 * j, 0.0] for j in range(17)] for k in range(n)]
    return kp2d, kp3d


def server_messages() -> list[dict]:
    """A whole job as the task and the consumer send it, built by stream.py's builders only."""
    from ml.export import FORMATS

    running = _job("running")
    out = [stream.status_message(running), stream.meta_message(running)]
    out.append({**stream.progress_message("decode", 0, 0), "step": warmup.STEP})  # as poseapp/warmup.py sends it
    out += [stream.progress_message("decode", 0, 1), stream.progress_message("decode", 1, 1),
            stream.progress_message("detect", 5, 6)]
    for start in (0, 3):
        kp2d, kp3d = _pose(3, start)
        visible = [[True] * 17 for _ in range(3)]
        out.append(stream.frames_message(start, kp2d, kp3d, visible=visible, cuts=[3] if start == 3 else []))
    out.append(stream.progress_message("lift", 6, 6))
    out += [stream.progress_message("export", i, len(FORMATS), step=fmt) for i, fmt in enumerate(FORMATS)]
    out.append(stream.video_message(running))
    out.append(stream.status_message(_job("succeeded", frame_count=6)))
    return out


def people_server_messages() -> list[dict]:
    """A several-people job as the task sends it: person 1 throughout, person 2 from frame 4, a cut at 5."""
    running = _job("running", people_mode="several")
    out = [stream.status_message(running), stream.meta_message(running), stream.progress_message("detect", 3, 6)]
    for start, people in ((0, [(1, 0, 3)]), (3, [(1, 3, 3), (2, 4, 2)])):
        chunk = []
        for pid, first, m in people:
            kp2d, kp3d = _pose(m, first)
            chunk.append({"id": pid, "start": first, "kp2d": kp2d, "kp3d": kp3d, "visible": [[True] * 17] * m})
        out.append(stream.people_frames_message(start, 3, chunk, cuts=[5] if start == 3 else []))
    out.append(stream.status_message(_job("succeeded", frame_count=6, people_mode="several")))
    return out


def test_the_people_fixture_is_what_the_builders_send():
    messages = people_server_messages()
    assert messages[1]["people_mode"] == "several" and "people" in messages[-2] and "kp3d" not in messages[-2]
    text = "[\n" + ",\n".join(json.dumps(m, separators=(",", ":")) for m in messages) + "\n]\n"
    if os.environ.get("PROTOCOL_FIXTURE_WRITE"):
        PEOPLE_FIXTURE.write_text(text, encoding="utf-8")
    assert PEOPLE_FIXTURE.read_text(encoding="utf-8") == text, (
        "frontend/test/fixtures/stream_people.json is stale: PROTOCOL_FIXTURE_WRITE=1 .venv/bin/python -m pytest "
        "tests/web/test_protocol.py")


def test_the_builders_cover_every_type_and_stage():
    messages = server_messages()
    assert {m["type"] for m in messages} == set(stream.MESSAGE_TYPES)
    assert {m["stage"] for m in messages if m["type"] == "progress"} == set(stream.STAGES)


def test_the_fixture_is_what_the_builders_send():
    text = "[\n" + ",\n".join(json.dumps(m, separators=(",", ":")) for m in server_messages()) + "\n]\n"  # a message a line
    if os.environ.get("PROTOCOL_FIXTURE_WRITE"):
        FIXTURE.write_text(text, encoding="utf-8")
    assert FIXTURE.read_text(encoding="utf-8") == text, (
        "frontend/test/fixtures/stream.json is stale: PROTOCOL_FIXTURE_WRITE=1 .venv/bin/python -m pytest "
        "tests/web/test_protocol.py")


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_viewer_job_model_understands_the_server(tmp_path):
    messages = tmp_path / "messages.json"
    messages.write_text(json.dumps(server_messages()), encoding="utf-8")
    out = subprocess.run(["node", "tools/replay.mjs", str(messages)], cwd=ROOT / "frontend",
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["handled"] == {t: True for t in stream.MESSAGE_TYPES}  # no message type it ignores
    assert seen["status"] == "succeeded" and seen["complete"] and seen["frames"] == 6
    assert seen["videoUrl"] == "/jobs/7/video.mp4"
    # every stage has a human label (an unknown stage would read as its raw name, capitalised)
    from ml.skeleton import JOINT_NAMES
    assert seen["jointNames"] == list(JOINT_NAMES)
    labels = seen["progress"]
    assert labels[0] == "Loading the models…"  # decode's warm-up step
    assert labels[1].startswith("Decoding video") and labels[3].startswith("Detecting 2D keypoints")
    assert "Lifting to 3D" in labels[4]
    assert labels[5:] == ["Writing JSON…", "Writing CSV…", "Writing NPZ…", "Writing BVH…", "Writing GLB…",
                          "Writing the overlay video…"]


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_viewer_job_model_understands_several_people(tmp_path):
    """The several-people builders' messages, with the first chunk replayed (as after a reconnect),
    through the viewer's job model: each person gets exactly their frames, once."""
    messages = people_server_messages()
    frames = [m for m in messages if m["type"] == "frames"]
    replayed = messages[:-1] + [frames[0]] + messages[-1:]
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(replayed), encoding="utf-8")
    out = subprocess.run(["node", "tools/replay.mjs", str(path)], cwd=ROOT / "frontend",
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["handled"] == {t: True for t in {m["type"] for m in messages}}
    assert seen["peopleMode"] == "several" and seen["status"] == "succeeded" and seen["complete"]
    assert seen["frames"] == 6 and seen["cuts"] == [5]
    assert seen["people"] == {"1": [0, 1, 2, 3, 4, 5], "2": [4, 5]}
    assert seen["duplicates"] == 3 + 3  # the replayed chunk: 3 frames, person 1's 3 frames
    # each person's data is their own (person 2's first frame is the builders' frame 4)
    assert seen["firstPose"]["2"][1] == pytest.approx([0.04, 0.1, 0.0])
    assert seen["firstPose"]["1"][1] == pytest.approx([0.0, 0.1, 0.0])


def _doc_table():
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|(.*)\|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_docs_list_the_protocol():
    rows = _doc_table()
    assert list(rows) == list(stream.MESSAGE_TYPES), "docs/websocket.md's table: one row per stream.MESSAGE_TYPES"
    stages = re.search(r"`stage` \(([^)]*)\)", rows["progress"]).group(1)
    assert re.findall(r"`(\w+)`", stages) == list(stream.STAGES)
    statuses = re.search(r"`status` \(([^)]*)\)", rows["status"]).group(1)
    assert re.findall(r"`(\w+)`", statuses) == list(stream.STATUSES)
