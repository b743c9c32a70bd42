"""The in-memory result of a video → 3D run, and its versioned JSON form (docs/result-format.md).

Version 1 (`PoseResult`): one person, the MediaPipe path. Version 2 (`PeopleResult`, ml.result_people):
several people in one scene. `load_result(path)` reads either; `PoseResult.load_json` reads version 1
only and says so clearly when given a version-2 file (it never misreads one). All export formats are
written from one of the two.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RESULT_VERSION = 1
FORMAT_NAME = "3dposenet-result"
WORLD_FRAME = (
    "metres; right-handed; +Y up, +X to the camera's right, +Z towards the camera; "
    "ground at y=0 under the soles (estimated from the foot contacts); horizontal root trajectory "
    "estimated from the 2D and the planted feet, relative to the first frame"
)


@dataclass
class PoseResult:
    fps: float
    width: int
    height: int
    joint_names: list[str]
    parents: list[int]
    keypoints_2d: np.ndarray  # (T, 17, 3) x, y pixels in the video, confidence in [0, 1]
    keypoints_3d: np.ndarray  # (T, 17, 3) metres, world frame (see WORLD_FRAME)
    detected: np.ndarray  # (T,) bool: a person was detected in this frame (else interpolated)
    visible: np.ndarray | None = None  # (T, 17) bool: joint seen in the 2D (None: all of a detected frame's)
    contact: np.ndarray | None = None  # (T, 2) bool: left, right foot planted (ml.contact); None: none known
    cuts: list = field(default_factory=list)  # first frame of each shot after the first (scene cuts)
    skeleton: dict = field(default_factory=dict)  # height_m, height_source ("given" | "prior"), bone_lengths_m
    camera: dict = field(default_factory=dict)  # world_from_camera (3x3), tilt_deg: the upright correction
    times: np.ndarray | None = None  # (T,) seconds from the container (variable frame rates); None = index / fps
    model: dict = field(default_factory=dict)  # name, checkpoint, receptive_field
    detector: str = ""
    timings: dict = field(default_factory=dict)  # seconds per stage, and frames/s
    quality: dict = field(default_factory=dict)  # jitter and bone-length std, raw vs final (ml.postprocess.quality)
    source_name: str = ""
    legs_guessed: np.ndarray | None = None  # (T,) bool: no foot seen (a close-up): the legs are the lifter's
                                            # guess, the body placed at a standing height, no floor contact

    def __post_init__(self):
        t = len(self.keypoints_2d)
        assert self.keypoints_2d.shape == (t, len(self.joint_names), 3), self.keypoints_2d.shape
        assert self.keypoints_3d.shape == (t, len(self.joint_names), 3), self.keypoints_3d.shape
        assert self.detected.shape == (t,), self.detected.shape
        if self.visible is None:
            self.visible = np.repeat(self.detected[:, None], len(self.joint_names), axis=1)
        assert self.visible.shape == (t, len(self.joint_names)), self.visible.shape
        if self.contact is None:
            self.contact = np.zeros((t, 2), bool)
        assert self.contact.shape == (t, 2), self.contact.shape
        self.cuts = [int(c) for c in self.cuts]
        if self.times is None:
            self.times = np.arange(t) / float(self.fps)
        assert self.times.shape == (t,), self.times.shape
        self.legs_guessed = (np.zeros(t, bool) if self.legs_guessed is None
                             else np.asarray(self.legs_guessed, bool))
        assert self.legs_guessed.shape == (t,), self.legs_guessed.shape

    def gaps(self, min_seconds: float = 0.5) -> list[list[int]]:
        """[start, end) runs of frames without a detected person lasting at least `min_seconds`."""
        out, start = [], None
        for i, d in enumerate(list(self.detected) + [True]):
            if not d and start is None:
                start = i
            elif d and start is not None:
                if i - start >= max(1, round(min_seconds * self.fps)):
                    out.append([start, i])
                start = None
        return out

    @property
    def frame_count(self) -> int:
        return len(self.keypoints_2d)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "version": RESULT_VERSION,
            "source": self.source_name,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "video_size": [self.width, self.height],
            "joint_names": list(self.joint_names),
            "parents": list(self.parents),
            "coordinate_frame": WORLD_FRAME,
            "model": self.model,
            "detector": self.detector,
            "timings": self.timings,
            "quality": self.quality,
            "detected": [bool(d) for d in self.detected],
            "gaps": self.gaps(),
            "legs_guessed": runs(self.legs_guessed),
            "visible": self.visible.astype(np.uint8).tolist(),
            "contact": self.contact.astype(np.uint8).tolist(),
            "cuts": list(self.cuts),
            "skeleton": self.skeleton,
            "camera": self.camera,
            "time_s": np.round(self.times, 4).tolist(),
            "keypoints_2d": np.round(self.keypoints_2d, 2).tolist(),
            "keypoints_3d": np.round(self.keypoints_3d, 5).tolist(),
        }

    def save_json(self, path: Path) -> Path:
        return write_result_json(self.to_dict(), path)

    @classmethod
    def load_json(cls, path: Path) -> "PoseResult":
        d = read_result_dict(path, versions=(RESULT_VERSION,))
        return cls(
            fps=d["fps"], width=d["video_size"][0], height=d["video_size"][1],
            joint_names=d["joint_names"], parents=d["parents"],
            keypoints_2d=np.asarray(d["keypoints_2d"], dtype=np.float32).reshape(-1, len(d["joint_names"]), 3),
            keypoints_3d=np.asarray(d["keypoints_3d"], dtype=np.float32).reshape(-1, len(d["joint_names"]), 3),
            detected=np.asarray(d["detected"], dtype=bool), times=np.asarray(d["time_s"], dtype=np.float64),
            visible=np.asarray(d["visible"], dtype=bool) if "visible" in d else None,
            contact=np.asarray(d["contact"], dtype=bool).reshape(-1, 2) if "contact" in d else None,
            cuts=d.get("cuts", []), skeleton=d.get("skeleton", {}), camera=d.get("camera", {}),
            legs_guessed=from_runs(d.get("legs_guessed", []), len(d["detected"])),
            model=d["model"], detector=d["detector"],
            timings=d["timings"], quality=d.get("quality", {}), source_name=d.get("source", ""),
        )


def runs(flags: np.ndarray) -> list[list[int]]:
    """(T,) bool -> [start, end) runs of True frames."""
    f = np.concatenate([[False], np.asarray(flags, bool), [False]])
    edges = np.nonzero(np.diff(f.astype(np.int8)))[0]
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]


def from_runs(spans, frames: int) -> np.ndarray:
    """[start, end) runs -> (frames,) bool."""
    out = np.zeros(frames, bool)
    for a, b in spans:
        out[int(a):int(b)] = True
    return out


def write_result_json(d: dict, path: Path) -> Path:
    """Write a result's dict (either version) atomically (temp file + rename): a crash never leaves half a result."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(d, separators=(",", ":")))
    os.replace(tmp, path)
    return path


def read_result_dict(path: Path, versions: tuple = (1, 2)) -> dict:
    """The JSON object of a result file, checked to be a 3DPoseNet result of one of `versions`; a
    ValueError that names the file's version otherwise (a v1-only reader given a v2 file says so)."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{Path(path).name} is not a readable 3DPoseNet result file ({exc}).") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT_NAME:
        raise ValueError(f"{Path(path).name} is not a 3DPoseNet result file.")
    version = d.get("version")
    if version not in versions:
        what = {1: "one person", 2: "several people"}.get(version, "unknown")
        wanted = " or ".join(str(v) for v in versions)
        raise ValueError(f"{Path(path).name} is a version-{version} 3DPoseNet result ({what}); this reader "
                         f"understands version {wanted} only.")
    return d


def load_result(path: Path):
    """A result file of either version: PoseResult (1, one person) or PeopleResult (2, several)."""
    d = read_result_dict(path)
    if d["version"] == RESULT_VERSION:
        return PoseResult.load_json(path)
    from ml.result_people import PeopleResult

    return PeopleResult.from_dict(d)
