"""The overlay MP4 of a split video drawn in parts (poseapp/overlay_parts.py): the part plan, the
frames log read as it grows, a helper's part and the job's worker's joined into every frame once,
and a part whose helper went quiet drawn by the job's worker."""
import os
import time

import numpy as np
import pytest
from django.core.files import File

from poseapp import overlay_parts, stream
from poseapp.models import PoseJob, Video
from tests.conftest import frame_times

pytestmark = pytest.mark.django_db
FRAMES = 240  # people_clip_twice: 10 fps, parts of 200 + 40 frames


@pytest.fixture
def job(owner, people_clip_twice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with open(people_clip_twice, "rb") as f:
        video = Video.objects.create(owner=owner, file=File(f, name="twice.mp4"), original_name="twice.mp4")
    job = PoseJob.objects.create(owner=owner, video=video, status=PoseJob.Status.RUNNING)
    job.work_dir.mkdir(parents=True)
    return job


def log_frames(job, a: int, b: int, chunk: int = 37) -> None:
    """Frames [a, b) of a synthetic motion into the job's frames log, as the pipeline streams them."""
    from ml.export.synthetic import synthetic_result

    r = synthetic_result(frames=FRAMES, fps=10.0, width=768, height=576)
    for i in range(a, b, chunk):
        j = min(i + chunk, b)
        stream.append_frames(job, stream.frames_message(i, r.keypoints_2d[i:j], r.keypoints_3d[i:j]))


def overlay_of(job):
    from ml.video import probe

    return overlay_parts.OverlayParts(job, 2, probe(job.video.file.path), job.video.file.path)


def test_the_part_plan_covers_every_frame_once():
    span = overlay_parts.part_span
    for total in (1, 199, 200, 201, 1000, 1234):
        count = max(2, -(-total // 200))
        spans = [span(k, count, 200, total) for k in range(count)]
        assert spans[0][0] == 0 and spans[-1][1] == total
        assert all(s[1] == t[0] and s[0] <= s[1] for s, t in zip(spans, spans[1:]))
    assert span(1, 6, 200, None) == (200, 400)  # before the frame count is known: all but the last
    assert span(5, 6, 200, None) is None
    assert span(5, 6, 200, 1250) == (1000, 1250)  # more frames than the container said: a longer last part
    assert span(5, 6, 200, 990) == (990, 990) and span(4, 6, 200, 990) == (800, 990)  # fewer: empty parts


def test_the_frames_log_is_read_as_it_grows(job):
    log = overlay_parts.FramesLog(job.frames_log_path)
    assert log.update() == 0  # no log yet
    log_frames(job, 0, 100)
    with open(job.frames_log_path, "a") as f:
        f.write('{"type":"frames","start":100,')  # the writer is mid-line
    assert log.update() == 100
    kp2d, kp3d = log.frames(90, 100)
    assert kp2d.shape == (10, 17, 3) and kp3d.shape == (10, 17, 3)


def test_a_helpers_part_and_the_job_workers_joined(job, settings):
    """The job's worker claims part 0, a 'helper' (the helper task's own function) draws part 1 as
    soon as its frames are final, the job's worker draws part 0 and joins: 240 frames at 10 fps."""
    mine = overlay_of(job)
    mine.start()
    log_frames(job, 0, FRAMES)
    mine.parts.claim(0)
    assert overlay_of(job).ready(1) is None  # its frames are all logged, but the frame count is not known
    mine.set_total(FRAMES)
    from ml.video import probe

    overlay_parts.help_with_overlay(job, job.video.file.path, probe(job.video.file.path), 2)
    assert (mine.parts.dir / "1.mp4").exists() and not (mine.parts.dir / "0.mp4").exists()

    ticks = []
    out = mine.finish(job.work_dir / "overlay.mp4", tick=lambda: ticks.append(1))
    assert mine.here == [0] and ticks and not mine.parts.dir.exists()
    times, decoded = frame_times(out)
    assert decoded == len(times) == FRAMES
    assert np.allclose(times, np.arange(FRAMES) / 10.0, rtol=0, atol=1e-3)


def test_a_quiet_helpers_part_is_drawn_by_the_job_worker(job, settings):
    settings.POSENET_SPLIT_STALE_S = 30
    mine = overlay_of(job)
    mine.start()
    log_frames(job, 0, FRAMES)
    mine.set_total(FRAMES)
    helper = overlay_of(job)
    helper.parts.claim(1)  # a helper took part 1 an hour ago and then went silent
    old = time.time() - 3600
    os.utime(helper.parts.path(1, "claim"), (old, old))
    out = mine.finish(job.work_dir / "overlay.mp4", tick=lambda: None)
    assert mine.here == [0, 1]  # the part nobody claimed, then the quiet helper's
    assert frame_times(out)[1] == FRAMES
