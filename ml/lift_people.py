"""Per-person 3D: each track of ml.track lifted by the existing lifter, at that person's own bone lengths.

COCO-17 keypoints go to Human3.6M-17 through ml.skeleton's one table, each person's sequence is lifted
on its own (`Lifter.lift`, frames filled by the tracker have confidence 0 and are interpolated there),
their bone proportions are measured on their own lifted frames where the joints were seen
(ml.postprocess.BoneLengths, as the single-person pipeline does) and every frame is rebuilt with them.

All people share one camera, so each person's root position in the camera frame (from the 2D,
`root_translation`, at the adult stature prior when nobody's height is known) places them in one scene:
`position_cam` = pose + root. Turning that scene upright onto a shared ground plane (the camera's
pitch from everyone's ankle-to-head direction, the floor from their feet) is not done here yet.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.postprocess import BoneLengths, root_translation, visible_joints, with_bone_lengths
from ml.skeleton import to_h36m


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
