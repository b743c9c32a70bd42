"""Video → 3D pipeline, streaming: decode → 2D detection → H36M-17 → gap filling → lifting → world frame.

Finished frames are handed to `on_frames` as soon as the lifter's right-hand context for them is
known (latency ≤ half the receptive field + one chunk), so a web client can watch the skeleton while
the rest of the video is still being processed. The CLI (ml.infer) and the Celery worker both call
`run_pipeline`; the result is one `PoseResult`.
"""
from __future__ import annotations

import copy
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ml import video as video_io
from ml.detect import detector_label
from ml.postprocess import DEFAULT_STATURE_M, SMOOTHING, WorldAligner, camera_tilt, quality, visible_joints
from ml.segments import Record, detect_segments
from ml.result import PoseResult
from ml.result_people import PEOPLE_MODES
from ml.skeleton import JOINT_NAMES, PARENTS

ProgressFn = Callable[[str, int, int], None]  # stage, done, total
# on_frames(start, kp2d (n,17,3), kp3d (n,17,3), visible=(n,17) bool, cuts=[global frame indices of
# shot starts within [start, start + n)])
FramesFn = Callable[..., None]
MIN_DETECTED_FRACTION = 0.2  # below this the 3D would be mostly guesswork
# Provisional 3D for the first seconds (issue 33: the first frame on screen): until the skeleton is
# measured and the first final chunk leaves, every frame so far is lifted with a short look-ahead and
# sent to on_preview, first once PREVIEW_FIRST_FRAMES frames are in, then every PREVIEW_EVERY more.
PREVIEW_FIRST_FRAMES = 8
PREVIEW_EVERY = 10
PREVIEW_MIN_GAP_S = 0.4  # ... but not more often than this much video (a 240 fps clip)
PREVIEW_MAX_S = 3.0      # ... and none past this much video (a close-up's skeleton takes up to FREEZE_AFTER_S)


def preview_gap(fps: float) -> int:
    """Video frames from one preview to the next (both pipelines)."""
    return max(PREVIEW_EVERY, round(PREVIEW_MIN_GAP_S * fps))
MAX_DETECT_PROCESSES = 4


class PipelineError(ValueError):
    """The video cannot be turned into 3D; the message is meant for the user."""


class VideoProblem(PipelineError):
    """The video itself (or the options chosen for it) is the cause: the same job would fail the same way,
    whereas a PipelineError about the server's models may pass once an administrator has fixed them."""


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
    max_frames: int = 0  # refuse videos with more frames than this (0: no limit); checked while decoding
    torch_threads: int = 1  # lifting is light; the other core is busy detecting (0: leave torch's setting)
    height_m: float | None = None  # the person's height if the user knows it (scales the skeleton); None: adult prior
    foot_lock: bool = True  # ground from the foot contacts, planted feet locked (ml.contact)
    detect_stride: int = 1  # show the 2D detector every n-th frame, interpolate the others (speed): one person
                            # through ml.segments, several people through the tracker (ml.pipeline_people)
    detect_processes: int = 0  # 2D detector processes (ml.detect_pool); 0: one per two cores, at most
                               # MAX_DETECT_PROCESSES; 1: in this process. The result is the same.
    device: str = "cpu"  # the lifter's device: "cpu" | "cuda" | "auto" (CUDA when present)
    people: str = "one"  # "one": MediaPipe, one person, result version 1; "several": ml.pipeline_people (v2)
    people_input_size: int = 512  # "several": MoveNet's input long side (ml.detect_multi.INPUT_SIZES)
    people_threads: int = 1  # "several": onnxruntime threads of the detector (ml.bench pipeline --people several)
    people_overlap: bool = True  # "several": decode + detect in a thread of their own, ahead of tracking + lifting
    people_ground_rays: bool = True  # "several": place each person by the ray through their feet (lift_people.on_the_ground)
    facing: bool = True  # one person: turn the 3D to face the way the detector's face points say (ml.facing)


_LIFTERS: dict = {}  # (path, mtime) -> Lifter: a worker process loads each checkpoint once


def lifter_device(name: str = "cpu") -> str:
    """"auto": CUDA when torch sees a GPU, else the CPU; otherwise the name as given."""
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_lifter(checkpoint: str | Path | None, device: str = "cpu"):
    """Load a lifter (cached per process), turning every way a checkpoint can be wrong into a
    PipelineError a user can read."""
    from ml.lift import DEFAULT_CHECKPOINT

    path = Path(checkpoint or DEFAULT_CHECKPOINT)
    if not path.is_file():
        raise PipelineError(f"The model file {path.name} is missing on the server. Choose another model, or ask "
                            "the site's administrators to restore it.")
    device = lifter_device(device)
    key = (str(path.resolve()), path.stat().st_mtime_ns, device)
    if key not in _LIFTERS:
        _LIFTERS.clear()  # keep one model in memory
        _LIFTERS[key] = _load_lifter(path, device)
    return _LIFTERS[key]


