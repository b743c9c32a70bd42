"""CSV export: one row per frame, for spreadsheets and pandas.

Columns (header row first, comma separated, '.' decimal point):

    frame      0-based frame index in the decoded video
    time_s     frame / fps (seconds)
    detected   1 if a person was detected in this frame, 0 if its keypoints were interpolated
    then for each joint <name> (Human3.6M-17 order, e.g. pelvis, r_hip, ...), seven columns:
    <name>_x, <name>_y, <name>_z   3D position, metres, world frame (right-handed, +Y up, floor y=0;
                                   see ml.result.WORLD_FRAME)
    <name>_u, <name>_v             2D position in video pixels (u to the right, v down)
    <name>_conf                    2D detector confidence in [0, 1] (0 for interpolated frames)
    <name>_visible                 1 if the joint was seen (confident and inside the frame), 0 if its
                                   position is the detector's and lifter's guess (e.g. legs below a close-up)
    then  left_foot_contact, right_foot_contact   1 while that foot is planted on the ground (ml.contact)

Precision: 0.1 mm for 3D, 0.01 px for 2D, 0.001 for confidence and 1 µs for time.
(The module is not called `csv` so that `import csv` elsewhere keeps meaning the standard library.)
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ml.export._atomic import atomic_path

JOINT_FIELDS = ("x", "y", "z", "u", "v", "conf", "visible")


def csv_header(joint_names) -> list[str]:
    return (["frame", "time_s", "detected"] + [f"{n}_{f}" for n in joint_names for f in JOINT_FIELDS]
            + ["left_foot_contact", "right_foot_contact"])


def write_csv(result, path: str | os.PathLike) -> Path:
    T, J = result.frame_count, len(result.joint_names)
    k3, k2 = np.asarray(result.keypoints_3d, np.float64), np.asarray(result.keypoints_2d, np.float64)
    assert k3.shape == (T, J, 3) and k2.shape == (T, J, 3), (k3.shape, k2.shape)
    frame = np.arange(T)
    vis = np.asarray(result.visible, np.float64)[..., None]
    per_joint = np.concatenate([k3, k2, vis], axis=2).reshape(T, J * 7)  # x y z u v conf visible, per joint
    table = np.column_stack([frame, frame / float(result.fps), np.asarray(result.detected, bool), per_joint,
                             np.asarray(result.contact, bool)])
    fmt = ["%d", "%.6f", "%d"] + ["%.4f", "%.4f", "%.4f", "%.2f", "%.2f", "%.3f", "%d"] * J + ["%d", "%d"]
    path = Path(path)
    with atomic_path(path) as tmp:
        np.savetxt(tmp, table, fmt=fmt, delimiter=",", header=",".join(csv_header(result.joint_names)),
                   comments="", newline="\n")
    return path
