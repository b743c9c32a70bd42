"""`.venv/bin/python tools/bench_live.py [--video PATH] [--seconds 20] [--detectors lite,full]`

Live mode end to end (issue 31), as a user's browser runs it: a private Redis, a throw-away SQLite
database, the live lifter worker (`manage.py runworker live-lift`) and the web server are started; Debian's
Chromium opens the Live page with its fake camera playing VIDEO (a shared clip of a person, made raw
.y4m at 30 fps), for each BlazePose model in turn (`/live/?detector=NAME`). After the session is ready
it watches for `--seconds` and prints, per model, what the page measured (window.__live,
frontend/src/live/latency.js): the 2D frames per second, the detector's time per frame, the server's
lifting time per frame (from its pose3d messages), and the latency from a camera frame (the moment it
went to the detector) to its 3D drawn on screen, median and 95th percentile.

The 2D runs on the CPU in the page (tasks-vision's XNNPACK delegate), beside the live worker, the web
server and the page's own 3D rendering (WebGL on SwiftShader here: no GPU), all on this machine's cores;
while the page detects (on its main thread) it cannot draw a 3D frame that has arrived, so the latency
above includes that wait. The server's share is therefore also measured without a browser: `--sessions 1,2,3` clients
send VIDEO's BlazePose keypoints (detected here once, the lite model, as the page does) over the real
websocket at the video's frame rate, together, and time each frame from its keypoints leaving the
client to its 3D arriving (which includes the look-ahead: the 3D of a frame needs the next frames),
the server's lifting time, the frames answered, and the busy and full notices. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
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
    from tools.viewer_snapshots import Stack, wait_for, web_up
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

    wait_for(lambda: web_up(f"http://127.0.0.1:{port}"), 90, "the web server", stack)
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


def session_cookie(base: str) -> str:
    """Sign in as the bench user over HTTP: the session cookie a browser would hold."""
    from tools.bench_first_frame import Site

    site = Site(base)
    site.sign_in("bench", PASSWORD)
    return "; ".join(f"{c.name}={c.value}" for c in site.jar)


def clip_keypoints(video: Path) -> tuple[list, float, int, int]:
    """BlazePose-33 keypoints (pixels + visibility) of each frame with a person, lite model, and the fps."""
    import numpy as np

    from ml.detect import create_detector
    from ml.video import iter_frames, probe

    info = probe(video)
    detector = create_detector("mediapipe", 0)
    out = []
    for frame, _ in iter_frames(video):
        d = detector(frame)
        if d is not None:
            out.append(np.round(d.keypoints, 1).tolist())
    detector.close()
    return out, info.fps, info.width, info.height


async def one_client(ws_url: str, cookie: str, origin: str, clip, seconds: float) -> dict:
    import websockets

    frames, fps, width, height = clip
    sent, arrived, lift_ms, kinds = {}, {}, [], []
    async with websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": origin}) as ws:
        await ws.send(json.dumps({"type": "start", "width": width, "height": height}))

        async def receive():
            async for raw in ws:
                m = json.loads(raw)
                kinds.append(m["type"])
                if m["type"] == "pose3d":
                    arrived[m["i"]] = time.perf_counter()
                    lift_ms.append(m["lift_ms"])
                elif m["type"] == "full":
                    return
        reader = asyncio.ensure_future(receive())
        t0 = time.perf_counter()
        i = 0
        while time.perf_counter() - t0 < seconds and not reader.done():
            await ws.send(json.dumps({"type": "frame", "i": i, "t": 1000 * (time.perf_counter() - t0),
                                      "kp": frames[i % len(frames)]}))
            sent[i] = time.perf_counter()
            i += 1
            await asyncio.sleep(max(0.0, t0 + i / fps - time.perf_counter()))
        await asyncio.sleep(1.0)
        reader.cancel()
    lat = sorted(1000 * (arrived[k] - sent[k]) for k in arrived if k in sent)
    pick = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))] if lat else None  # noqa: E731
    return {"sent": len(sent), "answered": len(arrived), "latency_ms_median": pick(0.5), "latency_ms_p95": pick(0.95),
            "lift_ms_median": sorted(lift_ms)[len(lift_ms) // 2] if lift_ms else None,
            "busy": kinds.count("busy"), "full": "full" in kinds}


def server_rows(port: int, clip, sessions: list[int], seconds: float) -> list[dict]:
    base = f"http://127.0.0.1:{port}"
    cookie = session_cookie(base)
    rows = []
    for n in sessions:
        async def together():
            return await asyncio.gather(*[one_client(f"ws://127.0.0.1:{port}/ws/live/", cookie, base, clip, seconds)
                                          for _ in range(n)])
        for k, r in enumerate(asyncio.run(together())):
            rows.append({"sessions": n, "client": k + 1, **r})
        print(f"measured {n} session(s)", file=sys.stderr, flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    p.add_argument("--seconds", type=float, default=20.0, help="how long to watch each model, once it is live")
    p.add_argument("--detectors", default="lite,full", help="BlazePose models to measure (lite, full, heavy)")
    p.add_argument("--sessions", default="1,2,3", help="server only: this many clients at once, in turn")
    p.add_argument("--no-browser", action="store_true", help="only the server's share (no Chromium)")
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
            clip = clip_keypoints(args.video)
            server = server_rows(stack.port, clip, [int(n) for n in args.sessions.split(",") if n], args.seconds)
            with sync_playwright() as pw:
                if args.no_browser:
                    args.detectors = ""
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=CHROMIUM_ARGS + [f"--use-file-for-fake-video-capture={y4m}"])
                for name in [d for d in args.detectors.split(",") if d]:
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
    print(f"\nserver only: {len(clip[0])} frames of keypoints sent at {clip[1]:g} fps per client, {args.seconds:g} s")
    print(f"{'sessions':8s} {'client':>6s} {'sent':>5s} {'answered':>8s} {'lift ms':>8s} {'latency ms median':>18s} "
          f"{'p95':>6s} {'busy':>5s} {'full':>5s}")
    for r in server:
        print(f"{r['sessions']:8d} {r['client']:6d} {r['sent']:5d} {r['answered']:8d} {fmt(r['lift_ms_median']):>8s} "
              f"{fmt(r['latency_ms_median'], 0):>18s} {fmt(r['latency_ms_p95'], 0):>6s} {r['busy']:5d} {str(r['full']):>5s}")
    if args.json:
        print(json.dumps({"browser": rows, "server": server}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
