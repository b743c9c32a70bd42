"""Rotation helpers for the rig exporters, vectorised over frames: (T, 3, 3) matrices acting on
column vectors, angles in degrees, quaternions as (x, y, z, w) (glTF's order)."""
from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, 3) -> unit vectors (zero stays zero) and the norms (…)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0), n[..., 0]


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations taking unit vector a (3,) onto unit vectors b (T, 3): (T, 3, 3).
    Rodrigues with k = a × b: R = I + [k]x + [k]x² / (1 + a·b); antiparallel → 180° about an axis ⟂ a."""
    k = np.cross(a, b)
    c = b @ a
    K = np.zeros((len(b), 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    K -= K.transpose(0, 2, 1)
    flip = c < -1 + 1e-9
    R = np.eye(3) + K + (K @ K) / np.where(flip, 1.0, 1.0 + c)[:, None, None]
    if flip.any():
        n, _ = unit(np.cross(a, np.eye(3)[np.argmin(np.abs(a))]))
        R[flip] = 2 * np.outer(n, n) - np.eye(3)
    return R


def frame(primary: np.ndarray, secondary: np.ndarray, primary_axis: int = 1) -> np.ndarray:
    """Rotations (T, 3, 3) taking rest axis `primary_axis` (0 x, 1 y) exactly onto `primary` and the
    other of x/y towards `secondary` (orthogonalised); the third column completes a right-handed
    frame. A secondary parallel to the primary (degenerate) reuses the previous frame's (or, for
    the first frame, any perpendicular)."""
    p, _ = unit(primary)
    s, n = unit(secondary - np.sum(secondary * p, -1, keepdims=True) * p)
    for t in np.nonzero(n < 1e-6)[0]:
        ref = s[t - 1] if t > 0 else np.eye(3)[np.argmin(np.abs(p[t]))]
        s[t], _ = unit(ref - (ref @ p[t]) * p[t])
    x, y = (s, p) if primary_axis == 1 else (p, s)
    z = np.cross(x, y)
    return np.stack([x, y, z], -1)


def axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) about unit axes (T, 3) by angles (T,) in radians."""
    K = np.zeros((len(axis), 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    K -= K.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * K + (1 - c) * (K @ K)


def _axis_rot(axis: str, deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
    R[..., 3 - i - j, 3 - i - j] = 1
    R[..., i, i], R[..., j, j], R[..., i, j], R[..., j, i] = c, c, -s, s
    return R


def euler_zxy(R: np.ndarray) -> np.ndarray:
    """Angles (…, 3) in degrees, as (z, x, y), with R = Rz(z) @ Rx(x) @ Ry(y); x in [-90, 90]."""
    x = np.arctan2(R[..., 2, 1], np.hypot(R[..., 2, 0], R[..., 2, 2]))
    z = np.arctan2(-R[..., 0, 1], R[..., 1, 1])
    y = np.arctan2(-R[..., 2, 0], R[..., 2, 2])
    lock = np.hypot(R[..., 0, 1], R[..., 1, 1]) < 1e-9  # x = ±90°: only z ± y is defined; take y = 0
    z = np.where(lock, np.arctan2(R[..., 1, 0], R[..., 0, 0]), z)
    y = np.where(lock, 0.0, y)
    return np.degrees(np.stack([z, x, y], -1))


def from_euler_zxy(angles: np.ndarray) -> np.ndarray:
    return _axis_rot("Z", angles[..., 0]) @ _axis_rot("X", angles[..., 1]) @ _axis_rot("Y", angles[..., 2])


def quaternions(R: np.ndarray) -> np.ndarray:
    """(T, …, 3, 3) -> unit quaternions (T, …, 4) as (x, y, z, w), sign-continuous over the first
    axis (q and -q are the same rotation; a player interpolating between them would spin the bone)."""
    m = R.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], -1)
    pick = np.argmax(cand, -1)  # Shepperd: divide by the largest component (stable, 180° included)
    q = np.empty((len(m), 4))
    for k in range(4):
        i = pick == k
        a = m[i]
        if k == 0:
            r = np.sqrt(1 + tr[i]) * 2
            q[i] = np.stack([(a[:, 2, 1] - a[:, 1, 2]) / r, (a[:, 0, 2] - a[:, 2, 0]) / r,
                             (a[:, 1, 0] - a[:, 0, 1]) / r, r / 4], -1)
        elif k == 1:
            r = np.sqrt(1 + a[:, 0, 0] - a[:, 1, 1] - a[:, 2, 2]) * 2
            q[i] = np.stack([r / 4, (a[:, 0, 1] + a[:, 1, 0]) / r, (a[:, 0, 2] + a[:, 2, 0]) / r,
                             (a[:, 2, 1] - a[:, 1, 2]) / r], -1)
        elif k == 2:
            r = np.sqrt(1 - a[:, 0, 0] + a[:, 1, 1] - a[:, 2, 2]) * 2
            q[i] = np.stack([(a[:, 0, 1] + a[:, 1, 0]) / r, r / 4, (a[:, 1, 2] + a[:, 2, 1]) / r,
                             (a[:, 0, 2] - a[:, 2, 0]) / r], -1)
        else:
            r = np.sqrt(1 - a[:, 0, 0] - a[:, 1, 1] + a[:, 2, 2]) * 2
            q[i] = np.stack([(a[:, 0, 2] + a[:, 2, 0]) / r, (a[:, 1, 2] + a[:, 2, 1]) / r, r / 4,
                             (a[:, 1, 0] - a[:, 0, 1]) / r], -1)
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q = q.reshape(R.shape[:-2] + (4,))
    for t in range(1, len(q)):  # hemisphere continuity, per bone
        q[t] *= np.where(np.sum(q[t] * q[t - 1], -1, keepdims=True) < 0, -1.0, 1.0)
    return q
