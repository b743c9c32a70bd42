"""Per-person 3D: each track of ml.track lifted by the existing lifter, at that person's own bone lengths.

COCO-17 keypoints go to Human3.6M-17 through ml.skeleton's one table, each person's sequence is lifted
on its own (`Lifter.lift`, frames filled by the tracker have confidence 0 and are interpolated there),
their bone proportions are measured on their own lifted frames where the joints were seen
(ml.postprocess.BoneLengths, as the single-person pipeline does) and every frame is rebuilt with them.

All people share one camera, so each person's root position in the camera frame (from the 2D,
`root_translation`, at the adult stature prior) places them in one scene: `position_cam` = pose +
root. `place_in_scene` then stands everyone on one ground plane: the camera's pitch comes from
everyone's ankle-to-head direction (a standing or walking crowd is upright on average), the camera's
height above the ankles from everyone's feet, and each person's size from where their feet meet that
plane: scaling a person about the camera centre leaves their 2D exactly as it was, so each person is
scaled until their feet are on the plane (a child far away and an adult near by end up at their own
sizes). The absolute size of the whole scene still rests on the prior (the crowd's median person is
an adult of DEFAULT_STATURE_M); the camera is assumed not to roll and people to stand on one level floor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.postprocess import (DEFAULT_STATURE_M, L_ANKLE, R_ANKLE, BoneLengths, root_translation,
                            upright_rotation, visible_joints, with_bone_lengths)
from ml.skeleton import HEAD, to_h36m


@dataclass
class PersonPose:
    id: int
    start: int                # first frame
    kp2d: np.ndarray          # (T, 17, 3) H36M-17 pixels + confidence (0 where the tracker filled a gap)
    pose_cam: np.ndarray      # (T, 17, 3) metres, camera frame (x right, y down, z forward), pelvis at 0
    root_cam: np.ndarray      # (T, 3) the pelvis in the camera frame, metres (depth from the 2D size)
    bone_lengths: np.ndarray  # (17,) this person's bones, metres (joint 0: 0)
    visible: np.ndarray       # (T, 17) bool: joint seen in the 2D
    detected: np.ndarray      # (T,) bool: the tracker had a detection (False: interpolated frame)

    @property
    def position_cam(self) -> np.ndarray:
        """(T, 17, 3) joints in the shared camera frame."""
        return self.pose_cam + self.root_cam[:, None, :]


def lift_person(track, lifter, width: int, height: int, fps: float | None, layout: str = "coco17",
                height_m: float | None = None) -> PersonPose:
    """One ml.track.PersonTrack -> PersonPose."""
    kp = to_h36m(track.keypoints, layout)
    T = len(kp)
    assert kp.shape == (T, 17, 3) and track.detected.shape == (T,), (kp.shape, track.detected.shape)
    pose = lifter.lift(kp[..., :2], width, height, conf=kp[..., 2], fps=fps)
    seen = visible_joints(kp, width, height)
    bones = BoneLengths(height_m)
    bones.update(pose, seen)
    lengths = bones.freeze()
    pose = with_bone_lengths(pose, lengths).astype(np.float32)
    root = root_translation(pose, kp[..., :2], kp[..., 2], width, height).astype(np.float32)
    assert pose.shape == (T, 17, 3) and root.shape == (T, 3)
    return PersonPose(track.id, track.start, kp.astype(np.float32), pose, root, lengths.astype(np.float32),
                      seen, track.detected.copy())


def lift_people(tracks: list, lifter, width: int, height: int, fps: float | None,
                layout: str = "coco17") -> list[PersonPose]:
    """Every track lifted on its own, in the order given."""
    return [lift_person(t, lifter, width, height, fps, layout) for t in tracks]


CAMERA_TO_WORLD_FLIP = np.array([1.0, -1.0, -1.0])  # camera (y down, z forward) -> y up, as ml.postprocess
# Ankles this sure place a person on the ground plane: lower than "seen" (VISIBLE_CONF) because a small
# person's ankles rarely reach it, and one person's size is a median over many frames.
FOOT_MIN_CONF = 0.25
NO_FEET_CAMERA_HEIGHT_M = 1.5  # nobody's feet seen: assume a camera held at eye height, sizes from the prior


@dataclass
class Scene:
    world_from_camera: np.ndarray  # (3, 3) applied after CAMERA_TO_WORLD_FLIP: the camera's pitch turned out
    camera_height_m: float         # above the plane of the ankles
    scale: dict                    # person id -> size relative to the stature prior (1.0: DEFAULT_STATURE_M)
    world: dict                    # person id -> (T, 17, 3) metres, y up, ankles' plane at y = 0, camera above x = z = 0

    def stature_m(self, person_id: int) -> float:
        return float(DEFAULT_STATURE_M * self.scale[person_id])


def _feet(p: PersonPose) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ankle position in the flipped camera frame (T, 3) and where it is usable (T,) bool."""
    pos = p.position_cam * CAMERA_TO_WORLD_FLIP
    ok = (p.kp2d[:, [L_ANKLE, R_ANKLE], 2] >= FOOT_MIN_CONF).all(1) & p.detected
    return 0.5 * (pos[:, L_ANKLE] + pos[:, R_ANKLE]), ok


