"""`python -m webapp.run`: start Redis (private, unless REDIS_URL is set), a Celery worker, the live
lifter (a Channels worker: poseapp/live_lifter.py) and the uvicorn web server; Ctrl-C stops everything this started. `make run` calls it after setup.

The private Redis keeps an append-only file in var/redis (POSENET_VAR_DIR/redis), so queued jobs survive
a restart. Every process this starts is supervised, as a container's restart policy would: one that
exits (killed, out of memory) is started again with a line saying so: Redis on the same port and
files (the worker and web server reconnect), the worker (its job is run again by the sweeper,
poseapp/sweeper.py, which every worker runs), the web server. One that keeps exiting within seconds of
starting stops everything."""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from webapp import embedded_redis

ROOT = Path(__file__).resolve().parent.parent
QUICK_DEATH_S = 30  # a worker that dies sooner than this after starting, MAX_QUICK_DEATHS times in a row, is broken
MAX_QUICK_DEATHS = 3


def var_dir() -> Path:
    return Path(os.environ.get("POSENET_VAR_DIR") or ROOT / "var")


def worker_command(quiet: bool = False) -> list[str]:
    """quiet (make run): warnings and errors only; the tests read the INFO lines ("ready.", "received")."""
    # --pool=solo: torch in a forked prefork child can hang; one process per worker is the norm.
    # --quiet (celery's global option): no start-up banner.
    from poseapp.queues import POSE_QUEUE, TRAIN_QUEUE

    return [sys.executable, "-m", "celery", "-A", "webapp", *(["--quiet"] if quiet else []), "worker", "-Q",
            f"{POSE_QUEUE},{TRAIN_QUEUE}", "--pool=solo", f"--loglevel={'WARNING' if quiet else 'INFO'}"]


def live_command() -> list[str]:
    """The live lifter (issue 31): a Channels worker on the live channel; torch loads on the first session."""
    from poseapp.queues import LIVE_CHANNEL

    return [sys.executable, str(ROOT / "manage.py"), "runworker", LIVE_CHANNEL]


def web_command(host: str, port: int, quiet: bool = False) -> list[str]:
    """uvicorn: it streams request bodies to the app (never holding one in memory, issue 30) and serves
    Channels' websockets. Behind a reverse proxy, POSENET_TRUSTED_PROXIES (its addresses, comma-separated)
    lets the client's own address come from X-Forwarded-For, so sign-in limits count per client."""
    trusted = os.environ.get("POSENET_TRUSTED_PROXIES", "").strip()
    proxy = ["--proxy-headers", "--forwarded-allow-ips", trusted] if trusted else ["--no-proxy-headers"]
    logs = ["--log-level", "warning", "--no-access-log"] if quiet else []
    return [sys.executable, "-m", "uvicorn", "webapp.asgi:application", "--host", host, "--port", str(port),
            "--http", "httptools", "--ws", "websockets-sansio", "--lifespan", "off", *proxy, *logs]


def local_site_env(env: dict) -> dict:
    """Settings for a site on this machine: DEBUG off unless asked for (a user sees the app's own error
    pages, never Django's debug pages or a traceback), plain http, and a secret key made once and kept
    in var/secret_key (sessions survive restarts)."""
    if "DJANGO_DEBUG" in env:
        return env
    out = dict(env, DJANGO_DEBUG="false", POSENET_LOCAL_HTTP="true")
    if not out.get("DJANGO_SECRET_KEY"):
        key_file = var_dir() / "secret_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(50))
        out["DJANGO_SECRET_KEY"] = key_file.read_text().strip()
    return out


class Supervised:
    """One child process kept running: started again when it exits (with a line saying so), unless it
    keeps exiting within QUICK_DEATH_S of starting, MAX_QUICK_DEATHS times in a row (then it is broken)."""

    def __init__(self, name: str, start, stop):
        self.name, self._start, self._stop = name, start, stop
        self.quick_deaths = 0
        self.handle = start()
        self.started = time.monotonic()

    def exit_code(self) -> int | None:
        return self.handle.poll() if isinstance(self.handle, subprocess.Popen) else self.handle.process.poll()

    def check(self) -> bool:
        """Start it again if it exited; False when it keeps exiting (the caller stops everything)."""
        code = self.exit_code()
        while code is not None:
            # only deaths soon after a start count, in a row; one after a long run starts the count again
            self.quick_deaths = self.quick_deaths + 1 if time.monotonic() - self.started < QUICK_DEATH_S else 0
            if self.quick_deaths >= MAX_QUICK_DEATHS:
                print(f"The {self.name} keeps exiting (code {code}); stopping.", flush=True)
                return False
            print(f"The {self.name} exited unexpectedly (code {code}); starting it again.", flush=True)
            self.started, code = time.monotonic(), None
            try:
                self.handle = self._start()
            except RuntimeError as exc:  # e.g. Redis could not start: counts as a quick death
                print(f"The {self.name} could not start: {exc}", flush=True)
                code = "none: it did not start"
        return True

    def stop(self) -> None:
        self._stop(self.handle)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# What `make run` keeps out of its output unless POSENET_VERBOSE is set (issue 33): Celery's warning
# about running as root (a developer's container), MediaPipe's and TensorFlow Lite's start-up notes
# (written by C++ to stderr: the worker's output goes through a filter for those).
QUIET_ENV = {"PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
             "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
NOISE = re.compile(r"^(W\d{4} |I\d{4} |INFO: Created TensorFlow Lite|WARNING: All log messages before absl)")


def start_filtered(cmd: list[str], env: dict) -> subprocess.Popen:
    """Start a child whose output lines are copied to ours, except the native libraries' notes (NOISE)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")

    def copy():
        for line in proc.stdout:  # drained to the end whatever happens to our output (the child never blocks)
            if not NOISE.match(line):
                try:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                except (OSError, ValueError):
                    pass
    threading.Thread(target=copy, daemon=True).start()
    return proc


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    quiet = not os.environ.get("POSENET_VERBOSE")
    env = local_site_env(dict(os.environ))
    if quiet:
        env = {**QUIET_ENV, **env}
    children: list[Supervised] = []
    if not env.get("REDIS_URL"):
        redis_dir = var_dir() / "redis"
        redis_port = embedded_redis.free_port()  # the same port after a restart: the others reconnect
        redis = Supervised("private Redis", lambda: embedded_redis.start(redis_dir, port=redis_port),
                           lambda r: r.stop())
        env["REDIS_URL"] = redis.handle.url
        children.append(redis)
        print(f"Started a private Redis at {redis.handle.url} (files, with its append-only file, in {redis_dir})",
              flush=True)
    children.append(Supervised("worker", lambda: start_filtered(worker_command(quiet), env) if quiet else
                               subprocess.Popen(worker_command(), cwd=ROOT, env=env), _terminate))
    children.append(Supervised("live lifter", lambda: start_filtered(live_command(), env) if quiet else
                               subprocess.Popen(live_command(), cwd=ROOT, env=env), _terminate))
    children.append(Supervised("web server", lambda: subprocess.Popen(web_command(host, port, quiet), cwd=ROOT,
                                                                      env=env), _terminate))
    print("Started a worker (it loads the models for a few seconds), the live lifter and the web server"
          + ("; POSENET_VERBOSE=1 shows their logs" if quiet else ""), flush=True)
    print(f"\n3DPoseNet is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        if not all(child.check() for child in children):
            stopping, code = True, 1
        time.sleep(0.5)
    for child in reversed(children):  # the web server and the worker first, Redis last
        child.stop()
    print("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
