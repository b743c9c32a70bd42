"""Shared fixtures: test videos, users, and the live stack (a real Celery worker and a real daphne
web server as subprocesses, sharing the test database, the private Redis and a media folder)."""
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Playwright's sync API runs an event loop in this thread; the ORM calls in e2e tests are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def people_clip() -> Path:
    """12 s of real pedestrians (OpenCV's vtest.avi sample; see tests/fixtures/README.md)."""
    return FIXTURES / "people_768x576_10fps.mp4"


@pytest.fixture(scope="session")
def people_clip_twice(people_clip, tmp_path_factory) -> Path:
    """The pedestrians clip twice over: 240 frames at 10 fps (24 s; two detection segments, 200 + 40
    frames, ml/segments.py); it starts again at frame 120 (a fixed camera: not a scene cut)."""
    from ml.video import iter_frames

    frames = [f for f, _ in iter_frames(people_clip)]
    return write_video(tmp_path_factory.mktemp("twice") / "twice.mp4", frames + frames, fps=10.0)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    import cv2

    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture
def no_person_video(tmp_path) -> Path:
    """A real, decodable video of moving coloured shapes and no person."""
    frames = []
    for i in range(30):
        img = np.full((240, 320, 3), 40, np.uint8)
        img[60:120, 10 + 5 * i: 70 + 5 * i] = (0, 180, 255)
        frames.append(img)
    return write_video(tmp_path / "shapes.mp4", frames)


@pytest.fixture
def not_a_video(tmp_path) -> Path:
    path = tmp_path / "holiday.mp4"  # the extension lies
    path.write_text("This is a shopping list, not a video.\n" * 50)
    return path


def free_port() -> int:
    from webapp.embedded_redis import free_port as _free

    return _free()


def database_url_for_subprocess() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@dataclass
class LiveStack:
    base_url: str
    port: int
    media_root: Path
    web: subprocess.Popen
    worker: subprocess.Popen
    logs: Path
    live: subprocess.Popen | None = None  # the live lifter (poseapp/live_lifter.py)

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.logs.glob("*.log")))


def wait_until(predicate, timeout: float, poll_s: float = 0.1):
    """Poll predicate() until it returns something true (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    return None


def _wait_for(predicate, timeout: float, what: str, stack_logs=None):
    if not wait_until(predicate, timeout, poll_s=0.2):
        raise TimeoutError(f"{what} not ready after {timeout} s\n{stack_logs() if stack_logs else ''}")


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start the real worker (`celery -A webapp worker`), the live lifter (`manage.py runworker live-lift`)
    and the web server (uvicorn) against the test DB."""
    from django.conf import settings

    from webapp.run import live_command, local_site_env, web_command, worker_command

    media = tmp_path_factory.mktemp("media")
    logs = tmp_path_factory.mktemp("logs")
    settings.MEDIA_ROOT = media  # uploads saved by this process must be visible to the worker
    with django_db_blocker.unblock():
        db_url = database_url_for_subprocess()
    # As `make run` serves (DEBUG off, plain http), with this process's secret key: the test client's
    # sessions are valid there.
    mine = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env = local_site_env(dict(mine, DATABASE_URL=db_url, DJANGO_MEDIA_ROOT=str(media), PYTHONUNBUFFERED="1",
                              DJANGO_SECRET_KEY=settings.SECRET_KEY))
    port = free_port()
    worker_log = logs / "worker.log"
    worker = subprocess.Popen(worker_command() + ["--without-mingle", "--without-gossip"], cwd=ROOT, env=env,
                              stdout=open(worker_log, "w"), stderr=subprocess.STDOUT)
    web = subprocess.Popen(web_command("127.0.0.1", port), cwd=ROOT, env=env,
                           stdout=open(logs / "web.log", "w"), stderr=subprocess.STDOUT)
    live = subprocess.Popen(live_command(), cwd=ROOT, env=env, stdout=open(logs / "live.log", "w"),
                            stderr=subprocess.STDOUT)
    stack = LiveStack(f"http://127.0.0.1:{port}", port, media, web, worker, logs, live)
    try:
        _wait_for(lambda: "ready." in worker_log.read_text(errors="replace") or worker.poll() is not None,
                  120, "celery worker", stack.log_tail)
        assert worker.poll() is None, stack.log_tail()
        import urllib.request

        def web_up():
            try:
                urllib.request.urlopen(stack.base_url + "/accounts/login/", timeout=2)
                return True
            except Exception:  # noqa: BLE001
                return web.poll() is not None
        _wait_for(web_up, 60, "daphne", stack.log_tail)
        assert web.poll() is None, stack.log_tail()
        yield stack
    finally:
        for p in (web, worker, live):
            if p.poll() is None:
                p.terminate()
        for p in (web, worker, live):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        time.sleep(1)  # let PostgreSQL notice the closed sessions before the test database is dropped
        artifacts = ROOT / "test-artifacts" / "logs"
        artifacts.mkdir(parents=True, exist_ok=True)
        for f in logs.glob("*.log"):
            shutil.copy(f, artifacts / f.name)


def wait_for_job(job_id: int, timeout: float = 300, stack: LiveStack | None = None):
    """Poll the database until the job ends; return it."""
    from poseapp.models import PoseJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = PoseJob.objects.get(pk=job_id)
        if job.is_terminal:
            return job
        time.sleep(0.3)
    raise TimeoutError(f"job {job_id} still {job.status} after {timeout} s\n{stack.log_tail() if stack else ''}")


@pytest.fixture
def password() -> str:
    return "a-Long-test-passw0rd"


@pytest.fixture
def owner(django_user_model, password):
    return django_user_model.objects.create_user("owner", password=password)


@pytest.fixture
def other_user(django_user_model, password):
    return django_user_model.objects.create_user("other", password=password)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A real checkpoint file of a tiny LSTM_PoseNet (untrained): for plumbing tests that need speed,
    not accuracy. Tests about what the skeleton looks like use the shipped checkpoint."""
    import torch

    from ml.models import LSTM_PoseNet
    from ml.train import TrainConfig, make_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny_lstm.pt"
    torch.save(make_checkpoint(LSTM_PoseNet(17, 27), TrainConfig(frames=27), {}, {}, 0), path)
    return path


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def frame_times(path) -> tuple[list[float], int]:
    """What ffprobe's -show_packets and -count_frames tell of a video's first video stream (no
    ffprobe ships with imageio-ffmpeg; ffmpeg's framecrc muxer lists the same): its packets'
    presentation times in seconds, in display order, and the number of frames it decodes to
    (decoded as they are, no frame dropped or repeated for a constant rate)."""
    import re

    import imageio_ffmpeg

    def framecrc(*args):
        out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-map", "0:v:0",
                              *args, "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
        num, den = map(int, re.search(r"^#tb 0: (\d+)/(\d+)", out, re.M).groups())
        return [int(line.split(",")[2]) * num / den for line in out.splitlines() if line and line[0] != "#"]

    return sorted(framecrc("-c", "copy")), len(framecrc("-fps_mode", "passthrough"))
