"""`python -m webapp.run`: start Redis (private, unless REDIS_URL is set), a Celery worker and the
daphne web server; Ctrl-C stops everything this started. `make run` calls it after setup.

The private Redis keeps an append-only file in var/redis (POSENET_VAR_DIR/redis), so queued jobs survive
a restart. A worker that dies (killed, out of memory) is started again, as a container's restart policy
would; its job is run again by the sweeper (poseapp/sweeper.py), which every worker runs. A worker that
keeps dying within seconds of starting, or a web server that exits, stops everything."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from webapp import embedded_redis

ROOT = Path(__file__).resolve().parent.parent
QUICK_DEATH_S = 30  # a worker that dies sooner than this after starting, MAX_QUICK_DEATHS times in a row, is broken
MAX_QUICK_DEATHS = 3


def var_dir() -> Path:
    return Path(os.environ.get("POSENET_VAR_DIR") or ROOT / "var")


def worker_command() -> list[str]:
    # --pool=solo: torch in a forked prefork child can hang; one process per worker is the norm.
    return [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "pose,train",
            "--pool=solo", "--loglevel=INFO"]


def web_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "webapp.asgi:application"]


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


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    env = local_site_env(dict(os.environ))
    redis = None
    if not env.get("REDIS_URL"):
        redis = embedded_redis.start(var_dir() / "redis")
        env["REDIS_URL"] = redis.url
        print(f"Started a private Redis at {redis.url} (files, with its append-only file, in {var_dir() / 'redis'})",
              flush=True)
    worker = subprocess.Popen(worker_command(), cwd=ROOT, env=env)
    worker_started, quick_deaths = time.monotonic(), 0
    web = subprocess.Popen(web_command(host, port), cwd=ROOT, env=env)
    print(f"\n3DPoseNet is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        if web.poll() is not None:
            print(f"The web server exited unexpectedly (code {web.returncode}); stopping.", flush=True)
            stopping, code = True, 1
        elif worker.poll() is not None and not stopping:
            quick_deaths = quick_deaths + 1 if time.monotonic() - worker_started < QUICK_DEATH_S else 1
            if quick_deaths >= MAX_QUICK_DEATHS:
                print(f"The worker keeps exiting (code {worker.returncode}); stopping.", flush=True)
                stopping, code = True, 1
            else:
                print(f"The worker exited unexpectedly (code {worker.returncode}); starting it again.", flush=True)
                worker = subprocess.Popen(worker_command(), cwd=ROOT, env=env)
                worker_started = time.monotonic()
        time.sleep(0.5)
    procs = [worker, web]
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    if redis:
        redis.stop()
    print("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
