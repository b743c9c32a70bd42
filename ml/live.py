"""Live lifting (issue 31): 3D for each camera frame as its 2D arrives, with a short look-ahead.

    live = LiveLifter(lifter, width, height, fps=30)
    for kp33 in frames:                        # BlazePose-33 (33, 3): pixels + visibility, as the browser sends
        out = live.push(kp33)                  # None for the first `look_ahead` frames, then the frame
        if out: show(out.index, out.world)     # `look_ahead` frames back, (17, 3) metres, world frame (+Y up)

The offline lifter reads a frame at the centre of its window, 0.8 s of future included; live, the same
window ends `look_ahead` frames after the frame it answers for, so a frame's 3D waits look_ahead / fps
seconds for the future it needs (LIVE_LOOK_AHEAD_S: 0.1 s, a few frames of a webcam). The window is
shown to the lifter the video pipeline's way (ml.lift.lift_shown_window: re-framed as Human3.6M films a
person, unseen legs guessed standing, brief left/right swaps undone) and placed in the world by the
pipeline's WorldAligner one frame at a time (root, upright camera, one skeleton, smoothing within the
window, feet on the floor), which is causal. What the pipeline does with a longer look-ahead (the
facing from the face points, scene cuts) is left to the offline pass of a recorded take.

Accuracy (S9, `python -m ml.evaluate ... --look-ahead FRAMES`) and speed (`python -m ml.bench live`):
ml/RESULTS.md.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .lift import Lifter, lift_shown_window
from .postprocess import WorldAligner, visible_joints
from .skeleton import BLAZEPOSE_POINTS, NUM_JOINTS, to_h36m

LIVE_LOOK_AHEAD_S = 0.1     # the future a frame waits for (seconds): latency against accuracy, ml/RESULTS.md


@dataclass
class LiveFrame:
    index: int            # which pushed frame this is (0 = the first)
    world: np.ndarray     # (17, 3) metres, world frame (+Y up, feet on the floor at 0)
    cam: np.ndarray       # (17, 3) the lifter's root-relative camera-frame pose
    kp2d: np.ndarray      # (17, 3) its 2D (pixels + confidence), H36M-17, as the lifter saw it


def blazepose_to_h36m(kp33: np.ndarray) -> np.ndarray:
    """(33, 3) or (T, 33, 3) BlazePose pixels + visibility -> H36M-17 pixels + confidence."""
    kp = np.asarray(kp33, np.float32)
    assert kp.shape[-2:] == (BLAZEPOSE_POINTS, 3), kp.shape
    return to_h36m(kp, "blazepose33").astype(np.float32)


class LiveLifter:
    """One live session's lifting state: the last window of 2D, the world alignment."""

    def __init__(self, lifter: Lifter, width: int, height: int, fps: float,
                 look_ahead_s: float = LIVE_LOOK_AHEAD_S, flip: bool = True, smoothing: str = "light",
                 height_m: float | None = None):
        assert width > 0 and height > 0 and fps > 0, (width, height, fps)
        self.lifter, self.width, self.height, self.fps, self.flip = lifter, width, height, float(fps), flip
        self.F = lifter.window_frames(self.fps)
        self.look_ahead = int(min(max(0, round(look_ahead_s * self.fps)), self.F // 2))
        self.window: deque[np.ndarray] = deque(maxlen=self.F)   # the last F frames, (17, 3) each
        self.pushed = 0
        self.aligner = WorldAligner(self.fps, width, height, smoothing, height_m)

    @property
    def latency_s(self) -> float:
        """How long a frame's 3D waits for its future (the look-ahead), in seconds."""
        return self.look_ahead / self.fps

    def push(self, kp: np.ndarray, layout: str = "blazepose33", lift: bool = True) -> LiveFrame | None:
        """One frame's 2D: (33, 3) BlazePose or (17, 3) H36M-17 (layout="h36m17") pixels + confidence.
        Returns the frame `look_ahead` frames back, lifted and placed; None until there is one.
        lift=False: only keep the 2D for the window (a server behind: that frame gets no 3D)."""
        kp = blazepose_to_h36m(kp) if layout == "blazepose33" else np.asarray(kp, np.float32)
        assert kp.shape == (NUM_JOINTS, 3), kp.shape
        self.window.append(kp)
        self.pushed += 1
        index = self.pushed - 1 - self.look_ahead
        if index < 0 or not lift:
            return None
        frames = list(self.window)
        window = np.stack([frames[0]] * (self.F - len(frames)) + frames)   # (F, 17, 3), edge-padded before
        window_kp, cam = lift_shown_window(self.lifter, window, self.width, self.height, self.fps, self.flip)
        pos = self.F - 1 - self.look_ahead                                   # the frame answered for
        seen = visible_joints(window_kp, self.width, self.height)
        world = self.aligner(cam[pos:pos + 1], window_kp[pos:pos + 1], window=cam, window_seen=seen,
                             offset=pos, window_kp2d=window_kp)
        return LiveFrame(index, world[0], cam[pos], window_kp[pos])


def take_records(path) -> list:
    """A live take kept without its video (take.npz: "t" (T,) seconds, "kp" (T,33,3) BlazePose pixels +
    visibility, NaN rows where no person was seen) -> ml.segments Records, the 2D the pipeline lifts
    instead of detecting again (the browser ran the same BlazePose)."""
    from .facing import face_points
    from .segments import Record

    with np.load(path) as take:
        t, kp33 = take["t"], take["kp"]
    return [Record(i, float(ts), None, False) if np.isnan(k).any() else
            Record(i, float(ts), blazepose_to_h36m(k), False, face=face_points(k, "blazepose33"))
            for i, (ts, k) in enumerate(zip(t, kp33))]
