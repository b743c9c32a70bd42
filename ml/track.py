"""Multi-person tracking: per-frame detections in, people with stable ids across frames out.

Each frame, every live track predicts where its person is now (constant velocity from its last
detections) and is matched to the frame's detections by a similarity that mixes box overlap (IoU)
and keypoint similarity (COCO's OKS), greedily, best pair first; given each detection's colour
signature (`appearance`: colour histograms of upper and lower body), the similarity is scaled down
for people dressed differently, which keeps apart two people walking side by side when only one of
them is found in a frame. A track that finds no detection
is kept "lost" for `keep_lost_s` seconds, its predicted box widening with every missed frame, so
a person who is hidden for a moment (someone walks in front) or who crosses another person gets
their id back. A new track gets an id only after `confirm_hits` detections in a row, and tracks
with fewer than `min_track_s` seconds of detections are dropped at the end, so one-frame false
detections never become people. Gaps inside a track are filled by linear interpolation, flagged
as not detected (confidence 0), as the single-person pipeline does.

Pure numpy. Keypoints are (17, 3) x, y pixels + confidence (COCO-17); boxes x0, y0, x1, y1 pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# COCO keypoint sigmas (per-joint spread of human annotations), used by OKS.
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0
KP_MIN_CONF = 0.2  # keypoints below this confidence take no part in the keypoint similarity


@dataclass
class TrackerConfig:
    keep_lost_s: float = 1.5     # a lost track waits this long for its person to come back
    min_track_s: float = 0.5     # tracks with fewer seconds of detections are dropped at the end
    confirm_hits: int = 3        # detections in a row before a new track gets an id
    min_similarity: float = 0.15  # below this a detection is not the tracked person
    widen_per_frame: float = 0.15  # predicted box grows by this fraction per missed frame
    velocity_smoothing: float = 0.5  # weight of the newest displacement in the velocity estimate
    iou_weight: float = 0.5      # similarity = w * IoU + (1 - w) * OKS
    appearance_floor: float = 0.5  # with appearance features: similarity x (BC - floor) / (1 - floor), BC the
                                   # Bhattacharyya coefficient of the colour signatures (0.5 ~ a stranger)
    appearance_memory: float = 0.8  # weight of the track's signature so far against the newest


@dataclass
class PersonTrack:
    """One person over the frames [start, start + len(keypoints))."""

    id: int
    start: int
    keypoints: np.ndarray  # (T, 17, 3) pixels + confidence; filled frames have confidence 0
    boxes: np.ndarray      # (T, 4) x0, y0, x1, y1
    detected: np.ndarray   # (T,) bool: False where the frame was filled by interpolation
    scores: np.ndarray     # (T,) person score (0 where filled)

    @property
    def end(self) -> int:
        """One past the last frame."""
        return self.start + len(self.keypoints)


@dataclass
class _Track:
    frames: list = field(default_factory=list)   # frame indices with a detection
    kps: list = field(default_factory=list)      # (17, 3) per detection
    boxes: list = field(default_factory=list)    # (4,) per detection
    scores: list = field(default_factory=list)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # box centre, pixels per frame
    feature: np.ndarray | None = None  # running colour signature (see `appearance`)
    id: int | None = None  # given at confirmation

    def predict(self, frame: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Predicted box (4,), keypoints (17, 3) at `frame`, and the number of frames missed."""
        dt = frame - self.frames[-1]
        shift = self.velocity * dt
        box = self.boxes[-1] + np.tile(shift, 2)
        kp = self.kps[-1].copy()
        kp[:, :2] += shift
        return box, kp, dt - 1

    def add(self, frame: int, kp: np.ndarray, box: np.ndarray, score: float, smoothing: float,
            feature: np.ndarray | None = None, memory: float = 0.8) -> None:
        if feature is not None and feature.any():
            self.feature = feature if self.feature is None else memory * self.feature + (1 - memory) * feature
        if self.frames:
            step = (_centre(box) - _centre(self.boxes[-1])) / (frame - self.frames[-1])
            self.velocity = step if len(self.frames) == 1 else smoothing * step + (1 - smoothing) * self.velocity
        self.frames.append(frame)
        self.kps.append(kp)
        self.boxes.append(box)
        self.scores.append(score)


