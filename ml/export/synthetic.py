"""A synthetic PoseResult (a walking person) for tests and demos, built from bone lengths and joint
angles so the motion is plausible and known exactly; no data files involved.

Options add what exporters must survive: a full 360° turn, perfectly straight limbs, measurement
noise (bone lengths vary over time, the hips/shoulders are not a rigid body), low-confidence joints
and undetected frames.
"""
from __future__ import annotations

import numpy as np

from ml.skeleton import JOINT_NAMES, PARENTS


def _rot_y(a):
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _limb(angle):
    """Unit direction of a limb hanging down, swung forward (+Z) by `angle` radians: (T, 3)."""
    return np.stack([np.zeros_like(angle), -np.cos(angle), np.sin(angle)], -1)


def synthetic_pose3d(frames: int = 50, fps: float = 25.0, turns: float = 0.0, noise_m: float = 0.0,
                     straight_limbs: bool = False, seed: int = 0) -> np.ndarray:
    """(T, 17, 3) metres, world frame (+Y up, person faces +Z at t=0, their left is +X)."""
    t = np.arange(frames) / fps
    ph = 2 * np.pi * 1.0 * t  # one stride per second
    hip = 0.45 * np.sin(ph)
    knee = 0.7 * np.clip(np.sin(ph + 1.2), 0, None)  # exactly 0 (straight) for half the cycle
    elbow = 0.35 + 0.25 * np.sin(ph)
    if straight_limbs:
        knee[:] = 0.0
        elbow[:] = 0.0
    J = {n: i for i, n in enumerate(JOINT_NAMES)}
    p = np.zeros((frames, 17, 3))
    lean = 0.08 + 0.03 * np.sin(2 * ph)
    p[:, J["pelvis"]] = 0
    p[:, J["spine"]] = 0.23 * _limb(np.pi - lean)
    p[:, J["thorax"]] = p[:, J["spine"]] + 0.25 * _limb(np.pi - lean)
    p[:, J["neck_nose"]] = p[:, J["thorax"]] + 0.12 * _limb(np.pi - 0.35)
    p[:, J["head"]] = p[:, J["neck_nose"]] + 0.115 * _limb(np.pi + 0.2 * np.sin(ph))
    twist = _rot_y(0.15 * np.sin(ph))  # shoulders counter-rotate against the hips
    for side, sign in (("l", 1.0), ("r", -1.0)):
        leg = hip if side == "r" else -hip
        kn = knee if side == "r" else np.roll(knee, len(knee) // 2)
        p[:, J[f"{side}_hip"]] = [sign * 0.13, -0.02, 0.0]
        p[:, J[f"{side}_knee"]] = p[:, J[f"{side}_hip"]] + 0.45 * _limb(leg)
        p[:, J[f"{side}_ankle"]] = p[:, J[f"{side}_knee"]] + 0.44 * _limb(leg - kn)
        arm = -0.6 * leg
        sh = p[:, J["thorax"]] + np.einsum("tij,j->ti", twist, [sign * 0.16, -0.03, 0.0])
        p[:, J[f"{side}_shoulder"]] = sh
        p[:, J[f"{side}_elbow"]] = sh + 0.28 * np.einsum("tij,tj->ti", twist, _limb(arm))
        p[:, J[f"{side}_wrist"]] = p[:, J[f"{side}_elbow"]] + 0.25 * np.einsum("tij,tj->ti", twist, _limb(arm + elbow))
    heading = 2 * np.pi * turns * t / max(t[-1], 1e-9) if frames > 1 else np.zeros(1)
    p = np.einsum("tij,tkj->tki", _rot_y(heading), p)
    # Walk slowly along the heading (a circle when turning) and bob up and down.
    step = np.stack([np.sin(heading), np.zeros_like(t), np.cos(heading)], -1) * (0.4 / fps)
    p += (np.cumsum(step, 0) + [0, 0.92, 0] + np.outer(0.02 * np.sin(2 * ph), [0, 1, 0]))[:, None]
    if noise_m:
        p += np.random.default_rng(seed).normal(0, noise_m, p.shape)
    p[..., 1] -= p[:, [J["l_ankle"], J["r_ankle"]], 1].min(1)[:, None]  # floor at y=0
    return p.astype(np.float32)


def synthetic_result(frames: int = 50, fps: float = 25.0, width: int = 320, height: int = 240,
                     turns: float = 0.0, noise_m: float = 0.004, straight_limbs: bool = False,
                     undetected=(), seed: int = 0):
    """A PoseResult whose 2D keypoints are a pinhole projection of the 3D ones (camera 5 m in front
    of the person on +Z, 1 m high, person about 60 % of the frame height)."""
    from ml.postprocess import visible_joints
    from ml.result import PoseResult

    k3 = synthetic_pose3d(frames, fps, turns, noise_m, straight_limbs, seed)
    f, cam = 0.35 * height * 5.0 / 1.0, np.array([0.0, 1.0, 5.0])
    rel = k3 - cam
    u = width / 2 + f * rel[..., 0] / -rel[..., 2]
    v = height / 2 - f * rel[..., 1] / -rel[..., 2]
    rng = np.random.default_rng(seed + 1)
    conf = np.clip(rng.uniform(0.75, 1.0, (frames, 17)), 0, 1)
    conf[::4, JOINT_NAMES.index("l_wrist")] = 0.15  # a low-confidence joint every 4th frame
    detected = np.ones(frames, bool)
    detected[list(undetected)] = False
    conf[~detected] = 0.0
    k2 = np.stack([u, v, conf], -1).astype(np.float32)
    visible = visible_joints(k2, width, height)
    return PoseResult(fps=fps, width=width, height=height, joint_names=list(JOINT_NAMES),
                      parents=list(PARENTS), keypoints_2d=k2, keypoints_3d=k3, detected=detected, visible=visible,
                      model={"name": "synthetic", "checkpoint": None, "receptive_field": 1},
                      detector="synthetic", timings={"total_s": 0.0}, source_name="synthetic.mp4")


def synthetic_people_result(frames: int = 40, fps: float = 25.0, width: int = 320, height: int = 240,
                            spans=((0, 40), (10, 30), (25, 40))):
    """A several-people result (version 2): one synthetic walker per [start, end) of `spans`, ids 1, 2, ...,
    each shifted 1 m to the side of the previous one; the second has a frame filled by the tracker."""
    from ml.result_people import PeopleResult, Person

    people = []
    for k, (s, e) in enumerate(spans):
        one = synthetic_result(e - s, fps, width, height, seed=k, undetected=(2,) if k == 1 else ())
        k3 = one.keypoints_3d + np.array([1.0 * k, 0.0, 0.0], np.float32)
        k2 = one.keypoints_2d.copy()
        k2[..., 0] += 20.0 * k
        people.append(Person(k + 1, s, one.detected, one.visible, k2.astype(np.float32), k3.astype(np.float32),
                             {"height_m": 1.7, "height_source": "prior", "bone_lengths_m": [0.0] * 17}))
    assert all(0 <= s < e <= frames for s, e in spans)
    return PeopleResult(fps=fps, width=width, height=height, frame_count=frames, joint_names=list(JOINT_NAMES),
                        parents=list(PARENTS), people=people, cuts=[],
                        camera={"world_from_camera": np.eye(3).tolist(), "tilt_deg": 0.0, "height_m": 1.0},
                        model={"name": "synthetic"}, detector="synthetic",
                        timings={"people_per_frame": 0.0}, source_name="synthetic_people.mp4")
