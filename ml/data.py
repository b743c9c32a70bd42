"""Human3.6M data in VideoPose3D's npz layout: loading, ground-truth 2D by projection,
subject split, sequence-to-sequence window sampling and 2D augmentation.

Files (in --data-dir, the seed's `data/` layout, or ../shared/data/h36m):
  data_3d_h36m.npz               positions_3d: {subject: {action: (T, 32|17, 3) metres world}}
  data_2d_h36m_<keypoints>.npz   positions_2d: {subject: {action: [4 x (T, J, 2) pixels]}}
  cameras.json                   see ml/cameras.py
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import skeleton
from .cameras import load_cameras, normalize_screen

TRAIN_SUBJECTS = ["S1", "S5", "S6", "S7", "S8"]
TEST_SUBJECTS = ["S9", "S11"]  # S11 used where present
# The 17 of the original 32 H36M joints VideoPose3D keeps (static/duplicate joints removed).
H36M32_TO_17 = [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]
# 2D keypoint files and the layout of their joints.
KEYPOINT_LAYOUTS = {"sh_pt_mpii": "sh16", "sh_ft_h36m": "h36m17", "cpn_ft_h36m_dbb": "h36m17",
                    "detectron_ft_h36m": "h36m17"}
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "h36m"
# Test sequences whose mocap does not match their video (Iskakov et al. 2019 name parts of S9's
# 'Greeting', 'SittingDown' and 'Waiting'). Measured here: the Stacked Hourglass detections sit a
# median 29-52 px from the projected ground truth in these three, 7.5-13.5 px in every other S9
# sequence, and no time shift aligns them. The standard protocol keeps them (so do our headline
# figures); `ml.evaluate --exclude-corrupt` reports detector-input results without them.
# 2D sources as a model's source flag sees them (LSTMConfig.num_sources): projected ground truth, or
# any detector's output (its own joint definitions and errors).
# A third, "mocap", is projected motion capture of another skeleton (ml.motion: Bandai Namco's joints
# are not Human3.6M's), so the model learns its motion without learning its joint definitions.
SOURCES = ("gt", "detector", "mocap")


def source_id(keypoints: str) -> int:
    """'gt' -> 0, 'mocap' -> 2, any detection file ('sh_pt_mpii', ...) -> 1 (an index into SOURCES)."""
    return {"gt": 0, "mocap": 2}.get(keypoints, 1)


CORRUPT_GT = {("S9", "Greeting"), ("S9", "SittingDown 1"), ("S9", "Waiting 1")}


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The given directory if it holds data_3d_h36m.npz, else ../shared/data/h36m."""
    cands = [Path(data_dir)] if data_dir else []
    cands += [Path("data"), SHARED_DATA]
    for c in cands:
        if (c / "data_3d_h36m.npz").exists():
            return c
    raise FileNotFoundError(f"data_3d_h36m.npz not found in any of {[str(c) for c in cands]}")


def find_cameras(data_dir: Path) -> Path:
    for c in [data_dir / "cameras.json", SHARED_DATA / "cameras.json"]:
        if c.exists():
            return c
    raise FileNotFoundError(f"cameras.json not found in {data_dir} (nor {SHARED_DATA})")


