"""From the lifter's root-relative camera-space poses to clean world-space motion.

Per chunk of frames (so the web stream and the final result are the same numbers):
1. root trajectory: the camera-space root position that best explains the 2D keypoints under a
   pinhole camera with an assumed focal length (linear least squares, confidence-weighted);
2. camera → world (+Y up, right-handed), trajectory relative to the first frame;
3. optional One-Euro smoothing (causal, so chunk by chunk gives the same result as all at once);
4. fixed bone lengths: each pose is rebuilt from the root along the parents with the median length
   of every bone over the first lifter window (frozen then), keeping directions;
5. the lower ankle of each frame is put on the floor (y = 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.skeleton import PARENTS

L_ANKLE, R_ANKLE = 6, 3
FREEZE_LENGTHS_AFTER = 81  # frames, when the caller passes no lifter window
# Children before parents never happens in PARENTS (each parent index is smaller), so one pass rebuilds.
assert all(p < j for j, p in enumerate(PARENTS) if p >= 0)


def bone_lengths(pose: np.ndarray) -> np.ndarray:
    """(T,17,3) → (T,17) length of the bone from each joint to its parent (0 for the root)."""
    parents = np.array([max(p, 0) for p in PARENTS])
    return np.linalg.norm(pose - pose[:, parents], axis=-1)


def with_bone_lengths(pose: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rebuild (T,17,3) poses from the root with fixed per-bone `lengths` (17,), keeping directions."""
    assert pose.ndim == 3 and pose.shape[1:] == (17, 3) and lengths.shape == (17,)
    out = np.empty_like(pose)
    out[:, 0] = pose[:, 0]
    for j, p in enumerate(PARENTS):
        if p < 0:
            continue
        d = pose[:, j] - pose[:, p]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        d = np.where(n > 1e-9, d / np.maximum(n, 1e-9), np.array([0.0, 1.0, 0.0]))
        out[:, j] = out[:, p] + d * lengths[j]
    return out


def root_translation(pose_cam: np.ndarray, kp2d: np.ndarray, conf: np.ndarray, width: int, height: int,
                     focal: float | None = None) -> np.ndarray:
    """Camera-space root position per frame (T,3) from root-relative poses (T,17,3, camera frame, metres)
    and their 2D keypoints (T,17,2 pixels). Pinhole: u = f (X + tx) / (Z + tz) + cx, linear in t."""
    focal = focal or float(max(width, height))  # ~53° field of view: a typical camera
    cx, cy = width / 2.0, height / 2.0
    T = len(pose_cam)
    out = np.zeros((T, 3), np.float64)
    for t in range(T):
        w = np.sqrt(np.clip(conf[t], 0.05, 1.0))
        X, Y, Z = pose_cam[t, :, 0], pose_cam[t, :, 1], pose_cam[t, :, 2]
        du, dv = kp2d[t, :, 0] - cx, kp2d[t, :, 1] - cy
        zeros = np.zeros_like(du)
        A = np.concatenate([np.stack([np.full_like(du, focal), zeros, -du], 1),
                            np.stack([zeros, np.full_like(dv, focal), -dv], 1)])
        b = np.concatenate([du * Z - focal * X, dv * Z - focal * Y])
        ww = np.concatenate([w, w])
        sol, *_ = np.linalg.lstsq(A * ww[:, None], b * ww, rcond=None)
        out[t] = sol
    return out


class OneEuro:
    """One-Euro filter (Casiez et al. 2012) on arrays of any shape, applied frame after frame.

    min_cutoff (Hz): lower = smoother when still; beta: higher = less lag when moving fast."""

    def __init__(self, fps: float, min_cutoff: float = 1.5, beta: float = 0.3, d_cutoff: float = 1.0):
        self.fps, self.min_cutoff, self.beta, self.d_cutoff = fps, min_cutoff, beta, d_cutoff
        self.x = self.dx = None

    @staticmethod
    def _alpha(cutoff, fps):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau * fps)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.x is None:
            self.x, self.dx = x.copy(), np.zeros_like(x)
            return x.copy()
        dx = (x - self.x) * self.fps
        a_d = self._alpha(self.d_cutoff, self.fps)
        self.dx = a_d * dx + (1 - a_d) * self.dx
        cutoff = self.min_cutoff + self.beta * np.abs(self.dx)
        a = self._alpha(cutoff, self.fps)
        self.x = a * x + (1 - a) * self.x
        return self.x.copy()