def _load_lifter(path: Path, device: str = "cpu"):
    from ml.lift import Lifter

    try:
        lifter = Lifter.load(path, device=device)
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


class _GapFiller:
    """Holds per-frame 2D (17,3) and fills frames without a detection once their neighbours are known.

    Frames [0, ready) are final. A missing frame becomes final when the next detection arrives
    (linear interpolation) or at the end of the video (last detection held). A frame the detector
    did not see (a stride's `skipped` frame) between two detections keeps the lower of their
    confidences; a frame in which the detector found no person gets confidence 0.
    """

    def __init__(self):
        self.frames: list[np.ndarray | None] = []
        self.ready = 0
        self.last_detected = -1
        self.missed = False  # a frame since the last detection had no person (not only skipped)

    def add(self, kp: np.ndarray | None, skipped: bool = False) -> None:
        i = len(self.frames)
        self.frames.append(kp)
        if kp is None:
            self.missed |= not skipped
            return
        prev = self.last_detected
        if prev < 0:
            for j in range(i):  # leading frames without a person: hold the first detection
                self.frames[j] = _no_conf(kp)
        else:
            conf = np.minimum(self.frames[prev][:, 2], kp[:, 2])
            for j in range(prev + 1, i):
                a = (j - prev) / (i - prev)
                f = (1 - a) * self.frames[prev] + a * kp
                f[:, 2] = 0.0 if self.missed else conf
                self.frames[j] = f
        self.last_detected = i
        self.missed = False
        self.ready = i + 1

    def finish(self, hold: np.ndarray | None = None) -> None:
        """The end of the shot: frames after the last detection hold it (confidence 0, unless they
        were only skipped); with no detection at all they hold `hold` (the previous shot's last
        frame), if given."""
        if self.last_detected < 0:
            if hold is None:
                return
            self.frames = [_no_conf(hold) for _ in self.frames]
        else:
            last = self.frames[self.last_detected]
            for j in range(self.last_detected + 1, len(self.frames)):
                self.frames[j] = last.copy() if not self.missed else _no_conf(last)
        self.ready = len(self.frames)


class _Shot:
    """One shot of the video (frames from `start` to the next cut): its gap filler and lifter stream."""

    def __init__(self, start: int, lifter, info, fps: float | None, flip: bool, facing: bool = True):
        self.start = start
        self.filler = _GapFiller()
        from ml.facing import FacingTracker
        from ml.lift import StreamingLifter  # torch: never imported by the web process

        self.stream = StreamingLifter(lifter, info.width, info.height, fps, flip=flip)
        self.faces: list = []  # per frame of the shot: the detector's face points (5,3) or None
        self.facing = FacingTracker(info.width, info.height, fps) if facing else None
        self.taken = 0  # filler frames already handed to the stream
        self.submitted = False

    def take_ready(self) -> np.ndarray:
        """The filler's newly final frames (k,17,3)."""
        kp = self.filler.frames[self.taken:self.filler.ready]
        self.taken = self.filler.ready
        return np.stack(kp) if kp else np.zeros((0, 17, 3), np.float32)


def _no_conf(kp: np.ndarray) -> np.ndarray:
    out = kp.copy()
    out[:, 2] = 0.0
    return out


def detect_processes(options: PipelineOptions) -> int:
    """How many detector processes a run uses: the option, else one per two cores this process may
    use (at most MAX_DETECT_PROCESSES): MediaPipe runs its graph on more than one thread (skater clip:
    20 frames/s on one core, 31 on two), so on 2 cores a second process gained nothing (32.3 vs 32.8
    frames/s end to end on a 1-min clip, ml/RESULTS.md)."""
    if options.detect_processes > 0:
        return options.detect_processes
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores // 2, MAX_DETECT_PROCESSES))


def detect_records(video_path: Path, info, options: PipelineOptions,
                   should_stop: Callable[[], bool] | None = None) -> Iterable[Record]:
    """Every frame's 2D record in order, detected by the processes options ask for; the same
    records whichever (ml.segments)."""
    from ml.detect import check_detector

    try:
        check_detector(options.detector, options.complexity)
        processes = detect_processes(options)
        if processes > 1:
            from ml.detect_pool import get_pool

            return get_pool(processes).records(video_path, options.detector, options.complexity, info.fps,
                                               should_stop=should_stop, stride=options.detect_stride)
        pair = detector_pair(options.detector, options.complexity)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    return detect_segments(video_path, lambda k: True, pair, info.fps, stride=options.detect_stride)


