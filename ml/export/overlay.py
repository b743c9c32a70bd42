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
frames where no person was detected (their 2D is interpolated), and joints the result marks not
visible (ml.postprocess.visible_joints: outside the frame, or made from joints that are, such as a
close-up's spine); the 3D panel draws those joints and their bones faded too.

Several people (result version 2, `add_people` / `write_overlay_people`): every person is drawn in their
own colour (ml.palette.person_colour, the viewer's table) with their id above the head; no 3D panel.

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
                     detected: bool = True, scale: float = 1.0, seen: np.ndarray | None = None) -> np.ndarray:
    """Draw (in place) one frame's 2D skeleton kp (J, 3: x, y, conf) on img (H, W, 3) BGR uint8;
    seen (J,) bool: joints seen (the others faded, as unconfident ones are)."""
    import cv2

    assert kp.ndim == 2 and kp.shape[1] == 3 and len(kp) == len(parents), kp.shape
    H = img.shape[0]
    thick = max(2, round(H / 240))
    radius = thick + 2
    ok = np.isfinite(kp[:, :2]).all(1)
    weak = (kp[:, 2] < min_conf) | (not detected)
    if seen is not None:
        weak |= ~np.asarray(seen, bool)
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

    def __init__(self, size: int, extent_m: float = 1.9, yaw_deg: float = 30.0, pitch_deg: float = 15.0):
        a, b = np.radians(yaw_deg), np.radians(pitch_deg)
        ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        self.view = rx @ ry
        self.size = size
        self.px_per_m = 0.8 * size / max(extent_m, 1.9)  # the whole body (≥ 1.9 m) fits
        # The view follows the pelvis, so the floor square around it looks the same in every frame.
        self.background = np.empty((size, size, 3), np.uint8)
        self.background[:] = PANEL_BG
        floor = np.array([[x, 0.0, z] for x, z in ((-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8))])
        import cv2

        cv2.polylines(self.background, [np.round(self._px(floor @ self.view.T) * 16).astype(np.int32)], True,
                      (90, 80, 75), 1, cv2.LINE_AA, shift=4)

    @staticmethod
    def extent_of(k3: np.ndarray) -> float:
        """The vertical extent (m) of a motion (T,17,3): what the panel's scale must fit."""
        finite = k3[np.isfinite(k3).all(axis=(1, 2))]
        return float(np.ptp(finite[..., 1])) if len(finite) else 1.8

    def _px(self, q: np.ndarray) -> np.ndarray:
        s = self.size
        return np.stack([s / 2 + q[:, 0] * self.px_per_m, 0.9 * s - q[:, 1] * self.px_per_m], -1)

    def draw(self, k3: np.ndarray, parents, colours, seen: np.ndarray | None = None) -> np.ndarray:
        """seen (J,) bool: joints seen in the 2D; the others (and their bones) are drawn faded."""
        import cv2

        img = self.background.copy()
        if not np.isfinite(k3).all():
            return img
        centre = np.array([k3[0, 0], 0.0, k3[0, 2]])  # the floor point under the pelvis
        v = (k3 - centre) @ self.view.T
        p2 = np.round(self._px(v) * 16).astype(np.int64)
        thick = max(2, self.size // 120)
        seen = np.ones(len(v), bool) if seen is None else np.asarray(seen, bool)
        faded = [tuple(int(round(FADE * c + (1 - FADE) * b)) for c, b in zip(col, PANEL_BG)) for col in colours]
        for j in np.argsort(-v[:, 2]):  # far joints first
            if parents[j] >= 0:
                col = colours[j] if seen[j] and seen[parents[j]] else faded[j]
                cv2.line(img, tuple(p2[parents[j]]), tuple(p2[j]), col, thick, cv2.LINE_AA, shift=4)
        for j in range(len(v)):
            cv2.circle(img, tuple(p2[j]), (thick + 1) * 16, colours[j] if seen[j] else faded[j], -1, cv2.LINE_AA,
                       shift=4)
        return img


class OverlayWriter:
    """The overlay MP4 written chunk by chunk, in frame order: the worker feeds it the pipeline's
    frames as they are lifted, so the MP4 is mostly encoded when the 3D is done. `add()` draws the
    next frames over the next decoded video frames (the last one is held if the video runs out),
    `finish()` puts the file in place, `close()` (after an error) leaves nothing behind.

    width/height: the size the 2D is in (the result's video_size); keypoints are rescaled if the
    decoded frames differ. extent_m: the vertical extent the 3D panel fits (default: a standing
    adult, 1.9 m; write_overlay passes the whole motion's). start: the video frame the first added
    frame is drawn on (a part of a longer overlay; join_parts puts such parts together)."""

    def __init__(self, video_path, path: str | os.PathLike, *, width: int, height: int, fps: float,
                 joint_names, parents, panel: bool = True, extent_m: float = 1.9, min_conf: float = 0.5,
                 crf: int = 23, preset: str = "superfast", start: int = 0):
        from ml.video import VideoError, iter_frames_from

        if video_path is None:
            raise ValueError("the overlay MP4 needs the source video: pass video_path")
        if not Path(video_path).is_file():
            raise ValueError(f"the overlay MP4 needs the source video; {video_path} does not exist")
        if not fps or fps <= 0:
            raise ValueError(f"cannot write an overlay MP4 without a positive frame rate (fps={fps})")
        # ml.video decodes as the pipeline did (rotation metadata applied: the 2D is in the upright
        # frame) and seeks exactly to `start` (a part of a split video: poseapp/overlay_parts.py).
        self.source = iter_frames_from(Path(video_path), start)
        try:
            self.frame = next(self.source, (0, None))[1]
        except VideoError as exc:
            raise ValueError(f"cannot decode any frame of {video_path}: {exc}") from exc
        if self.frame is None:
            self.source.close()
            raise ValueError(f"cannot decode frame {start} of {video_path}" if start else
                             f"cannot decode any frame of {video_path}")
        H, W = self.frame.shape[:2]
        self.H, self.W = H, W
        self.scale = np.array([W / width, H / height])
        self.size2d = (width, height)
        self.parents, self.colours, self.min_conf = list(parents), joint_colours(joint_names), min_conf
        self.ph = H + H % 2
        self.pw = self.ph if panel else 0
        self.cw = W + W % 2 + self.pw
        self.panel = Panel3D(self.ph, extent_m) if panel else None
        self.canvas = np.zeros((self.ph, self.cw, 3), np.uint8)
        self.frames = 0
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=".part.mp4")
        os.close(fd)
        self.tmp = Path(tmp)
        os.chmod(self.tmp, 0o644)
        self.log = tempfile.TemporaryFile()
        cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{self.cw}x{self.ph}", "-framerate", f"{float(fps):.6f}", "-i", "pipe:0", "-an",
               "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
               "-movflags", "+faststart", "-f", "mp4", str(self.tmp)]
        # dies with the worker (ml/child_process.py). The kernel ties it to the thread that starts it:
        # BackgroundOverlay's thread lives until the encoder has finished or been killed.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log,
                                     preexec_fn=die_with_parent())

    def add(self, kp2d: np.ndarray, kp3d: np.ndarray, detected: np.ndarray) -> None:
        """kp2d (n,J,3) pixels + confidence, kp3d (n,J,3) metres, detected (n,) bool: the next n frames."""
        assert len(kp2d) == len(kp3d) == len(detected), (kp2d.shape, kp3d.shape, np.shape(detected))
        from ml.postprocess import visible_joints

        k2 = np.asarray(kp2d, np.float64).copy()
        seen = visible_joints(k2, *self.size2d) if k2.shape[1] == 17 else None  # the result's rule
        k2[..., :2] *= self.scale
        try:
            for t in range(len(k2)):
                self._next_frame()
                s = None if seen is None else seen[t]
                self.canvas[:self.H, :self.W] = draw_skeleton_2d(self.frame.copy(), k2[t], self.parents, self.colours,
                                                                 self.min_conf, bool(detected[t]), seen=s)
                if self.panel is not None:
                    self.canvas[:, self.cw - self.pw:] = self.panel.draw(np.asarray(kp3d[t], np.float64),
                                                                         self.parents, self.colours, seen=s)
                self._write()
        except BrokenPipeError:  # ffmpeg quit early; finish() reports its log
            pass

    def add_people(self, frames: list) -> None:
        """Several people: the next len(frames) frames, each a list of (person id, kp2d (J, 3) pixels +
        confidence, detected) for everyone in that frame, drawn in the person's colour with their id."""
        import cv2

        from ml.postprocess import visible_joints

        try:
            for people in frames:
                self._next_frame()
                img = self.frame.copy()
                for pid, kp, detected in people:
                    k = np.asarray(kp, np.float64).copy()
                    seen = visible_joints(k, *self.size2d) if len(k) == 17 else None
                    k[:, :2] *= self.scale
                    colour = palette.bgr(palette.person_colour(pid))
                    draw_skeleton_2d(img, k, self.parents, [colour] * len(k), self.min_conf, bool(detected),
                                     seen=seen)
                    ok = np.isfinite(k[:, :2]).all(1)
                    if ok.any():
                        x, y = k[ok, 0].mean(), k[ok, 1].min()  # above the highest joint
                        size = max(0.4, self.H / 1200)
                        org = (int(x) - 6, max(12, int(y) - 8))
                        cv2.putText(img, str(pid), org, cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), 4, cv2.LINE_AA)
                        cv2.putText(img, str(pid), org, cv2.FONT_HERSHEY_SIMPLEX, size, colour, 1, cv2.LINE_AA)
                self.canvas[:self.H, :self.W] = img
                self._write()
        except BrokenPipeError:  # ffmpeg quit early; finish() reports its log
            pass

    def _next_frame(self) -> None:
        if self.frames > 0:
            nxt = next(self.source, None)
            self.frame = nxt[1] if nxt is not None else self.frame  # the video ran out: hold its last frame

    def _write(self) -> None:
        self.proc.stdin.write(self.canvas.tobytes())
        self.frames += 1

    def finish(self) -> Path:
        if self.frames == 0:
            self.close()
            raise ValueError("cannot write an overlay MP4 with zero frames")
        try:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            rc = self.proc.wait()
            if rc != 0:
                self.log.seek(0)
                msg = self.log.read().decode(errors="replace").strip().splitlines()
                raise RuntimeError(f"ffmpeg failed to encode the overlay (exit {rc}): {msg[-1] if msg else ''}")
            os.replace(self.tmp, self.path)
            return self.path
        finally:
            self.close()

    def close(self) -> None:
        """Stop and clean up (nothing is left unless finish() put the file in place)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.source.close()
        self.log.close()
        self.tmp.unlink(missing_ok=True)


def write_overlay(result, video_path, path: str | os.PathLike, *, panel: bool = True,
                  min_conf: float = 0.5, crf: int = 23, preset: str = "superfast") -> Path:
    """Write the overlay MP4 (result.frame_count frames at result.fps). The video is the one the
    result was computed from; keypoints are rescaled if its decoded size differs from the result's
    video_size. If the video has fewer frames than the result, its last frame is held."""
    if result.frame_count == 0:
        raise ValueError("cannot write an overlay MP4 with zero frames")
    k3 = np.asarray(result.keypoints_3d, np.float64)
    writer = OverlayWriter(video_path, path, width=result.width, height=result.height, fps=result.fps,
                           joint_names=result.joint_names, parents=result.parents, panel=panel,
                           extent_m=Panel3D.extent_of(k3), min_conf=min_conf, crf=crf, preset=preset)
    try:
        writer.add(result.keypoints_2d, k3, np.asarray(result.detected, bool))
    except BaseException:
        writer.close()
        raise
    return writer.finish()


def people_frames(result, start: int = 0, end: int | None = None) -> list:
    """A several-people result's frames [start, end) as OverlayWriter.add_people wants them."""
    end = result.frame_count if end is None else end
    frames = [[] for _ in range(start, end)]
    for p in result.people:
        for f in range(max(start, p.start), min(end, p.end)):
            frames[f - start].append((p.id, p.keypoints_2d[f - p.start], bool(p.detected[f - p.start])))
    return frames


