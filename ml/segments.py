"""Detection segments: the video's frames cut into fixed blocks whose 2D is detected independently.

MediaPipe tracks the person from frame to frame (the last landmarks place the next crop, and a
filter smooths them), so its output at frame i depends on every frame before i. Two runs that
start at different frames never agree exactly: started 10 or 25 frames early they still differed
by 3-15 px a second later (skater clip). To let several processes or workers share one video and
still give the result of one, every run follows the same plan: the detector starts afresh at
every segment boundary (every SEGMENT_S seconds), after WARMUP_S of frames it sees and discards (the crop and the
filter settle). The 2D of frame i is then a function of frames [segment start - warm-up, i] only,
the same whoever detects it and in whatever order, and the lifting after it is exact too.

    for rec in detect_segments(video, owned=lambda k: k % 2 == 0): ...   # segments 0, 2, 4, ...

A record is (frame index, timestamp s, H36M-17 keypoints (17, 3) or None, starts a new shot,
skipped). With a detection stride s > 1 the detector sees every s-th frame of its run (counted from
the run's first frame, and again from every cut) and the others are `skipped` records, which the
pipeline fills from their neighbours: MediaPipe's cost is per frame it sees.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ml import video as video_io
from ml.facing import face_points
from ml.shots import ShotDetector, frame_histogram
from ml.skeleton import to_h36m

SEGMENT_S = 20.0  # seconds per segment. A restart can lose a person MediaPipe's detector cannot find
                  # again (small people in a crowd; its tracker holds on to them): 8-s segments lost
                  # 72 of the pedestrians clip's 152 detected frames, so restarts are kept rare. Long
                  # videos still split finely enough for many workers (a 2-min clip: 6 parts).
WARMUP_S = 1.0    # seconds detected before a segment starts and thrown away (5 % extra detection)


class Record(NamedTuple):
    index: int
    t_s: float
    keypoints: np.ndarray | None  # (17, 3) H36M-17 pixels + confidence; None: no person found
    cut: bool                      # this frame starts a new shot
    skipped: bool = False          # not shown to the detector (stride): keypoints None, to be interpolated
    face: np.ndarray | None = None  # (5, 3) the detector's face points (ml.facing.FACE_POINTS: pixels +
                                    # confidence), the evidence of which way the person faces; None: none


class Plan(NamedTuple):
    """Segment length and warm-up in frames, a function of the video's frame rate only."""
    frames: int
    warmup: int

    @classmethod
    def for_fps(cls, fps: float | None) -> "Plan":
        rate = fps if fps and np.isfinite(fps) and fps > 0 else 25.0
        frames = max(16, round(SEGMENT_S * rate))
        return cls(frames, min(frames // 2, max(4, round(WARMUP_S * rate))))

    def segment_of(self, index: int) -> int:
        return index // self.frames

    def window_start(self, k: int) -> int:
        """First frame the detector of segment k sees (its warm-up starts there)."""
        return max(0, k * self.frames - self.warmup)


class _SegmentRun:
    """The detector and shot detector of one segment, fresh at the segment's window start."""

    def __init__(self, k: int, detector, fps: float | None, first: int, stride: int = 1):
        self.k = k
        self.detector = detector
        self.phase, self.stride = first, max(1, int(stride))
        detector.reset()
        self.shots = ShotDetector(fps)
        if k > 0:  # a fresh shot detector holds back cuts near its start; the video's start is not one
            self.shots.last_cut = -self.shots.min_gap

    def __call__(self, index: int, prepared, hist: np.ndarray, t_s: float) -> Record:
        cut = self.shots.observe(hist) and index > 0
        if cut:
            self.phase = index  # a new shot is always detected at its first frame
            self.detector.reset()  # ... from scratch: MediaPipe would look where the last shot's person was
        if (index - self.phase) % self.stride:
            return Record(index, t_s, None, cut, skipped=True)
        det = self.detector.detect(prepared)
        if det is None:
            return Record(index, t_s, None, cut)
        kp = to_h36m(det.keypoints[None], self.detector.layout)[0]
        return Record(index, t_s, kp, cut, face=face_points(det.keypoints, self.detector.layout))


def detect_segments(video_path: Path, owned: Callable[[int], bool], detectors, fps: float | None,
                    first: int = 0, last: int | None = None,
                    should_stop: Callable[[], bool] | None = None, stride: int = 1) -> Iterator[Record]:
    """Records of every frame of the segments k in [first, last] (last None: to the end) for which
    owned(k), in frame order. `detectors` is a pair of detectors with reset(): one for the segment
    being output and one warming up for the next (their windows overlap by the warm-up).
    Frames of other segments are decoded but not converted (a child process of a pool reads the
    whole video and detects only its own segments)."""
    assert len(detectors) == 2
    plan = Plan.for_fps(fps)
    segment_of, window_start = plan.segment_of, plan.window_start
    runs: dict[int, _SegmentRun] = {}
    should_stop = should_stop or (lambda: False)

    def wanted(i: int) -> bool:
        k = segment_of(i)
        in_own = first <= k and (last is None or k <= last) and owned(k)
        nxt = k + 1
        warm = (last is None or nxt <= last) and owned(nxt) and i >= window_start(nxt)
        return in_own or warm

    def decoded():  # in the decoding thread: decode, and prepare what needs no detector state
        for i, frame, t_s in video_io.iter_frames_from(video_path, start, want=wanted):
            if last is not None and segment_of(i) > last:
                return
            if frame is not None:
                yield i, detectors[0].prepare(frame), frame_histogram(frame), t_s

    start = window_start(first)
    for i, prepared, hist, t_s in video_io.prefetch(decoded()):
        if should_stop():
            return
        k = segment_of(i)
        for seg in (k, k + 1):
            if seg in runs or not owned(seg) or seg < first or (last is not None and seg > last):
                continue
            if i == max(window_start(seg), start):
                runs[seg] = _SegmentRun(seg, detectors[seg % 2], fps, i, stride)
        if k + 1 in runs and i < (k + 1) * plan.frames:
            runs[k + 1](i, prepared, hist, t_s)  # warm-up: seen, thrown away
        if k in runs:
            yield runs[k](i, prepared, hist, t_s)
        runs.pop(k - 1, None)


def records_to_arrays(records: list[Record]) -> dict[str, np.ndarray]:
    """Records (in order, consecutive) -> arrays for an .npz file (keypoints NaN where none)."""
    n = len(records)
    kp = np.full((n, 17, 3), np.nan, np.float32)
    face = np.full((n, 5, 3), np.nan, np.float32)
    for j, r in enumerate(records):
        if r.keypoints is not None:
            kp[j] = r.keypoints
        if r.face is not None:
            face[j] = r.face
    return {"index": np.array([r.index for r in records], np.int64),
            "t_s": np.array([r.t_s for r in records], np.float64),
            "keypoints": kp, "cut": np.array([r.cut for r in records], bool),
            "skipped": np.array([r.skipped for r in records], bool), "face": face}


def arrays_to_records(arrays) -> list[Record]:
    kp = arrays["keypoints"]
    skipped = arrays["skipped"] if "skipped" in arrays else np.zeros(len(kp), bool)  # parts written before strides
    face = arrays["face"] if "face" in arrays else np.full((len(kp), 5, 3), np.nan, np.float32)  # ... before faces
    return [Record(int(i), float(t), None if np.isnan(kp[j, 0, 0]) else kp[j], bool(c), bool(sk),
                   None if np.isnan(face[j, 0, 0]) else face[j])
            for j, (i, t, c, sk) in enumerate(zip(arrays["index"], arrays["t_s"], arrays["cut"], skipped))]
