"""Result version 2: several people in one scene (docs/result-format.md, "Version 2").

Each person is a run of frames [start, end) with their own 2D, 3D (the one shared world frame: y up,
ground y = 0), visibility and skeleton. Per-person exports that exist for one person (BVH, GLB) are
written from `person_result(id)`: that person's frames as a version-1 `PoseResult`, so the one-person
writers serve both versions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.result import FORMAT_NAME, PoseResult, read_result_dict, write_result_json

PEOPLE_VERSION = 2
PEOPLE_MODES = ("one", "several")  # "one": result version 1 (ml.result.PoseResult); "several": version 2
SCENE_FRAME = (
    "metres; right-handed; +Y up, +X to the camera's right, +Z towards the camera; one frame for every "
    "person: ground plane y=0 (the plane of everyone's ankles), the camera above x=z=0 at camera.height_m; "
    "relative positions from the 2D (pinhole, focal length = the larger image side) and the shared ground"
)


@dataclass
class Person:
    id: int
    start: int                # first frame
    detected: np.ndarray      # (n,) bool: False where the tracker filled the frame
    visible: np.ndarray       # (n, 17) bool
    keypoints_2d: np.ndarray  # (n, 17, 3) video pixels + confidence
    keypoints_3d: np.ndarray  # (n, 17, 3) metres, the scene's world frame
    skeleton: dict = field(default_factory=dict)  # height_m, height_source, bone_lengths_m

    def __post_init__(self):
        n = len(self.keypoints_3d)
        assert self.keypoints_2d.shape == (n, 17, 3), self.keypoints_2d.shape
        assert self.keypoints_3d.shape == (n, 17, 3), self.keypoints_3d.shape
        assert self.detected.shape == (n,) and self.visible.shape == (n, 17), (self.detected.shape, self.visible.shape)

    @property
    def end(self) -> int:
        """One past the last frame."""
        return self.start + len(self.keypoints_3d)

    def to_dict(self) -> dict:
        return {"id": int(self.id), "start": int(self.start), "end": int(self.end),
                "detected": [bool(d) for d in self.detected], "visible": self.visible.astype(np.uint8).tolist(),
                "keypoints_2d": np.round(self.keypoints_2d, 2).tolist(),
                "keypoints_3d": np.round(self.keypoints_3d, 5).tolist(), "skeleton": self.skeleton}

    @classmethod
    def from_dict(cls, d: dict) -> "Person":
        n = int(d["end"]) - int(d["start"])
        return cls(int(d["id"]), int(d["start"]), np.asarray(d["detected"], bool).reshape(n),
                   np.asarray(d["visible"], bool).reshape(n, 17),
                   np.asarray(d["keypoints_2d"], np.float32).reshape(n, 17, 3),
                   np.asarray(d["keypoints_3d"], np.float32).reshape(n, 17, 3), d.get("skeleton", {}))


@dataclass
class PeopleResult:
    fps: float
    width: int
    height: int
    frame_count: int
    joint_names: list[str]
    parents: list[int]
    people: list[Person]      # by id
    cuts: list = field(default_factory=list)
    camera: dict = field(default_factory=dict)  # world_from_camera (3x3), tilt_deg, height_m
    times: np.ndarray | None = None
    model: dict = field(default_factory=dict)
    detector: str = ""
    timings: dict = field(default_factory=dict)  # ... and people_per_frame
    source_name: str = ""
    people_mode: str = "several"

    def __post_init__(self):
        self.cuts = [int(c) for c in self.cuts]
        if self.times is None:
            self.times = np.arange(self.frame_count) / float(self.fps)
        assert self.times.shape == (self.frame_count,), self.times.shape
        for p in self.people:
            assert 0 <= p.start <= p.end <= self.frame_count, (p.id, p.start, p.end, self.frame_count)

    def person(self, person_id: int) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(f"no person {person_id} in this result")

    def people_per_frame(self) -> np.ndarray:
        """(T,) how many people each frame has (tracked: detected or filled)."""
        count = np.zeros(self.frame_count, int)
        for p in self.people:
            count[p.start:p.end] += 1
        return count

    def dense(self) -> dict:
        """Every person on the whole timeline: keypoints_3d / keypoints_2d (P, T, 17, 3) NaN where
        absent, visible (P, T, 17), present (P, T), detected (P, T), person_ids (P,)."""
        P, T = len(self.people), self.frame_count
        k3 = np.full((P, T, 17, 3), np.nan, np.float32)
        k2 = np.full((P, T, 17, 3), np.nan, np.float32)
        vis, present, det = np.zeros((P, T, 17), bool), np.zeros((P, T), bool), np.zeros((P, T), bool)
        for i, p in enumerate(self.people):
            s = slice(p.start, p.end)
            k3[i, s], k2[i, s], vis[i, s], present[i, s], det[i, s] = (p.keypoints_3d, p.keypoints_2d, p.visible,
                                                                       True, p.detected)
        return {"person_ids": np.array([p.id for p in self.people], np.int32), "keypoints_3d": k3,
                "keypoints_2d": k2, "visible": vis, "present": present, "detected": det}

    def person_result(self, person_id: int) -> PoseResult:
        """One person's frames as a version-1 result (for the one-person writers: BVH, GLB)."""
        p = self.person(person_id)
        return PoseResult(fps=self.fps, width=self.width, height=self.height, joint_names=list(self.joint_names),
                          parents=list(self.parents), keypoints_2d=p.keypoints_2d, keypoints_3d=p.keypoints_3d,
                          detected=p.detected, visible=p.visible,
                          cuts=[c - p.start for c in self.cuts if p.start < c < p.end], skeleton=p.skeleton,
                          camera=self.camera, times=self.times[p.start:p.end], model=self.model,
                          detector=self.detector, source_name=f"{self.source_name} person {p.id}")

    def to_dict(self) -> dict:
        return {
            "format": FORMAT_NAME, "version": PEOPLE_VERSION, "people_mode": self.people_mode,
            "source": self.source_name, "fps": self.fps, "frame_count": self.frame_count,
            "video_size": [self.width, self.height], "joint_names": list(self.joint_names),
            "parents": list(self.parents), "coordinate_frame": SCENE_FRAME, "model": self.model,
            "detector": self.detector, "timings": self.timings, "time_s": np.round(self.times, 4).tolist(),
            "cuts": list(self.cuts), "camera": self.camera, "people": [p.to_dict() for p in self.people],
        }

    def save_json(self, path: Path) -> Path:
        return write_result_json(self.to_dict(), path)

    @classmethod
    def from_dict(cls, d: dict) -> "PeopleResult":
        return cls(fps=d["fps"], width=d["video_size"][0], height=d["video_size"][1], frame_count=d["frame_count"],
                   joint_names=d["joint_names"], parents=d["parents"],
                   people=[Person.from_dict(p) for p in d["people"]], cuts=d.get("cuts", []),
                   camera=d.get("camera", {}), times=np.asarray(d["time_s"], np.float64), model=d.get("model", {}),
                   detector=d.get("detector", ""), timings=d.get("timings", {}), source_name=d.get("source", ""),
                   people_mode=d.get("people_mode", "several"))

    @classmethod
    def load_json(cls, path: Path) -> "PeopleResult":
        return cls.from_dict(read_result_dict(path, versions=(PEOPLE_VERSION,)))