def _drops(p: PersonPose, R: np.ndarray) -> np.ndarray:
    """How far below the camera (pitch R turned out) this person's usable feet are, at the prior's size."""
    feet, ok = _feet(p)
    drop = -(feet @ R.T)[:, 1]
    return drop[ok & (drop > 0.05)]  # feet above the camera's horizon tell nothing


def scene_camera(people: list[PersonPose]) -> tuple[np.ndarray, float]:
    """The camera's pitch turned out (3, 3) and its height above the ankles' plane, from everyone."""
    up = np.zeros(3)
    for p in people:
        pos = p.position_cam * CAMERA_TO_WORLD_FLIP
        ok = p.visible[:, [L_ANKLE, R_ANKLE, HEAD]].all(1)
        v = pos[ok, HEAD] - 0.5 * (pos[ok, L_ANKLE] + pos[ok, R_ANKLE])
        up += (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)).sum(0)
    R = upright_rotation(up)
    # Each usable frame's feet lie `drop` below the camera at the prior's size; the plane is at the median.
    every = np.concatenate([_drops(p, R) for p in people]) if people else np.zeros(0)
    return R, float(np.median(every)) if len(every) else NO_FEET_CAMERA_HEIGHT_M


def person_scale(p: PersonPose, R: np.ndarray, height: float) -> float:
    """The size (relative to the stature prior) that puts this person's feet on the plane."""
    d = _drops(p, R)
    return float(np.median(height / d)) if len(d) else 1.0


def to_world(position_cam: np.ndarray, R: np.ndarray, height: float, scale: float) -> np.ndarray:
    """(T, 17, 3) a person's joints in the camera frame (PersonPose.position_cam) -> the scene's world frame."""
    w = (scale * position_cam * CAMERA_TO_WORLD_FLIP) @ R.T
    w[..., 1] += height
    return w.astype(np.float32)


def place_in_scene(people: list[PersonPose]) -> Scene:
    """All people in one world frame on one ground plane (see the module docstring)."""
    R, height = scene_camera(people)
    scale = {p.id: person_scale(p, R, height) for p in people}
    world = {p.id: to_world(p.position_cam, R, height, scale[p.id]) for p in people}
    return Scene(R, height, scale, world)


def on_the_ground(world: np.ndarray, kp2d: np.ndarray, R: np.ndarray, height: float, width: int, height_px: int,
                  last_shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Move a person (world (T, 17, 3), their 2D kp2d (T, 17, 3)) so that, in every frame whose ankles are
    seen, their mid-ankle lies where the camera ray through the mid-ankle pixel meets the ground plane. The
    depth from the 2D size alone wobbles by a few per cent of the distance from frame to frame (tens of
    centimetres for far people); the ray through the feet is steadier. The move is along that ray, height
    included: moving only sideways and in depth would leave the depth's wobble in the feet's height (people
    floating 0.3-0.5 m above or sinking below the floor on the pedestrians clip) and the feet off their own
    pixel. Frames without usable ankles keep the previous frame's shift (`last_shift`, carried over between
    calls). Returns the moved joints and the last shift."""
    f = float(max(width, height_px))
    T = len(world)
    feet_px = 0.5 * (kp2d[:, L_ANKLE, :2] + kp2d[:, R_ANKLE, :2])
    ray = np.stack([(feet_px[:, 0] - width / 2) / f, (feet_px[:, 1] - height_px / 2) / f, np.ones(T)], 1)
    ray = (ray * CAMERA_TO_WORLD_FLIP) @ R.T
    ok = (kp2d[:, [L_ANKLE, R_ANKLE], 2] >= FOOT_MIN_CONF).all(1) & (ray[:, 1] < -1e-3)
    hit = ray * (height / np.where(ok, -ray[:, 1], 1.0))[:, None]  # from the camera, which is at (0, height, 0)
    hit[:, 1] += height  # in the world frame: y = 0, on the ground
    shift = hit - 0.5 * (world[:, L_ANKLE] + world[:, R_ANKLE])
    out = world.copy()
    for t in range(T):
        if ok[t]:
            last_shift = shift[t]
        if last_shift is not None:
            out[t] += last_shift
    return out.astype(np.float32), last_shift