def load_3d(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """positions_3d -> {subject: {action: (T, 17, 3) float32 world metres}}; 32-joint files
    are reduced to VideoPose3D's 17 joints."""
    raw = np.load(path, allow_pickle=True)["positions_3d"].item()
    out = {}
    for subj, acts in raw.items():
        out[subj] = {}
        for act, pos in acts.items():
            pos = np.asarray(pos, np.float32)
            if pos.shape[1] == 32:
                pos = pos[:, H36M32_TO_17]
            assert pos.shape[1:] == (17, 3), pos.shape
            out[subj][act] = pos
    return out


def load_2d(path: str | Path) -> tuple[dict, dict]:
    """positions_2d, metadata -> ({subject: {action: [cams x (T, J, 2)]}}, metadata)."""
    d = np.load(path, allow_pickle=True)
    meta = d["metadata"].item() if "metadata" in d.files else {}
    return d["positions_2d"].item(), meta


@dataclass
class Sequence:
    subject: str
    action: str
    camera: int
    pos3d: np.ndarray  # (T, 17, 3) camera coordinates, metres, root-relative (root = 0)
    kp2d: np.ndarray   # (T, 17, 2) normalised screen coordinates
    width: int
    height: int
    source: str = "gt"               # where the 2D comes from: "gt" (projected mocap) or a detector file
    root: np.ndarray | None = None   # (T, 3) camera-frame pelvis position, metres (virtual cameras)
    focal: float = 0.0               # focal length in normalised screen units (2 f / width)

    @property
    def action_group(self) -> str:
        """'Walking 1' -> 'Walking' (VideoPose3D's per-action grouping)."""
        return self.action.split(" ")[0]


def sources_of(keypoints: str) -> list[str]:
    """'sh_pt_mpii+gt' -> ['sh_pt_mpii', 'gt']: a training mixture of 2D sources (the first is the
    one validation reports)."""
    out = [k.strip() for k in keypoints.split("+") if k.strip()]
    if not out or len(set(out)) != len(out):
        raise ValueError(f"bad keypoints {keypoints!r}: give sources joined by '+', each once")
    return out


def load_sequences(data_dir, subjects, keypoints: str = "gt", action_filter=None,
                   cameras_path=None, exclude=()) -> list[Sequence]:
    """Every (subject, action, camera) sequence with camera-space root-relative 3D and
    normalised 2D: ground truth 2D by projection (with distortion) or detections.
    keypoints: one source, or a mixture 'sh_pt_mpii+gt' (each source's sequences, in turn).
    exclude: (subject, action) pairs to leave out (e.g. CORRUPT_GT)."""
    data_dir = resolve_data_dir(data_dir)
    sources = sources_of(keypoints)
    if len(sources) > 1:
        return [s for k in sources
                for s in load_sequences(data_dir, subjects, k, action_filter, cameras_path, exclude)]
    pos3d = load_3d(data_dir / "data_3d_h36m.npz")
    cams = load_cameras(cameras_path or find_cameras(data_dir))
    det = None
    if keypoints != "gt":
        det, meta = load_2d(data_dir / f"data_2d_h36m_{keypoints}.npz")
        layout = KEYPOINT_LAYOUTS.get(keypoints)
        if layout is None:
            layout = {16: "sh16", 17: "h36m17"}[int(meta.get("num_joints", 17))]
    seqs = []
    for subj in subjects:
        if subj not in pos3d:
            continue
        for act in sorted(pos3d[subj]):
            if action_filter and not any(act.startswith(a) for a in action_filter):
                continue
            if (subj, act) in exclude or det is not None and (subj not in det or act not in det[subj]):
                continue
            world = pos3d[subj][act]
            for ci, cam in enumerate(cams[subj]):
                X = cam.world_to_camera(world).astype(np.float32)
                if det is None:
                    uv = cam.project(X)
                else:
                    uv = skeleton.to_h36m(np.asarray(det[subj][act][ci], np.float32), layout)
                T = min(len(X), len(uv))
                X, uv = X[:T], uv[:T]
                root = X[:, 0].copy()
                X = X - X[:, :1]
                seqs.append(Sequence(subj, act, ci, X.astype(np.float32),
                                     normalize_screen(uv.astype(np.float32), cam.res_w, cam.res_h),
                                     cam.res_w, cam.res_h, source=keypoints, root=root,
                                     focal=float(2 * cam.f[0] / cam.res_w)))
    if not seqs:
        raise ValueError(f"no sequences for subjects {subjects} with keypoints {keypoints} in {data_dir}")
    return seqs


class WindowSampler:
    """Sequence-to-sequence training windows of `frames` frames.

    All sequences are concatenated once; an epoch takes windows every `stride` frames from a
    random offset (so successive epochs see different windows), plus the last window of each
    sequence; sequences shorter than the window are edge-padded and masked. Yields batches
    (x2d (B,F,17,2), y3d (B,F,17,3), mask (B,F), source (B,) int64: source_id of each window) as
    torch tensors.
    """

    def __init__(self, seqs: list[Sequence], frames: int, stride: int, batch_size: int,
                 shuffle: bool = True, seed: int = 0, virtual: "VirtualCameraConfig | None" = None,
                 pose_aug: "PoseAugConfig | None" = None):
        self.frames, self.stride, self.batch_size, self.shuffle = frames, stride, batch_size, shuffle
        self.x = np.concatenate([s.kp2d for s in seqs]).astype(np.float32)
        self.y = np.concatenate([s.pos3d for s in seqs]).astype(np.float32)
        self.src = np.concatenate([np.full(len(s.kp2d), source_id(s.source)) for s in seqs]).astype(np.int64)
        on = virtual is not None and (virtual.prob > 0 or virtual.mocap_prob > 0 and any(s.source == "mocap" for s in seqs))
        self.virtual = virtual if on else None
        self.pose_aug = pose_aug if pose_aug is not None and pose_aug.prob > 0 else None
        if self.virtual is not None:  # what re-projection needs, for projected (GT or mocap) frames only
            # per frame: the probability that a window starting there is filmed again (0: a detector's 2D)
            self.refilm_p = np.concatenate([np.full(len(s.kp2d), {"gt": virtual.prob, "mocap": virtual.mocap_prob}
                                                    .get(s.source, 0.0)) for s in seqs]).astype(np.float32)
            self.root = np.concatenate([s.root if s.root is not None else np.zeros((len(s.kp2d), 3))
                                        for s in seqs]).astype(np.float32)
            self.focal = np.concatenate([np.full(len(s.kp2d), s.focal) for s in seqs]).astype(np.float32)
        lens = np.array([len(s.kp2d) for s in seqs])
        self.starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        self.lens = lens
        self.rng = np.random.default_rng(seed)

    def _windows(self):
        F, out = self.frames, []
        for st, n in zip(self.starts, self.lens):
            off = int(self.rng.integers(self.stride)) if self.shuffle else 0
            local = list(range(off, max(n - F, 0) + 1, self.stride))
            if not local or local[-1] != max(n - F, 0):
                local.append(max(n - F, 0))
            out.extend((st, s, n) for s in local)
        out = np.array(out, dtype=np.int64)
        if self.shuffle:
            self.rng.shuffle(out)
        return out

    def __len__(self):
        n = sum(len(range(0, max(l - self.frames, 0) + 1, self.stride)) + 1 for l in self.lens)
        return math.ceil(n / self.batch_size)

    def __iter__(self):
        F = self.frames
        wins = self._windows()
        ar = np.arange(F)
        for b in range(0, len(wins), self.batch_size):
            w = wins[b:b + self.batch_size]
            local = w[:, 1:2] + ar[None]                      # (B, F)
            mask = local < w[:, 2:3]
            idx = w[:, 0:1] + np.minimum(local, w[:, 2:3] - 1)  # edge padding
            x, y = self.x[idx], self.y[idx]
            if self.virtual is not None:
                x, y = self._virtual_cameras(idx, x, y)
            yield torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask), torch.from_numpy(self.src[idx[:, 0]])

    def _virtual_cameras(self, idx, x, y):
        """Re-film a share of the projected windows from another viewpoint (see refilm), some of
        them with a changed pose first (ml.poseaug)."""
        vc = self.virtual
        pick = np.flatnonzero(self.rng.random(len(idx)) < self.refilm_p[idx[:, 0]])
        if len(pick) == 0:
            return x, y
        x, y = x.copy(), y.copy()
        n = len(pick)
        poses = y[pick]
        if self.pose_aug is not None:
            from .poseaug import augment_poses
            change = self.rng.random(n) < self.pose_aug.prob
            if change.any():
                poses = poses.copy()
                poses[change] = augment_poses(poses[change], self.pose_aug, self.rng)
        yaw = self.rng.uniform(-vc.yaw_deg, vc.yaw_deg, n)
        elevation = self.rng.uniform(vc.elevation_deg[0], vc.elevation_deg[1], n)
        dist = self.rng.uniform(vc.distance_scale[0], vc.distance_scale[1], n)
        x[pick], y[pick] = refilm(poses, self.root[idx[pick]], self.focal[idx[pick]][:, 0], yaw, elevation, dist)
        return x, y