_DETECTORS: dict = {}  # (name, complexity) -> two detectors, kept warm in this process


def detector_pair(name: str = "mediapipe", complexity: int = 1) -> list:
    """This process's two detectors for ml.segments (one outputs a segment, one warms up for the
    next), created once: a worker keeps them for every job (each segment resets them)."""
    from ml.detect import create_detector

    key = (name, complexity)
    if key not in _DETECTORS:
        _DETECTORS[key] = [create_detector(name, complexity) for _ in range(2)]
    return _DETECTORS[key]


def start_run(video_path: Path, options: PipelineOptions, lifter, on_progress: ProgressFn):
    """What both paths (one person, several) do first: probe the video, load the lifter, set torch's
    threads. Returns (video info, lifter)."""
    on_progress("decode", 0, 1)
    info = video_io.probe(video_path)
    lifter = lifter or load_lifter(options.checkpoint, options.device)
    if options.torch_threads:
        import torch

        torch.set_num_threads(options.torch_threads)  # process-wide: more threads only fight the detector
    return info, lifter


def check_frame(options: PipelineOptions, i: int, t_s: float, should_stop: Callable[[], bool]) -> None:
    """Before frame i (at t_s seconds) goes on, in both paths: stop when asked (every progress_every
    frames), refuse past the duration and frame limits (a container can hide its frame count)."""
    if i % options.progress_every == 0 and should_stop():
        raise Cancelled()
    if options.max_seconds and t_s > options.max_seconds:
        raise VideoProblem(
            f"This video is longer than the {options.max_seconds:.0f} s limit. Please trim it and try again.")
    if options.max_frames and i >= options.max_frames:
        raise VideoProblem(
            f"This video has more than {options.max_frames:,} frames, the most one job may decode. Please "
            "upload a shorter clip, one recorded at a lower frame rate, or a lower resolution.")


