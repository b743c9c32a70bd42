"""`.venv/bin/python tools/bench_split.py [--video PATH] [--minutes 2] [--workers 1,2]`

(It was `python -m ml.bench split`; it lives with the other benchmarks of the web app because it drives
the web app's workers, and `ml/` never imports the web layer: tests/ml/test_layering.py.)

One long video through the web app's real Celery workers (poseapp/segments.py), timed with 1 and
with N workers in one run: a clip of `--minutes` is made by looping VIDEO, a private Redis and a
throw-away SQLite database are started, and for each worker count that many workers (each pinned
to one core with taskset where there is one, one detector process each) process the same job.
Prints the wall time per run (the whole job: video to 3D, then the exports, the overlay MP4 among
them, drawn in parts by every worker on a split job), the speed-up over one worker, the largest 3D
difference from the one-worker result (the seams: 0 when the split is exact) and the load averages.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages

from ml.bench.clips import make_long_clip  # noqa: E402
DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "video" / "skater_1280x720_25fps.mp4"


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.3)


def run_job(clip: Path, workers: int, env: dict, logs: Path) -> tuple[float, dict, np.ndarray]:
    from django.core.files import File

    from poseapp.models import PoseJob, Video
    from poseapp.tasks import run_pose_job
    from webapp.run import worker_command

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench")
    env = dict(env, POSENET_SPLIT="true" if workers > 1 else "false")
    taskset = shutil.which("taskset")
    cores = os.cpu_count() or 1
    procs, files = [], []
    for i in range(workers):
        log = logs / f"w{workers}_{i}.log"
        files.append(log)
        pin = [taskset, "-c", str(i % cores)] if taskset else []
        procs.append(subprocess.Popen(pin + worker_command() + ["--without-mingle", "--without-gossip", "-n",
                                                                f"bench{workers}_{i}@%h"],
                                      cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT))
    try:
        warm = ("Models warmed", "warm-up failed")
        _wait(lambda: all(any(w in f.read_text(errors="replace") for w in warm) for f in files), 300, "workers")
        with open(clip, "rb") as f:
            video = Video.objects.create(owner=user, file=File(f, name=clip.name), original_name=clip.name)
        job = PoseJob.objects.create(owner=user, video=video)
        t0 = time.perf_counter()
        run_pose_job.apply_async(args=[job.pk], queue="pose")
        _wait(lambda: PoseJob.objects.get(pk=job.pk).is_terminal, 3600, "the job")
        elapsed = time.perf_counter() - t0
        job.refresh_from_db()
        if job.status != "succeeded":
            raise RuntimeError(f"job failed: {job.error}\n" + "\n".join(f.read_text()[-2000:] for f in files))
        from ml.result import PoseResult  # a one-person job: version 1 (a version-2 file is refused by name)

        kp3d = PoseResult.load_json(job.result_path).keypoints_3d
        return elapsed, job.timings, kp3d
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)


def _load() -> str:
    """The load averages (1, 5, 15 min), as `uptime` prints them: the machine may be shared."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="tools/bench_split.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    p.add_argument("--minutes", type=float, default=2.0)
    p.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated (first: the reference)")
    args = p.parse_args(argv)
    counts = [int(x) for x in args.workers.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="posenet-bench-split-"))
    clip = make_long_clip(args.video, args.minutes, tmp / f"long_{args.video.stem}.mp4")
    from webapp import embedded_redis

    redis = embedded_redis.start(tmp / "redis", persist=False)
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}", DJANGO_MEDIA_ROOT=str(tmp / "media"),
               REDIS_URL=redis.url, POSENET_SPLIT_MIN_S="1", POSENET_DETECT_PROCESSES="1", PYTHONUNBUFFERED="1")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_MEDIA_ROOT", "REDIS_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    try:
        from ml.video import probe

        info = probe(clip)
        print(f"clip      {clip.name}: {info.frame_count_hint} frames, {info.width}x{info.height} @ {info.fps:g} fps "
              f"({args.minutes:g} min, {args.video.name} looped); {os.cpu_count()} CPU cores, load {_load()}")
        ref = None
        for n in counts:
            elapsed, timings, kp3d = run_job(clip, n, env, tmp)
            frames = len(kp3d)
            pipe = timings["total_s"]  # video to 3D; the rest of the job is exports (overlay MP4, ...)
            exports = timings["export_s"]
            line = (f"{n} worker{'s' if n > 1 else ' '}  job {elapsed:7.1f} s, of which video to 3D {pipe:6.1f} s "
                    f"({frames / pipe:5.1f} frames/s), exports {sum(exports.values()):5.1f} s "
                    f"(overlay MP4 {exports.get('mp4', 0):5.1f} s), then the browser copy "
                    f"{timings.get('browser_copy_wait_s', 0):5.1f} s  [load {_load()}]")
            if ref is None:
                ref = (elapsed, pipe, kp3d)
            else:
                seam = 1000 * float(np.abs(kp3d - ref[2]).max()) if kp3d.shape == ref[2].shape else float("nan")
                line += (f"\n          speed-up: job {ref[0] / elapsed:.2f}x, video to 3D {ref[1] / pipe:.2f}x; "
                         f"max 3D difference from 1 worker {seam:.3f} mm")
            split = timings.get("split")
            if split:
                line += f"\n          parts {split['parts']}: 2D of {split['parts_here']} on the job's own worker"
                if "overlay_parts_here" in split:
                    line += f", overlay of {split['overlay_parts_here']}"
            print(line, flush=True)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