def write_overlay_people(result, video_path, path: str | os.PathLike, *, min_conf: float = 0.5, crf: int = 23,
                         preset: str = "superfast") -> Path:
    """The overlay MP4 of a several-people result: everyone in their colour with their id."""
    if result.frame_count == 0:
        raise ValueError("cannot write an overlay MP4 with zero frames")
    writer = OverlayWriter(video_path, path, width=result.width, height=result.height, fps=result.fps,
                           joint_names=result.joint_names, parents=result.parents, panel=False,
                           min_conf=min_conf, crf=crf, preset=preset)
    try:
        writer.add_people(people_frames(result))
    except BaseException:
        writer.close()
        raise
    return writer.finish()


def detected_from_conf(kp2d: np.ndarray) -> np.ndarray:
    """Streamed frames (n,J,3) -> (n,) detected: the pipeline's filled gaps have no confidence at all."""
    return np.asarray(kp2d)[..., 2].max(axis=-1) > 0


def join_parts(parts, path: str | os.PathLike) -> Path:
    """Join overlay MP4s written one after another (OverlayWriter with the same settings, each
    starting at the frame after the previous one's last) into one MP4, atomically: ffmpeg's concat
    demuxer with stream copy, so nothing is encoded again. Each part starts with a keyframe (every
    x264 run starts with an IDR frame) and the parts share one encoder configuration, which stream
    copy needs; the timestamps run on across the seams (each part is shifted by the ones before)."""
    from ml.export._atomic import atomic_path

    parts = [Path(p).resolve() for p in parts]
    if not parts:
        raise ValueError("cannot join zero overlay parts")
    path = Path(path)
    with tempfile.TemporaryDirectory() as d, atomic_path(path) as tmp:
        listing = Path(d) / "parts.txt"
        # The concat list's quoting: a ' inside a name is written as '\''
        listing.write_text("".join("file '" + str(p).replace("'", "'\\''") + "'\n" for p in parts))
        cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
               "-map", "0:v:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_parent())
        if done.returncode != 0:
            msg = done.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg failed to join the overlay parts (exit {done.returncode}): "
                               f"{msg[-1] if msg else ''}")
    return path


