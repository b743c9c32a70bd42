"""Video → 3D pipeline, streaming: decode → 2D detection → H36M-17 → gap filling → lifting → world frame.

Finished frames are handed to `on_frames` as soon as the lifter's right-hand context for them is
known (latency ≤ half the receptive field + one chunk), so a web client can watch the skeleton while
the rest of the video is still being processed. The CLI (ml.infer) and the Celery worker both call
`run_pipeline`; the result is one `PoseResult`.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ml import video as video_io
from ml.postprocess import SMOOTHING, WorldAligner, quality
from ml.result import PoseResult
from ml.skeleton import JOINT_NAMES, PARENTS, to_h36m

ProgressFn = Callable[[str, int, int], None]  # stage, done, total
# on_frames(start, kp2d (n,17,3), kp3d (n,17,3), visible=(n,17) bool, cuts=[global frame indices of
# shot starts within [start, start + n)])
FramesFn = Callable[..., None]
MIN_DETECTED_FRACTION = 0.2  # below this the 3D would be mostly guesswork


class PipelineError(ValueError):
    """The video cannot be turned into 3D; the message is meant for the user."""


class Cancelled(Exception):
    """`should_stop()` returned True."""


@dataclass
class PipelineOptions:
    checkpoint: str | None = None  # lifter checkpoint path; None = the shipped default
    detector: str = "mediapipe"
    complexity: int = 1  # MediaPipe model complexity
    flip: bool = True  # flip test-time augmentation in the lifter
    progress_every: int = 5  # send detection progress every N frames
    smoothing: str = "light"  # one of ml.postprocess.SMOOTHING: none | light | strong
    max_seconds: float = 0  # refuse videos longer than this (0: no limit); checked while decoding
    torch_threads: int = 1  # lifting is light; the other core is busy detecting (0: leave torch's setting)
    height_m: float | None = None  # the person's height if the user knows it (scales the skeleton); None: adult prior


_LIFTERS: dict = {}  # (path, mtime) -> Lifter: a worker process loads each checkpoint once


def load_lifter(checkpoint: str | Path | None):
    """Load a lifter (cached per process), turning every way a checkpoint can be wrong into a
    PipelineError a user can read."""
    from ml.lift import DEFAULT_CHECKPOINT

    path = Path(checkpoint or DEFAULT_CHECKPOINT)
    if not path.is_file():
        raise PipelineError(f"The model checkpoint {path} does not exist. Choose another model.")
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _LIFTERS:
        _LIFTERS.clear()  # keep one model in memory
        _LIFTERS[key] = _load_lifter(path)
    return _LIFTERS[key]


def _load_lifter(path: Path):
    from ml.lift import Lifter

    try:
        lifter = Lifter.load(path)
    except Exception as exc:  # noqa: BLE001 - any load failure means "not a usable checkpoint"
        raise PipelineError(f"The file {path.name} is not a usable 3DPoseNet lifter checkpoint ({exc}).") from None
    joint_set = lifter.meta.get("joints", {}).get("set")
    if joint_set != "h36m17":
        raise PipelineError(
            f"The model {path.name} was trained for the joint set {joint_set!r}, but this pipeline "
            "produces Human3.6M-17 keypoints. Choose a model trained on h36m17."
        )
    lifter.path = path
    return lifter


# Human3.6M framing of a person, measured on its ground-truth 2D (S1, S9, every 20th frame) in
# normalised screen coordinates (x / w * 2 - 1): the median sum of the 16 2D bone lengths, and the
# median root position. The lifter has only ever seen people framed like this.
H36M_SKELETON_SIZE = 1.63
H36M_ROOT = np.array([0.045, -0.188])
CANONICAL_SIDE = 1000  # pixels of the virtual square image the lifter is shown
_PARENTS_OR_SELF = np.array([max(p, 0) for p in PARENTS])


def canonical_view(window: np.ndarray, width: int, height: int) -> np.ndarray:
    """Re-frame a window of 2D keypoints (F,17,2+, pixels) as Human3.6M would have filmed the person:
    scaled about the root so the median 2D skeleton size matches, root moved to H36M's median spot,
    in a 1000×1000 virtual image. A person 80 px tall in a wide shot and one filling a phone's
    portrait frame then look alike to the lifter; the 3D it returns is root-relative anyway."""
    xy = window[..., :2].astype(np.float64)
    norm = np.stack([xy[..., 0] / width * 2 - 1, xy[..., 1] / width * 2 - height / width], -1)
    size = np.median(np.linalg.norm(norm - norm[:, _PARENTS_OR_SELF], axis=-1).sum(-1))
    root = np.median(norm[:, 0], axis=0)
    scale = H36M_SKELETON_SIZE / size if size > 1e-6 else 1.0
    canon = (norm - root) * scale + H36M_ROOT
    return ((canon + 1.0) * CANONICAL_SIDE / 2).astype(np.float32)  # square image: both axes alike


class _GapFiller:
    """Holds per-frame 2D (17,3) and fills frames without a detection once their neighbours are known.

    Frames [0, ready) are final. A missing frame becomes final when the next detection arrives
    (linear interpolation, confidence 0) or at the end of the video (last detection held).
    """

    def __init__(self):
        self.frames: list[np.ndarray | None] = []
        self.ready = 0
        self.last_detected = -1

    def add(self, kp: np.ndarray | None) -> None:
        i = len(self.frames)
        self.frames.append(kp)
        if kp is None:
            return
        prev = self.last_detected
        if prev < 0:
            for j in range(i):  # leading frames without a person: hold the first detection
                self.frames[j] = _no_conf(kp)
        else:
            for j in range(prev + 1, i):
                a = (j - prev) / (i - prev)
                self.frames[j] = _no_conf((1 - a) * self.frames[prev] + a * kp)
        self.last_detected = i
        self.ready = i + 1

    def finish(self) -> None:
        if self.last_detected < 0:
            return
        for j in range(self.last_detected + 1, len(self.frames)):
            self.frames[j] = _no_conf(self.frames[self.last_detected])
        self.ready = len(self.frames)


def _no_conf(kp: np.ndarray) -> np.ndarray:
    out = kp.copy()
    out[:, 2] = 0.0
    return out


def _prefetch(iterator, size: int = 8):
    """Run `iterator` (video decoding) in a background thread, `size` items ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():  # never block forever: the consumer may have gone
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterator:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(exc)
            return
        put(done)

    threading.Thread(target=produce, daemon=True, name="decode").start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def run_pipeline(
    video_path: Path,
    options: PipelineOptions | None = None,
    lifter=None,
    on_progress: ProgressFn | None = None,
    on_frames: FramesFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PoseResult:
    """Run the whole chain on one video. Raises video_io.VideoError / PipelineError with a user message.

    Three threads overlap: decoding (prefetch), 2D detection (this thread) and lifting + world
    alignment (one worker thread, chunks in order). Callbacks are always called from this thread.
    """
    from ml.detect import create_detector

    options = options or PipelineOptions()
    if options.smoothing not in SMOOTHING:
        raise PipelineError(f"Unknown smoothing {options.smoothing!r}; choose one of {', '.join(SMOOTHING)}.")
    on_progress = on_progress or (lambda *a: None)
    on_frames = on_frames or (lambda *a: None)
    should_stop = should_stop or (lambda: False)
    t_start = time.perf_counter()

    on_progress("decode", 0, 1)
    info = video_io.probe(video_path)
    lifter = lifter or load_lifter(options.checkpoint)
    if options.torch_threads:
        import torch

        torch.set_num_threads(options.torch_threads)  # process-wide: more threads only fight the detector
    aligner = WorldAligner(info.fps, info.width, info.height, options.smoothing)
    try:
        detector = create_detector(options.detector, options.complexity)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    total_hint = info.frame_count_hint
    on_progress("decode", 1, 1)

    filler = _GapFiller()
    detected: list[bool] = []
    times: list[float] = []
    kp3d_parts: list[np.ndarray] = []
    t_lift = [0.0]
    lift_fps = info.known_fps  # an unknown rate: lift the frames as they are
    F, hop = lifter.window_frames(lift_fps), lifter.hop_for(lift_fps)  # in video frames
    next_centre = 0  # chunk k holds the `hop` frames nearest the window centred on k * hop (as lift() does)
    lifting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lift")
    pending: deque = deque()  # futures of submitted chunks, in frame order
    known_total = 0  # frames decoded, once decoding has finished (container counts lie)

    def lift_chunk(window: np.ndarray, kp2d_chunk: np.ndarray, a: int, b: int):
        t0 = time.perf_counter()
        cam = lifter.lift_window(canonical_view(window, info.width, info.height), CANONICAL_SIDE, CANONICAL_SIDE,
                                 conf=window[..., 2], flip=options.flip, fps=lift_fps)
        world = aligner(cam[a:b], kp2d_chunk, window=cam)  # stateful: chunks in order (one worker)
        t_lift[0] += time.perf_counter() - t0
        return world

    def submit_ready(final: bool) -> None:
        """Queue every chunk whose window's frames are all final (at the end: every remaining chunk)."""
        nonlocal next_centre
        while True:
            c = next_centre
            lo, hi = max(0, c - hop // 2), c - hop // 2 + hop
            first, window_end = c - F // 2, c - F // 2 + F  # the window, [first, window_end)
            if final:
                hi = min(hi, filler.ready)
                if lo >= hi:
                    return
            elif window_end > filler.ready:
                return
            idx = np.clip(np.arange(first, window_end), 0, filler.ready - 1)  # edge padding
            window = np.stack([filler.frames[i] for i in idx])  # (F,17,3)
            kp2d_chunk = np.stack(filler.frames[lo:hi])
            future = lifting.submit(lift_chunk, window, kp2d_chunk, lo - first, hi - first)
            pending.append((lo, hi, kp2d_chunk, future))
            next_centre += hop

    def deliver(wait: bool) -> None:
        while pending and (wait or pending[0][3].done()):
            lo, hi, kp2d_chunk, future = pending.popleft()
            world = future.result()
            kp3d_parts.append(world)
            on_frames(lo, kp2d_chunk, world)
            on_progress("lift", hi, known_total or max(len(filler.frames), total_hint))

    try:
        t0 = time.perf_counter()
        for i, (frame, t_s) in enumerate(_prefetch(video_io.iter_frames(video_path))):
            if i % options.progress_every == 0 and should_stop():
                raise Cancelled()
            if options.max_seconds and t_s > options.max_seconds:
                raise PipelineError(
                    f"This video is longer than the {options.max_seconds:.0f} s limit. Please trim it and try again."
                )
            det = detector(frame)
            filler.add(to_h36m(det.keypoints[None], detector.layout)[0] if det is not None else None)
            detected.append(det is not None)
            times.append(t_s)
            if (i + 1) % options.progress_every == 0:
                on_progress("detect", i + 1, max(total_hint, i + 1))
            submit_ready(final=False)
            deliver(wait=False)
        t_detect = time.perf_counter() - t0
        n = len(detected)
        if n == 0:
            raise PipelineError("No frames could be decoded from this video. The file may be damaged or empty.")
        on_progress("detect", n, n)
        if not any(detected):
            raise PipelineError(
                "No person was found in any frame of this video. Please upload a video in which one "
                "person is clearly visible (whole body, not too small)."
            )
        if sum(detected) < MIN_DETECTED_FRACTION * n:
            raise PipelineError(
                f"A person was found in only {sum(detected)} of {n} frames, too few for a usable 3D "
                "skeleton. Please upload a video in which the person stays in view most of the time."
            )
        filler.finish()
        known_total = n
        submit_ready(final=True)
        deliver(wait=True)
    finally:
        lifting.shutdown(wait=True, cancel_futures=True)
        detector.close()

    total = time.perf_counter() - t_start
    kp3d = np.concatenate(kp3d_parts).astype(np.float32)
    return PoseResult(
        fps=info.fps, width=info.width, height=info.height,
        joint_names=list(JOINT_NAMES), parents=list(PARENTS),
        keypoints_2d=np.stack(filler.frames).astype(np.float32),
        keypoints_3d=kp3d,
        detected=np.array(detected, dtype=bool),
        times=np.array(times, dtype=np.float64),
        model={"name": lifter.name, "checkpoint": str(getattr(lifter, "path", "")),
               "receptive_field": lifter.receptive_field, "window_frames": F, "smoothing": options.smoothing},
        detector=detector.name,
        timings={"detect_s": round(t_detect, 3), "lift_s": round(t_lift[0], 3), "total_s": round(total, 3),
                 "frames": n, "fps": round(n / total, 2) if total > 0 else None},
        quality=quality(np.concatenate(aligner.raw), kp3d, info.fps),
        source_name=Path(video_path).name,
    )
