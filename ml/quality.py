"""What a user sees in a 3D result, as numbers: facing, fit to the 2D, size, stability.

Pure functions on pose arrays (T, 17, 3) in the H36M-17 joint order (ml.skeleton). Frames:
  camera  x right, y down, z forward (the lifter's output, Human3.6M camera coordinates,
          MediaPipe's world landmarks)
  world   x right, y up, z towards the camera (result.json); `world_to_camera` converts.
"""
from __future__ import annotations

import numpy as np

from .postprocess import VISIBLE_CONF, bone_lengths, inside_frame, root_translation
from .skeleton import HEAD, L_ANKLE, L_SHOULDER, R_ANKLE, R_SHOULDER

FACING_LIMIT_DEG = 45.0  # a torso turned by more than this reads as "facing the wrong way"


def world_to_camera(pose_world: np.ndarray, world_from_camera: np.ndarray | None = None) -> np.ndarray:
    """result.json's world frame (y up, z to the camera) -> camera axes (y down, z forward).
    world_from_camera: the result's camera tilt correction (result.camera), if any: world =
    R @ (x, -y, -z) of the camera frame."""
    if world_from_camera is not None:
        pose_world = pose_world @ np.asarray(world_from_camera, np.float64)  # R^T, row vectors
    return pose_world * np.array([1.0, -1.0, -1.0])


def result_to_camera(pose_world: np.ndarray, camera: dict | None) -> np.ndarray:
    """A result's world poses (T,17,3) -> camera axes, each shot turned back by its own camera tilt
    (camera["shots"]: first_frame + world_from_camera, one per shot of a montage), else by the one
    camera["world_from_camera"] (results of earlier versions)."""
    camera = camera or {}
    shots = camera.get("shots") or []
    if not shots:
        return world_to_camera(pose_world, camera.get("world_from_camera"))
    out = np.empty_like(np.asarray(pose_world, np.float64))
    starts = [s["first_frame"] for s in shots] + [len(pose_world)]
    out[:starts[0]] = world_to_camera(pose_world[:starts[0]], shots[0]["world_from_camera"])
    for s, a, b in zip(shots, starts[:-1], starts[1:]):
        out[a:b] = world_to_camera(pose_world[a:b], s["world_from_camera"])
    return out


def shoulder_yaw(pose_cam: np.ndarray) -> np.ndarray:
    """(..., 17, 3) camera frame -> (...) yaw of the shoulder line (left - right shoulder) about the
    camera's vertical axis, radians; 0 when the shoulders are parallel to the image plane with
    the left shoulder on the image's right (the person faces the camera)."""
    v = pose_cam[..., L_SHOULDER, :] - pose_cam[..., R_SHOULDER, :]
    return np.arctan2(v[..., 2], v[..., 0])


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
                focal: float | None = None, ignore: np.ndarray | None = None) -> np.ndarray:
    """Project root-relative camera-frame poses (T,17,3) into the image at the root position
    that best explains the 2D (pinhole, focal = the larger image side unless given) -> (T,17,2) px.
    ignore (T,17): joints left out of the root's fit (root_translation)."""
    focal = focal or float(max(width, height))
    root = root_translation(pose_cam, kp2d, conf, width, height, focal, ignore=ignore)
    P = pose_cam + root[:, None, :]
    z = np.maximum(P[..., 2:3], 1e-3)
    return focal * P[..., :2] / z + np.array([width / 2.0, height / 2.0])


def reprojection_per_frame_pct(pose_cam: np.ndarray, kp2d: np.ndarray, width: int, height: int,
                               visible: np.ndarray | None = None) -> np.ndarray:
    """(T,) per frame: the mean pixel distance between the 3D projected into the image (best root
    position) and the 2D it was lifted from, over the joints seen (conf >= VISIBLE_CONF), as a
    percentage of the 2D body height of that frame (extent of the seen joints in y); NaN where
    fewer than 6 joints are seen or the body is under a pixel tall. visible (T,17): the joints seen
    (a result's flags: confident and inside the frame; the root is then fitted to the joints inside
    the frame only): a close-up's legs below the picture are the detector's guesses, not evidence."""
    xy, conf = kp2d[..., :2], kp2d[..., 2]
    outside = None
    if visible is not None:
        outside = ~inside_frame(xy, width, height)
    proj = project_fit(pose_cam, xy, conf, width, height, ignore=outside)
    out = np.full(len(xy), np.nan)
    for t in range(len(xy)):
        seen = conf[t] >= VISIBLE_CONF if visible is None else np.asarray(visible[t], bool)
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


FLOAT_M = 0.3  # the lowest joint this far above (or below) the floor: floating (or sunk)


def floor_shares_pct(pose_world: np.ndarray, frames: np.ndarray | None = None, limit_m: float = FLOAT_M) -> dict:
    """Share (%) of the frames (those where `frames` (T,) bool is true: e.g. a person was detected)
    whose lowest joint is more than `limit_m` above the floor (y = 0 of result.json's world) and
    more than `limit_m` below it. A person standing, walking or crouching has a joint near the
    floor; only a jump (or a box, a step) lifts them off it for real."""
    low = np.asarray(pose_world, np.float64)[..., 1].min(axis=1)
    if frames is not None:
        low = low[np.asarray(frames, bool)]
    if len(low) == 0:
        return {"float_pct": float("nan"), "sunk_pct": float("nan")}
    return {"float_pct": float(100.0 * np.mean(low > limit_m)), "sunk_pct": float(100.0 * np.mean(low < -limit_m))}


