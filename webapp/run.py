"""`python -m webapp.run`: start Redis (private, unless REDIS_URL is set), a Celery worker and the
daphne web server; Ctrl-C stops everything this started. `make run` calls it after setup."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from webapp import embedded_redis

ROOT = Path(__file__).resolve().parent.parent


def worker_command() -> list[str]:
    # --pool=solo: torch in a forked prefork child can hang; one process per worker is the norm.
    return [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "pose,train",
            "--pool=solo", "--loglevel=INFO"]


def web_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "webapp.asgi:application"]


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    env = dict(os.environ)
    redis = None
    if not env.get("REDIS_URL"):
        redis = embedded_redis.start(ROOT / "var" / "redis")
        env["REDIS_URL"] = redis.url
        print(f"Started a private Redis at {redis.url} (files in var/redis)", flush=True)
    procs = [
        subprocess.Popen(worker_command(), cwd=ROOT, env=env),
        subprocess.Popen(web_command(host, port), cwd=ROOT, env=env),
    ]
    print(f"\n3DPoseNet is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for p in procs:
            if p.poll() is not None:
                print(f"A process exited unexpectedly ({' '.join(p.args[2:4])}, code {p.returncode}); stopping.")
                stopping, code = True, 1
        time.sleep(0.5)
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
