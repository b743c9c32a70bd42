"""Human3.6M cameras: extrinsics per subject, intrinsics with distortion, projection,
and screen-coordinate normalisation.

cameras.json convention (../shared/data/h36m/cameras.json):
  X_cam = R @ (X_world - T)        world in metres, z up; camera x right, y down, z forward
  u = f * distort(X/Z, Y/Z) + c    k: 3 radial terms; p: 2 tangential terms in the *archive*
                                   order (p_a). VideoPose3D stores them reversed (p_vp = p_a[::-1]).
Distortion with archive-ordered p (as in 3d-pose-baseline's project_point_radial):
  r2 = x^2 + y^2, radial = 1 + k0 r2 + k1 r2^2 + k2 r2^3, tan = p0*y + p1*x
  x' = x*(radial + tan) + p1*r2,   y' = y*(radial + tan) + p0*r2
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CAMERA_IDS = ["54138969", "55011271", "58860488", "60457274"]


@dataclass
class Camera:
    id: str
    res_w: int
    res_h: int
    R: np.ndarray  # (3, 3) world -> camera rotation
    T: np.ndarray  # (3,) camera centre in world coordinates, metres
    f: np.ndarray  # (2,) focal length, pixels
    c: np.ndarray  # (2,) principal point, pixels
    k: np.ndarray  # (3,) radial distortion
    p: np.ndarray  # (2,) tangential distortion, archive order

    def world_to_camera(self, X: np.ndarray) -> np.ndarray:
        return world_to_camera(X, self.R, self.T)

    def camera_to_world(self, X: np.ndarray) -> np.ndarray:
        return camera_to_world(X, self.R, self.T)

    def project(self, X_cam: np.ndarray, distort: bool = True) -> np.ndarray:
        return project(X_cam, self.f, self.c, self.k if distort else None, self.p if distort else None)


def load_cameras(path: str | Path) -> dict[str, list[Camera]]:
    """Read cameras.json -> {subject: [Camera x4 in CAMERA_IDS order]}."""
    with open(path) as fh:
        js = json.load(fh)
    out = {}
    for subj, cams in js["subjects"].items():
        out[subj] = [
            Camera(id=str(c["id"]), res_w=int(c["res_w"]), res_h=int(c["res_h"]),
                   R=np.asarray(c["R"], np.float64), T=np.asarray(c["T"], np.float64),
                   f=np.asarray(c["f"], np.float64), c=np.asarray(c["c"], np.float64),
                   k=np.asarray(c["k"], np.float64), p=np.asarray(c["p"], np.float64))
            for c in cams
        ]
    return out


def world_to_camera(X: np.ndarray, R: np.ndarray, T: np.ndarray) -> np.ndarray:
    """X (..., 3) world metres -> camera coordinates (..., 3): R @ (X - T)."""
    return ((X - T) @ R.T).astype(X.dtype, copy=False)


def camera_to_world(X: np.ndarray, R: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Inverse of world_to_camera: R^T @ X + T."""
    return (X @ R + T).astype(X.dtype, copy=False)


def project(X: np.ndarray, f, c, k=None, p=None) -> np.ndarray:
    """Pinhole projection of camera-space points (..., 3) -> pixels (..., 2),
    with radial (k, 3 terms) and tangential (p, archive order) distortion when given."""
    f, c = np.asarray(f), np.asarray(c)
    xy = X[..., :2] / X[..., 2:3]
    if k is not None:
        k, p = np.asarray(k), np.asarray(p)
        r2 = (xy ** 2).sum(-1, keepdims=True)
        radial = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
        tan = p[0] * xy[..., 1:2] + p[1] * xy[..., 0:1]
        xy = xy * (radial + tan) + np.array([p[1], p[0]]) * r2
    return (f * xy + c).astype(X.dtype, copy=False)


def normalize_screen(X: np.ndarray, w: float, h: float) -> np.ndarray:
    """Pixels (..., 2) -> VideoPose3D screen coordinates: x in [-1, 1], y scaled by the
    same factor keeping the aspect ratio (x / w * 2 - 1, y / w * 2 - h / w)."""
    assert X.shape[-1] == 2
    return X / w * 2 - np.array([1, h / w], dtype=X.dtype)


def image_coordinates(X: np.ndarray, w: float, h: float) -> np.ndarray:
    """Inverse of normalize_screen."""
    assert X.shape[-1] == 2
    return (X + np.array([1, h / w], dtype=X.dtype)) * w / 2