AIR_OF_HEIGHT = 0.04   # the lower ankle this far (x the 2D body height) above the shot's ground line: off the floor
GROUND_WINDOW_S = 0.35  # the ground line: the lowest the lower ankle reaches within this many seconds either side (a hop's time)


def standing_frames(kp2d: np.ndarray, fps: float, cuts=(), seen: float = 0.3) -> np.ndarray:
    """(T,) bool: frames where the picture shows the person on whatever they stand on, judged from the 2D
    alone (no 3D): the lower ankle within AIR_OF_HEIGHT of the body's 2D height of the shot's ground line
    there (the lowest, i.e. largest image y, that ankle reaches within GROUND_WINDOW_S either side, in
    the same shot). A jump, a hop of jumping jacks or a run's flight lifts both ankles in the picture and
    is not standing; so is a frame whose ankles are not seen. For a camera that holds still or pans
    slowly (a shot's ground line moves little within two seconds)."""
    from .skeleton import HEAD, L_ANKLE, R_ANKLE

    kp = np.asarray(kp2d, np.float64)
    T = len(kp)
    ankles_seen = (kp[:, [L_ANKLE, R_ANKLE], 2] >= seen).all(1)
    lower = np.where(ankles_seen, kp[:, [L_ANKLE, R_ANKLE], 1].max(1), np.nan)      # image y grows downwards
    height = np.abs(lower - kp[:, HEAD, 1])
    w = max(1, int(round(GROUND_WINDOW_S * fps)))
    out = np.zeros(T, bool)
    for a, b in shot_ranges(T, cuts):
        for t in range(a, b):
            if not np.isfinite(lower[t]):
                continue
            ground = np.nanmax(lower[max(a, t - w):min(b, t + w + 1)])
            out[t] = ground - lower[t] <= AIR_OF_HEIGHT * height[t]
    return out


def shot_ranges(frames: int, cuts) -> list[tuple[int, int]]:
    """[start, end) of each shot of a clip with scene cuts at `cuts` (first frames of new shots)."""
    edges = [0] + sorted(c for c in set(cuts or []) if 0 < c < frames) + [frames]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def facing_per_shot(err_deg: np.ndarray, cuts, min_frames: int = 5) -> list[dict]:
    """Per shot: frames compared (finite err_deg (T,)) and the % over FACING_LIMIT_DEG; shots with
    fewer than min_frames compared have pct NaN."""
    out = []
    for a, b in shot_ranges(len(err_deg), cuts):
        e = err_deg[a:b][np.isfinite(err_deg[a:b])]
        pct = float(100.0 * np.mean(e > FACING_LIMIT_DEG)) if len(e) >= min_frames else float("nan")
        out.append({"start": a, "end": b, "compared": int(len(e)), "over_45_pct": pct})
    return out


SETTLE_TOL_M = 0.1   # within this of the shot lifted on its own: settled ...
SETTLE_HOLD_S = 0.3  # ... for this long (at least 3 frames)


def settle_frames(pose_world: np.ndarray, alone: dict, fps: float, tol_m: float = SETTLE_TOL_M,
                  hold_s: float = SETTLE_HOLD_S) -> list[int]:
    """For each shot start c (a cut) in `alone` {c: (n,17,3) the same frames' 3D when the video starts
    at c}: how many frames after the cut the clip's 3D still differs from the shot's own, i.e.
    until the lowest joint's height (the floor) and the root's height both stay within tol_m of
    it for hold_s (at least 3 frames; the shot's length if they never do). 0: nothing carries
    over from the previous shot. (Not the root's path across the floor: its depth scales with
    the skeleton, which is the clip's, measured over its first seconds, not the shot's.)"""
    out = []
    for c in sorted(alone):
        a = np.asarray(alone[c], np.float64)
        m = np.asarray(pose_world, np.float64)[c:c + len(a)]
        n = len(m)
        if n == 0:
            continue
        a = a[:n]
        ok = (np.abs(m[..., 1].min(1) - a[..., 1].min(1)) <= tol_m) & (np.abs(m[:, 0, 1] - a[:, 0, 1]) <= tol_m)
        hold = min(n, max(3, round(hold_s * fps)))
        out.append(next((k for k in range(n - hold + 1) if ok[k:k + hold].all()), n))
    return out


def jitter_within_shots(pose: np.ndarray, fps: float, cuts=()) -> float:
    """Mean joint acceleration (m/s²) of root-relative poses (T,17,3), over the frames of each shot
    (a cut's jump from one shot's pose to the next is not jitter); the whole clip's when no cuts."""
    rel = np.asarray(pose, np.float64) - np.asarray(pose, np.float64)[:, :1]
    acc = [np.linalg.norm(rel[a + 2:b] - 2 * rel[a + 1:b - 1] + rel[a:b - 2], axis=-1).ravel()
           for a, b in shot_ranges(len(rel), cuts) if b - a >= 3]
    return float(np.concatenate(acc).mean() * fps * fps) if acc else 0.0
