"""Shot boundaries (scene cuts) in a video, found frame by frame while it decodes.

Broadcast footage and edited phone clips jump from one camera to another. Nothing about the
person's 2D carries over a cut (position, scale, viewpoint), so the pipeline starts a new
lifter stream, smoothing filter and root trajectory at each one.

A cut is a frame whose colour histogram (hue x saturation, on a small copy) differs from the
previous frame's by more than CUT_DISTANCE (Bhattacharyya distance, 0 = same, 1 = disjoint) *and*
by several times the recent frame-to-frame change (a pan or a flash changes a little every frame;
a cut changes a lot at once). Shots shorter than MIN_SHOT_S are not split off (flashes, wipes).

A cut to another framing of the same scene (a zoom to a close-up of the same skater, the same
room) keeps the colours: there the picture's layout changes at once instead. The layout is a grey
32x18 thumbnail (zero mean, unit spread, so brightness changes and flashes do not count), and the
change 1 - its normalised correlation with the previous frame's: a cut if above LAYOUT_DISTANCE and
several times the recent change. Measured on the bench's clips (ml.bench.montage): the zoom cuts of
the close-up montage 1.10-1.16 (colour histogram 0.26-0.27, under CUT_DISTANCE); the largest
frame-to-frame change anywhere else in the five shared clips 0.08 (squats at 5 fps), a 0.6 s
cross-fade 0.04.
"""
from __future__ import annotations

from collections import deque

import cv2
import numpy as np

CUT_DISTANCE = 0.45     # Bhattacharyya distance between consecutive frames' histograms
CUT_OVER_RECENT = 3.0   # ... and this many times the median distance of the last frames
MIN_SHOT_S = 0.4        # a new shot starts at least this long after the previous cut
RECENT = 12             # frames of recent history
LAYOUT_DISTANCE = 0.5   # 1 - normalised correlation of consecutive frames' grey thumbnails
LAYOUT_SIZE = (32, 18)  # thumbnail width, height
HIST_BINS = 16 * 8


def frame_histogram(frame_bgr: np.ndarray) -> np.ndarray:
    """The frame's signature for ShotDetector.observe: (HIST_BINS + 32*18,) float32, the normalised
    2D hue-saturation histogram (16 x 8 bins) of a 96-px-wide copy of the frame, then its grey
    layout thumbnail (32 x 18, zero mean, unit spread; all zero for a flat frame)."""
    h, w = frame_bgr.shape[:2]
    small = cv2.resize(frame_bgr, (96, max(1, round(96 * h / w))), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    hist = cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1)
    grey = cv2.cvtColor(cv2.resize(small, LAYOUT_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    grey = grey.astype(np.float32)
    spread = float(grey.std())
    layout = (grey - grey.mean()) / spread if spread > 2.0 else np.zeros_like(grey)
    return np.concatenate([hist.ravel(), layout.ravel()]).astype(np.float32)


def layout_change(a: np.ndarray, b: np.ndarray) -> float:
    """1 - normalised correlation of two layout thumbnails (0 when either frame is flat)."""
    if not a.any() or not b.any():
        return 0.0
    return float(1.0 - np.mean(a * b))


class ShotDetector:
    """Feed frames in order; `__call__(frame)` returns True when that frame starts a new shot."""

    def __init__(self, fps: float | None):
        self.min_gap = max(1, round(MIN_SHOT_S * (fps if fps and np.isfinite(fps) and fps > 0 else 25.0)))
        self.prev: np.ndarray | None = None
        self.recent: deque = deque(maxlen=RECENT)
        self.recent_layout: deque = deque(maxlen=RECENT)
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
        d = float(cv2.compareHist(prev[:HIST_BINS].reshape(16, 8), hist[:HIST_BINS].reshape(16, 8),
                                  cv2.HISTCMP_BHATTACHARYYA))
        lay = layout_change(prev[HIST_BINS:], hist[HIST_BINS:])
        typical = float(np.median(self.recent)) if self.recent else 0.0
        typical_layout = float(np.median(self.recent_layout)) if self.recent_layout else 0.0
        self.recent.append(d)
        self.recent_layout.append(lay)
        colours = d > CUT_DISTANCE and d > CUT_OVER_RECENT * typical
        layout = lay > LAYOUT_DISTANCE and lay > CUT_OVER_RECENT * typical_layout
        if (colours or layout) and self.index - self.last_cut >= self.min_gap:
            self.last_cut = self.index
            self.recent.clear()
            self.recent_layout.clear()
            return True
        return False