APPEARANCE_BINS = 8  # per colour channel
# The parts of a person's box whose colours are compared: the middle half of its width (less
# background), upper body and lower body separately (a dark coat over jeans is not dark trousers
# under a blue jumper).
APPEARANCE_BANDS = ((0.15, 0.5), (0.5, 0.85))


def appearance(frame: np.ndarray, box) -> np.ndarray:
    """A person's colour signature: square roots of colour histograms (8 levels per channel) of the
    upper and lower body within `box`, so that the dot product of two is their Bhattacharyya
    coefficient (1: the same colours). (D,) with D = 2 x 8^3; zeros where the box is off the frame."""
    b = APPEARANCE_BINS
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    parts = []
    for top, bottom in APPEARANCE_BANDS:
        xa, xb = int(max(0, x0 + 0.25 * (x1 - x0))), int(min(w, x1 - 0.25 * (x1 - x0)))
        ya, yb = int(max(0, y0 + top * (y1 - y0))), int(min(h, y0 + bottom * (y1 - y0)))
        pixels = frame[ya:yb, xa:xb].reshape(-1, 3).astype(np.int64) * b // 256
        hist = np.bincount((pixels[:, 0] * b + pixels[:, 1]) * b + pixels[:, 2], minlength=b ** 3).astype(np.float64)
        parts.append(hist / max(len(pixels), 1))
    return np.sqrt(np.concatenate(parts) / len(parts))


def _centre(box: np.ndarray) -> np.ndarray:
    return 0.5 * (box[:2] + box[2:])


def _widen(box: np.ndarray, factor: float) -> np.ndarray:
    c, half = _centre(box), 0.5 * (box[2:] - box[:2]) * factor
    return np.concatenate([c - half, c + half])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def keypoint_similarity(a: np.ndarray, b: np.ndarray, area: float) -> float:
    """COCO OKS between two (17, 3) poses over the keypoints both see; `area` sets the scale."""
    both = (a[:, 2] >= KP_MIN_CONF) & (b[:, 2] >= KP_MIN_CONF)
    if not both.any() or area <= 0:
        return 0.0
    d2 = ((a[both, :2] - b[both, :2]) ** 2).sum(1)
    return float(np.exp(-d2 / (2 * area * (2 * COCO_SIGMAS[both]) ** 2)).mean())


