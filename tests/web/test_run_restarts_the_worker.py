"""`python -m webapp.run` (make run) starts a dead worker again (issue 13: a killed worker's job is run
again by the sweeper of the next worker), and gives up on a worker that keeps dying at once. Real
processes: webapp.run's main() in a subprocess, with stand-in commands for the worker and web server."""
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
run.worker_command = lambda: [sys.executable, "-c", worker_script]
run.web_command = lambda host, port: [sys.executable, "-c", web_script]
sys.exit(run.main())
"""
# Each "worker" writes its pid to a file of its own, then lives (or dies at once).
WORKER = "import os, sys, time; open(os.path.join({d!r}, str(os.getpid())), 'w').close(); time.sleep({life})"
WEB = "import time; time.sleep(600)"


def supervise(tmp_path: Path, worker_life_s: float) -> subprocess.Popen:
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:1/0")  # set: no private Redis is started
    worker = WORKER.format(d=str(tmp_path), life=worker_life_s)
    return subprocess.Popen([sys.executable, "-c", SUPERVISOR, worker, WEB], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def workers_started(tmp_path: Path) -> list[int]:
    return sorted(int(p.name) for p in tmp_path.iterdir() if p.name.isdigit())



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
