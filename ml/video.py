"""Reading videos with OpenCV: probing, frame iteration, clear errors for files that are not videos.

Container metadata lies (the skater clip claims 207 frames and decodes 185), so callers count what
they decode; `frame_count_hint` is only for progress bars.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np


class VideoError(ValueError):
    """The file cannot be used as a video; the message is meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    width: int  # after rotation metadata is applied
    height: int
    fps: float
    frame_count_hint: int  # from the container: may be wrong, 0 when unknown
    fps_known: bool = True  # False: the container gave no usable rate and fps is a 25.0 guess

    @property
    def known_fps(self) -> float | None:
        """The frame rate when the container gave one, else None (callers then assume nothing)."""
        return self.fps if self.fps_known else None


def _open(path: Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"The video file {path.name} does not exist.")
    if path.stat().st_size == 0:
        raise VideoError("The uploaded file is empty (0 bytes). Please upload the video again.")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(
            "This file is not a video we can read. Please upload a common video file (MP4, MOV, AVI, WebM)."
        )
    # OpenCV applies rotation metadata (phones) by default; keep it explicit.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def probe(path: Path) -> VideoInfo:
    """Open the video and decode its first frame; raise VideoError if that is not possible."""
    cap = _open(path)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise VideoError(
                "No frames could be decoded from this file: it is not a video, or it is damaged or empty."
            )
        fps = cap.get(cv2.CAP_PROP_FPS)
        # > 240: not a camera's rate but a container time base (e.g. 1000 for browser-recorded WebM).
        known = bool(np.isfinite(fps) and 0 < fps <= 240)
        if not known:
            fps = 25.0  # a common default for timings; the lifter then lifts the frames as they are
        hint = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        h, w = frame.shape[:2]
        return VideoInfo(width=w, height=h, fps=float(fps), frame_count_hint=max(hint, 0), fps_known=known)
    finally:
        cap.release()


def iter_frames(path: Path) -> Iterator[tuple[np.ndarray, float]]:
    """Yield (BGR frame (H, W, 3) uint8, timestamp in seconds) until the stream ends or stops decoding.

    Timestamps come from the container, so variable-frame-rate videos keep their real timing."""
    cap = _open(path)
    try:
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                return
            yield frame, cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
    finally:
        cap.release()


def iter_frames_from(path: Path, start: int = 0, want=None) -> Iterator[tuple[int, np.ndarray | None, float]]:
    """Yield (index, BGR frame or None, timestamp s) from frame `start` on. Frames for which
    `want(index)` is False are decoded but not converted (None), which is cheaper.

    Seeking lands on the exact frame for the containers we see (OpenCV decodes forward from the
    previous keyframe), but some files seek to a nearby frame. The landing frame's timestamp is
    checked against the rate, and on a mismatch decoding restarts from frame 0, skipping forward,
    so index i is always the i-th frame a plain decode gives."""
    cap = _open(path)
    try:
        i = 0
        if start > 0:
            fps = cap.get(cv2.CAP_PROP_FPS)
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            ok = cap.grab()
            t = cap.get(cv2.CAP_PROP_POS_MSEC)
            exact = ok and np.isfinite(fps) and 0 < fps <= 240 and abs(t - 1000.0 * start / fps) < 250.0 / fps
            if exact:
                i = start
                frame = cap.retrieve()[1] if want is None or want(i) else None
                yield i, frame, t / 1000.0
                i += 1
            elif not ok and start >= int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) > 0:
                return  # past the end the container gives (a detector process with nothing to do)
            else:
                cap.release()
                cap = _open(path)
        while True:
            if not cap.grab():
                return
            if i < start:
                i += 1
                continue
            frame = None
            if want is None or want(i):
                ok, frame = cap.retrieve()
                if not ok or frame is None:
                    return
            yield i, frame, cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            i += 1
    finally:
        cap.release()


def prefetch(iterator, size: int = 8):
    """Run `iterator` (e.g. video decoding) in a background thread, `size` items ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():  # never block forever: the consumer may have gone
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterator:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(exc)
            return
        put(done)

    threading.Thread(target=produce, daemon=True, name="decode").start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
