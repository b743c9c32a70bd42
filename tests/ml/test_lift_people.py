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


# A standing H36M-17 skeleton (metres, z up, ankles at 0.1 m), 1.62 m ankle-to-head.
STANDING = np.array([[0, 0, 1.0], [-.13, 0, 1.0], [-.13, 0, .55], [-.13, 0, .1], [.13, 0, 1.0], [.13, 0, .55],
                     [.13, 0, .1], [0, 0, 1.23], [0, 0, 1.48], [0, -.05, 1.6], [0, 0, 1.72], [.18, 0, 1.45],
                     [.2, 0, 1.18], [.22, 0, .95], [-.18, 0, 1.45], [-.2, 0, 1.18], [-.22, 0, .95]])


def filmed(size, x, z, T=20, cam_height=3.0, pitch_deg=15.0):
    """A person `size` x STANDING at floor point (x, z) filmed by a camera `cam_height` m up, pitched
    down: camera-frame joints (T, 17, 3) (y down, z forward) and pixels (T, 17, 3)."""
    world = STANDING * size
    world = np.stack([world[:, 0] + x, world[:, 2], world[:, 1] + z], axis=1)  # x right, y up, z away
    world = np.repeat(world[None], T, axis=0)
    world[:, :, 0] += np.linspace(0, 0.5, T)[:, None]  # walking a little
    a = np.radians(pitch_deg)
    rel = world - [0, cam_height, 0]
    # camera looks along +z pitched down by a: camera axes (x right, y down, z forward)
    fwd, down = np.array([0, -np.sin(a), np.cos(a)]), np.array([0, -np.cos(a), -np.sin(a)])
    cam = np.stack([rel[..., 0], rel @ down, rel @ fwd], axis=-1)
    f = max(W, H)
    px = np.stack([f * cam[..., 0] / cam[..., 2] + W / 2, f * cam[..., 1] / cam[..., 2] + H / 2,
                   np.ones(cam.shape[:2])], axis=-1)
    return cam, px


def test_people_stand_on_one_ground_plane_at_their_own_sizes():
    from ml.lift_people import PersonPose, place_in_scene
    from ml.postprocess import DEFAULT_STATURE_M, root_translation

    people = []
    for pid, (size, x, z) in enumerate([(1.0, -1.0, 6.0), (1.2, 1.5, 11.0), (0.7, 0.0, 8.0)], start=1):
        cam, px = filmed(size, x, z)
        rel = (cam - cam[:, :1]) / size  # what a lifter gives: the shape at the prior's size
        root = root_translation(rel, px[..., :2], px[..., 2], W, H)
        T = len(cam)
        people.append(PersonPose(pid, 0, px.astype(np.float32), rel.astype(np.float32), root.astype(np.float32),
                                 np.zeros(17, np.float32), np.ones((T, 17), bool), np.ones(T, bool)))
    scene = place_in_scene(people)
    pitch = np.degrees(np.arctan2(scene.world_from_camera[1, 2], scene.world_from_camera[1, 1]))
    assert abs(abs(pitch) - 15.0) < 1.0
    # Sizes relative to each other as filmed (the scene's absolute size rests on the prior).
    s = scene.scale
    assert s[2] / s[1] == pytest.approx(1.2, rel=0.03) and s[3] / s[1] == pytest.approx(0.7, rel=0.03)
    unit = 1.0 / s[1]  # metres of the real scene per metre of ours... inverted: our person 1 is size s[1]
    assert scene.camera_height_m * unit == pytest.approx(2.9, rel=0.05)  # 3 m above the floor, ankles at 0.1 m
    for pid, w in scene.world.items():
        ankles = w[:, [3, 6], 1]
        assert np.abs(ankles).max() < 0.03  # on the plane
        assert (w[:, 10, 1] > w[:, 0, 1]).all() and (w[:, 0, 1] > ankles.max()).all()  # upright
    # Where they stand relative to each other: floor distance of persons 1 and 2 is hypot(2.5, 5).
    d12 = np.linalg.norm((scene.world[2][0, 0] - scene.world[1][0, 0])[[0, 2]])
    assert d12 * unit == pytest.approx(np.hypot(2.5, 5.0), rel=0.05)
    assert scene.stature_m(2) == pytest.approx(DEFAULT_STATURE_M * s[2])


def test_scene_without_feet_or_people():
    from ml.lift_people import NO_FEET_CAMERA_HEIGHT_M, PersonPose, place_in_scene

    assert place_in_scene([]).world == {}
    cam, px = filmed(1.0, 0.0, 6.0)
    px[:, [3, 6], 2] = 0.0  # ankles never found (cut off by the frame's bottom, say)
    rel = cam - cam[:, :1]
    T = len(cam)
    p = PersonPose(1, 0, px.astype(np.float32), rel.astype(np.float32), cam[:, 0].astype(np.float32),
                   np.zeros(17, np.float32), np.ones((T, 17), bool), np.ones(T, bool))
    scene = place_in_scene([p])
    assert scene.camera_height_m == NO_FEET_CAMERA_HEIGHT_M and scene.scale == {1: 1.0}
    assert scene.world[1].shape == (T, 17, 3)


def test_on_the_ground_puts_the_feet_where_their_ray_meets_the_floor():
    """A person placed 0.4 m off sideways, 0.3 m up and 0.7 m off in depth (the 2D size's wobble) is moved
    back to where the ray through their feet meets the ground, feet on the floor (not floating at the
    wobble's height); a frame without seen ankles keeps the last shift."""
    from ml.lift_people import L_ANKLE, R_ANKLE, on_the_ground, to_world
    from ml.postprocess import upright_rotation

    a = np.radians(15.0)
    R = upright_rotation(np.array([0.0, np.cos(a), np.sin(a)]))  # the camera pitched 15 degrees down
    cam, px = filmed(1.0, 1.0, 8.0, T=5)  # the camera 3 m above the floor, 2.9 m above the ankles' plane
    true = to_world(cam, R, 2.9, 1.0)
    feet = 0.5 * (true[:, L_ANKLE] + true[:, R_ANKLE])
    assert np.abs(feet[:, 1]).max() < 0.01  # the ankles are on the scene's ground plane
    off = true + np.array([0.4, 0.3, -0.7], np.float32)
    px[3, [L_ANKLE, R_ANKLE], 2] = 0.0  # frame 3: ankles not seen
    placed, last = on_the_ground(off, px, R, 2.9, W, H)
    moved = 0.5 * (placed[:, L_ANKLE] + placed[:, R_ANKLE])
    assert np.allclose(moved, feet, atol=0.08), moved - feet  # height included: on the ground plane
    assert np.allclose(placed[3] - off[3], placed[2] - off[2])
    assert last is not None and np.allclose(last, placed[4, 0] - off[4, 0])
