"""One video on two real Celery workers (poseapp/segments.py): a helper worker detects parts of the
video while the job's own worker streams them in order, and the result equals a one-worker run;
the overlay MP4 is drawn in parts by both and has every frame once (poseapp/overlay_parts.py)."""
import json
import os
import subprocess
import time

import numpy as np
import pytest
from django.core.files import File

from poseapp.models import PoseJob, Video
from tests.conftest import ROOT, database_url_for_subprocess, frame_times, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_workers(tmp_path, settings, tiny_checkpoint):
    """Two worker processes on a broker of their own (a separate Redis database), splitting every video."""
    from webapp.run import worker_command

    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    broker = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/5"
    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), DJANGO_MEDIA_ROOT=str(media),
               REDIS_URL=broker, POSENET_SPLIT_MIN_S="1", POSENET_WARMUP="false", PYTHONUNBUFFERED="1",
               POSENET_CHECKPOINT=str(tiny_checkpoint), POSENET_DETECT_PROCESSES="1")
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    procs = [subprocess.Popen(worker_command() + ["--without-mingle", "--without-gossip", "-n", f"split{i}@%h"],
                              cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
             for i, log in enumerate(logs)]
    deadline = time.monotonic() + 120
    while not all("ready." in log.read_text(errors="replace") for log in logs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [l.read_text() for l in logs]
        time.sleep(0.3)
    yield broker, logs
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def test_a_split_video_equals_a_one_worker_run(two_workers, owner, people_clip_twice, tiny_checkpoint):
    long_clip = people_clip_twice  # 24 s: two parts (20 s + 4 s)
    from ml.pipeline import PipelineOptions, run_pipeline
    from poseapp.tasks import run_pose_job
    from webapp.celery import app

    broker, logs = two_workers
    with open(long_clip, "rb") as f:
        video = Video.objects.create(owner=owner, file=File(f, name="twice.mp4"), original_name="twice.mp4")
    job = PoseJob.objects.create(owner=owner, video=video)
    with app.connection_for_write(broker) as conn:
        run_pose_job.apply_async(args=[job.pk], queue="pose", connection=conn)
    job = wait_for_job(job.pk, timeout=300)
    log_text = "\n".join(l.read_text(errors="replace")[-3000:] for l in logs)
    assert job.status == "succeeded", (job.error, log_text)
    split = job.timings["split"]
    assert split["parts"] == 2 and split["helpers_queued"] == 1
    assert split["parts_here"] == 1, "the other worker did not detect the second part"
    assert "poseapp.tasks.detect_parts" in log_text and not (job.work_dir / "parts").exists()
    # The overlay MP4, drawn in parts by both workers (poseapp/overlay_parts.py) and joined here:
    # part 0 goes to whichever of them looks first once its frames are final, part 1 (final once the
    # pipeline has ended, well before part 0 can be drawn) to the other.
    assert split["overlay_parts_here"] == 1, "the other worker did not draw an overlay part"
    assert not (job.work_dir / "overlay_parts").exists() and job.timings["export_s"]["mp4"] > 0
    times, decoded = frame_times(job.work_dir / "overlay.mp4")
    assert decoded == len(times) == 240
    assert np.allclose(times, np.arange(240) / 10.0, rtol=0, atol=1e-3)

    one = run_pipeline(long_clip, PipelineOptions(checkpoint=str(tiny_checkpoint), detect_processes=1))
    result = json.loads(job.result_path.read_text())
    assert result["frame_count"] == one.frame_count == 240
    kp3d = np.asarray(result["keypoints_3d"], np.float32)
    # Rounded for the file (to the micrometre): equal to the one-worker run, seams included.
    assert np.abs(kp3d - one.keypoints_3d).max() < 1e-5
    assert result["detected"] == one.detected.tolist()

    # The viewer's stream (the frames log every viewer replays): every frame once, in order.
    from poseapp.stream import read_frames_log

    chunks = read_frames_log(job.frames_log_path)
    starts = [c["start"] for c in chunks]
    assert starts == sorted(starts) and sum(len(c["kp3d"]) for c in chunks) == 240
