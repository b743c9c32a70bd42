"""2D keypoint detectors: frames in, per-frame keypoints (in the detector's own layout) out.

Interface: `detector.layout` names the keypoint layout (a key of ml.skeleton's tables) and
`detector(frame_bgr) -> Detection | None` (None when no person is found). Backends are created
with `create_detector(name, complexity)`.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DETECT_MAX_SIDE = 960  # big frames are downscaled for detection; keypoints are scaled back
# The mediapipe wheel carries only the full landmark model (complexity 1); for 0 and 2 it would
# download files at run time, which fails offline. The npm package @mediapipe/pose (Apache-2.0,
# installed by `npm ci` in frontend/) carries both, as does any folder named by POSENET_MEDIAPIPE_MODELS.
LANDMARK_MODELS = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}
NPM_MODELS_DIR = Path(__file__).resolve().parent.parent / "frontend" / "node_modules" / "@mediapipe" / "pose"


def ensure_landmark_model(complexity: int) -> None:
    """Put the landmark model for `complexity` where mediapipe looks for it, or explain what is missing."""
    import mediapipe

    if complexity not in LANDMARK_MODELS:
        raise ValueError(f"MediaPipe model complexity must be 0 (lite), 1 (full) or 2 (heavy), not {complexity}.")
    name = LANDMARK_MODELS[complexity]
    target = Path(mediapipe.__file__).parent / "modules" / "pose_landmark" / name
    if target.exists():
        return
    sources = [Path(d) / name for d in (os.environ.get("POSENET_MEDIAPIPE_MODELS"), NPM_MODELS_DIR) if d]
    source = next((p for p in sources if p.is_file()), None)
    if source is None:
        raise ValueError(
            f"The MediaPipe model file {name} (complexity {complexity}) is not installed. Run `npm ci` in "
            "frontend/ (the @mediapipe/pose package carries it), or set POSENET_MEDIAPIPE_MODELS to a folder "
            "that holds it, or use complexity 1."
        )
    # Copy then rename: a copy cut short (two workers at once, a full disk, npm still writing) must
    # never be left where mediapipe looks, or every later start fails on a truncated model.
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, part)
        if part.stat().st_size != source.stat().st_size:
            raise OSError(f"copied {part.stat().st_size} of {source.stat().st_size} bytes")
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise ValueError(f"Cannot install {name} into the mediapipe package ({exc}); use complexity 1.") from None


@dataclass
class Detection:
    keypoints: np.ndarray  # (J, 3) x, y in pixels of the original frame, confidence in [0, 1]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels, around the keypoints
    world: np.ndarray | None = None  # (J, 4) the detector's own 3D (MediaPipe world landmarks: metres,
                                     # hip-centred, camera axes x right, y down, z away) + visibility


class MediaPipePoseDetector:
    """MediaPipe BlazePose (legacy `mp.solutions.pose`), tracking a single person across frames."""

    layout = "blazepose33"

    def __init__(self, complexity: int = 1, min_confidence: float = 0.5):
        import mediapipe as mp  # imported here: the web process never needs it

        ensure_landmark_model(complexity)
        self.name = detector_label("mediapipe", complexity)
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=complexity,
            smooth_landmarks=True,
            min_detection_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )

    def __call__(self, frame_bgr: np.ndarray) -> Detection | None:
        return self.detect(self.prepare(frame_bgr))

    @staticmethod
    def prepare(frame_bgr: np.ndarray) -> tuple[np.ndarray, int, int]:
        """The detector's input for a frame (downscaled RGB) and the frame's size: the part of the
        work that needs no detector state, so a decoding thread can do it ahead of detect()."""
        h, w = frame_bgr.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = frame_bgr if scale == 1.0 else cv2.resize(
            frame_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        return rgb, h, w

    def detect(self, prepared: tuple[np.ndarray, int, int]) -> Detection | None:
        rgb, h, w = prepared
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        # Landmarks are normalised to the (downscaled) image: multiply by the ORIGINAL size.
        kp = np.array([[p.x * w, p.y * h, p.visibility] for p in lm], dtype=np.float32)  # (33, 3)
        kp[:, 2] = np.clip(kp[:, 2], 0.0, 1.0)
        x0, y0 = kp[:, :2].min(axis=0)
        x1, y1 = kp[:, :2].max(axis=0)
        world = None
        if res.pose_world_landmarks is not None:
            world = np.array([[p.x, p.y, p.z, p.visibility] for p in res.pose_world_landmarks.landmark], np.float32)
        return Detection(kp, (float(x0), float(y0), float(x1), float(y1)), world)

    def reset(self) -> None:
        """Forget the tracked person and the smoothing filter: the next frame is detected afresh,
        exactly as by a new detector (measured: identical landmarks), in 5 ms instead of 1 s."""
        self._pose.reset()

    def close(self) -> None:
        self._pose.close()


def detector_label(name: str = "mediapipe", complexity: int = 1, stride: int = 1) -> str:
    """The name a result records for a detector (result.json `detector`), with its stride."""
    label = f"mediapipe-blazepose (complexity {complexity})" if name == "mediapipe" else name
    return label if stride <= 1 else f"{label}, every {stride} frames (others interpolated)"


def check_detector(name: str = "mediapipe", complexity: int = 1) -> None:
    """Raise ValueError (a sentence for the user) if create_detector(name, complexity) would fail
    for a reason the user can fix: an unknown detector or a model file that is not installed."""
    if name != "mediapipe":
        raise ValueError(f"Unknown 2D detector {name!r}; available: mediapipe")
    ensure_landmark_model(complexity)


def create_detector(name: str = "mediapipe", complexity: int = 1):
    if name == "mediapipe":
        return MediaPipePoseDetector(complexity=complexity)
    raise ValueError(f"Unknown 2D detector {name!r}; available: mediapipe")