_FINISH, _ABANDON = object(), object()  # BackgroundOverlay's queue: end of the frames; drop the file


class BackgroundOverlay:
    """An OverlayWriter in a thread of its own, fed while the pipeline runs: push() the frames
    (on_frames' chunks, in order) without waiting, then finish() waits for the file. Frames whose
    2D has no confidence at all are the pipeline's filled gaps: drawn as not detected. Any error is
    raised by finish(); close() abandons the file."""

    def __init__(self, video_path, path, **writer_kwargs):
        import queue
        import threading

        self._queue: "queue.Queue" = queue.Queue()
        self._error: BaseException | None = None
        self._args = (video_path, path, writer_kwargs)
        self._thread = threading.Thread(target=self._run, daemon=True, name="overlay")
        self._thread.start()

    def push(self, kp2d: np.ndarray, kp3d: np.ndarray) -> None:
        self._queue.put((np.array(kp2d), np.array(kp3d)))

    def push_people(self, start: int, count: int, people: list) -> None:
        """Several people: one `frames` chunk, frames [start, start + count) (ml.pipeline_people's on_frames:
        dicts with id, start, kp2d); a person's frames with no confidence at all were filled by the tracker."""
        frames = [[] for _ in range(count)]
        for q in people:
            for k, kp in enumerate(np.array(q["kp2d"])):
                frames[q["start"] - start + k].append((q["id"], kp, bool(kp[:, 2].max() > 0)))
        self._queue.put(("people", frames))

    def _run(self) -> None:
        writer = None
        try:
            video_path, path, kwargs = self._args
            writer = OverlayWriter(video_path, path, **kwargs)
            while (item := self._queue.get()) is not _FINISH:
                if item is _ABANDON:
                    writer.close()
                    return
                if isinstance(item[0], str):  # ("people", frames)
                    writer.add_people(item[1])
                    continue
                kp2d, kp3d = item
                writer.add(kp2d, kp3d, detected_from_conf(kp2d))
            writer.finish()
        except BaseException as exc:  # noqa: BLE001 - handed to finish()
            self._error = exc
            if writer is not None:
                writer.close()
            while self._queue.get() not in (_FINISH, _ABANDON):  # let push() and finish() go on
                pass

    def finish(self, tick=None, poll_s: float = 0.5) -> None:
        """Wait until the MP4 is in place (calling tick() every poll_s: a worker's heartbeat)."""
        self._queue.put(_FINISH)
        while self._thread.is_alive():
            if tick is not None:
                tick()
            self._thread.join(poll_s)
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._queue.put(_ABANDON)
        self._thread.join(10)