class Tracker:
    """Feed it one frame at a time with `update`, then `finish` for the tracks."""

    def __init__(self, fps: float, config: TrackerConfig | None = None):
        assert fps > 0, fps
        self.cfg = config or TrackerConfig()
        self.keep_lost = max(1, round(self.cfg.keep_lost_s * fps))
        self.min_frames = max(1, round(self.cfg.min_track_s * fps))
        self.frame = -1
        self.live: list[_Track] = []
        self.ended: list[_Track] = []
        self.next_id = 1

    def similarity(self, track: _Track, kp: np.ndarray, box: np.ndarray, feature: np.ndarray | None = None) -> float:
        pbox, pkp, missed = track.predict(self.frame)
        wide = _widen(pbox, 1.0 + self.cfg.widen_per_frame * missed)
        area = float(np.prod(wide[2:] - wide[:2]))
        w = self.cfg.iou_weight
        sim = w * box_iou(wide, box) + (1 - w) * keypoint_similarity(pkp, kp, area)
        if feature is not None and track.feature is not None and feature.any() and track.feature.any():
            bc = float(track.feature @ feature / np.linalg.norm(track.feature))  # features have norm 1
            sim *= float(np.clip((bc - self.cfg.appearance_floor) / (1 - self.cfg.appearance_floor), 0.0, 1.0))
        return sim

    def update(self, keypoints: np.ndarray, boxes: np.ndarray, scores: np.ndarray | None = None,
               features: np.ndarray | None = None) -> dict[int, int]:
        """One frame's detections: keypoints (N, 17, 3), boxes (N, 4), scores (N,), optionally colour
        signatures (N, D) from `appearance` (they help tell apart people who walk side by side).
        Returns {detection index: person id} for the detections that belong to a confirmed track."""
        keypoints = np.asarray(keypoints, np.float64).reshape(-1, 17, 3)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        n = len(keypoints)
        assert boxes.shape == (n, 4), (boxes.shape, n)
        scores = np.ones(n) if scores is None else np.asarray(scores, np.float64)
        assert scores.shape == (n,), (scores.shape, n)
        if features is not None:
            features = np.asarray(features, np.float64)
            assert features.ndim == 2 and len(features) == n, (features.shape, n)
        feat = (lambda j: None) if features is None else (lambda j: features[j])
        self.frame += 1

        sim = np.array([[self.similarity(t, keypoints[j], boxes[j], feat(j)) for j in range(n)] for t in self.live])
        sim = sim.reshape(len(self.live), n)
        matched: dict[int, _Track] = {}
        # Greedy, best pair first; confirmed tracks before tentative ones on equal footing.
        order = np.argsort(-(sim + 1e-3 * np.array([t.id is not None for t in self.live])[:, None]), axis=None)
        used_t: set[int] = set()
        for flat in order:
            ti, j = divmod(int(flat), n)
            if sim[ti, j] < self.cfg.min_similarity or ti in used_t or j in matched:
                continue
            used_t.add(ti)
            matched[j] = self.live[ti]
        for j in range(n):
            track = matched.get(j)
            if track is None:
                track = _Track()
                self.live.append(track)
                matched[j] = track
            track.add(self.frame, keypoints[j], boxes[j], float(scores[j]), self.cfg.velocity_smoothing,
                      feat(j), self.cfg.appearance_memory)
            if track.id is None and len(track.frames) >= self.cfg.confirm_hits:
                track.id = self.next_id
                self.next_id += 1
        still = []
        for t in self.live:
            missed = self.frame - t.frames[-1]
            # A tentative track must be seen in consecutive frames; a confirmed one may wait.
            if (t.id is None and missed > 0) or missed > self.keep_lost:
                if t.id is not None:
                    self.ended.append(t)
            else:
                still.append(t)
        self.live = still
        return {j: t.id for j, t in matched.items() if t.id is not None}

    def pop_ended(self) -> list[_Track]:
        """The confirmed tracks that ended (lost for longer than keep_lost_s) since the last call, for
        an online caller (ml.pipeline_people); `finish` then returns only the tracks not popped."""
        out, self.ended = self.ended, []
        return out

    def update_people(self, people: list, features: np.ndarray | None = None) -> dict[int, int]:
        """`update` with ml.detect_multi's PersonDetection list (and their `appearance` signatures)."""
        if not people:
            return self.update(np.zeros((0, 17, 3)), np.zeros((0, 4)), np.zeros(0))
        return self.update(np.stack([p.keypoints for p in people]), np.array([p.box for p in people]),
                           np.array([p.score for p in people]), features)

    def finish(self) -> list[PersonTrack]:
        """All confirmed tracks with at least `min_track_s` of detections, gaps filled, by id."""
        tracks = self.ended + [t for t in self.live if t.id is not None]
        self.ended, self.live = [], []
        out = [fill_gaps(t) for t in tracks if len(t.frames) >= self.min_frames]
        return sorted(out, key=lambda p: p.id)


def fill_gaps(t: _Track) -> PersonTrack:
    """A track's detections as frame-by-frame arrays, missing frames interpolated (confidence 0)."""
    frames = np.asarray(t.frames)
    start, T = int(frames[0]), int(frames[-1] - frames[0] + 1)
    kp_in, box_in = np.stack(t.kps), np.stack(t.boxes)
    idx = frames - start
    all_t = np.arange(T)
    kp = np.empty((T, 17, 3), np.float32)
    for j in range(17):
        for c in range(2):
            kp[:, j, c] = np.interp(all_t, idx, kp_in[:, j, c])
    kp[:, :, 2] = 0.0
    kp[idx, :, 2] = kp_in[:, :, 2]
    boxes = np.stack([np.interp(all_t, idx, box_in[:, c]) for c in range(4)], axis=1).astype(np.float32)
    detected = np.zeros(T, bool)
    detected[idx] = True
    scores = np.zeros(T, np.float32)
    scores[idx] = t.scores
    assert kp.shape == (T, 17, 3) and boxes.shape == (T, 4)
    return PersonTrack(t.id, start, kp, boxes, detected, scores)


def track_people(per_frame: list[list], fps: float, config: TrackerConfig | None = None,
                 features: list | None = None) -> list[PersonTrack]:
    """Track a whole video's detections (one list of PersonDetection per frame), optionally with
    their colour signatures (one (N, D) array per frame, from `appearance`)."""
    tracker = Tracker(fps, config)
    for i, people in enumerate(per_frame):
        tracker.update_people(people, None if features is None else features[i])
    return tracker.finish()