def run_pipeline(
    video_path: Path,
    options: PipelineOptions | None = None,
    lifter=None,
    on_progress: ProgressFn | None = None,
    on_frames: FramesFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    records: Iterable[Record] | None = None,
    on_preview: FramesFn | None = None,
) -> PoseResult:
    """Run the whole chain on one video. Raises video_io.VideoError / PipelineError with a user message.
    on_preview: provisional frames before the first final ones, as on_frames (see PREVIEW_FIRST_FRAMES;
    several people: ml.pipeline_people); the final frames of on_frames replace them.

    The stages overlap: decoding and 2D detection (in detector processes, or in this process with
    decoding in a thread ahead of it), the 2D stream (this thread) and lifting + world alignment (one
    worker thread, chunks in order). Callbacks are always called from this thread. `records` gives
    the 2D already detected (ml.segments records of every frame, in order; e.g. by other workers).
    """

    options = options or PipelineOptions()
    if options.people not in PEOPLE_MODES:
        raise VideoProblem(f"Unknown people mode {options.people!r}; choose one of {', '.join(PEOPLE_MODES)}.")
    if options.smoothing not in SMOOTHING:  # both paths: several people smooth each root at this level
        raise VideoProblem(f"Unknown smoothing {options.smoothing!r}; choose one of {', '.join(SMOOTHING)}.")
    on_progress = on_progress or (lambda *a: None)
    on_frames = on_frames or (lambda *a, **k: None)
    should_stop = should_stop or (lambda: False)
    if options.people == "several":  # on_frames then gets several people per chunk (ml.pipeline_people)
        from ml.pipeline_people import run_people_pipeline

        return run_people_pipeline(video_path, options, lifter, on_progress, on_frames, should_stop, on_preview)
    t_start = time.perf_counter()
    info, lifter = start_run(video_path, options, lifter, on_progress)
    aligner = WorldAligner(info.fps, info.width, info.height, options.smoothing, options.height_m,
                           foot_lock=options.foot_lock)
    source = records if records is not None else detect_records(video_path, info, options, should_stop)
    total_hint = info.frame_count_hint
    on_progress("decode", 1, 1)

    lift_fps = info.known_fps  # an unknown rate: lift the frames as they are
    shot = _Shot(0, lifter, info, lift_fps, options.flip, options.facing)
    closed: list[_Shot] = []  # earlier shots, in order
    cuts: list[int] = []      # first frame of every shot after the first
    detected: list[bool] = []
    times: list[float] = []
    kp3d_parts: list[np.ndarray] = []
    kp2d_parts: list[np.ndarray] = []  # the 2D as lifted: brief left/right swaps undone (ml.swaps)
    visible_parts: list[np.ndarray] = []
    t_lift = [0.0]
    lifting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lift")  # one thread: chunks in order
    pending: deque = deque()  # futures of submitted work, in frame order
    known_total = 0  # frames decoded, once decoding has finished (container counts lie)

    held: list = []  # (new shot?, shot, chunk) lifted but not yet aligned: the skeleton is settling

    shot_tilts: dict[int, np.ndarray] = {}  # first frame of a shot -> the camera tilt its frames were turned by

    def lift_frames(sh: "_Shot", kp: np.ndarray, final: bool, new_shot: bool, end: bool):
        """In the lifting thread: push final 2D frames to the shot's lifter, align what comes out.
        Chunks are held back until the skeleton (bone lengths) is frozen, so that every frame sent
        (and the file) has the same skeleton: a few seconds of video at most (FREEZE_AFTER_S)."""
        t0 = time.perf_counter()
        chunks = sh.stream.push(kp) if len(kp) else []
        if final:
            chunks += sh.stream.finish()
        if sh.facing is not None:  # which way the person faces, from the face points (ml.facing)
            chunks = [sh.facing.fix(ch, sh.faces, len(sh.stream)) for ch in chunks]
        frozen = aligner.bones.frozen is not None
        for i, ch in enumerate(chunks):
            if not frozen:
                frozen = aligner.measure_bones(ch.window, visible_joints(ch.window_kp2d, info.width, info.height),
                                               len(ch.cam))
            held.append((new_shot and i == 0, sh, ch))
        if new_shot and not chunks:
            held.append((True, sh, None))
        if end:
            aligner.bones.freeze()
        out = []
        preview_parts = preview(sh, bool(held) and (frozen or end))
        while held and (frozen or end):
            starts_shot, s_, ch = held.pop(0)
            if starts_shot:
                aligner.new_shot()
            if ch is None:
                continue
            seen = visible_joints(ch.kp2d, info.width, info.height)
            world = aligner(ch.cam, ch.kp2d, seen=seen, window=ch.window, offset=ch.offset,
                            window_seen=visible_joints(ch.window_kp2d, info.width, info.height), measure=False,
                            window_kp2d=ch.window_kp2d)
            out.append((s_.start + ch.start, ch.kp2d, world, seen))
            shot_tilts[s_.start] = aligner.tilt.copy()  # each shot's camera: the last estimate wins
        t_lift[0] += time.perf_counter() - t0
        return out, preview_parts

    preview_at = [PREVIEW_FIRST_FRAMES if on_preview is not None else None]  # None: no (more) previews

    def preview(sh: "_Shot", finals_now: bool) -> list:
        """In the lifting thread, until the first final frames leave: provisional 3D of every frame of
        the first shot so far (the held chunks, and the rest lifted as if the video ended now), aligned
        by a copy of the aligner with the skeleton measured so far. The aligner itself is untouched."""
        if finals_now or closed or len(sh.stream) > PREVIEW_MAX_S * info.fps:
            preview_at[0] = None
        if preview_at[0] is None or len(sh.stream) < preview_at[0]:
            return []
        preview_at[0] = len(sh.stream) + preview_gap(info.fps)
        a = copy.deepcopy(aligner)
        parts = []
        for starts_shot, _, ch in held + [(False, sh, c) for c in sh.stream.preview()]:
            if starts_shot:
                a.new_shot()
            if ch is not None:
                seen = visible_joints(ch.kp2d, info.width, info.height)
                parts.append((ch.kp2d, a(ch.cam, ch.kp2d, seen=seen, window=ch.window, offset=ch.offset,
                                         window_seen=visible_joints(ch.window_kp2d, info.width, info.height),
                                         measure=False, window_kp2d=ch.window_kp2d), seen))
        if not parts:
            return []
        return [(0, *(np.concatenate(x) for x in zip(*parts)))]  # frames 0.. in one chunk

    def submit(sh: "_Shot", final: bool = False, end: bool = False) -> None:
        kp = sh.take_ready()
        if len(kp) or final:
            pending.append(lifting.submit(lift_frames, sh, kp, final, sh.start > 0 and not sh.submitted, end))
            sh.submitted = True

    def deliver(wait: bool) -> None:
        while pending and (wait or pending[0].done()):
            finals, previews = pending.popleft().result()
            for start, kp2d_chunk, world, seen in previews:
                on_preview(start, kp2d_chunk, world, visible=seen)
            for start, kp2d_chunk, world, seen in finals:
                kp3d_parts.append(world)
                kp2d_parts.append(kp2d_chunk)
                visible_parts.append(seen)
                end = start + len(world)
                on_frames(start, kp2d_chunk, world, visible=seen, cuts=[c for c in cuts if start <= c < end])
                on_progress("lift", end, known_total or max(shot.start + len(shot.filler.frames), total_hint))

    try:
        t0 = time.perf_counter()
        seen_person = False  # the last frame the detector saw had a person (a skipped frame inherits it)
        for rec in source:
            i, t_s, kp, cut, skipped = rec[:5]
            face = rec[5] if len(rec) > 5 else None  # records made before face points carry none
            check_frame(options, i, t_s, should_stop)
            # A cut closes the shot, unless no person was found in it yet (its frames join the next).
            if cut and shot.filler.last_detected >= 0:
                shot.filler.finish()
                submit(shot, final=True)
                closed.append(shot)
                cuts.append(i)
                shot = _Shot(i, lifter, info, lift_fps, options.flip, options.facing)
            shot.faces.append(face)
            shot.filler.add(kp, skipped)
            seen_person = seen_person if skipped else kp is not None
            detected.append(seen_person)
            times.append(t_s)
            if (i + 1) % options.progress_every == 0:
                on_progress("detect", i + 1, max(total_hint, i + 1))
            submit(shot)
            deliver(wait=False)
        t_detect = time.perf_counter() - t0
        n = len(detected)
        if n == 0:
            raise VideoProblem("No frames could be decoded from this video. The file may be damaged or empty.")
        on_progress("detect", n, n)
        if not any(detected):
            raise VideoProblem(
                "No person was found in any frame of this video. Please upload a video in which one "
                "person is clearly visible (whole body, not too small)."
            )
        if sum(detected) < MIN_DETECTED_FRACTION * n:
            raise VideoProblem(
                f"A person was found in only {sum(detected)} of {n} frames, too few for a usable 3D "
                "skeleton. Please upload a video in which the person stays in view most of the time."
            )
        shot.filler.finish(hold=closed[-1].filler.frames[-1] if closed else None)
        known_total = n
        submit(shot, final=True, end=True)
        deliver(wait=True)
    finally:
        lifting.shutdown(wait=True, cancel_futures=True)
        if hasattr(source, "close"):
            source.close()  # stops the detector processes of a video left early

    total = time.perf_counter() - t_start
    kp3d = np.concatenate(kp3d_parts).astype(np.float32)
    contact = np.concatenate(aligner.contacts).astype(bool)
    kp2d = np.concatenate(kp2d_parts).astype(np.float32)
    assert len(kp2d) == len(kp3d), (len(kp2d), len(kp3d))
    return PoseResult(
        fps=info.fps, width=info.width, height=info.height,
        joint_names=list(JOINT_NAMES), parents=list(PARENTS),
        keypoints_2d=kp2d,
        keypoints_3d=kp3d,
        detected=np.array(detected, dtype=bool),
        visible=np.concatenate(visible_parts).astype(bool),
        contact=contact,
        cuts=list(cuts),
        skeleton={"height_m": round(float(options.height_m or DEFAULT_STATURE_M), 3),
                  "height_source": "given" if options.height_m else "prior",
                  "bone_lengths_m": [round(float(v), 4) for v in aligner.bones.lengths]},
        camera={**camera_tilt(aligner.tilt),
                "shots": [{"first_frame": int(k), **camera_tilt(shot_tilts[k])} for k in sorted(shot_tilts)]},
        times=np.array(times, dtype=np.float64),
        model={"name": lifter.name, "checkpoint": Path(getattr(lifter, "path", "") or "").name,  # not the server path
               "receptive_field": lifter.receptive_field, "window_frames": lifter.window_frames(lift_fps),
               "smoothing": options.smoothing},
        detector=detector_label(options.detector, options.complexity, options.detect_stride),
        timings={"detect_s": round(t_detect, 3), "lift_s": round(t_lift[0], 3), "total_s": round(total, 3),
                 "frames": n, "fps": round(n / total, 2) if total > 0 else None},
        quality=quality(np.concatenate(aligner.raw), kp3d, info.fps),
        source_name=Path(video_path).name,
        legs_guessed=np.array(aligner.feet.legs_guessed, bool) if options.foot_lock else None,
    )
