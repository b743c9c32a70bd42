"""Overlay MP4: the 2D skeleton drawn over the source video, plus a small 3D view beside it.

Frames are decoded with OpenCV (rotation metadata applied, as in ml.video), drawn with OpenCV, and piped as raw BGR to the ffmpeg binary that
ships with `imageio-ffmpeg`, encoding **H.264** (libx264, yuv420p, +faststart): browsers cannot play
the MPEG-4 Part 2 ("mp4v") that cv2.VideoWriter writes, yuv420p is what every decoder supports and
needs even width and height (the canvas is padded by one black pixel where needed), and +faststart
puts the index first so a browser can start playing before the download ends. Preset "superfast"
(CRF 23) encodes 1280x720 + panel at ~50 frames/s on 2 cores (veryfast: ~30), files ~1.3x bigger.

Colours match the web viewer (frontend/src/scene.js): the subject's left in blue, right in orange,
centre line in light grey; a bone takes its child joint's colour. Joints (and bones touching them)
with confidence below `min_conf` are drawn faded (blended 35 % over the video), as are all joints of
frames where no person was detected (their 2D is interpolated).

The 3D panel (square, as tall as the video) is an orthographic view of keypoints_3d from the front,
turned 30° about +Y and tilted 15° down, centred on the pelvis, with a floor line at y = 0.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ml import palette
from ml.child_process import die_with_parent
from ml.export._atomic import atomic_path

# BGR (OpenCV) versions of the viewer's colours (ml/palette.py, the one home).
LEFT_BGR = palette.bgr(palette.LEFT)
RIGHT_BGR = palette.bgr(palette.RIGHT)
CENTER_BGR = palette.bgr(palette.CENTER)
PANEL_BG = palette.bgr(palette.BACKGROUND)
FADE = 0.35


def joint_colours(joint_names) -> list[tuple[int, int, int]]:
    return [LEFT_BGR if n.startswith("l_") else RIGHT_BGR if n.startswith("r_") else CENTER_BGR
            for n in joint_names]


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # a dependency problem, not bad input
        raise RuntimeError("the overlay MP4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg)") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def draw_skeleton_2d(img: np.ndarray, kp: np.ndarray, parents, colours, min_conf: float = 0.5,
                     detected: bool = True, scale: float = 1.0) -> np.ndarray:
    """Draw (in place) one frame's 2D skeleton kp (J, 3: x, y, conf) on img (H, W, 3) BGR uint8."""
    import cv2

    assert kp.ndim == 2 and kp.shape[1] == 3 and len(kp) == len(parents), kp.shape
    H = img.shape[0]
    thick = max(2, round(H / 240))
    radius = thick + 2
    ok = np.isfinite(kp[:, :2]).all(1)
    weak = (kp[:, 2] < min_conf) | (not detected)
    pts = np.round(np.nan_to_num(kp[:, :2]) * 16).astype(np.int64)  # 4 fractional bits for cv2 shift
    faint = [j for j, p in enumerate(parents) if ok[j] and (weak[j] or (p >= 0 and ok[p] and weak[p]))]
    if faint:  # faded layer: draw on a copy of the region they cover, then blend it back
        ends = [j for j in faint] + [parents[j] for j in faint if parents[j] >= 0 and ok[parents[j]]]
        lo = np.maximum(np.floor(kp[ends, :2].min(0)).astype(int) - 2 * radius, 0)
        hi = np.minimum(np.ceil(kp[ends, :2].max(0)).astype(int) + 2 * radius, img.shape[1::-1])
        if (hi > lo).all():
            roi = img[lo[1]:hi[1], lo[0]:hi[0]]
            layer = np.ascontiguousarray(roi)
            _draw(layer, pts - lo * 16, parents, colours, ok, weak, True, thick, radius)
            roi[:] = cv2.addWeighted(layer, FADE, roi, 1 - FADE, 0)
    _draw(img, pts, parents, colours, ok, weak, False, thick, radius)
    return img


def _draw(img, pts, parents, colours, ok, weak, want_weak, thick, radius):
    """Bones then joints of one layer: the faint one (want_weak) or the solid one."""
    import cv2

    for j, p in enumerate(parents):
        if p >= 0 and ok[j] and ok[p] and bool(weak[j] or weak[p]) == want_weak:
            cv2.line(img, tuple(pts[p]), tuple(pts[j]), colours[j], thick, cv2.LINE_AA, shift=4)
    for j in range(len(pts)):
        if ok[j] and bool(weak[j]) == want_weak:
            cv2.circle(img, tuple(pts[j]), radius * 16, colours[j], -1, cv2.LINE_AA, shift=4)


