"""A stack of real processes for fault-injection tests (issue 13): a private Redis of the test's own (with
its append-only file, on a fixed port so that it can be stopped, killed and started again on the same
URL and files), Celery workers that can be killed one by one, and the web server; all share the test database
and a media folder. Jobs are uploaded through the web server's JSON API with a real token; viewers are real
websocket clients that reconnect as the browser's viewer does. Heartbeat and sweep settings are tiny
(env vars), so that a dead worker is noticed in seconds."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from tests.conftest import ROOT, database_url_for_subprocess, free_port, wait_until
from webapp import embedded_redis
from webapp.run import web_command, worker_command

FAST_SWEEPS = {
    "POSENET_HEARTBEAT_INTERVAL_S": "1",
    "POSENET_HEARTBEAT_TIMEOUT_S": "4",
    "POSENET_SWEEP_INTERVAL_S": "1",
    "POSENET_REQUEUE_GRACE_S": "3",
    "POSENET_WARMUP": "false",  # a killed worker's replacement is ready sooner; jobs load the models themselves
}


def wait_for(predicate, timeout: float, what: str, logs=lambda: ""):
    value = wait_until(predicate, timeout)
    if not value:
        raise TimeoutError(f"{what}: not after {timeout} s\n{logs()}")
    return value


def children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class FaultStack:
    def __init__(self, tmp: Path, media: Path, env: dict | None = None, fast_sweeps: bool = True):
        self.tmp, self.media = tmp, media
        self.logs = tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_dir, self.redis_port = tmp / "redis", free_port()
        self.redis: embedded_redis.EmbeddedRedis | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.web: subprocess.Popen | None = None
        self.port = free_port()
        # FAST_SWEEPS unless the run sets them (e.g. the defaults, to measure what production would see);
        # fast_sweeps=False (tools/bench_viewers.py) keeps the production defaults, warm-up included
        fast = {k: v for k, v in FAST_SWEEPS.items() if k not in os.environ} if fast_sweeps else {}
        self.env = dict(os.environ, DATABASE_URL=database_url_for_subprocess(), DJANGO_MEDIA_ROOT=str(media),
                        DJANGO_DEBUG="true", PYTHONUNBUFFERED="1",
                        REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0", **fast, **(env or {}))

    def setting(self, name: str) -> int:
        return int(self.env[name])

    # --- Redis
    def start_redis(self) -> None:
        self.redis = embedded_redis.start(self.redis_dir, port=self.redis_port, persist=True)

    def stop_redis(self, kill: bool = False) -> None:
        if kill:
            self.redis.process.send_signal(signal.SIGKILL)
            self.redis.process.wait()
        else:
            self.redis.stop()

    # --- workers and web
    def start_worker(self, name: str, wait: bool = True) -> subprocess.Popen:
        log = self.logs / f"worker-{name}.log"
        proc = subprocess.Popen(worker_command() + ["--without-mingle", "--without-gossip", "-n", f"{name}@%h"],
                                cwd=ROOT, env=self.env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.workers[name] = proc
        if wait:
            wait_for(lambda: " ready." in log.read_text(errors="replace") or proc.poll() is not None, 120,
                     f"worker {name}", self.log_tail)
            assert proc.poll() is None, self.log_tail()
        return proc

    def start_web(self) -> None:
        self.web = subprocess.Popen(web_command("127.0.0.1", self.port), cwd=ROOT, env=self.env,
                                    stdout=open(self.logs / "web.log", "w"), stderr=subprocess.STDOUT)

        def up():
            try:
                return self.request("GET", "/accounts/login/")[0] == 200
            except OSError:
                assert self.web.poll() is None, self.log_tail()
                return False
        wait_for(up, 60, "the web server", self.log_tail)

    def worker_log(self, name: str) -> str:
        return (self.logs / f"worker-{name}.log").read_text(errors="replace")

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-4000:] for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        procs = [p for p in [self.web, *self.workers.values()] if p is not None and p.poll() is None]
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.redis is not None:
            self.redis.stop()
        artifacts = ROOT / "test-artifacts" / "logs" / self.tmp.name
        artifacts.mkdir(parents=True, exist_ok=True)
        for f in self.logs.glob("*.log"):
            (artifacts / f.name).write_bytes(f.read_bytes())

    # --- HTTP and websockets
    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()  # headers: case-insensitive
        finally:
            conn.close()

    def upload(self, token: str, video: Path) -> tuple[int, dict, dict]:
        """POST /api/jobs/ (multipart) through the web server; returns (status, headers, JSON body)."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"{video.name}\"\r\n"
                f"Content-Type: video/mp4\r\n\r\n").encode() + video.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        status, headers, raw = self.request("POST", "/api/jobs/", body, {
            "Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status, headers, json.loads(raw)

    def chunked_upload(self, token: str, video: Path) -> tuple[int, dict, dict, str]:
        """The resumable API (docs/api.md): create, one PATCH, finish. Returns the finish's (status,
        headers, JSON body) and the upload's URL."""
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        data = video.read_bytes()
        status, _, raw = self.request("POST", "/api/uploads/", json.dumps(
            {"filename": video.name, "size": len(data)}).encode(), auth)
        assert status == 201, raw
        upload = json.loads(raw)
        status, _, raw = self.request("PATCH", upload["url"], data, {
            "Authorization": f"Token {token}", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert status == 200, raw
        status, headers, raw = self.request("POST", upload["finish_url"], b"", auth)
        return status, headers, json.loads(raw), upload["url"]


class Viewer:
    """A job's live viewer: a websocket client in a thread that reconnects after a drop (as
    frontend/src/net/jobFeed.js does) until the job's final status. `connections` holds each
    connection's messages, in the order received, with the time each arrived."""

    def __init__(self, stack: FaultStack, job_id: int, cookie: str):
        self.url = f"ws://127.0.0.1:{stack.port}/ws/jobs/{job_id}/"
        self.origin, self.cookie = f"http://127.0.0.1:{stack.port}", cookie
        self.connections: list[list[tuple[float, dict]]] = []
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 600
        while not self.done.is_set() and time.monotonic() < deadline:
            received: list[tuple[float, dict]] = []
            try:
                with connect(self.url, origin=self.origin, additional_headers={"Cookie": self.cookie},
                             open_timeout=10) as ws:
                    self.connections.append(received)
                    while True:
                        message = json.loads(ws.recv(timeout=120))
                        received.append((time.monotonic(), message))
                        if message["type"] == "status" and message["status"] in ("succeeded", "failed", "cancelled"):
                            self.done.set()
                            return
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                time.sleep(0.5)

    def messages(self) -> list[tuple[float, dict]]:
        return [m for c in self.connections for m in c]

    def wait_for(self, predicate, timeout: float, what: str, logs=lambda: ""):
        """The arrival time of the first message matching predicate."""
        def seen():
            for t, m in self.messages():
                if predicate(m):
                    return t
            return None
        return wait_for(seen, timeout, what, logs)

    def frames_by_index(self, strict: bool = True) -> dict[int, list]:
        """Every frame (3D) received, keyed by index, de-duplicated as the viewer does. `strict` (one run
        of the job): each connection's chunks arrive once each, in order, and a frame that arrives again
        (a reconnect's replay) is identical; a re-run may recompute frames, so then the last one counts."""
        frames: dict[int, list] = {}
        for connection in self.connections:
            # provisional chunks (the first second's first look) are replaced by the final ones: not counted
            final = [m for _, m in connection if m["type"] == "frames" and not m.get("provisional")]
            starts = [m["start"] for m in final]
            if strict:
                assert starts == sorted(starts) and len(starts) == len(set(starts)), starts
            for m in final:
                for k, pose in enumerate(m["kp3d"]):
                    if strict:
                        assert frames.setdefault(m["start"] + k, pose) == pose, f"frame {m['start'] + k} changed"
                    frames[m["start"] + k] = pose
        return frames
