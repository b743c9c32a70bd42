"""`.venv/bin/python tools/bench_live.py [--video PATH] [--seconds 20] [--detectors lite,full]`

Live mode end to end (issue 31), as a user's browser runs it: a private Redis, a throw-away SQLite
database, the live lifter worker (`manage.py runworker live-lift`) and the web server are started; Debian's
Chromium opens the Live page with its fake camera playing VIDEO (a shared clip of a person, made raw
.y4m at 30 fps), for each BlazePose model in turn (`/live/?detector=NAME`). After the session is ready
it watches for `--seconds` and prints, per model, what the page measured (window.__live,
frontend/src/live/latency.js): the 2D frames per second, the detector's time per frame, the server's
lifting time per frame (from its pose3d messages), and the latency from a camera frame (the moment it
went to the detector) to its 3D drawn on screen, median and 95th percentile.

The browser here has no GPU: WebGL runs on SwiftShader (the CPU), which is what the in-page detector's
graph computes with; on a machine with a GPU the 2D is many times faster. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages

DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "video" / "arms_576x576_30fps.mp4"
PASSWORD = "live-bench-password-1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream"]


def camera_file(video: Path, out: Path) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(video), "-t", "10",
                    "-vf", "fps=30", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def start_stack(tmp: Path):
    from tools.viewer_snapshots import Stack, wait_for
    from webapp.embedded_redis import free_port
    from webapp.run import live_command, web_command

    stack = Stack(tmp)
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", DJANGO_MEDIA_ROOT=str(tmp / "media"),
               POSENET_VAR_DIR=str(tmp / "var"), DJANGO_DEBUG="false", POSENET_LOCAL_HTTP="true",
               DJANGO_SECRET_KEY="live-bench-" + "x" * 50, REDIS_URL=stack.start_redis(), PYTHONUNBUFFERED="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run(manage + ["migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(manage + ["shell", "-c", "from django.contrib.auth.models import User; "
                             f"User.objects.create_user('bench', password={PASSWORD!r})"], cwd=ROOT, env=env, check=True)
    stack.port = port = free_port()
    stack.spawn("live", live_command(), env)
    stack.spawn("web", web_command("127.0.0.1", port), env)

    def web_up():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return True
        except OSError:
            return False
    wait_for(web_up, 90, "the web server", stack)
    return stack


def measure(browser, base: str, detector: str, seconds: float) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.grant_permissions(["camera"], origin=base)
    page = context.new_page()
    try:
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/live/?detector={detector}")
        page.wait_for_function("() => window.__live.stats.poses > 0", timeout=180_000)
        page.evaluate("() => { const s = window.__live.stats; s.latencies.length = 0; s.detectMs.length = 0;"
                      " s.liftMs.length = 0; s.frames2d = 0; s._t0 = null; }")  # from here on
        time.sleep(seconds)
        return page.evaluate("window.__live.stats.summary()") | {"errors": page.evaluate("window.__live.errors")}
    finally:
        context.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    p.add_argument("--seconds", type=float, default=20.0, help="how long to watch each model, once it is live")
    p.add_argument("--detectors", default="lite,full", help="BlazePose models to measure (lite, full, heavy)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if not args.video.exists():
        print(f"error: {args.video} not found (--video: a clip of one person)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="posenet-bench-live-") as tmp:
        tmp = Path(tmp)
        y4m = camera_file(args.video, tmp / "camera.y4m")
        stack = start_stack(tmp)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=CHROMIUM_ARGS + [f"--use-file-for-fake-video-capture={y4m}"])
                for name in args.detectors.split(","):
                    rows.append({"detector": name, **measure(browser, f"http://127.0.0.1:{stack.port}", name,
                                                             args.seconds)})
                    print(f"measured {name}", file=sys.stderr, flush=True)
                browser.close()
        finally:
            stack.stop()
    fmt = lambda v, d=1: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
    print(f"{'detector':9s} {'2D fps':>7s} {'detect ms':>10s} {'lift ms':>8s} {'latency ms median':>18s} {'p95':>7s} "
          f"{'3D frames':>9s} {'busy':>5s}")
    for r in rows:
        print(f"{r['detector']:9s} {fmt(r['fps2d']):>7s} {fmt(r['detect_ms_median']):>10s} "
              f"{fmt(r['lift_ms_median']):>8s} {fmt(r['latency_ms_median'], 0):>18s} {fmt(r['latency_ms_p95'], 0):>7s} "
              f"{r['poses']:9d} {r['busy']:5d}" + (f"  errors: {r['errors']}" if r["errors"] else ""))
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
