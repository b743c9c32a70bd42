"""How soon a new user sees 3D (issue 33): upload through the real stack, time the first 3D frame.

    .venv/bin/python tools/bench_first_frame.py                       # skater (one person), pedestrians (several), 3 runs each
    .venv/bin/python tools/bench_first_frame.py --runs 5 --clip ../shared/data/video/jump_box_1768x994_30fps.mp4:one

Starts a private stack as `make run` does (a redis-server, a Celery worker with its model warm-up, the
uvicorn web server, on a throwaway SQLite database and media folder), signs in through the sign-in
page, and for each run uploads the clip with `POST /api/jobs/` (the session and its CSRF token, as the
browser's form does; the body streamed from the file), then opens the job's websocket, as the job page
does. It prints, per run and as the median over the runs: the upload's own time, and from the moment
the upload's response arrived: the first `progress` message, the first `frames` message (the first 3D
on screen: provisional or final), the first final frames and the final `status` (the job's end). The first run after the worker started is reported
too, but the medians leave it out when there is more than one run (it may wait for the warm-up).
Figures, not a pass/fail test; run it on a quiet machine."""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_VIDEO = ROOT.parent / "shared" / "data" / "video"
DEFAULT_CLIPS = [f"{SHARED_VIDEO / 'skater_1280x720_25fps.mp4'}:one",
                 f"{SHARED_VIDEO / 'pedestrians_768x576_10fps.mp4'}:several"]
PASSWORD = "bench-first-frame-Passw0rd"


class Site:
    """A signed-in browser-like client of the private stack: cookies, CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def sign_in(self, username: str, password: str) -> None:
        page = self.opener.open(f"{self.base}/accounts/login/", timeout=30).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
        self.opener.open(urllib.request.Request(f"{self.base}/accounts/login/", data=body.encode(),
                                                headers={"Referer": f"{self.base}/accounts/login/"}), timeout=30)
        self.cookie("sessionid")  # signed in

    def upload(self, video: Path, people: str) -> dict:
        boundary = uuid.uuid4().hex
        fields = f'--{boundary}\r\nContent-Disposition: form-data; name="people"\r\n\r\n{people}\r\n'.encode()
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="{video.name}"\r\n'
                "Content-Type: video/mp4\r\n\r\n").encode()
        body = fields + head + video.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(f"{self.base}/api/jobs/", data=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": self.cookie("csrftoken"),
            "Referer": f"{self.base}/"})
        with self.opener.open(request, timeout=120) as response:
            return json.loads(response.read())


def time_job(site: Site, ws_base: str, video: Path, people: str) -> dict:
    from websockets.sync.client import connect

    t_post = time.monotonic()
    job = site.upload(video, people)
    t0 = time.monotonic()  # the upload's response: the job page opens now
    out = {"job": job["id"], "upload_s": round(t0 - t_post, 2), "first_progress_s": None, "first_frames_s": None}
    headers = {"Cookie": f"sessionid={site.cookie('sessionid')}"}
    with connect(f"{ws_base}/ws/jobs/{job['id']}/", origin=site.base, additional_headers=headers,
                 open_timeout=30, max_size=None) as ws:
        while True:
            m = json.loads(ws.recv(timeout=600))
            t = round(time.monotonic() - t0, 2)
            if m["type"] == "progress" and out["first_progress_s"] is None:
                out["first_progress_s"] = t
            if m["type"] == "progress" and m["stage"] == "detect" and m["done"] > 0 and "first_detected_s" not in out:
                out["first_detected_s"] = t  # the first frames with 2D: the worker has started on the video
            if m["type"] == "frames" and out["first_frames_s"] is None:  # provisional or final: 3D on screen
                out["first_frames_s"] = t
                out["first_chunk"] = [m["start"], len(m.get("kp3d") or m.get("people") or [])]
            if m["type"] == "frames" and not m.get("provisional") and "first_final_s" not in out:
                out["first_final_s"] = t
            if m["type"] == "status" and m["status"] in ("succeeded", "failed", "cancelled"):
                out["end_s"], out["status"] = t, m["status"]
                return out


def start_stack(tmp: Path):
    from tools.viewer_snapshots import Stack, wait_for, web_up
    from webapp.embedded_redis import free_port
    from webapp.run import web_command, worker_command

    stack = Stack(tmp)
    redis_url = stack.start_redis()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", DJANGO_MEDIA_ROOT=str(tmp / "media"),
               POSENET_VAR_DIR=str(tmp / "var"), DJANGO_DEBUG="true", REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    env.pop("POSENET_CHECKPOINT", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run(manage + ["migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(manage + ["shell", "-c", "from django.contrib.auth.models import User; "
                             f"User.objects.create_user('bench', password={PASSWORD!r})"], cwd=ROOT, env=env, check=True)
    stack.port = port = free_port()
    stack.spawn("worker", worker_command() + ["--without-mingle", "--without-gossip"], env)
    stack.spawn("web", web_command("127.0.0.1", port), env)
    worker_log = stack.logs / "worker.log"
    wait_for(lambda: "ready." in worker_log.read_text(errors="replace"), 180, "the worker", stack)

    wait_for(lambda: web_up(f"http://127.0.0.1:{port}"), 90, "the web server", stack)
    wait_for(lambda: "Models warmed in" in worker_log.read_text(errors="replace"), 180, "the warm-up", stack)
    return stack


def median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", action="append", help="VIDEO:one or VIDEO:several (repeatable; default: the "
                                                     "skater as one person, the pedestrians as several)")
    ap.add_argument("--runs", type=int, default=3, help="runs per clip after the first (default 3)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    clips = [(Path(c.rsplit(":", 1)[0]), c.rsplit(":", 1)[1]) for c in (args.clip or DEFAULT_CLIPS)]
    for video, people in clips:
        if not video.is_file() or people not in ("one", "several"):
            ap.error(f"{video}:{people}: give an existing video and 'one' or 'several'")
    report = {}
    with tempfile.TemporaryDirectory(prefix="bench-first-frame-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            site = Site(f"http://127.0.0.1:{stack.port}")
            site.sign_in("bench", PASSWORD)
            ws_base = f"ws://127.0.0.1:{stack.port}"
            for video, people in clips:
                rows = [time_job(site, ws_base, video, people) for _ in range(args.runs + 1)]
                for i, r in enumerate(rows):
                    print(f"{video.name} ({people}) run {i}{' (first after start)' if i == 0 else ''}: upload "
                          f"{r['upload_s']} s; then first progress {r['first_progress_s']} s, first 2D {r.get('first_detected_s')} s, first 3D frame "
                          f"{r['first_frames_s']} s (frames {r.get('first_chunk')}), first final frames {r.get('first_final_s')} s, "
                          f"end {r['end_s']} s ({r['status']})",
                          flush=True)
                timed = rows[1:] if len(rows) > 1 else rows
                summary = {k: median(timed, k) for k in ("upload_s", "first_progress_s", "first_detected_s", "first_frames_s",
                                                         "first_final_s", "end_s")}
                print(f"{video.name} ({people}) median of {len(timed)}: first 3D frame {summary['first_frames_s']} s "
                      f"after the upload, job end {summary['end_s']} s\n", flush=True)
                report[f"{video.name}:{people}"] = {"runs": rows, "median": summary}
        finally:
            stack.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
