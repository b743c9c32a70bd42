"""ffmpeg children die with the worker that started them (issue 13): a worker killed with SIGKILL
leaves no browser copy running on. A real parent process is killed; its real ffmpeg child, blocked
reading a FIFO (so it cannot simply have finished), must be gone."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

PARENT = """
import sys, time
from pathlib import Path
from poseapp.browser_copy import BrowserCopy
copy = BrowserCopy(sys.argv[1], Path(sys.argv[2]))
print(copy.proc.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("how", ["kill -9", "for comparison, a child started without it"])
def test_the_browser_copy_dies_with_a_killed_worker(tmp_path, how):
    fifo = tmp_path / "never-written.mp4"
    os.mkfifo(fifo)
    if how == "kill -9":
        parent = subprocess.Popen([sys.executable, "-c", PARENT, str(fifo), str(tmp_path / "video.mp4")], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)
    else:  # the same ffmpeg without die_with_parent: proves the check below can see a survivor
        parent = subprocess.Popen([sys.executable, "-c", PARENT.replace("from poseapp.browser_copy import BrowserCopy",
                                   "import poseapp.browser_copy as b; b.die_with_parent = lambda nice=0: None; "
                                   "BrowserCopy = b.BrowserCopy"), str(fifo), str(tmp_path / "video.mp4")],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        assert alive(child)
        time.sleep(0.3)
        assert alive(child)  # still waiting for its input
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        if how == "kill -9":
            assert not alive(child)
        else:
            assert alive(child)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)
