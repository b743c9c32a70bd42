"""Video → 3D pipeline, streaming: decode → 2D detection → H36M-17 → gap filling → lifting → world frame.

Finished frames are handed to `on_frames` as soon as the lifter's right-hand context for them is
known (latency ≤ half the receptive field + one chunk), so a web client can watch the skeleton while
the rest of the video is still being processed. The CLI (ml.infer) and the Celery worker both call
`run_pipeline`; the result is one `PoseResult`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ml import video as video_io
from ml.result import PoseResult
from ml.skeleton import JOINT_NAMES, PARENTS, to_h36m

ProgressFn = Callable[[str, int, int], None]  # stage, done, total
FramesFn = Callable[[int, np.ndarray, np.ndarray], None]  # start, kp2d (n,17,3), kp3d (n,17,3)
L_ANKLE, R_ANKLE = 6, 3


class PipelineError(ValueError):
    """The video cannot be turned into 3D; the message is meant for the user."""


class Cancelled(Exception):
    """`should_stop()` returned True."""


@dataclass
class PipelineOptions:
    checkpoint: str | None = None  # lifter checkpoint path; None = the shipped default
    detector: str = "mediapipe"
    complexity: int = 1  # MediaPipe model complexity
    chunk_frames: int = 20  # frames per streamed chunk
    flip: bool = True  # flip test-time augmentation in the lifter
    progress_every: int = 5  # send detection progress every N frames


def camera_to_world(pose_cam: np.ndarray) -> np.ndarray:
    """(n,17,3) root-relative camera coords (x right, y down, z forward) → world frame, Y up.

    A 180° turn about X keeps the frame right-handed; then the lower ankle is put on the floor.
    """
    assert pose_cam.ndim == 3 and pose_cam.shape[-1] == 3, pose_cam.shape
    world = pose_cam * np.array([1.0, -1.0, -1.0], dtype=pose_cam.dtype)
    floor = np.minimum(world[:, L_ANKLE, 1], world[:, R_ANKLE, 1])  # (n,)
    world[:, :, 1] -= floor[:, None]
    return world


class _GapFiller:
    """Holds per-frame 2D (17,3) and fills frames without a detection once their neighbours are known.

    Frames [0, ready) are final. A missing frame becomes final when the next detection arrives
    (linear interpolation, confidence 0) or at the end of the video (last detection held).
    """

    def __init__(self):
        self.frames: list[np.ndarray | None] = []
        self.ready = 0
        self.last_detected = -1

    def add(self, kp: np.ndarray | None) -> None:
        i = len(self.frames)
        self.frames.append(kp)
        if kp is None:
            return
        prev = self.last_detected
        if prev < 0:
            for j in range(i):  # leading frames without a person: hold the first detection
                self.frames[j] = _no_conf(kp)
        else:
            for j in range(prev + 1, i):
                a = (j - prev) / (i - prev)
                self.frames[j] = _no_conf((1 - a) * self.frames[prev] + a * kp)
        self.last_detected = i
        self.ready = i + 1

    def finish(self) -> None:
        if self.last_detected < 0:
            return
        for j in range(self.last_detected + 1, len(self.frames)):
            self.frames[j] = _no_conf(self.frames[self.last_detected])
        self.ready = len(self.frames)


def _no_conf(kp: np.ndarray) -> np.ndarray:
    out = kp.copy()
    out[:, 2] = 0.0
    return out


def run_pipeline(
    video_path: Path,
    options: PipelineOptions | None = None,
    lifter=None,
    on_progress: ProgressFn | None = None,
    on_frames: FramesFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PoseResult:
    """Run the whole chain on one video. Raises video_io.VideoError / PipelineError with a user message."""
    from ml.detect import create_detector
    from ml.lift import DEFAULT_CHECKPOINT, Lifter

    options = options or PipelineOptions()
    on_progress = on_progress or (lambda *a: None)
    on_frames = on_frames or (lambda *a: None)
    should_stop = should_stop or (lambda: False)
    t_start = time.perf_counter()

    on_progress("decode", 0, 1)
    info = video_io.probe(video_path)
    if lifter is None:
        lifter = Lifter.load(options.checkpoint or DEFAULT_CHECKPOINT)
    pad = lifter.receptive_field // 2
    detector = create_detector(options.detector, options.complexity)
    total_hint = info.frame_count_hint
    on_progress("decode", 1, 1)

    filler = _GapFiller()
    detected: list[bool] = []
    kp3d_parts: list[np.ndarray] = []
    lifted = 0
    t_detect = t_lift = 0.0

    def lift_until(end: int, final: bool) -> None:
        nonlocal lifted, t_lift
        while lifted < end:
            stop = min(lifted + options.chunk_frames, end)
            if not final and stop - lifted < options.chunk_frames:
                return
            t0 = time.perf_counter()
            lo, hi = max(0, lifted - pad), min(filler.ready, stop + pad)
            kp2d = np.stack(filler.frames[lo:hi])  # (n,17,3)
            cam = lifter.lift(kp2d[..., :2], info.width, info.height, conf=kp2d[..., 2], flip=options.flip)
            world = camera_to_world(cam[lifted - lo: stop - lo])
            kp3d_parts.append(world)
            t_lift += time.perf_counter() - t0
            on_frames(lifted, np.stack(filler.frames[lifted:stop]), world)
            lifted = stop
            on_progress("lift", lifted, max(len(filler.frames), total_hint))

    try:
        t0 = time.perf_counter()
        for i, frame in enumerate(video_io.iter_frames(video_path)):
            if should_stop():
                raise Cancelled()
            det = detector(frame)
            kp = to_h36m(det.keypoints[None], detector.layout)[0] if det is not None else None
            filler.add(kp)
            detected.append(det is not None)
            if (i + 1) % options.progress_every == 0:
                on_progress("detect", i + 1, max(total_hint, i + 1))
            t_detect += time.perf_counter() - t0
            # Frames whose right-hand context (pad frames) is final can be lifted now.
            lift_until(filler.ready - pad, final=False)
            t0 = time.perf_counter()
        n = len(detected)
        if n == 0:
            raise PipelineError("No frames could be decoded from this video. The file may be damaged or empty.")
        on_progress("detect", n, n)
        if not any(detected):
            raise PipelineError(
                "No person was found in any frame of this video. Please upload a video in which one "
                "person is clearly visible (whole body, not too small)."
            )
        filler.finish()
        lift_until(n, final=True)
    finally:
        detector.close()

    total = time.perf_counter() - t_start
    return PoseResult(
        fps=info.fps, width=info.width, height=info.height,
        joint_names=list(JOINT_NAMES), parents=list(PARENTS),
        keypoints_2d=np.stack(filler.frames).astype(np.float32),
        keypoints_3d=np.concatenate(kp3d_parts).astype(np.float32),
        detected=np.array(detected, dtype=bool),
        model={"name": lifter.name, "checkpoint": str(getattr(lifter, "path", "")),
               "receptive_field": lifter.receptive_field},
        detector=detector.name,
        timings={"detect_s": round(t_detect, 3), "lift_s": round(t_lift, 3), "total_s": round(total, 3),
                 "frames": n, "fps": round(n / total, 2) if total > 0 else None},
        source_name=Path(video_path).name,
    )
