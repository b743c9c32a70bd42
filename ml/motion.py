"""More motion capture for training: takes of another skeleton (Bandai Namco dataset 2) filmed by
virtual cameras, as `ml.data.Sequence`s with their own source flag ("mocap", ml.data.SOURCES).

File (../shared/data/motion/bandai_namco_d2_h36m17.npz): one key per take `dataset-2_<content>_
<style>_<NNN>` -> float32 (T, 17, 3) world metres, **Y up**, 30 fps, plus `fps`, `up_axis`,
`units`, `joints`. Its 17 joints follow Human3.6M's order but are the Bandai skeleton's joints
(narrower hips, head == head end site), which is why the model is told the skeleton.

Each take is resampled to the lifter's 50 Hz, given a head-top above its head joint (the file's
joint 10 is the same point as joint 9), and filmed once by a fixed pinhole camera at a random
yaw around the person, at eye height, from far enough that a walk never reaches it. Training
re-films each window again from another viewpoint (ml.data.VirtualCameraConfig.mocap_prob).
Licence: CC BY-NC 4.0: weights trained on it inherit the non-commercial restriction.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .data import Sequence

SHARED_MOTION = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "motion" / "bandai_namco_d2_h36m17.npz"
SOURCE = "mocap"              # the 2D source name of these windows (ml.data.source_id -> 2)
TARGET_FPS = 50.0             # the lifter's training rate (Human3.6M)
FOCAL = 2.29                  # normalised focal length (Human3.6M's cameras: ~1145 px over 1000 px)
HEAD_TOP_M = 0.11             # head joint -> top of the head, along neck -> head (H36M: ~0.115 m)
TAKE_RE = re.compile(r"^dataset-2_(?P<content>.+)_(?P<style>[a-z]+)_(?P<num>\d+)$")
VAL_EVERY = 10                # held-out takes: numbered a multiple of this (ml.train's default too)


def val_seed(every: int) -> int:
    """The held-out takes' camera seed (ml.train's validation and ml.evaluate --motion film them alike)."""
    return 10_000 + every


def take_content(name: str) -> str:
    """'dataset-2_walk-turn-left_feminine_013' -> 'walk-turn-left'."""
    m = TAKE_RE.match(name)
    return m["content"] if m else name


def resolve_motion_path(path: str | Path | None) -> Path:
    """The given file, or the shared copy; a clear error when neither exists."""
    for c in ([Path(path)] if path else []) + [SHARED_MOTION]:
        if c.exists():
            return c
    raise FileNotFoundError(f"motion capture file not found: {path or SHARED_MOTION} "
                            "(give the path of bandai_namco_d2_h36m17.npz)")


def is_validation_take(name: str, every: int) -> bool:
    """Held-out takes: those whose number is a multiple of `every` (about 1 in `every` of each
    content and style), so validation covers every motion."""
    m = TAKE_RE.match(name)
    return bool(m) and every > 0 and int(m["num"]) % every == 0


def resample(pos: np.ndarray, fps: float, target: float = TARGET_FPS) -> np.ndarray:
    """(T, J, 3) at fps -> (T', J, 3) at target, linear interpolation in time."""
    T = len(pos)
    t_new = np.arange(0.0, (T - 1) / fps + 1e-9, 1.0 / target)
    src = t_new * fps
    i0 = np.minimum(np.floor(src).astype(int), T - 1)
    i1 = np.minimum(i0 + 1, T - 1)
    a = (src - i0)[:, None, None].astype(np.float32)
    return (1 - a) * pos[i0] + a * pos[i1]


def to_z_up(pos: np.ndarray) -> np.ndarray:
    """Y-up world (x, y, z) -> Z-up (x, -z, y), right-handed like Human3.6M's world."""
    return np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)


def add_head_top(pos: np.ndarray) -> np.ndarray:
    """Joint 10 (head top) placed HEAD_TOP_M beyond joint 9 along thorax(8) -> 9."""
    out = pos.copy()
    d = pos[:, 9] - pos[:, 8]
    out[:, 10] = pos[:, 9] + HEAD_TOP_M * d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-6)
    return out


def film(world: np.ndarray, yaw: float, height: float, distance: float):
    """World Z-up (T, 17, 3) -> camera-frame 3D (T, 17, 3) of a horizontal pinhole camera `distance`
    from the take's mean pelvis at azimuth `yaw` (radians), lens at `height` metres."""
    centre = world[:, 0].mean(0)
    centre[2] = height
    fwd = np.array([-np.cos(yaw), -np.sin(yaw), 0.0])            # camera looks at the person
    cam = centre - distance * fwd
    down = np.array([0.0, 0.0, -1.0])
    right = np.cross(down, fwd)                                  # x = y cross z (x right, y down, z forward)
    R = np.stack([right, down, fwd])                             # rows: camera axes in world
    return ((world - cam) @ R.T).astype(np.float32)


def load_motion_sequences(path=None, split: str = "train", val_every: int = 10, seed: int = 0,
                          limit: int = 0):
    """Bandai takes as filmed Sequences: split 'train' (all but the held-out takes) or 'val'.
    limit > 0 keeps only that many takes (tests, quick runs)."""
    assert split in ("train", "val"), split
    d = np.load(resolve_motion_path(path))
    fps = float(d["fps"])
    up = str(d["up_axis"]).lower()
    names = sorted(k for k in d.files if k.startswith("dataset-2_"))
    names = [k for k in names if is_validation_take(k, val_every) == (split == "val")]
    if limit:
        names = names[:limit]
    rng = np.random.default_rng(seed)
    seqs = []
    for name in names:
        pos = np.asarray(d[name], np.float32)
        assert pos.ndim == 3 and pos.shape[1:] == (17, 3), (name, pos.shape)
        world = add_head_top(to_z_up(pos) if up == "y" else pos)
        world = resample(world, fps)
        if len(world) < 2:
            continue
        extent = float(np.linalg.norm(world[:, 0, :2] - world[:, 0, :2].mean(0), axis=-1).max())
        X = film(world, rng.uniform(-np.pi, np.pi), rng.uniform(0.9, 1.7),
                 max(4.5, extent + 3.0) * rng.uniform(1.0, 1.3))
        root = X[:, 0].copy()
        rel = X - X[:, :1]
        kp2d = (FOCAL * X[..., :2] / X[..., 2:3]).astype(np.float32)
        seqs.append(Sequence("bandai", name, 0, rel.astype(np.float32), kp2d, 1000, 1000,
                             source=SOURCE, root=root, focal=FOCAL))
    if not seqs:
        raise ValueError(f"no {split} takes in {path or SHARED_MOTION}")
    return seqs
