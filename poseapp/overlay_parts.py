"""The overlay MP4 of a split video (poseapp/segments.py), drawn in parts by every worker.

Overlay part K covers the frames of part K of the split (20 s; the last part runs to the end).
Its frames are final once the job's frames log (frames.jsonl: the 2D and 3D the pipeline
streamed, which the result equals and a one-worker job draws too) reaches the part's end; the
last part's once the job's worker has written the frame count (`overlay_parts/frames`). A helper
with no 2D left to detect waits for the first unclaimed part's frames, claims it (segments.Parts'
claim files, in `overlay_parts/`) and draws it into K.mp4: an OverlayWriter that starts at the
part's first video frame, so each part is an H.264 stream of its own that starts with a keyframe,
all with the same encoder settings. The job's worker does the same in a thread while its pipeline
runs (its own 2D, or its waits for a helper's, leave it time), and after the pipeline draws every
part nobody claimed (from the last back), then any part whose helper failed or went quiet
(POSENET_SPLIT_STALE_S), and joins the parts with ffmpeg's concat demuxer (stream copy, no second
encode) into the job's MP4.

Every part is drawn from the frames log, whoever draws it, so a part redone by the job's worker is
the same file. The log rounds the 2D to 0.1 px and the 3D to 0.1 mm: sub-pixel differences from
the one-worker MP4, which is drawn from the unrounded frames.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings

from . import browser_copy, segments, stream
from .models import PoseJob

log = logging.getLogger(__name__)
FOLDER = "overlay_parts"
POLL_S = 0.5  # a helper's wait between looks at the frames log
CHUNK = 25    # frames drawn between two looks at the job (the heartbeat, the claim's refresh)


class FramesLog:
    """The job's frames log, read as it grows: frames [0, len(self)) in order."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0
        self.kp2d: list[np.ndarray] = []
        self.kp3d: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.kp2d)

    def update(self) -> int:
        chunks, self.offset = stream.read_frames_since(self.path, self.offset)
        for c in chunks:
            skip = len(self.kp2d) - c["start"]  # > 0: frames logged twice (never expected), kept once
            if skip < 0:
                raise RuntimeError(f"the frames log {self.path} has no frames {len(self.kp2d)}-{c['start'] - 1}")
            self.kp2d.extend(np.asarray(c["kp2d"], np.float32)[skip:])
            self.kp3d.extend(np.asarray(c["kp3d"], np.float32)[skip:])
        return len(self)

    def frames(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        return np.stack(self.kp2d[a:b]), np.stack(self.kp3d[a:b])


def part_span(k: int, count: int, per_part: int, total: int | None) -> tuple[int, int] | None:
    """Frames [a, b) of overlay part k of `count`, or None while not known (the last part before
    the frame count is). The container's frame count, which the part count came from, may be
    wrong: with fewer frames the last parts are empty (a == b), with more the last part is longer."""
    end = (k + 1) * per_part if k < count - 1 else None
    if total is not None:
        end = total if end is None else min(end, total)
    return None if end is None else (min(k * per_part, end), end)


class OverlayParts:
    """The overlay parts of one split job, as seen by one worker (the job's own or a helper)."""

    def __init__(self, job: PoseJob, count: int, info, source):
        from ml.segments import Plan

        self.parts = segments.Parts(job, count, folder=FOLDER)
        self.count, self.info, self.source = count, info, Path(source)
        self.per_part = Plan.for_fps(info.fps).frames  # ml.segments' plan: the same parts as the 2D's
        self.log = FramesLog(job.frames_log_path)
        self.here: list[int] = []  # the parts this worker drew
        self.current: int | None = None  # the part being drawn by take_parts()
        self._thread = None

    def start(self) -> None:
        """The job's worker, before the pipeline: the folder tells helpers to draw parts."""
        self.parts.dir.mkdir(parents=True, exist_ok=True)

    def set_total(self, frames: int) -> None:
        """The job's worker, once the pipeline is done: the last part's frames are final."""
        tmp = self.parts.dir / "frames.tmp"
        tmp.write_text(str(int(frames)))
        os.replace(tmp, self.parts.dir / "frames")

    def total(self) -> int | None:
        try:
            return int((self.parts.dir / "frames").read_text())
        except (OSError, ValueError):
            return None

    def ready(self, k: int) -> tuple[int, int] | None:
        """Part k's frames [a, b) once they are all in the log, else None."""
        span = part_span(k, self.count, self.per_part, self.total())
        if span is None:
            return None
        if len(self.log) < span[1]:
            self.log.update()
        return span if len(self.log) >= span[1] else None

    def draw(self, k: int, a: int, b: int, should_stop: Callable[[], bool]) -> bool:
        """Draw frames [a, b) into part k's MP4; False (and no file) if should_stop() said so."""
        from ml.export.overlay import OverlayWriter, detected_from_conf
        from ml.skeleton import JOINT_NAMES, PARENTS

        if a == b:
            return True  # an empty part (the video had fewer frames than its container said): no file
        writer = OverlayWriter(self.source, self.parts.path(k, "mp4"), width=self.info.width,
                               height=self.info.height, fps=self.info.fps, joint_names=JOINT_NAMES,
                               parents=PARENTS, start=a)
        try:
            for i in range(a, b, CHUNK):
                if should_stop():
                    writer.close()
                    return False
                kp2d, kp3d = self.log.frames(i, min(i + CHUNK, b))
                writer.add(kp2d, kp3d, detected_from_conf(kp2d))
        except BaseException:
            writer.close()
            raise
        writer.finish()
        return True

    def take_parts(self, stopped: Callable[[], bool], keeper: Callable[[int], Callable[[], bool]]) -> None:
        """Draw parts, the first unclaimed one as soon as its frames are final, until every part is
        claimed, the folder is gone (the overlay is done) or stopped() (looked at between parts).
        keeper(k): the should_stop() of drawing part k (a helper's also refreshes its claim)."""
        while not stopped():
            k = next((k for k in range(self.count) if not self.parts.claimed(k)), None)
            if k is None or not self.parts.dir.is_dir():
                return
            span = self.ready(k)
            if span is None:
                time.sleep(POLL_S)
                continue
            if not self.parts.claim(k, create=False):
                continue  # someone took it meanwhile
            self.current = k
            if not self.draw(k, *span, should_stop=keeper(k)):
                return
            self.here.append(k)
            self.current = None

    def start_drawing(self) -> None:
        """The job's worker, while the pipeline runs: draw parts in a thread as their frames become
        final, in the time this worker waits for a helper's 2D. The thread (and its encoder) run at
        the browser copy's niceness (poseapp/browser_copy.py): they must not slow this worker's 2D
        (the first frames), and sharing the core with the copy leaves overlay parts to helpers that
        have finished their 2D, where the copy could be done on no other core."""
        import threading

        self._no_more, self._abort = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._draw_in_background, daemon=True, name="overlay-parts")
        self._thread.start()

    def _draw_in_background(self) -> None:
        import threading

        try:  # Linux: a thread's niceness is its own, and the processes it starts inherit it
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), browser_copy.NICE)
        except (AttributeError, OSError):
            pass
        try:  # no database here (a thread of its own): the events say when to stop
            self.take_parts(lambda: self._no_more.is_set() or self._abort.is_set(),
                            keeper=lambda k: self._abort.is_set)
        except Exception:  # noqa: BLE001 - finish() draws the part again, and reports what fails then
            log.exception("overlay part %s failed in the background", self.current)

    def _stop_drawing(self, abort: bool, tick: Callable[[], None] | None = None) -> None:
        """Stop the thread: after the part it is drawing, or (abort) at once."""
        if self._thread is None:
            return
        (self._abort if abort else self._no_more).set()
        while self._thread.is_alive():
            if tick is not None:
                tick()
            self._thread.join(0.5)
        self._thread = None

    def close(self) -> None:
        """The job ended before finish(): stop drawing (the parts go with the job's files)."""
        self._stop_drawing(abort=True)

    def _draw_here(self, k: int, tick: Callable[[], None]) -> None:
        span = self.ready(k)
        if span is None:
            raise RuntimeError(f"overlay part {k}: its frames are not all in the frames log")
        self.draw(k, *span, should_stop=lambda: tick() or False)
        if k not in self.here:
            self.here.append(k)

    def finish(self, path: Path, tick: Callable[[], None]) -> Path:
        """The job's worker, after set_total(): draw the parts nobody claimed, wait for the others
        (redoing those whose helper failed or went quiet), join them into `path`."""
        from ml.export.overlay import join_parts

        self._stop_drawing(abort=False, tick=tick)
        # From the last part back: helpers take parts from the first on, as their frames become
        # final, so the two meet in the middle (a part the helpers are about to take stays theirs).
        for k in reversed(range(self.count)):
            if (k in self.parts.mine and k not in self.here) or self.parts.claim(k):
                self._draw_here(k, tick)
        for k in range(self.count):
            while k not in self.here and not self.parts.path(k, "mp4").exists() and not self._empty(k):
                failed = self.parts.path(k, "error")
                if failed.exists() or self.parts.claim_age(k) > settings.POSENET_SPLIT_STALE_S:
                    why = failed.read_text() if failed.exists() else "it went quiet"
                    log.warning("overlay part %s's helper (%s) did not draw it (%s); drawing it here",
                                k, self.parts.owner(k), why)
                    self._draw_here(k, tick)
                    break
                tick()
                time.sleep(segments.POLL_S)
        files = [self.parts.path(k, "mp4") for k in range(self.count) if not self._empty(k)]
        join_parts(files, path)
        shutil.rmtree(self.parts.dir, ignore_errors=True)
        return path

    def _empty(self, k: int) -> bool:
        span = part_span(k, self.count, self.per_part, self.total())
        return span is not None and span[0] == span[1]


def help_with_overlay(job: PoseJob, video: Path, info, count: int) -> None:
    """A helper with no 2D left: draw overlay parts, the first unclaimed one as soon as its frames
    are final, until every part is claimed or the job has ended."""
    overlay = OverlayParts(job, count, info, video)
    if not overlay.parts.dir.is_dir():
        return  # the job's worker draws the overlay itself (it had no helpers when it started)
    look = {"at": time.monotonic(), "gone": False}

    def job_ended() -> bool:
        if time.monotonic() - look["at"] > segments.TOUCH_S:
            look["at"], look["gone"] = time.monotonic(), segments.job_gone(job.pk)
        return look["gone"]

    try:
        overlay.take_parts(job_ended, keeper=lambda k: segments.ClaimKeeper(overlay.parts, k, job.pk))
    except Exception as exc:  # noqa: BLE001 - the job's worker draws the part instead
        log.warning("job %s: cannot draw overlay part %s (%s); the job's worker will", job.pk, overlay.current, exc)
        try:
            overlay.parts.write_error(overlay.current, str(exc))
        except (OSError, TypeError):
            pass  # the job has ended meanwhile (its folder is gone), or no part was being drawn
