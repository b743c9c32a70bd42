"""Inference API: lift a 2D keypoint sequence of any length to 3D with a saved checkpoint.

    lifter = Lifter.load(DEFAULT_CHECKPOINT)        # path alone suffices
    pose3d = lifter.lift(kp2d, width, height)       # (T,17,2) pixels -> (T,17,3) metres

Output frame: camera coordinates (x right, y down, z forward), metres, relative to the pelvis
(joint 0 is exactly 0). Deterministic for a given input (model in eval mode, no sampling), so
callers may lift overlapping slices with receptive_field // 2 frames of context per side.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import skeleton
from .cameras import normalize_screen
from .models import build_model

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "weights" / "lifter_default.pt"
CHECKPOINT_FORMAT = "3dposenet-lifter/1"


def window_starts(T: int, F: int, hop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plan centred windows for a sequence of T frames.

    The sequence is edge-padded by F//2 frames on the left; window k starts at padded index
    k*hop and is centred on original frame k*hop. Each frame t is predicted by the window
    whose centre is nearest (k = round(t / hop)), at position t - k*hop + F//2 within it.
    Returns (starts (K,), window index per frame (T,), position in window per frame (T,)).
    """
    half = F // 2
    t = np.arange(T)
    k = np.floor(t / hop + 0.5).astype(np.int64)
    K = int(k.max()) + 1
    starts = np.arange(K) * hop
    pos = t - starts[k] + half
    assert (pos >= 0).all() and (pos < F).all()
    return starts, k, pos


@torch.no_grad()
def predict_normalized(model: torch.nn.Module, x: np.ndarray, flip: bool = True, hop: int | None = None,
                       batch_size: int = 256, device="cpu") -> np.ndarray:
    """x (T, J, 2) normalised screen coordinates -> (T, J, 3) root-relative 3D."""
    assert x.ndim == 3 and x.shape[-1] == 2, x.shape
    F = model.receptive_field
    hop = hop or max(1, F // 3)
    T = len(x)
    starts, k, pos = window_starts(T, F, hop)
    half = F // 2
    need = int(starts[-1]) + F
    idx = np.clip(np.arange(need) - half, 0, T - 1)           # edge padding
    xp = torch.from_numpy(np.ascontiguousarray(x[idx], dtype=np.float32))
    wins = torch.stack([xp[s:s + F] for s in starts])          # (K, F, J, 2)
    outs = []
    for b in range(0, len(wins), batch_size):
        w = wins[b:b + batch_size].to(device)
        y = model(w)
        if flip:
            y = 0.5 * (y + skeleton.flip_pose(model(skeleton.flip_pose(w))))
        outs.append(y.float().cpu())
    y = torch.cat(outs).numpy()                                # (K, F, J, 3)
    return y[k, pos]


class Lifter:
    """A loaded lifting model plus its input normalisation."""

    def __init__(self, model: torch.nn.Module, meta: dict, device="cpu"):
        self.model = model.eval().to(device)
        self.meta = meta
        self.device = device
        self.receptive_field: int = int(model.receptive_field)
        self.name: str = meta.get("name") or f"{type(model).__name__} {self.receptive_field}f"
        norm = meta.get("normalization", {"type": "screen"})
        assert norm["type"] == "screen", norm

    @classmethod
    def load(cls, path=DEFAULT_CHECKPOINT, device="cpu") -> "Lifter":
        ckpt = load_checkpoint(path, device)
        model = build_model(ckpt["arch"], ckpt["model_config"])
        model.load_state_dict(ckpt["model"])
        meta = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "scheduler")}
        return cls(model, meta, device)

    def lift(self, kp2d: np.ndarray, width: int, height: int, conf: np.ndarray | None = None,
             flip: bool = True) -> np.ndarray:
        """kp2d (T,17,2) pixels, H36M-17 order, any T >= 1 -> (T,17,3) float32 metres, camera
        frame (x right, y down, z forward), pelvis at the origin.

        conf (T,17) optional: joints with confidence < 0.3 are replaced by linear interpolation
        in time from the nearest confident frames of the same joint (kept as given when a
        joint is never confident). flip: average with the mirrored input (test-time aug)."""
        kp = np.asarray(kp2d, np.float32)
        assert kp.ndim == 3 and kp.shape[1:] == (17, 2) and len(kp) >= 1, kp.shape
        if conf is not None:
            kp = fill_low_confidence(kp, np.asarray(conf, np.float32))
        x = normalize_screen(kp, float(width), float(height))
        y = predict_normalized(self.model, x, flip=flip, device=self.device)
        y[:, 0] = 0.0
        return y.astype(np.float32)

    @property
    def hop(self) -> int:
        """Window spacing used by lift(): each window predicts the `hop` frames nearest its centre."""
        return max(1, self.receptive_field // 3)

    @torch.no_grad()
    def lift_window(self, kp2d: np.ndarray, width: int, height: int, conf: np.ndarray | None = None,
                    flip: bool = True) -> np.ndarray:
        """Exactly one window, for streaming: kp2d (F,17,2) pixels with F == receptive_field ->
        (F,17,3) like lift(). A streaming caller keeps the `hop` frames nearest the centre, which
        is what lift() does with its overlapping windows, at 1/3 of the cost per frame."""
        kp = np.asarray(kp2d, np.float32)
        F = self.receptive_field
        assert kp.shape == (F, 17, 2), (kp.shape, F)
        if conf is not None:
            kp = fill_low_confidence(kp, np.asarray(conf, np.float32))
        w = torch.from_numpy(normalize_screen(kp, float(width), float(height)).astype(np.float32))[None]
        w = w.to(self.device)
        if flip:  # both views in one batch
            y = self.model(torch.cat([w, skeleton.flip_pose(w)]))
            y = 0.5 * (y[:1] + skeleton.flip_pose(y[1:]))
        else:
            y = self.model(w)
        y = y[0].float().cpu().numpy()
        y[:, 0] = 0.0
        return y.astype(np.float32)


def fill_low_confidence(kp: np.ndarray, conf: np.ndarray, thr: float = 0.3) -> np.ndarray:
    """Per joint, replace frames with conf < thr by interpolation over confident frames."""
    assert conf.shape == kp.shape[:2], (conf.shape, kp.shape)
    out = kp.copy()
    t = np.arange(len(kp))
    for j in range(kp.shape[1]):
        good = conf[:, j] >= thr
        if good.all() or not good.any():
            continue
        for c in range(kp.shape[2]):
            out[~good, j, c] = np.interp(t[~good], t[good], kp[good, j, c])
    return out


def load_checkpoint(path, device="cpu") -> dict:
    # weights_only: a checkpoint is tensors, numbers, strings and dicts; refusing pickled code means a
    # file from elsewhere (a model registered in the admin, a download) cannot run code on a worker.
    ckpt = torch.load(path, map_location=device, weights_only=True)
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a {CHECKPOINT_FORMAT} checkpoint")
    return ckpt
