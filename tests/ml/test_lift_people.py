"""ml.lift_people: tracks lifted one by one with the shipped lifter, own bones, one camera scene."""
import numpy as np
import pytest

from ml.lift import DEFAULT_CHECKPOINT, Lifter
from ml.lift_people import lift_people
from ml.postprocess import bone_lengths
from ml.track import Tracker

from .test_track import person

W, H, FPS = 768, 576, 10.0


@pytest.fixture(scope="module")
def lifter():
    return Lifter.load(DEFAULT_CHECKPOINT)


def test_two_people_lifted_with_their_own_bones_near_and_far(lifter):
    rng = np.random.default_rng(0)
    tracker = Tracker(FPS)
    for t in range(30):
        near = person(200 + 6 * t, 380, 200, rng)   # tall in the image: close to the camera
        far = person(600 - 4 * t, 200, 80, rng)      # small: far away
        people = [near, far] if t != 12 else [near]  # far is missed once: a filled frame
        tracker.update(np.stack([p[0] for p in people]), np.stack([p[1] for p in people]))
    tracks = tracker.finish()
    assert len(tracks) == 2
    poses = lift_people(tracks, lifter, W, H, FPS)
    by_x = sorted(poses, key=lambda p: p.kp2d[0, 0, 1])  # far person higher up in the image
    far, near = by_x
    for p in poses:
        T = len(p.kp2d)
        assert p.pose_cam.shape == (T, 17, 3) and p.root_cam.shape == (T, 3) and p.visible.shape == (T, 17)
        assert np.abs(p.pose_cam[:, 0]).max() < 1e-6  # pelvis at the origin
        L = bone_lengths(p.pose_cam)[:, 1:]
        assert np.allclose(L, p.bone_lengths[1:], atol=1e-4)  # one skeleton per person, every frame
        assert 1.3 < p.bone_lengths[[3, 2, 7, 8, 9, 10]].sum() < 2.0  # ankle-to-head of an adult
        assert np.all(p.root_cam[:, 2] > 0)  # in front of the camera
    assert far.detected.sum() == 29 and not far.detected[12]
    assert np.median(far.root_cam[:, 2]) > 1.8 * np.median(near.root_cam[:, 2])  # 2.5x smaller: farther
    # The near person walks right: so does their root in the camera frame (x right).
    assert near.root_cam[-1, 0] > near.root_cam[0, 0] + 0.3
    # Their 2D projection lands back on their keypoints' side of the image.
    f = max(W, H)
    u = f * near.position_cam[:, 0, 0] / near.position_cam[:, 0, 2] + W / 2
    assert np.all(np.abs(u - near.kp2d[:, 0, 0]) < 40)
