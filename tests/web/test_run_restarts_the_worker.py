"""`python -m webapp.run` (make run) starts a dead worker again (issue 13: a killed worker's job is run
again by the sweeper of the next worker), a dead web server and its dead private Redis too (issue 30),
and gives up on a process that keeps dying at once. Real processes: webapp.run's main() in a subprocess,
with stand-in commands for the worker and web server, and a real private Redis."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, wait_until

SUPERVISOR = """
import sys
import webapp.run as run
worker_script, web_script = sys.argv[1], sys.argv[2]
run.worker_command = lambda quiet=False: [sys.executable, "-c", worker_script]
run.web_command = lambda host, port, quiet=False: [sys.executable, "-c", web_script]
sys.exit(run.main())
"""
# Each "worker" writes its pid to a file of its own, then lives (or dies at once).
WORKER = "import os, sys, time; open(os.path.join({d!r}, str(os.getpid())), 'w').close(); time.sleep({life})"
WEB = "import os, sys, time; open(os.path.join({d!r}, 'web-' + str(os.getpid())), 'w').close(); time.sleep(600)"


def supervise(tmp_path: Path, worker_life_s: float, private_redis: bool = False) -> subprocess.Popen:
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:1/0")  # set: no private Redis is started
    if private_redis:
        del env["REDIS_URL"]
        env["POSENET_VAR_DIR"] = str(tmp_path / "var")
    worker = WORKER.format(d=str(tmp_path), life=worker_life_s)
    return subprocess.Popen([sys.executable, "-c", SUPERVISOR, worker, WEB.format(d=str(tmp_path))], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def workers_started(tmp_path: Path) -> list[int]:
    return sorted(int(p.name) for p in tmp_path.iterdir() if p.name.isdigit())


def web_servers_started(tmp_path: Path) -> list[int]:
    return sorted(int(p.name[4:]) for p in tmp_path.iterdir() if p.name.startswith("web-"))


def redis_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False



def test_a_killed_worker_is_started_again(tmp_path):
    supervisor = supervise(tmp_path, worker_life_s=600)
    try:
        assert wait_until(lambda: len(workers_started(tmp_path)) == 1, 20.0)
        first = workers_started(tmp_path)[0]
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: len(workers_started(tmp_path)) == 2, 20.0)
        assert supervisor.poll() is None  # still serving
    finally:
        supervisor.send_signal(signal.SIGTERM)
        out, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, out
    assert "The worker exited unexpectedly (code -9); starting it again." in out
    for pid in workers_started(tmp_path):  # the new worker was stopped with the rest
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]


def test_a_worker_that_keeps_dying_stops_everything(tmp_path):
    supervisor = supervise(tmp_path, worker_life_s=0)
    out, _ = supervisor.communicate(timeout=60)
    assert supervisor.returncode == 1, out
    assert "The worker keeps exiting" in out and len(workers_started(tmp_path)) == 3


def test_a_stopped_private_redis_and_a_killed_web_server_are_started_again(tmp_path):
    import psutil

    supervisor = supervise(tmp_path, worker_life_s=600, private_redis=True)
    try:
        assert wait_until(lambda: len(web_servers_started(tmp_path)) == 1, 30.0)
        redis = [p for p in psutil.Process(supervisor.pid).children() if "redis-server" in p.name()]
        assert len(redis) == 1
        port = redis[0].net_connections("inet")[0].laddr.port
        redis[0].terminate()  # SIGTERM: it used to stay defunct, and uploads got 503 until a restart by hand
        assert wait_until(lambda: not redis[0].is_running() or redis[0].status() == psutil.STATUS_ZOMBIE, 10.0)
        assert wait_until(lambda: redis_answers(port), 30.0)  # again, on the same port: the others reconnect
        os.kill(web_servers_started(tmp_path)[0], signal.SIGKILL)
        assert wait_until(lambda: len(web_servers_started(tmp_path)) == 2, 20.0)
        assert supervisor.poll() is None
    finally:
        supervisor.send_signal(signal.SIGTERM)
        out, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, out
    assert "The private Redis exited unexpectedly (code 0); starting it again." in out
    assert "The web server exited unexpectedly (code -9); starting it again." in out
    assert not redis_answers(port)  # stopped with the rest
