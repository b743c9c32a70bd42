"""Web-process memory during a large upload: the resumable chunked API vs. one multipart request.

    .venv/bin/python tools/bench_upload_memory.py                 # 500 MB chunked, 60 MB in one request
    .venv/bin/python tools/bench_upload_memory.py --size-mb 200 --single-mb 0

For each way it starts a fresh real web server (uvicorn, as `python -m webapp.run` does) on a throwaway
database, media folder and private Redis (no worker: the job just stays queued), uploads a generated
MJPEG video of noise (real and decodable, so the server's checks pass and the job is created), and
prints the web server process's resident memory before, at its peak (sampled every 10 ms) and after.
Figures, not a pass/fail test (issue 13 target: +64 MiB or less for 500 MB)."""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MiB = 1024 * 1024


def make_video(path: Path, size_bytes: int) -> Path:
    """An MJPEG AVI of 1280×720 noise frames (JPEG cannot compress noise) of at least `size_bytes`."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(8)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (1280, 720))
    i = 0
    while not path.exists() or path.stat().st_size < size_bytes:
        writer.write(frames[i % len(frames)])
        i += 1
    writer.release()
    return path


class Server:
    """A fresh web server on a throwaway var dir, with a user and an API token."""

    def __init__(self, work: Path, redis_url: str, max_mb: int, chunk_mb: int):
        from webapp.embedded_redis import free_port
        from webapp.run import web_command

        self.port = free_port()
        var = work / f"var-{uuid.uuid4().hex[:6]}"
        self.env = dict(os.environ, POSENET_VAR_DIR=str(var), DJANGO_DEBUG="true", REDIS_URL=redis_url,
                        POSENET_MAX_UPLOAD_MB=str(max_mb), POSENET_UPLOAD_CHUNK_MB=str(chunk_mb),
                        POSENET_WARMUP="false", PYTHONUNBUFFERED="1")
        manage = [sys.executable, "manage.py"]
        subprocess.run(manage + ["migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        self.token = subprocess.run(manage + ["shell", "-c", (
            "from django.contrib.auth.models import User; from poseapp.models import ApiToken; "
            "print(ApiToken.objects.create(user=User.objects.create_user('bench', password='x')).key)")],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        self.log = open(var / "web.log", "w")
        self.proc = subprocess.Popen(web_command("127.0.0.1", self.port), cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/api/jobs/")
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the web server did not start")
        self.request("GET", "/api/jobs/")  # warm: Django loaded, a request served
        self.ps = psutil.Process(self.proc.pid)

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def request(self, method, path, body=None, headers=None):
        c = self.conn()
        c.request(method, path, body=body, headers={"Authorization": f"Token {self.token}", **(headers or {})})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class PeakSampler(threading.Thread):
    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.running = server, server.rss(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss())
            time.sleep(0.01)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def upload_chunked(server: Server, video: Path) -> tuple[int, str]:
    size = video.stat().st_size
    status, body = server.request("POST", "/api/uploads/", json.dumps({"filename": video.name, "size": size}),
                                  {"Content-Type": "application/json"})
    assert status == 201, body
    upload = json.loads(body)
    chunks = 0
    with open(video, "rb") as f:
        offset = 0
        while offset < size:
            piece = f.read(upload["chunk_size"])
            status, body = server.request("PATCH", upload["url"], piece, {
                "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            assert status == 200, body
            offset = json.loads(body)["offset"]
            chunks += 1
    status, body = server.request("POST", upload["finish_url"])
    return status, f"{chunks} chunks of {upload['chunk_size'] // MiB} MiB, finish → HTTP {status} {json.loads(body).get('status', body[:80])}"


def upload_single(server: Server, video: Path) -> tuple[int, str]:
    """One multipart POST /api/jobs/, streamed from the file (the client holds 1 MiB at a time)."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"{video.name}\"\r\n"
            "Content-Type: video/x-msvideo\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head
        with open(video, "rb") as f:
            while piece := f.read(MiB):
                yield piece
        yield tail
    length = len(head) + video.stat().st_size + len(tail)
    c = server.conn()
    c.putrequest("POST", "/api/jobs/")
    for k, v in {"Authorization": f"Token {server.token}", "Content-Length": str(length),
                 "Content-Type": f"multipart/form-data; boundary={boundary}"}.items():
        c.putheader(k, v)
    c.endheaders()
    for piece in body():
        c.send(piece)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, f"one request, HTTP {r.status} {json.loads(data).get('status', data[:80])}"


def measure(label: str, upload, work: Path, redis_url: str, size_mb: int, chunk_mb: int) -> dict:
    video = make_video(work / f"bench-{size_mb}mb.avi", size_mb * 1000 * 1000)
    server = Server(work, redis_url, max_mb=size_mb + 50, chunk_mb=chunk_mb)
    try:
        # A first small upload, so that "before" is a server that has served one: the one-time cost of
        # loading OpenCV for the video check is not counted as the large upload's.
        warm = make_video(work / "warm.avi", 200_000)
        assert upload(server, warm)[0] == 201
        before = server.rss()
        sampler = PeakSampler(server)
        sampler.start()
        t0 = time.monotonic()
        status, note = upload(server, video)
        seconds = time.monotonic() - t0
        time.sleep(1.0)
        peak = sampler.stop()
        after = server.rss()
    finally:
        server.stop()
        video.unlink(missing_ok=True)
    row = {"way": label, "upload_mb": size_mb, "rss_before_mib": before / MiB, "rss_peak_mib": peak / MiB,
           "rss_after_mib": after / MiB, "peak_growth_mib": (peak - before) / MiB, "seconds": seconds,
           "note": note, "ok": status in (200, 201)}
    print(f"{label:>8} {size_mb:5d} MB: RSS before {row['rss_before_mib']:7.1f} MiB, peak {row['rss_peak_mib']:7.1f} MiB "
          f"(+{row['peak_growth_mib']:.1f}), after {row['rss_after_mib']:7.1f} MiB, {seconds:.1f} s; {note}",
          flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="the chunked upload's size (MB)")
    parser.add_argument("--single-mb", type=int, default=60, help="the one-request upload's size (MB); 0 skips it")
    parser.add_argument("--chunk-mb", type=int, default=8, help="POSENET_UPLOAD_CHUNK_MB for the server")
    args = parser.parse_args()
    from webapp import embedded_redis

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        work = Path(tmp)
        redis = embedded_redis.start(work / "redis")
        try:
            rows = [measure("chunked", upload_chunked, work, redis.url, args.size_mb, args.chunk_mb)]
            if args.single_mb:
                rows.append(measure("single", upload_single, work, redis.url, args.single_mb, args.chunk_mb))
        finally:
            redis.stop()
    print(json.dumps(rows, indent=1))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    sys.exit(main())
