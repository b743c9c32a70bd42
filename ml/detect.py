"""2D keypoint detectors: frames in, per-frame keypoints (in the detector's own layout) out.

Interface: `detector.layout` names the keypoint layout (a key of ml.skeleton's tables) and
`detector(frame_bgr) -> Detection | None` (None when no person is found). Backends are created
with `create_detector(name, complexity)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DETECT_MAX_SIDE = 960  # big frames are downscaled for detection; keypoints are scaled back


@dataclass
class Detection:
    keypoints: np.ndarray  # (J, 3) x, y in pixels of the original frame, confidence in [0, 1]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels, around the keypoints


class MediaPipePoseDetector:
    """MediaPipe BlazePose (legacy `mp.solutions.pose`), tracking a single person across frames."""

    layout = "blazepose33"

    def __init__(self, complexity: int = 1, min_confidence: float = 0.5):
        import mediapipe as mp  # imported here: the web process never needs it

        if complexity != 1:
            # Complexity 0 / 2 model files are not inside the mediapipe wheel and it would try to
            # download them, which fails offline.
            raise ValueError(
                f"MediaPipe model complexity {complexity} is not available offline; use complexity 1."
            )
        self.name = f"mediapipe-blazepose (complexity {complexity})"
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=complexity,
            smooth_landmarks=True,
            min_detection_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )

    def __call__(self, frame_bgr: np.ndarray) -> Detection | None:
        h, w = frame_bgr.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = frame_bgr if scale == 1.0 else cv2.resize(
            frame_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        # Landmarks are normalised to the (downscaled) image: multiply by the ORIGINAL size.
        kp = np.array([[p.x * w, p.y * h, p.visibility] for p in lm], dtype=np.float32)  # (33, 3)
        kp[:, 2] = np.clip(kp[:, 2], 0.0, 1.0)
        x0, y0 = kp[:, :2].min(axis=0)
        x1, y1 = kp[:, :2].max(axis=0)
        return Detection(kp, (float(x0), float(y0), float(x1), float(y1)))

    def close(self) -> None:
        self._pose.close()


def create_detector(name: str = "mediapipe", complexity: int = 1):
    if name == "mediapipe":
        return MediaPipePoseDetector(complexity=complexity)
    raise ValueError(f"Unknown 2D detector {name!r}; available: mediapipe")
