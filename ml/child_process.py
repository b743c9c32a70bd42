"""Child processes (ffmpeg) that die with the process that started them.

A worker killed with SIGKILL runs no cleanup, so its ffmpeg children (the browser copy, the overlay
encoder) would go on writing files for a job that is already being run again elsewhere. On Linux the
kernel can send the child a signal when its parent dies (prctl PR_SET_PDEATHSIG); `die_with_parent()`
builds the `preexec_fn` that asks for it. Elsewhere it only applies the niceness.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # looked up once, in the parent: the child between fork and exec does as little as it can


def die_with_parent(nice: int = 0):
    """A preexec_fn for subprocess.Popen: the child gets SIGKILL when this process dies (and runs at
    `nice`). Note the kernel ties it to the thread that starts the child: start children from a thread
    that lives as long as they should (the task's thread)."""
    parent = os.getpid()

    def preexec() -> None:
        if nice:
            try:
                os.nice(nice)
            except OSError:
                pass
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the parent died before the line above: do not outlive it
                os._exit(1)

    return preexec