class Panel3D:
    """Orthographic side view of the 3D joints, cheap enough to draw per frame with OpenCV."""

    def __init__(self, k3: np.ndarray, size: int, yaw_deg: float = 30.0, pitch_deg: float = 15.0):
        a, b = np.radians(yaw_deg), np.radians(pitch_deg)
        ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        self.view = rx @ ry
        self.size = size
        finite = k3[np.isfinite(k3).all(axis=(1, 2))]
        height = float(np.ptp(finite[..., 1])) if len(finite) else 1.8
        self.px_per_m = 0.8 * size / max(height, 1.9)  # the whole body (≥ 1.9 m) fits
        # The view follows the pelvis, so the floor square around it looks the same in every frame.
        self.background = np.empty((size, size, 3), np.uint8)
        self.background[:] = PANEL_BG
        floor = np.array([[x, 0.0, z] for x, z in ((-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8))])
        import cv2

        cv2.polylines(self.background, [np.round(self._px(floor @ self.view.T) * 16).astype(np.int32)], True,
                      (90, 80, 75), 1, cv2.LINE_AA, shift=4)

    def _px(self, q: np.ndarray) -> np.ndarray:
        s = self.size
        return np.stack([s / 2 + q[:, 0] * self.px_per_m, 0.9 * s - q[:, 1] * self.px_per_m], -1)

    def draw(self, k3: np.ndarray, parents, colours) -> np.ndarray:
        import cv2

        img = self.background.copy()
        if not np.isfinite(k3).all():
            return img
        centre = np.array([k3[0, 0], 0.0, k3[0, 2]])  # the floor point under the pelvis
        v = (k3 - centre) @ self.view.T
        p2 = np.round(self._px(v) * 16).astype(np.int64)
        thick = max(2, self.size // 120)
        for j in np.argsort(-v[:, 2]):  # far joints first
            if parents[j] >= 0:
                cv2.line(img, tuple(p2[parents[j]]), tuple(p2[j]), colours[j], thick, cv2.LINE_AA, shift=4)
        for j in range(len(v)):
            cv2.circle(img, tuple(p2[j]), (thick + 1) * 16, colours[j], -1, cv2.LINE_AA, shift=4)
        return img


def write_overlay(result, video_path, path: str | os.PathLike, *, panel: bool = True,
                  min_conf: float = 0.5, crf: int = 23, preset: str = "superfast") -> Path:
    """Write the overlay MP4 (result.frame_count frames at result.fps). The video is the one the
    result was computed from; keypoints are rescaled if its decoded size differs from the result's
    video_size. If the video has fewer frames than the result, its last frame is held."""
    import cv2

    if video_path is None:
        raise ValueError("the overlay MP4 needs the source video: pass video_path")
    if not Path(video_path).is_file():
        raise ValueError(f"the overlay MP4 needs the source video; {video_path} does not exist")
    T = result.frame_count
    if T == 0:
        raise ValueError("cannot write an overlay MP4 with zero frames")
    if not result.fps or result.fps <= 0:
        raise ValueError(f"cannot write an overlay MP4 without a positive frame rate (fps={result.fps})")
    cap = cv2.VideoCapture(str(video_path))
    # Phone videos carry rotation metadata; the pipeline's 2D is in the rotated (upright) frame
    # (ml.video), so decode the same way. OpenCV does not rotate unless asked.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, frame = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise ValueError(f"cannot decode any frame of {video_path}")
    H, W = frame.shape[:2]
    k2 = np.asarray(result.keypoints_2d, np.float64).copy()
    k2[..., 0] *= W / result.width
    k2[..., 1] *= H / result.height
    k3 = np.asarray(result.keypoints_3d, np.float64)
    detected = np.asarray(result.detected, bool)
    colours = joint_colours(result.joint_names)
    ph = H + H % 2
    pw = ph if panel else 0
    cw = W + W % 2 + pw
    p3 = Panel3D(k3, ph) if panel else None
    canvas = np.zeros((ph, cw, 3), np.uint8)

    path = Path(path)
    with atomic_path(path) as tmp, tempfile.TemporaryFile() as log:
        cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{cw}x{ph}", "-framerate", f"{float(result.fps):.6f}", "-i", "pipe:0", "-an",
               "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
               "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        # dies with the worker: a killed worker's encoder does not go on writing (ml/child_process.py)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                                preexec_fn=die_with_parent())
        try:
            for t in range(T):
                if t > 0:
                    ok, nxt = cap.read()
                    frame = nxt if ok else frame
                canvas[:H, :W] = draw_skeleton_2d(frame.copy(), k2[t], result.parents, colours, min_conf,
                                                  bool(detected[t]))
                if p3 is not None:
                    canvas[:, cw - pw:] = p3.draw(k3[t], result.parents, colours)
                proc.stdin.write(canvas.tobytes())
            proc.stdin.close()
            rc = proc.wait()
        except BrokenPipeError:  # ffmpeg quit early; its log says why
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            cap.release()
        if rc != 0:
            log.seek(0)
            msg = log.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed to encode the overlay (exit {rc}): {msg[-1] if msg else ''}")
    return path
