"""The frames message (docs/websocket.md) and what the pose task hands the pipeline and the stream."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from poseapp import stream, tasks
from tests.web.fakes import NoBrowserCopy, NoOverlay
from poseapp.models import PoseJob, Video


def test_frames_message_carries_visibility_and_cuts():
    kp2d, kp3d = np.zeros((3, 17, 3)), np.ones((3, 17, 3))
    visible = np.ones((3, 17), bool)
    visible[1, [4, 16]] = False
    message = stream.frames_message(np.int64(40), kp2d, kp3d, visible=visible, cuts=[np.int64(41)])
    assert message["start"] == 40 and message["cuts"] == [41]
    assert len(message["visible"]) == 3 and message["visible"][0] == [1] * 17
    assert [j for j, v in enumerate(message["visible"][1]) if v == 0] == [4, 16]
    assert json.loads(json.dumps(message)) == message  # plain JSON types only


def test_frames_message_from_an_old_caller_means_all_visible_and_no_cuts():
    zero = [[[0.0, 0.0, 1.0]] * 17] * 2
    message = stream.frames_message(0, zero, zero)
    assert message["visible"] == [[1] * 17] * 2 and message["cuts"] == []


@pytest.mark.django_db
def test_pose_task_passes_the_height_and_streams_visibility(owner, settings, tmp_path, monkeypatch):
    import ml.export.overlay  # the task imports it only when it runs
    import ml.pipeline
    import ml.video

    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="a.mp4", file=SimpleUploadedFile("a.mp4", b"x"))
    job = PoseJob.objects.create(owner=owner, video=video, height_m=1.62)
    seen, sent = {}, []

    def fake_pipeline(source, options, on_progress, on_frames, should_stop, records=None, on_preview=None):
        seen["height_m"] = options.height_m
        kp = np.zeros((2, 17, 3))
        visible = np.ones((2, 17), bool)
        visible[0, 3] = False
        on_frames(10, kp, kp, visible=visible, cuts=[11])
        on_frames(12, kp, kp)  # an old-style call
        raise ml.pipeline.PipelineError("Stopped by the test.")

    monkeypatch.setattr(ml.pipeline, "run_pipeline", fake_pipeline)
    monkeypatch.setattr(ml.video, "probe", lambda path: SimpleNamespace(fps=25.0, width=64, height=48, frame_count_hint=12))
    monkeypatch.setattr(tasks, "BrowserCopy", NoBrowserCopy)
    monkeypatch.setattr(ml.export.overlay, "BackgroundOverlay", NoOverlay)
    monkeypatch.setattr(stream, "send", lambda job_id, message: sent.append(message))
    tasks.run_pose_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "Stopped by the test."
    assert seen["height_m"] == 1.62
    frames = [m for m in sent if m["type"] == "frames"]
    assert [(m["start"], m["cuts"]) for m in frames] == [(10, [11]), (12, [])]
    assert frames[0]["visible"][0][3] == 0 and frames[0]["visible"][1] == [1] * 17
    assert frames[1]["visible"] == [[1] * 17] * 2
