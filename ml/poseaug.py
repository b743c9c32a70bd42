"""Poses Human3.6M never had, made from the ones it has (the idea of PoseAug, Gong et al. 2021):
per window, limbs swung about their joints within anatomical limits, knees and elbows bent
further, and bone lengths changed, before a virtual camera films the window (ml.data.refilm).

Everything works on root-relative 3D windows y (n, F, 17, 3) in a camera frame (any rotation):
the body's own axes are found per frame (lateral = right hip -> left hip, up = pelvis -> thorax),
so a swing "forward" is forward for the body whichever way it faces. One random draw per window
and limb, held over the window's frames, so the motion stays smooth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import skeleton
from .data import axis_angle

# Limbs: (the pivot, the joints that swing about it).
LEGS = [(1, [2, 3]), (4, [5, 6])]          # knee and ankle about the hip
ARMS = [(11, [12, 13]), (14, [15, 16])]    # elbow and wrist about the shoulder
# (distal, hinge, proximal, sign): ankle/knee/hip bend backwards, wrist/elbow/shoulder forwards (the
# sign picks the way a straight limb bends: about +lateral the shank goes back, about -lateral the forearm forward).
HINGES = [(3, 2, 1, 1.0), (6, 5, 4, 1.0), (13, 12, 11, -1.0), (16, 15, 14, -1.0)]


@dataclass
class PoseAugConfig:
    prob: float = 0.0               # share of re-filmed windows whose pose is changed (0: off)
    leg_swing_deg: tuple = (-70.0, 80.0)   # hip flexion (+ forward kick, - arabesque) about the lateral axis
    leg_abduct_deg: float = 35.0    # hip abduction/adduction about the forward axis, +-
    arm_swing_deg: float = 70.0     # shoulder rotation about a random axis, +-
    extra_bend_deg: float = 60.0    # knees and elbows bent up to this much further
    max_bend_deg: float = 150.0     # never bent beyond this (hinge angle from straight)
    bone_scale: float = 0.12        # each bone (left/right alike) x a factor in [1 - s, 1 + s]
    limb_prob: float = 0.5          # each limb changed with this probability in a chosen window


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-8)


def _rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """v (..., 3) turned about unit axis (..., 3) by angle (...) radians (shapes broadcast)."""
    return np.einsum("...ij,...j->...i", axis_angle(axis, angle), v)


def body_axes(y: np.ndarray):
    """Per-frame unit axes of the body (n, F, 3) each: lateral (towards the left hip), up (pelvis ->
    thorax, made orthogonal to lateral) and forward (= lateral x up... the chest's normal)."""
    lat = _unit(y[..., 4, :] - y[..., 1, :])
    up = y[..., 8, :] - y[..., 0, :]
    up = _unit(up - (up * lat).sum(-1, keepdims=True) * lat)
    fwd = np.cross(lat, up)
    return lat, up, fwd


def scale_bones(y: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """y (n, F, 17, 3) root-relative; factors (n, 17): the bone ending at each joint x its factor
    (the root's is ignored). Rebuilt from the root outwards (PARENTS is in topological order)."""
    out = np.zeros_like(y)
    for j, p in skeleton.BONES:
        out[..., j, :] = out[..., p, :] + factors[:, None, j, None] * (y[..., j, :] - y[..., p, :])
    return out


def augment_poses(y: np.ndarray, cfg: PoseAugConfig, rng: np.random.Generator) -> np.ndarray:
    """A changed copy of the windows y (n, F, 17, 3) (root-relative, root at 0)."""
    n = len(y)
    assert y.ndim == 4 and y.shape[2:] == (17, 3), y.shape
    y = y.astype(np.float64).copy()
    lat, up, fwd = body_axes(y)
    pick = lambda: rng.random(n) < cfg.limb_prob                                  # noqa: E731
    for pivot, moving in LEGS:
        swing = np.deg2rad(rng.uniform(*cfg.leg_swing_deg, n)) * pick()
        abduct = np.deg2rad(rng.uniform(-cfg.leg_abduct_deg, cfg.leg_abduct_deg, n)) * pick()
        p = y[..., pivot:pivot + 1, :]
        rel = y[..., moving, :] - p
        # Flexion: the thigh turns about the lateral axis, the forward direction towards the front.
        rel = _rotate(rel, -lat[..., None, :], swing[:, None, None])
        rel = _rotate(rel, fwd[..., None, :], abduct[:, None, None])
        y[..., moving, :] = p + rel
    for pivot, moving in ARMS:
        axis = _unit(rng.normal(size=(n, 3)))
        ang = np.deg2rad(rng.uniform(-cfg.arm_swing_deg, cfg.arm_swing_deg, n)) * pick()
        # The axis is drawn in the body's frame, so the same draw means the same motion for any facing.
        ax = axis[:, None, 0:1] * lat + axis[:, None, 1:2] * up + axis[:, None, 2:3] * fwd   # (n, F, 3)
        p = y[..., pivot:pivot + 1, :]
        y[..., moving, :] = p + _rotate(y[..., moving, :] - p, ax[..., None, :], ang[:, None, None])
    for distal, hinge, proximal, sign in HINGES:
        a = y[..., hinge, :] - y[..., proximal, :]
        b = y[..., distal, :] - y[..., hinge, :]
        bend = np.arccos(np.clip((_unit(a) * _unit(b)).sum(-1), -1, 1))         # (n, F) 0 = straight
        # The hinge axis: a knee's is the body's lateral axis; an elbow's follows the upper arm's twist,
        # so its bend plane is used once the arm is clearly bent (a near-straight limb's plane is noise).
        normal = np.cross(a, b)
        straight = (bend < np.deg2rad(20)) | (sign > 0)
        normal = np.where(straight[..., None], sign * lat, _unit(normal))
        extra = np.deg2rad(rng.uniform(0, cfg.extra_bend_deg, n))[:, None] * pick()[:, None]
        extra = np.minimum(extra, np.maximum(np.deg2rad(cfg.max_bend_deg) - bend, 0))
        y[..., distal, :] = y[..., hinge, :] + _rotate(b, normal, extra)
    f = 1 + cfg.bone_scale * (2 * rng.random((n, 17)) - 1)
    f[:, skeleton.LEFT] = f[:, skeleton.RIGHT]  # a bone is named by its child joint: left = right
    y = scale_bones(y, f)
    return (y - y[..., :1, :]).astype(np.float32)
