"""What a user sees in a 3D result, as numbers: facing, fit to the 2D, size, stability.

Pure functions on pose arrays (T, 17, 3) in the H36M-17 joint order (ml.skeleton). Frames:
  camera  x right, y down, z forward (the lifter's output, Human3.6M camera coordinates,
          MediaPipe's world landmarks)
  world   x right, y up, z towards the camera (result.json); `world_to_camera` converts.
"""
from __future__ import annotations

import numpy as np

from .postprocess import VISIBLE_CONF, bone_lengths, root_translation

L_SHOULDER, R_SHOULDER, HEAD, L_ANKLE, R_ANKLE = 11, 14, 10, 6, 3
FACING_LIMIT_DEG = 45.0  # a torso turned by more than this reads as "facing the wrong way"


def world_to_camera(pose_world: np.ndarray, world_from_camera: np.ndarray | None = None) -> np.ndarray:
    """result.json's world frame (y up, z to the camera) -> camera axes (y down, z forward).
    world_from_camera: the result's camera tilt correction (result.camera), if any: world =
    R @ (x, -y, -z) of the camera frame."""
    if world_from_camera is not None:
        pose_world = pose_world @ np.asarray(world_from_camera, np.float64)  # R^T, row vectors
    return pose_world * np.array([1.0, -1.0, -1.0])


def shoulder_yaw(pose_cam: np.ndarray) -> np.ndarray:
    """(T,17,3) camera frame -> (T,) yaw of the shoulder line (left - right shoulder) about the
    camera's vertical axis, radians; 0 when the shoulders are parallel to the image plane with
    the left shoulder on the image's right (the person faces the camera)."""
    v = pose_cam[:, L_SHOULDER] - pose_cam[:, R_SHOULDER]
    return np.arctan2(v[:, 2], v[:, 0])


def facing_error_deg(pred_cam: np.ndarray, ref_cam: np.ndarray) -> np.ndarray:
    """(T,) absolute difference of shoulder-line yaw between two pose sequences, degrees in [0, 180]."""
    d = shoulder_yaw(pred_cam) - shoulder_yaw(ref_cam)
    return np.abs(np.degrees(np.arctan2(np.sin(d), np.cos(d))))


def facing_summary(err_deg: np.ndarray) -> dict:
    """Median facing error (degrees) and the share of frames over FACING_LIMIT_DEG (%)."""
    if len(err_deg) == 0:
        return {"facing_median_deg": float("nan"), "facing_over_45_pct": float("nan")}
    return {"facing_median_deg": float(np.median(err_deg)),
            "facing_over_45_pct": float(100.0 * np.mean(err_deg > FACING_LIMIT_DEG))}


def project_fit(pose_cam: np.ndarray, kp2d: np.ndarray, conf: np.ndarray, width: int, height: int,
                focal: float | None = None) -> np.ndarray:
    """Project root-relative camera-frame poses (T,17,3) into the image at the root position
    that best explains the 2D (pinhole, focal = the larger image side unless given) -> (T,17,2) px."""
    focal = focal or float(max(width, height))
    root = root_translation(pose_cam, kp2d, conf, width, height, focal)
    P = pose_cam + root[:, None, :]
    z = np.maximum(P[..., 2:3], 1e-3)
    return focal * P[..., :2] / z + np.array([width / 2.0, height / 2.0])


def reprojection_per_frame_pct(pose_cam: np.ndarray, kp2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T,) per frame: the mean pixel distance between the 3D projected into the image (best root
    position) and the 2D it was lifted from, over the joints seen (conf >= VISIBLE_CONF), as a
    percentage of the 2D body height of that frame (extent of the seen joints in y); NaN where
    fewer than 6 joints are seen or the body is under a pixel tall."""
    xy, conf = kp2d[..., :2], kp2d[..., 2]
    proj = project_fit(pose_cam, xy, conf, width, height)
    out = np.full(len(xy), np.nan)
    for t in range(len(xy)):
        seen = conf[t] >= VISIBLE_CONF
        if seen.sum() < 6:
            continue
        body = np.ptp(xy[t, seen, 1])
        if body >= 1.0:
            out[t] = 100.0 * np.linalg.norm(proj[t, seen] - xy[t, seen], axis=-1).mean() / body
    return out


def ankle_to_head_m(pose_world: np.ndarray, upright_percentile: float = 90.0) -> float:
    """Upright height: the `upright_percentile` of the head's height above the lower ankle over the
    frames (a walking person's standing height; crouches and bends fall below the percentile)."""
    h = pose_world[:, HEAD, 1] - np.minimum(pose_world[:, L_ANKLE, 1], pose_world[:, R_ANKLE, 1])
    return float(np.percentile(h, upright_percentile)) if len(h) else float("nan")


def bone_length_cv_pct(pose: np.ndarray) -> float:
    """Mean over the 16 bones of std / mean of the bone length over time, %."""
    bones = bone_lengths(pose)[:, 1:]
    return float(100.0 * (bones.std(0) / np.maximum(bones.mean(0), 1e-9)).mean())