def refilm(y: np.ndarray, root: np.ndarray, focal: np.ndarray, yaw_deg, elevation_deg, distance_scale):
    """Film windows of a person again from another viewpoint, as a pinhole camera (no distortion).

    y (n,F,J,3) root-relative camera-frame poses, root (n,F,3) their camera-frame pelvis positions,
    focal (n,) in normalised screen units; per window: the person turned by yaw about their vertical
    axis, the camera orbited up (+) or down by elevation around the window's mean root (broadcast and
    phone cameras sit higher or lower than Human3.6M's) and moved distance_scale x further.
    Returns (normalised 2D (n,F,J,2), root-relative 3D (n,F,J,3)) in the new camera's frame."""
    n = len(y)
    centre = root.mean(axis=1, keepdims=True)                     # (n, 1, 3)
    ray = centre[:, 0] / np.linalg.norm(centre[:, 0], axis=-1, keepdims=True)
    up = np.array([0.0, -1.0, 0.0], np.float32)                   # camera y points down
    side = np.cross(ray, up)
    side /= np.linalg.norm(side, axis=-1, keepdims=True)
    yaw = np.deg2rad(np.broadcast_to(np.asarray(yaw_deg, np.float64), (n,)))
    pitch = np.deg2rad(np.broadcast_to(np.asarray(elevation_deg, np.float64), (n,)))
    R = (axis_angle(side, pitch) @ axis_angle(np.broadcast_to(up, side.shape), yaw)).astype(np.float32)  # (n, 3, 3)
    dist = np.broadcast_to(np.asarray(distance_scale, np.float64), (n,))[:, None, None]
    rel = y + (root - centre)[:, :, None]                         # (n, F, J, 3) about the centre
    P = np.einsum("nij,nfkj->nfki", R, rel) + (centre * dist)[:, :, None]
    P[..., 2] = np.maximum(P[..., 2], 0.5)                        # never behind the camera
    f = np.asarray(focal, np.float64)[:, None, None, None]
    return (f * P[..., :2] / P[..., 2:3]).astype(np.float32), (P - P[:, :, :1]).astype(np.float32)


