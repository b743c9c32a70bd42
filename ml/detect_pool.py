"""Several 2D detector processes on one video: process p of P detects the segments k with
k % P == p (ml.segments), and the parent reads their records back in frame order.

The result equals a one-process run exactly (the segments make the detection independent of
who does it). Each child decodes the whole video (cheap next to detection: 190 vs 58 frames/s for
the skater clip on one core) and detects only its own segments, so the children never wait for
each other and nothing but small keypoint arrays crosses between processes. Children are spawned
(not forked: the parent has torch loaded) and kept for the next video, warm.
"""
from __future__ import annotations

import atexit
import os
import multiprocessing as mp
import queue
from itertools import count
from pathlib import Path
from typing import Callable, Iterator

from ml.segments import Plan, Record

BATCH = 8  # records per message: a frame reaches the parent within 8 frames of being detected
_tokens = count(1)


def _child_main(index: int, processes: int, tasks, results, stop, parent: int) -> None:
    import numpy as np

    from ml.detect import create_detector
    from ml.segments import detect_segments
    from ml.video import VideoError

    import os
    import queue as queue_mod

    def orphaned() -> bool:  # the worker died (kill -9): do not linger (not PR_SET_PDEATHSIG: the pool
        return os.getppid() != parent  # may be started from a thread, which the kernel would tie it to)

    pairs: dict = {}  # (name, complexity) -> two detectors, kept across videos
    while True:
        try:
            task = tasks.get(timeout=2.0)
        except queue_mod.Empty:
            if orphaned():
                break
            continue
        if task is None:
            break
        token, path, name, complexity, fps, stride = task
        plan = Plan.for_fps(fps)
        try:
            pair = pairs.get((name, complexity))
            if pair is None:
                pair = pairs[(name, complexity)] = [create_detector(name, complexity) for _ in range(2)]
            if path is None:  # warm-up: load the models now, not with the first video
                for d in pair:
                    d(np.zeros((720, 1280, 3), np.uint8))
                results.put((token, "end", None))
                continue
            batch = []
            for rec in detect_segments(Path(path), lambda k: k % processes == index, pair, fps, first=index, stride=stride,
                                       should_stop=lambda: stop.is_set() or orphaned()):
                batch.append(rec)
                if len(batch) >= BATCH or (rec.index + 1) % plan.frames == 0:
                    results.put((token, "records", batch))
                    batch = []
            if batch:
                results.put((token, "records", batch))
            results.put((token, "end", None))
        except VideoError as exc:  # the file: the user's to fix
            results.put((token, "error", ("video", str(exc))))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the job
            results.put((token, "error", ("internal", f"{type(exc).__name__}: {exc}")))
    for pair in pairs.values():
        for d in pair:
            d.close()


class DetectorPool:
    def __init__(self, processes: int):
        assert processes >= 2, processes
        ctx = mp.get_context("spawn")
        self.processes = processes
        self._stop = ctx.Event()
        self._tasks = [ctx.Queue() for _ in range(processes)]
        self._results = [ctx.Queue() for _ in range(processes)]
        self._procs = [ctx.Process(target=_child_main,
                                   args=(p, processes, self._tasks[p], self._results[p], self._stop, os.getpid()),
                                   daemon=True, name=f"detect-{p}") for p in range(processes)]
        for proc in self._procs:
            proc.start()

    def alive(self) -> bool:
        return all(p.is_alive() for p in self._procs)

    def records(self, path: Path, name: str, complexity: int, fps: float | None,
                should_stop: Callable[[], bool] | None = None, stride: int = 1) -> Iterator[Record]:
        """Every frame's record, in order. Stopping early (close the generator, or an error) stops
        the children and waits until they are free again."""
        from ml.video import VideoError

        token = next(_tokens)
        plan = Plan.for_fps(fps)
        self._stop.clear()
        for q in self._tasks:
            q.put((token, str(path), name, complexity, fps, stride))
        buffers: list[list[Record]] = [[] for _ in range(self.processes)]
        ended = [False] * self.processes
        try:
            i = 0
            while True:
                p = plan.segment_of(i) % self.processes
                while not buffers[p] and not ended[p]:
                    kind, payload = self._get(p, token)
                    if kind == "records":
                        buffers[p].extend(payload)
                    elif kind == "end":
                        ended[p] = True
                    else:
                        ended[p] = True
                        kind, message = payload
                        if kind == "video":
                            raise VideoError(message)
                        raise RuntimeError(f"a 2D detector process failed: {message}")
                if not buffers[p]:
                    return  # the owner of frame i decoded the whole video without it: the end
                rec = buffers[p].pop(0)
                assert rec.index == i, (rec.index, i)
                yield rec
                i += 1
        finally:
            self._stop.set()
            for p in range(self.processes):
                while not ended[p]:
                    kind, _ = self._get(p, token)
                    ended[p] = kind in ("end", "error")

    def warm(self, name: str, complexity: int) -> None:
        """Load the detectors in every child now (a worker's warm-up), and wait until they are."""
        token = next(_tokens)
        for q in self._tasks:
            q.put((token, None, name, complexity, None, 1))
        for p in range(self.processes):
            kind, payload = self._get(p, token)
            if kind == "error":
                raise RuntimeError(f"a 2D detector process failed to start: {payload[1]}")

    def _get(self, p: int, token: int):
        while True:
            try:
                tok, kind, payload = self._results[p].get(timeout=5.0)
            except queue.Empty:
                if not self._procs[p].is_alive():
                    raise RuntimeError("a 2D detector process stopped unexpectedly") from None
                continue
            if tok == token:
                return kind, payload

    def close(self) -> None:
        for q in self._tasks:
            q.put(None)
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


_pool: DetectorPool | None = None


def get_pool(processes: int) -> DetectorPool:
    """The process's pool of `processes` detector children (started once, restarted if one died)."""
    global _pool
    if _pool is not None and (_pool.processes != processes or not _pool.alive()):
        _pool.close()
        _pool = None
    if _pool is None:
        _pool = DetectorPool(processes)
        atexit.register(_pool.close)
    return _pool
