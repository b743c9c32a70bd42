"""NPZ export: the result as NumPy arrays (np.load(path) without allow_pickle).

    keypoints_2d  (T, 17, 3) float32  x, y video pixels, confidence in [0, 1]
    keypoints_3d  (T, 17, 3) float32  metres, world frame (see `meta["coordinate_frame"]`)
    detected      (T,)       bool     False: no person found, keypoints interpolated
    visible       (T, 17)    bool     False: the joint was not seen (outside the frame or unconfident)
    contact       (T, 2)     bool     left, right foot planted on the ground (ml.contact)
    legs_guessed  (T,)       bool     no foot seen (a close-up): legs guessed, body at a kept root height
    cuts          (K,)       int32    first frame of each shot after the first (scene cuts)
    parents       (17,)      int32    parent joint index, -1 for the root (pelvis)
    joint_names   (17,)      str      Human3.6M-17 names in VideoPose3D order
    fps           ()         float64  frames per second
    video_size    (2,)       int32    width, height in pixels
    meta          ()         str      JSON: format, version, source, model, detector, timings,
                                      coordinate_frame, frame_count, skeleton
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ml.export._atomic import atomic_path


def write_npz(result, path: str | os.PathLike) -> Path:
    from ml.result import RESULT_VERSION, WORLD_FRAME

    T, J = result.frame_count, len(result.joint_names)
    meta = {"format": "3dposenet-result-npz", "version": RESULT_VERSION, "source": result.source_name,
            "frame_count": T, "coordinate_frame": WORLD_FRAME, "model": result.model,
            "detector": result.detector, "timings": result.timings, "skeleton": result.skeleton}
    arrays = dict(
        keypoints_2d=np.asarray(result.keypoints_2d, np.float32),
        keypoints_3d=np.asarray(result.keypoints_3d, np.float32),
        detected=np.asarray(result.detected, bool),
        visible=np.asarray(result.visible, bool),
        contact=np.asarray(result.contact, bool),
        legs_guessed=np.asarray(result.legs_guessed, bool),
        cuts=np.asarray(result.cuts, np.int32).reshape(-1),
        parents=np.asarray(result.parents, np.int32),
        joint_names=np.asarray(list(result.joint_names), dtype=str),
        fps=np.float64(result.fps),
        video_size=np.asarray([result.width, result.height], np.int32),
        meta=np.asarray(json.dumps(meta, default=str)),
    )
    assert arrays["keypoints_3d"].shape == (T, J, 3) and arrays["parents"].shape == (J,)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:  # a file object: numpy adds no ".npz"
        np.savez_compressed(fh, **arrays)
    return path