SMOOTHING = {"none": None, "light": (1.5, 0.3), "strong": (0.6, 0.15)}


def jitter(pose: np.ndarray, fps: float) -> float:
    """Mean joint acceleration magnitude (m/s²) over (T,17,3): lower is smoother."""
    if len(pose) < 3:
        return 0.0
    acc = (pose[2:] - 2 * pose[1:-1] + pose[:-2]) * fps * fps
    return float(np.linalg.norm(acc, axis=-1).mean())


def bone_length_std_mm(pose: np.ndarray) -> float:
    """Mean over bones of the std over time of the bone length, in millimetres."""
    return float(bone_lengths(pose)[:, 1:].std(axis=0).mean() * 1000.0)


@dataclass
class WorldAligner:
    """Stateful chunk-by-chunk conversion of lifter output to the world frame (see module docstring)."""

    fps: float
    width: int
    height: int
    smoothing: str = "light"
    _lengths: list = field(default_factory=list)
    raw: list = field(default_factory=list)  # the lifter's root-relative poses, for quality figures
    _origin: np.ndarray | None = None
    _filter: OneEuro | None = None
    _frozen: np.ndarray | None = None

    def __post_init__(self):
        if self.smoothing not in SMOOTHING:
            raise ValueError(f"smoothing must be one of {sorted(SMOOTHING)}, got {self.smoothing!r}")
        params = SMOOTHING[self.smoothing]
        self._filter = OneEuro(self.fps, *params) if params else None

    def __call__(self, pose_cam: np.ndarray, kp2d: np.ndarray, window: np.ndarray | None = None) -> np.ndarray:
        """pose_cam (n,17,3) root-relative camera frame; kp2d (n,17,3) pixels + confidence → (n,17,3) world.
        window (F,17,3): the lifter's whole output window around this chunk, if available (more frames
        to measure bone lengths from)."""
        self.raw.append(pose_cam)
        root = root_translation(pose_cam, kp2d[..., :2], kp2d[..., 2], self.width, self.height)
        if self._origin is None:
            self._origin = root[0].copy()
        world = (pose_cam + (root - self._origin)[:, None, :]) * np.array([1.0, -1.0, -1.0])  # 180° about X
        if self._filter is not None:
            world = np.stack([self._filter(f) for f in world])
        # Smoothing moves joints independently, so bone lengths are fixed after it, from the root.
        world = with_bone_lengths(world, self._bone_lengths(pose_cam if window is None else window,
                                                            whole_window=window is not None))
        floor = np.minimum(world[:, L_ANKLE, 1], world[:, R_ANKLE, 1])
        world[:, :, 1] -= floor[:, None]
        return world.astype(np.float32)

    def _bone_lengths(self, observed: np.ndarray, whole_window: bool = False) -> np.ndarray:
        """Median bone lengths of the frames seen so far, frozen at the first whole lifter window (a
        window spans the model's receptive field in time, whatever the video's frame rate) or once
        FREEZE_LENGTHS_AFTER frames are in: one skeleton for the whole video."""
        if self._frozen is None:
            self._lengths.append(bone_lengths(observed))
            seen = np.concatenate(self._lengths)
            if whole_window or len(seen) >= FREEZE_LENGTHS_AFTER:
                self._frozen = np.median(seen, axis=0)
            return np.median(seen, axis=0)
        return self._frozen


def quality(raw_root_relative: np.ndarray, world: np.ndarray, fps: float) -> dict:
    """Jitter (m/s²) and bone-length std (mm) of the lifter's raw output and of the final motion,
    both root-relative so the root trajectory does not count as jitter."""
    final = world - world[:, :1]
    return {"jitter_raw": round(jitter(raw_root_relative, fps), 3), "jitter": round(jitter(final, fps), 3),
            "bone_length_std_mm_raw": round(bone_length_std_mm(raw_root_relative), 3),
            "bone_length_std_mm": round(bone_length_std_mm(final), 3)}
