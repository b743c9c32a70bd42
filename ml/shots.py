"""Shot boundaries (scene cuts) in a video, found frame by frame while it decodes.

Broadcast footage and edited phone clips jump from one camera to another. Nothing about the
person's 2D carries over a cut (position, scale, viewpoint), so the pipeline starts a new
lifter stream, smoothing filter and root trajectory at each one.

A cut is a frame whose colour histogram (hue x saturation, on a small copy) differs from the
previous frame's by more than CUT_DISTANCE (Bhattacharyya distance, 0 = same, 1 = disjoint) *and*
by several times the recent frame-to-frame change (a pan or a flash changes a little every frame;
a cut changes a lot at once). Shots shorter than MIN_SHOT_S are not split off (flashes, wipes).
"""
from __future__ import annotations

from collections import deque

import cv2
import numpy as np

CUT_DISTANCE = 0.45     # Bhattacharyya distance between consecutive frames' histograms
CUT_OVER_RECENT = 3.0   # ... and this many times the median distance of the last frames
MIN_SHOT_S = 0.4        # a new shot starts at least this long after the previous cut
RECENT = 12             # frames of recent history


def frame_histogram(frame_bgr: np.ndarray) -> np.ndarray:
    """Normalised 2D hue-saturation histogram (16 x 8 bins) of a 96-px-wide copy of the frame."""
    h, w = frame_bgr.shape[:2]
    small = cv2.resize(frame_bgr, (96, max(1, round(96 * h / w))), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1)


class ShotDetector:
    """Feed frames in order; `__call__(frame)` returns True when that frame starts a new shot."""

    def __init__(self, fps: float | None):
        self.min_gap = max(1, round(MIN_SHOT_S * (fps if fps and np.isfinite(fps) and fps > 0 else 25.0)))
        self.prev: np.ndarray | None = None
        self.recent: deque = deque(maxlen=RECENT)
        self.index = -1
        self.last_cut = 0

    def __call__(self, frame_bgr: np.ndarray) -> bool:
        return self.observe(frame_histogram(frame_bgr))

    def observe(self, hist: np.ndarray) -> bool:
        """As __call__, given the frame's frame_histogram() (computed ahead, e.g. while decoding)."""
        self.index += 1
        prev, self.prev = self.prev, hist
        if prev is None:
            return False
        d = float(cv2.compareHist(prev, hist, cv2.HISTCMP_BHATTACHARYYA))
        typical = float(np.median(self.recent)) if self.recent else 0.0
        self.recent.append(d)
        if d > CUT_DISTANCE and d > CUT_OVER_RECENT * typical and self.index - self.last_cut >= self.min_gap:
            self.last_cut = self.index
            self.recent.clear()
            return True
        return False
