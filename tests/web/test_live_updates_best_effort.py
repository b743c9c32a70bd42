"""Live updates are best effort (issue 13): a channel layer (Redis) that is unreachable, or stopped and
restarted while a job runs, costs watchers some messages but never fails the job."""
import logging
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from poseapp import stream, tasks
from tests.web.fakes import NoBrowserCopy, NoOverlay
from poseapp.models import PoseJob, Video
from webapp import embedded_redis
from webapp.embedded_redis import free_port


@pytest.fixture(autouse=True)
def no_outage_yet():
    stream._outage.clear()  # "logged once per outage": each test starts with live updates working
    yield
    stream._outage.clear()


def layer_at(url: str) -> dict:
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": [{"address": url, "socket_timeout": None}]}}}


def fake_job(owner, settings, tmp_path, monkeypatch, during_frames=lambda i: None):
    """A pose job whose pipeline and exports are stand-ins; every stream.send goes through for real."""
    import ml.export
    import ml.export.overlay
    import ml.pipeline
    import ml.video

    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="a.mp4", file=SimpleUploadedFile("a.mp4", b"x"))
    job = PoseJob.objects.create(owner=owner, video=video)
    sent = []

    def fake_pipeline(source, options, on_progress, on_frames, should_stop, records=None, on_preview=None):
        kp = np.zeros((2, 17, 3))
        for i in range(6):
            during_frames(i)
            on_progress("detect", i, 6)
            on_frames(2 * i, kp, kp)
        return SimpleNamespace(model={"name": "stand-in"}, frame_count=12, timings={"fps": 1.0})

    def recording_send(job_id, message, _real=stream.send):
        ok = _real(job_id, message)
        sent.append((message["type"], ok))
        return ok

    monkeypatch.setattr(ml.pipeline, "run_pipeline", fake_pipeline)
    monkeypatch.setattr(ml.export, "export", lambda result, fmt, path, video_path=None: path.write_text(fmt))
    monkeypatch.setattr(ml.video, "probe", lambda path: SimpleNamespace(fps=25.0, width=64, height=48, frame_count_hint=12))
    monkeypatch.setattr(tasks, "BrowserCopy", NoBrowserCopy)
    monkeypatch.setattr(ml.export.overlay, "BackgroundOverlay", NoOverlay)
    monkeypatch.setattr(stream, "send", recording_send)
    return job, sent


@pytest.mark.django_db
def test_a_job_succeeds_while_the_channel_layer_is_unreachable(owner, settings, tmp_path, monkeypatch, caplog):
    settings.CHANNEL_LAYERS = layer_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    job, sent = fake_job(owner, settings, tmp_path, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="poseapp.stream"):
        tasks.run_pose_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded" and job.error == "" and job.frame_count == 12, job.error
    assert len(stream.read_frames_log(job.frames_log_path)) == 6  # what reconnecting clients replay
    assert sent and not any(ok for _, ok in sent)
    warnings = [r for r in caplog.records if r.name == "poseapp.stream"]
    assert len(warnings) == 1 and "live updates unavailable" in warnings[0].getMessage()  # once, not per frame


@pytest.mark.django_db
def test_a_job_succeeds_when_redis_is_stopped_and_restarted_mid_job(owner, settings, tmp_path, monkeypatch, caplog):
    port = free_port()
    server = embedded_redis.start(tmp_path / "redis-a", port=port, persist=False)
    settings.CHANNEL_LAYERS = layer_at(server.url)
    servers = [server]

    def outage(i):
        if i == 2:
            servers[-1].stop()
        if i == 4:
            servers.append(embedded_redis.start(tmp_path / "redis-b", port=port, persist=False))

    job, sent = fake_job(owner, settings, tmp_path / "media", monkeypatch, during_frames=outage)
    try:
        with caplog.at_level(logging.WARNING, logger="poseapp.stream"):
            tasks.run_pose_job.apply(args=[job.pk])
    finally:
        servers[-1].stop()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.error == "", job.error
    frames = [ok for kind, ok in sent if kind == "frames"]
    assert frames[:2] == [True, True] and frames[2:4] == [False, False] and frames[4:] == [True, True], sent
    assert sent[-1] == ("status", True)  # the final status reaches watchers once Redis is back
    messages = [r.getMessage() for r in caplog.records if r.name == "poseapp.stream"]
    assert len(messages) == 2 and "unavailable" in messages[0] and "back" in messages[1], messages
