"""Several people: video → MoveNet MultiPose → online tracking → per-person lifting → one scene, streaming.

    result = run_pipeline(video, PipelineOptions(people="several"), on_frames=...)  # ml.pipeline: the entry

Every stage is online, frame by frame, and a frame leaves (`on_frames`) as soon as nothing can change it
any more, for anybody in it:
  * tracking (ml.track.Tracker): a person's 2D at frame f is final once their track has a detection at
    or after f (a gap is filled by interpolation when the person is found again) or the track has ended
    (lost for `keep_lost_s`, 1.5 s); a new track becomes a person only after `min_track_s` (0.5 s) of
    detections (short false tracks are dropped), so its frames wait that long;
  * lifting (ml.lift.StreamingLifter, one per person): half a lifter window plus one hop (at 10 fps: 8 + 5
    frames);
  * each person's skeleton and size are fixed from their first PERSON_SETTLE_S of lifted frames (every
    frame of a person, streamed or in result.json, has the same bone lengths, as in the one-person path);
  * the scene (camera pitch and height above the ground plane, ml.lift_people.scene_camera) is fixed from
    everyone lifted in the first SCENE_SETTLE_S of video after the first person's skeleton is fixed.
Each person stands where the ray through their feet meets the ground (ml.lift_people.on_the_ground) and
their root is smoothed at the job's level (One-Euro: causal). So the latency is at most the lost-track wait, or a new person's 0.5 s + settle time, plus half a
window and a hop; the first frames wait once for the scene. `timings.latency_frames` gives the measured
mean and maximum (frames between a frame's decoding and its sending). Tracks never span a scene cut
(ml.shots): at a cut every track ends and ids continue counting. The result is a `PeopleResult`
(version 2), made of exactly the frames that were streamed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ml import video as video_io
from ml.lift_people import PersonPose, _drops, on_the_ground, person_scale, scene_camera, to_world
from ml.postprocess import (DEFAULT_STATURE_M, SMOOTHING, BoneLengths, OneEuro, camera_tilt, root_translation,
                            visible_joints, with_bone_lengths)
from ml.result_people import PeopleResult, Person
from ml.shots import ShotDetector, frame_histogram
from ml.skeleton import JOINT_NAMES, PARENTS, to_h36m

PERSON_SETTLE_S = 1.0  # a person's bone lengths and size are measured on this much of their lifted video
SCENE_SETTLE_S = 2.0   # the scene's camera from everyone lifted this long after the first person settled
EMIT_EVERY = 5         # frames per `frames` message at least (fewer at the end)
# on_frames(start, count, people=[{"id", "start", "kp2d" (m,17,3), "kp3d" (m,17,3), "visible" (m,17)}], cuts=[...])
PeopleFramesFn = Callable[..., None]


@dataclass
class _Person:
    """One person (a qualified track of one shot) on their way through lifting and placing."""
    id: int
    start: int          # global frame of their first detection
    stream: object      # ml.lift.StreamingLifter
    bones: BoneLengths
    used: int = 0       # detections of the track already turned into final 2D
    pushed: int = 0     # final 2D frames pushed to the lifter (from `start`)
    detected: list = field(default_factory=list)  # per pushed frame
    held: list = field(default_factory=list)      # lifted chunks waiting for the skeleton to settle
    cam: list = field(default_factory=list)       # (kp2d, position_cam, seen) released, not yet placed
    scale: float | None = None
    placed: list = field(default_factory=list)    # (first global frame, kp2d, world, seen) chunks in order
    n_placed: int = 0
    ended: bool = False
    feet_seen: bool = False
    smoother: OneEuro | None = None  # the root trajectory's filter (the job's smoothing level)
    ground_shift: np.ndarray | None = None  # on_the_ground's last shift

    @property
    def placed_until(self) -> int:
        return self.start + self.n_placed


class _PeopleRun:
    def __init__(self, lifter, info, options, on_frames: PeopleFramesFn, on_preview: PeopleFramesFn | None = None):
        self.lifter, self.info, self.options, self.on_frames = lifter, info, options, on_frames
        self.on_preview = on_preview
        self.next_preview = 0  # the video frame from which the next preview is due
        self.fps = info.fps
        self.lift_fps = info.known_fps
        self.every = max(1, options.detect_stride)  # the tracker sees every k-th frame of a shot
        self.tracker = self._new_tracker()
        self.shot_start = 0  # global frame of the tracker's frame 0
        self.by_track: dict[int, _Person] = {}  # person id (unique over the video) -> person
        self.people: list[_Person] = []
        self.cuts: list[int] = []
        self.scene: tuple[np.ndarray, float] | None = None
        self.first_settled: int | None = None  # global frame at which the first person's skeleton was fixed
        self.emitted = 0
        self.frame = -1  # the last frame fed
        self.latency: list[int] = []
        self.t_lift = 0.0
        self.settle_frames = max(1, round(PERSON_SETTLE_S * self.fps))
        self.scene_frames = max(1, round(SCENE_SETTLE_S * self.fps))

    # -- tracking ---------------------------------------------------------------------------------
    def _new_tracker(self):
        from ml.track import Tracker

        return Tracker(self.fps / self.every)

    def _g(self, j: int) -> int:
        """The video frame of the tracker's frame j."""
        return self.shot_start + j * self.every

    def feed(self, i: int, people: list | None, features: np.ndarray | None, cut: bool) -> None:
        """Frame i: its detections, or None for a frame the detector skipped (detect_stride)."""
        if cut and i > 0:
            self._end_shot()
            self.cuts.append(i)
            next_id = self.tracker.next_id
            self.tracker = self._new_tracker()
            self.tracker.next_id = next_id  # ids stay unique over the whole video
            self.shot_start = i
        self.frame = i
        if people is None:
            return
        assert (i - self.shot_start) % self.every == 0, (i, self.shot_start, self.every)
        self.tracker.update_people(people, features)
        for t in self.tracker.pop_ended():
            self._sync(t, ended=True)
        for t in self.tracker.live:
            if t.id is not None and len(t.frames) >= self.tracker.min_frames:
                self._sync(t, ended=False)
        self._advance(final=False)
        self._preview()

    def _end_shot(self) -> None:
        for t in self.tracker.pop_ended() + [t for t in self.tracker.live if t.id is not None]:
            if len(t.frames) >= self.tracker.min_frames:
                self._sync(t, ended=True)
        self.tracker.live = []

    def finish(self) -> None:
        self._end_shot()
        self._advance(final=True)

    def _sync(self, t, ended: bool) -> None:
        """Turn the track's new detections into final 2D frames and push them to the person's lifter."""
        from ml.lift import StreamingLifter

        p = self.by_track.get(t.id)
        if p is None:
            if ended and len(t.frames) < self.tracker.min_frames:
                return
            p = _Person(t.id, self._g(t.frames[0]),
                        StreamingLifter(self.lifter, self.info.width, self.info.height, self.lift_fps,
                                        flip=self.options.flip),
                        BoneLengths(freeze_after_frames=self.settle_frames))
            params = SMOOTHING.get(self.options.smoothing)
            p.smoother = OneEuro(self.fps, *params[2]) if params else None
            self.by_track[t.id] = p
            self.people.append(p)
        if p.ended:
            return
        frames = []
        while p.used < len(t.frames):
            j = p.used
            kp = to_h36m(np.asarray(t.kps[j], np.float32)[None], "coco17")[0]
            if j > 0:  # the frames since the previous detection: interpolated, confidence 0
                prev = to_h36m(np.asarray(t.kps[j - 1], np.float32)[None], "coco17")[0]
                gap = (t.frames[j] - t.frames[j - 1]) * self.every
                for k in range(1, gap):
                    a = k / gap
                    f = (1 - a) * prev + a * kp
                    f[:, 2] = 0.0
                    frames.append(f)
                    p.detected.append(False)
            frames.append(kp)
            p.detected.append(True)
            p.used += 1
        t0 = time.perf_counter()
        chunks = p.stream.push(np.stack(frames)) if frames else []
        p.pushed += len(frames)
        if ended:
            chunks += p.stream.finish()
            p.ended = True
        for ch in chunks:
            if p.bones.frozen is None:
                p.bones.update(ch.window, visible_joints(ch.window_kp2d, self.info.width, self.info.height),
                               new_frames=len(ch.cam))
            p.held.append(ch)
        if p.ended:
            p.bones.freeze()
        if p.bones.frozen is not None:
            if self.first_settled is None:
                self.first_settled = self.frame
            p.cam += [self._in_camera(ch, p.bones.frozen) for ch in p.held]
            p.held = []
        self.t_lift += time.perf_counter() - t0

    def _in_camera(self, ch, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A lifted chunk at these bone lengths, placed in the camera frame from its 2D: (kp2d, joints, seen)."""
        pose = with_bone_lengths(ch.cam, lengths)
        root = root_translation(pose, ch.kp2d[..., :2], ch.kp2d[..., 2], self.info.width, self.info.height)
        return ch.kp2d, (pose + root[:, None]).astype(np.float32), visible_joints(ch.kp2d, self.info.width,
                                                                                  self.info.height)

    def _preview(self) -> None:
        """Until the first final frames leave (the scene's camera waits for SCENE_SETTLE_S of everyone):
        provisional 3D of everyone so far, each person at the skeleton measured so far, their frames not
        yet final lifted as if the video ended now, placed by a scene camera from what is there. Nothing
        of the run's own state changes; the final frames replace these (on_preview, issue 33)."""
        # (once the scene is set the final frames are close, and placed frames have left p.cam)
        if (self.on_preview is None or self.emitted > 0 or self.scene is not None or self.cuts
                or self.frame < self.next_preview):
            return
        runs = []
        for p in self.people:
            lengths = p.bones.frozen if p.bones.frozen is not None else p.bones.lengths
            parts = list(p.cam) + [self._in_camera(ch, lengths) for ch in p.held + p.stream.preview()]
            if parts:
                kp2d, pos, seen = (np.concatenate(x) for x in zip(*parts))
                det = np.asarray(p.detected[:len(kp2d)], bool)
                runs.append((p, PersonPose(p.id, p.start, kp2d, pos, np.zeros((len(kp2d), 3), np.float32),
                                           lengths, seen, det)))
        from ml.pipeline import PREVIEW_FIRST_FRAMES, preview_gap  # the one person's schedule

        if not runs or max(len(pose.kp2d) for _, pose in runs) < PREVIEW_FIRST_FRAMES:
            return
        self.next_preview = self.frame + preview_gap(self.fps)
        R, height = scene_camera([pose for _, pose in runs])
        out = [{"id": p.id, "start": p.start, "kp2d": pose.kp2d, "visible": pose.visible,
                "kp3d": to_world(pose.position_cam, R, height,
                                 p.scale if p.scale is not None else person_scale(pose, R, height))}
               for p, pose in runs]
        self.on_preview(0, max(p.start + len(pose.kp2d) for p, pose in runs), people=out, cuts=[])

    # -- placing and sending ----------------------------------------------------------------------
    def _pose(self, p: _Person) -> PersonPose:
        """What the person has released so far, as ml.lift_people's PersonPose (for the scene)."""
        kp2d = np.concatenate([c[0] for c in p.cam]) if p.cam else np.zeros((0, 17, 3), np.float32)
        pos = np.concatenate([c[1] for c in p.cam]) if p.cam else np.zeros((0, 17, 3), np.float32)
        seen = np.concatenate([c[2] for c in p.cam]) if p.cam else np.zeros((0, 17), bool)
        n = len(kp2d)
        det = np.asarray(p.detected[p.n_placed:p.n_placed + n], bool)
        return PersonPose(p.id, p.start + p.n_placed, kp2d, pos, np.zeros((n, 3), np.float32),
                          p.bones.lengths, seen, det)

    def _advance(self, final: bool) -> None:
        if self.scene is None:
            due = self.first_settled is not None and self.frame - self.first_settled >= self.scene_frames
            if due or final:
                poses = [self._pose(p) for p in self.people if p.cam]
                self.scene = scene_camera(poses)
        if self.scene is not None:
            R, height = self.scene
            for p in self.people:
                if not p.cam:
                    continue
                if p.scale is None:
                    pose = self._pose(p)
                    p.scale = person_scale(pose, R, height)
                    p.feet_seen = len(_drops(pose, R)) > 0
                for kp2d, pos, seen in p.cam:
                    world = to_world(pos, R, height, p.scale)
                    if self.options.people_ground_rays:
                        world, p.ground_shift = on_the_ground(world, kp2d, R, height, self.info.width,
                                                              self.info.height, p.ground_shift)
                    if p.smoother is not None:  # causal: no frame waits for it
                        root = world[:, 0].copy()
                        world += (np.stack([p.smoother(r) for r in root]) - root)[:, None]
                    p.placed.append((p.placed_until, kp2d, world, seen))
                    p.n_placed += len(kp2d)
                p.cam = []
        self._emit(final)

    def _bound(self) -> int:
        """Frames before this are final for everybody."""
        bound = self.frame + 1
        for t in self.tracker.live:  # tracks that may still become people, or still gain frames
            p = self.by_track.get(t.id)
            bound = min(bound, self._g(t.frames[0]) if p is None else self._g(t.frames[-1]) + 1)
        for p in self.people:
            if not (p.ended and not p.held and not p.cam and p.n_placed == p.pushed):
                bound = min(bound, p.placed_until)
        return bound

    def _emit(self, final: bool) -> None:
        bound = self.frame + 1 if final else self._bound()
        if bound - self.emitted < (1 if final else EMIT_EVERY):
            return
        s, n = self.emitted, bound - self.emitted
        out = []
        for p in self.people:
            lo, hi = max(s, p.start), min(bound, p.placed_until)
            if lo >= hi:
                continue
            k2, k3, vis = _frames(p, lo, hi)
            out.append({"id": p.id, "start": lo, "kp2d": k2, "kp3d": k3, "visible": vis})
        self.latency.append(self.frame - s)
        self.emitted = bound
        self.on_frames(s, n, people=out, cuts=[c for c in self.cuts if s <= c < bound])

    def result_people(self) -> list[Person]:
        out = []
        for p in self.people:
            if p.n_placed == 0:
                continue
            k2, k3, vis = _frames(p, p.start, p.placed_until)
            stature = DEFAULT_STATURE_M * p.scale
            out.append(Person(p.id, p.start, np.asarray(p.detected[:len(k3)], bool), vis.astype(bool),
                              k2.astype(np.float32), k3.astype(np.float32),
                              {"height_m": round(float(stature), 3),
                               "height_source": "ground" if p.feet_seen else "prior",
                               "bone_lengths_m": [round(float(v * p.scale), 4) for v in p.bones.frozen]}))
        return sorted(out, key=lambda q: q.id)


def _frames(p: _Person, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The person's placed 2D, 3D and visibility of global frames [lo, hi)."""
    parts = [c for c in p.placed if c[0] < hi and c[0] + len(c[1]) > lo]
    first = parts[0][0]
    k2, k3, vis = (np.concatenate([c[k] for c in parts]) for k in (1, 2, 3))
    return k2[lo - first:hi - first], k3[lo - first:hi - first], vis[lo - first:hi - first]


_DETECTORS: dict = {}  # (input size, threads) -> MoveNet session: a worker keeps one warm for every job


def multi_detector(input_size: int, threads: int):
    """This process's MoveNet MultiPose session for these settings, created once (0.7 s + a slow first
    frame); it keeps no state between frames, so jobs share it."""
    from ml.detect_multi import create_multi_detector

    key = (input_size, threads)
    if key not in _DETECTORS:
        _DETECTORS.clear()  # one session in memory
        _DETECTORS[key] = create_multi_detector(input_size=input_size, threads=threads)
    return _DETECTORS[key]


def run_people_pipeline(video_path: Path, options, lifter, on_progress, on_frames: PeopleFramesFn,
                        should_stop, on_preview: PeopleFramesFn | None = None) -> PeopleResult:
    """The several-people run (see the module docstring), called by ml.pipeline.run_pipeline, which checks
    the options and fills in the callbacks. Raises video_io.VideoError / PipelineError."""
    from ml.pipeline import PipelineError, VideoProblem, check_frame, start_run

    t_start = time.perf_counter()
    info, lifter = start_run(video_path, options, lifter, on_progress)
    try:
        detector = multi_detector(options.people_input_size, options.people_threads)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    on_progress("decode", 1, 1)
    run = _PeopleRun(lifter, info, options, on_frames, on_preview)
    total_hint = info.frame_count_hint
    times: list[float] = []
    found: list[int] = []
    t_detect = 0.0
    source = _detections(video_path, detector, info.fps, run.every)
    if options.people_overlap:  # decoding and detection in a thread of their own, ahead of tracking and lifting
        source = video_io.prefetch(source, size=8)
    try:
        for i, t_s, cut, people, features, dt in source:
            check_frame(options, i, t_s, should_stop)
            t_detect += dt
            run.feed(i, people, features, cut)
            times.append(t_s)
            if people is not None:
                found.append(len(people))
            if (i + 1) % options.progress_every == 0:
                # one stage while both run: a "lift" report between two "detect" ones read as going backwards
                # (the skeletons streaming in show the lifting)
                on_progress("detect", i + 1, max(total_hint, i + 1))
        n = len(times)
        if n == 0:
            raise VideoProblem("No frames could be decoded from this video. The file may be damaged or empty.")
        on_progress("detect", n, n)
        run.finish()
    finally:
        source.close()  # stops decoding and detection (the detector stays warm for the next job)
    people = run.result_people()
    if not people:
        raise VideoProblem("No person was found in this video (nobody stayed in view for half a second). Please "
                            "upload a video in which people are visible (whole body, not too small).")
    on_progress("lift", n, n)
    total = time.perf_counter() - t_start
    result = PeopleResult(
        fps=info.fps, width=info.width, height=info.height, frame_count=n, joint_names=list(JOINT_NAMES),
        parents=list(PARENTS), people=people, cuts=run.cuts, times=np.array(times, np.float64),
        camera=_camera(*run.scene),
        model={"name": lifter.name, "checkpoint": Path(getattr(lifter, "path", "") or "").name,  # not the server path
               "receptive_field": lifter.receptive_field, "window_frames": lifter.window_frames(info.known_fps),
               "smoothing": options.smoothing, "smoothing_applies_to": "root"},
        detector=detector.name, source_name=Path(video_path).name)
    per_frame = result.people_per_frame()
    result.timings = {"detect_s": round(t_detect, 3), "lift_s": round(run.t_lift, 3), "total_s": round(total, 3),
                      "frames": n, "fps": round(n / total, 2) if total > 0 else None,
                      "people_per_frame": round(float(per_frame.mean()), 3),
                      "people_found_per_frame": round(float(np.mean(found)), 3),
                      "latency_frames": {"mean": round(float(np.mean(run.latency)), 1) if run.latency else 0,
                                         "max": int(max(run.latency, default=0))}}
    return result


def _detections(video_path: Path, detector, fps: float, every: int):
    """(frame index, time s, starts a shot, people or None (skipped), colour signatures, detection s) per
    frame. Shot cuts are found here, so that every shot's first frame is one the detector sees."""
    from ml.track import appearance

    shots = ShotDetector(fps)
    shot_start = 0
    for i, (frame, t_s) in enumerate(video_io.iter_frames(video_path)):
        cut = shots.observe(frame_histogram(frame)) and i > 0
        shot_start = i if cut else shot_start
        if (i - shot_start) % every:
            yield i, t_s, cut, None, None, 0.0
            continue
        t0 = time.perf_counter()
        people = detector(frame)
        features = np.array([appearance(frame, q.box) for q in people]) if people else None
        yield i, t_s, cut, people, features, time.perf_counter() - t0


def _camera(R: np.ndarray, height: float) -> dict:
    return {**camera_tilt(R), "height_m": round(float(height), 3)}
