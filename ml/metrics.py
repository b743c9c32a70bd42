"""Human3.6M evaluation metrics (inputs (N, J, 3) or (..., J, 3), same units as returned).

P1  MPJPE    mean per-joint position error (after root alignment, done by the caller/models)
P2  P-MPJPE  MPJPE after a per-frame similarity (Procrustes) alignment to the ground truth
    N-MPJPE  MPJPE after the optimal per-frame scale only
    MPJVE    mean per-joint velocity error (first differences along time, per frame)
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch


def mpjpe(pred, gt):
    """Mean Euclidean distance per joint (numpy or torch)."""
    if isinstance(pred, torch.Tensor):
        return torch.linalg.norm(pred - gt, dim=-1).mean()
    return float(np.linalg.norm(pred - gt, axis=-1).mean())


def p_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Procrustes-aligned MPJPE: rotation, uniform scale and translation fitted per frame."""
    pred = pred.reshape(-1, *pred.shape[-2:]).astype(np.float64)
    gt = gt.reshape(-1, *gt.shape[-2:]).astype(np.float64)
    mu_x, mu_y = gt.mean(1, keepdims=True), pred.mean(1, keepdims=True)
    X0, Y0 = gt - mu_x, pred - mu_y
    nx = np.sqrt((X0 ** 2).sum((1, 2), keepdims=True))
    ny = np.sqrt((Y0 ** 2).sum((1, 2), keepdims=True))
    X0, Y0 = X0 / nx, Y0 / ny
    H = X0.transpose(0, 2, 1) @ Y0
    U, s, Vt = np.linalg.svd(H)
    V = Vt.transpose(0, 2, 1)
    R = V @ U.transpose(0, 2, 1)
    # Avoid reflections: flip the last singular vector when det(R) < 0.
    sign = np.sign(np.linalg.det(R))[:, None]
    V[:, :, -1] *= sign
    s[:, -1] *= sign[:, 0]
    R = V @ U.transpose(0, 2, 1)
    tr = s.sum(1)[:, None, None]
    a = tr * nx / ny                           # scale
    t = mu_x - a * (mu_y @ R)
    aligned = a * (pred @ R) + t
    return float(np.linalg.norm(aligned - gt, axis=-1).mean())


def n_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after the least-squares per-frame scale of the prediction."""
    num = (pred * gt).sum((-1, -2), keepdims=True)
    den = (pred * pred).sum((-1, -2), keepdims=True)
    return mpjpe(num / np.maximum(den, 1e-12) * pred, gt)


def mpjve(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint velocity error over a sequence (T, J, 3), per frame (units / frame)."""
    if len(pred) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(pred, axis=0) - np.diff(gt, axis=0), axis=-1).mean())


METRICS = ("p1", "p2", "n", "vel", "facing_med", "facing_over")


def action_table(rows: list[dict]) -> dict:
    """rows: one per sequence with keys action (group name), frames, p1, p2, n, vel (mm) and
    optionally facing_med (degrees), facing_over (% of frames over 45 degrees).
    Per action: frame-weighted means over its sequences; overall: the mean over actions
    (VideoPose3D's protocol averages the per-action errors)."""
    keys = [m for m in METRICS if rows and all(m in r for r in rows)]
    acc = defaultdict(lambda: defaultdict(float))
    for r in rows:
        a = acc[r["action"]]
        a["frames"] += r["frames"]
        for m in keys:
            a[m] += r[m] * r["frames"]
    table = {}
    for act in sorted(acc):
        a = acc[act]
        table[act] = {m: a[m] / a["frames"] for m in keys} | {"frames": int(a["frames"])}
    avg = {m: float(np.mean([t[m] for t in table.values()])) for m in keys}
    avg["frames"] = int(sum(t["frames"] for t in table.values()))
    return {"actions": table, "average": avg}