@dataclass
class VirtualCameraConfig:
    prob: float = 0.0                       # share of projected-GT windows re-filmed (0: off)
    mocap_prob: float = 1.0                 # share of motion-capture windows (ml.motion) re-filmed
    yaw_deg: float = 180.0                  # the person turned by up to this about their vertical axis
    elevation_deg: tuple = (-15.0, 35.0)    # camera orbit above (+) / below (-) Human3.6M's viewpoint
    distance_scale: tuple = (0.8, 2.5)      # camera distance x this (H36M: ~4-6 m)


def axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues: (..., 3) unit axes, (...) radians -> (..., 3, 3) rotation matrices (float64)."""
    k = np.asarray(axis, np.float64)
    K = np.zeros(k.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    K = K - np.swapaxes(K, -1, -2)
    a = np.asarray(angle, np.float64)[..., None, None]
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K


@dataclass
class AugmentConfig:
    flip: bool = True              # mirror x and swap left/right joints, p = 0.5
    noise_std: float = 0.006       # max per-window Gaussian 2D jitter (normalised units; 0.006 ~ 3 px at 1000 px)
    dropout_p: float = 0.03        # per joint-frame probability of a gross outlier (dropped/misplaced joint)
    dropout_std: float = 0.05      # outlier displacement std (normalised units)
    derived_offset_std: float = 0.01  # per-window constant offset of derived joints (spine, thorax, nose, head)
    scale_range: float = 0.15      # 2D scale factor in [1 - r, 1 + r] about the pelvis (any image size/distance)
    shift_std: float = 0.1         # translation of the whole 2D window (person anywhere in the frame)
    aug_prob: float = 0.8          # probability a window gets the noise/dropout/offset/scale augmentations


DERIVED_JOINTS = [7, 8, 9, 10]


def augment(x: torch.Tensor, y: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator | None = None):
    """Training augmentation on a batch x (B,F,J,2) normalised 2D, y (B,F,J,3) root-relative 3D."""
    B = x.shape[0]
    x, y = x.clone(), y.clone()
    if cfg.flip:
        f = torch.rand(B, generator=gen) < 0.5
        x[f] = skeleton.flip_pose(x[f])
        y[f] = skeleton.flip_pose(y[f])
    a = (torch.rand(B, 1, 1, 1, generator=gen) < cfg.aug_prob).float()
    if cfg.scale_range > 0 or cfg.shift_std > 0:
        s = 1 + cfg.scale_range * (2 * torch.rand(B, 1, 1, 1, generator=gen) - 1)
        root = x[:, :, :1]
        shift = cfg.shift_std * torch.randn(B, 1, 1, 2, generator=gen)
        x = x + a * ((s - 1) * (x - root) + shift)
    if cfg.noise_std > 0:
        sig = cfg.noise_std * torch.rand(B, 1, 1, 1, generator=gen)
        x = x + a * sig * torch.randn(x.shape, generator=gen)
    if cfg.derived_offset_std > 0:
        off = torch.zeros_like(x[:, :1])
        off[:, :, DERIVED_JOINTS] = cfg.derived_offset_std * torch.randn(B, 1, len(DERIVED_JOINTS), 2, generator=gen)
        x = x + a * off
    if cfg.dropout_p > 0:
        d = (torch.rand(x.shape[:3], generator=gen) < cfg.dropout_p).unsqueeze(-1).float()
        x = x + a * d * cfg.dropout_std * torch.randn(x.shape, generator=gen)
    return x, y
