"""World alignment pieces: fixed bone lengths, root trajectory from 2D, One-Euro, metrics."""
import numpy as np

from ml.contact import ANKLE_OF_STATURE

from ml.postprocess import (ANKLE_TO_HEAD_OF_STATURE, DEFAULT_STATURE_M, H36M_BONE_LENGTHS, BoneLengths, OneEuro, WorldAligner,
                            bone_length_std_mm, bone_lengths, chain_height, jitter, root_translation,
                            gaussian_smooth, one_skeleton, visible_joints, with_bone_lengths)
from ml.skeleton import FLIP_PERM, PARENTS


def standing_pose(T=10, seed=0):
    rng = np.random.default_rng(seed)
    base = np.array([[0, 0, 0], [-.13, 0, 0], [-.13, .45, 0], [-.13, .9, 0], [.13, 0, 0], [.13, .45, 0],
                     [.13, .9, 0], [0, -.23, 0], [0, -.48, 0], [0, -.6, -.05], [0, -.72, 0], [.18, -.45, 0],
                     [.2, -.2, 0], [.22, .05, 0], [-.18, -.45, 0], [-.2, -.2, 0], [-.22, .05, 0]], float)
    return base[None] + 0.02 * rng.standard_normal((T, 17, 3))  # camera frame: y down


def test_with_bone_lengths_fixes_lengths_and_keeps_directions():
    pose = standing_pose(20)
    target = np.median(bone_lengths(pose), axis=0)
    out = with_bone_lengths(pose, target)
    assert np.allclose(bone_lengths(out)[:, 1:], target[None, 1:], atol=1e-9)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            a, b = pose[:, j] - pose[:, p], out[:, j] - out[:, p]
            cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
            assert (cos > 0.9999).all()
    assert bone_length_std_mm(out) < 1e-6 < bone_length_std_mm(pose)


def test_one_skeleton_gives_a_clip_one_symmetric_skeleton_and_undoes_length_noise():
    truth = standing_pose(1)[0]
    rng = np.random.default_rng(3)
    swing = np.stack([truth] * 60)  # one skeleton; each frame's bones stretched or shrunk by a lifter-like error
    noisy = np.empty_like(swing)
    for t in range(60):
        noisy[t] = with_bone_lengths(swing[t:t + 1], bone_lengths(swing[t:t + 1])[0] * rng.uniform(0.85, 1.15, 17))[0]
    out = one_skeleton(noisy)
    L = bone_lengths(out)
    assert np.allclose(L, L[:1], atol=1e-9)  # the same lengths in every frame
    assert np.allclose(L[0], L[0][FLIP_PERM], atol=1e-9)  # left and right alike
    err = lambda p: np.linalg.norm(p - swing, axis=-1).mean()  # noqa: E731
    assert err(out) < 0.5 * err(noisy), (err(out), err(noisy))


def test_root_translation_recovers_a_known_position():
    pose = standing_pose(5)
    pose -= pose[:, :1]
    truth = np.array([[0.3, -0.1, 4.0], [0.5, -0.1, 4.5], [-0.2, 0.0, 3.0], [0, 0, 6.0], [1.0, 0.2, 5.0]])
    w, h, f = 1280, 720, 1280.0
    cam = pose + truth[:, None]
    kp = np.stack([f * cam[..., 0] / cam[..., 2] + w / 2, f * cam[..., 1] / cam[..., 2] + h / 2], -1)
    est = root_translation(pose, kp, np.ones((5, 17)), w, h, focal=f)
    assert np.allclose(est, truth, atol=1e-6)


def test_one_euro_chunked_equals_whole_and_reduces_jitter():
    rng = np.random.default_rng(1)
    t = np.arange(200) / 25.0
    clean = np.sin(t)[:, None, None] * np.ones((1, 17, 3))
    noisy = clean + 0.01 * rng.standard_normal(clean.shape)
    whole = OneEuro(25.0)
    a = np.stack([whole(f) for f in noisy])
    chunked, parts = OneEuro(25.0), []
    for s in range(0, 200, 27):
        parts.append(np.stack([chunked(f) for f in noisy[s:s + 27]]))
    assert np.allclose(a, np.concatenate(parts))
    assert jitter(a, 25.0) < 0.5 * jitter(noisy, 25.0)


def test_world_aligner_gives_y_up_feet_on_floor():
    pose = standing_pose(30)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((30, 17, 1))], -1)
    world = WorldAligner(25.0, 800, 800, smoothing="none")(pose, kp)
    feet = np.minimum(world[:, 3, 1], world[:, 6, 1])
    ankle_h = ANKLE_OF_STATURE * DEFAULT_STATURE_M  # soles on the ground, ankles above them
    assert feet.min() >= ankle_h - 0.01 and np.isclose(np.median(feet), ankle_h, atol=1e-6)
    assert (world[:, 10, 1] > world[:, 0, 1] + 0.5).all()  # head well above pelvis
    flat = WorldAligner(25.0, 800, 800, smoothing="none", foot_lock=False)(pose, kp)
    assert np.allclose(np.minimum(flat[:, 3, 1], flat[:, 6, 1]), 0, atol=1e-6)  # the earlier floor


def test_world_aligner_keeps_one_skeleton_whatever_the_lifter_scale():
    """A lifter that outputs a 20 % larger person later does not change the skeleton (frozen)."""
    pose = standing_pose(60)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((60, 17, 1))], -1)
    al = WorldAligner(10.0, 800, 800, smoothing="none")   # freezes after 4 s = 40 frames
    first = al(pose[:40], kp[:40])
    second = al(pose[40:] * 1.2, kp[40:])
    assert np.allclose(bone_lengths(first)[:, 1:], bone_lengths(second)[:1, 1:], atol=1e-6)


def test_bone_lengths_ignore_unseen_joints_and_take_the_prior_scale():
    pose = standing_pose(80)
    pose -= pose[:, :1]
    seen = np.ones((80, 17), bool)
    wild = pose.copy()
    wild[:, [3, 6]] += np.array([0.0, 2.0, 0.0])           # ankles guessed 2 m off, not seen
    seen[:, [3, 6]] = False
    bl = BoneLengths(freeze_after_frames=None)
    L = bl.update(wild, seen)
    assert abs(chain_height(L) - chain_height(H36M_BONE_LENGTHS)) < 1e-9  # the adult prior's size
    # shins were never seen: the prior's shin (in the proportion of the seen bones), not 2 m
    assert np.allclose(L[[3, 6]], H36M_BONE_LENGTHS[[3, 6]], rtol=0.1)
    assert np.isclose(L[2], L[5]) and np.isclose(L[12], L[15])  # left and right alike
    big = BoneLengths().update(pose * 1.3)
    assert np.allclose(big, BoneLengths().update(pose), atol=1e-9)  # absolute scale: the prior's


def test_bone_lengths_follow_a_given_height_and_freeze():
    pose = standing_pose(100)
    pose -= pose[:, :1]
    bl = BoneLengths(height_m=1.90)
    L = bl.update(pose[:50])
    assert abs(chain_height(L) - 1.90 * ANKLE_TO_HEAD_OF_STATURE) < 1e-9
    assert bl.frozen is None
    L2 = bl.update(pose[50:100] * np.array([1.0, 1.3, 1.0]))  # 60 samples per bone reached here
    assert bl.frozen is not None
    assert np.array_equal(bl.update(pose * 2), L2)
    tall = WorldAligner(25.0, 800, 800, smoothing="none", height_m=1.9)(pose[:5], np.concatenate(
        [pose[:5, :, :2] * 300 + 400, np.ones((5, 17, 1))], -1))
    assert tall[:, 10, 1].max() > 1.6  # head above the floor at the given stature


def test_visible_joints_needs_confidence_and_the_frame():
    kp = np.array([[[5, 5, 1]] * 11 + [[10, 10, 0.9], [10, 10, 0.2], [-1, 10, 0.9], [10, 480, 0.9], [639, 479, 0.5]]
                   + [[5, 5, 1]]], np.float32)
    assert visible_joints(kp, 640, 480)[0, 11:16].tolist() == [True, False, False, False, True]


def test_new_shot_restarts_smoothing_and_continues_the_trajectory():
    pose = standing_pose(20)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((20, 17, 1))], -1)
    al = WorldAligner(25.0, 800, 800, smoothing="light")
    a = al(pose[:10], kp[:10])
    al.new_shot()
    shifted = kp[10:].copy()
    shifted[..., 0] += 300                                   # the new camera sees the person elsewhere
    b = al(pose[10:], shifted)
    assert np.linalg.norm(b[0, 0, [0, 2]] - a[-1, 0, [0, 2]]) < 0.05  # no jump of the root at the cut


def test_pose_smoothing_is_centred_so_motion_does_not_lag():
    t = np.arange(40, dtype=float)
    ramp = np.stack([t, 2 * t], -1)[:, None, :]                     # steady motion
    assert np.allclose(gaussian_smooth(ramp, 2.0)[8:-8], ramp[8:-8])  # no lag inside the window
    noisy = ramp + np.random.default_rng(0).normal(0, 1, ramp.shape)
    acc = lambda x: np.abs(np.diff(x[8:-8], 2, axis=0)).mean()
    assert acc(gaussian_smooth(noisy, 2.0)) < 0.3 * acc(noisy)
    # the aligner smooths the chunk over its lifted window, then fixes the bones
    pose = standing_pose(30)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((30, 17, 1))], -1)
    light = WorldAligner(25.0, 800, 800, smoothing="light")(pose[10:15], kp[10:15], window=pose, offset=10)
    raw = WorldAligner(25.0, 800, 800, smoothing="none")(pose[10:15], kp[10:15], window=pose, offset=10)
    assert jitter(light - light[:, :1], 25.0) < jitter(raw - raw[:, :1], 25.0)


def test_world_aligner_turns_a_tilted_camera_upright():
    """A camera looking 20° down sees an upright person lean back; walking away from it, they climb.
    The aligner turns both out: head over ankles, a level walk."""
    T, pitch = 60, np.radians(20)
    c, s = np.cos(pitch), np.sin(pitch)
    tilt = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # world -> camera of a camera pitched down
    pose = standing_pose(T, seed=3) * 0.25 + standing_pose(1)[0] * 0.75  # a little noise only
    pose = (pose - pose[:, :1]) @ tilt.T
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((T, 17, 1))], -1)
    world = WorldAligner(25.0, 800, 800, smoothing="none")(pose, kp)
    up = world[20:, 10] - 0.5 * (world[20:, 3] + world[20:, 6])
    lean = np.degrees(np.arctan2(np.hypot(up[:, 0], up[:, 2]), up[:, 1]))
    assert np.median(lean) < 3.0, np.median(lean)
    raw_up = pose[:, 10] - 0.5 * (pose[:, 3] + pose[:, 6])
    assert np.degrees(np.arctan2(np.hypot(raw_up[:, 0], raw_up[:, 2]), -raw_up[:, 1])).mean() > 15  # it was tilted


def test_a_foot_swung_up_behind_does_not_tilt_the_camera():
    """Issue 28: a walker towards the camera with a foot swung up behind them moved the ankles' midpoint
    from under the head, and the camera tilt estimated from it leaned the whole figure forward. The tilt
    now comes from the ankle of the straighter (standing) leg."""
    from ml.postprocess import camera_tilt, stance_ankle

    T = 60
    pose = standing_pose(T, seed=4) * 0.1 + standing_pose(1)[0] * 0.9  # camera level: y down, z away
    pose[:, 2] = pose[:, 1] + [0.0, 0.39, 0.225]  # right thigh 30° back (away from the camera)
    pose[:, 3] = pose[:, 2] + [0.0, 0.10, 0.44]   # the shin folded up behind
    pose = pose - pose[:, :1]
    assert np.allclose(stance_ankle(pose), pose[:, 6])  # the left leg is the straighter one
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((T, 17, 1))], -1)
    aligner = WorldAligner(25.0, 800, 800, smoothing="none")
    aligner(pose, kp)
    assert camera_tilt(aligner.tilt)["tilt_deg"] < 2.0  # the midpoint of the ankles gave about 13°
    standing = pose.copy()  # both legs straight down: the midpoint
    for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):
        standing[:, knee], standing[:, ankle] = standing[:, hip] + [0, .45, 0], standing[:, hip] + [0, .9, 0]
    assert np.allclose(stance_ankle(standing), 0.5 * (standing[:, 3] + standing[:, 6]))


def test_a_close_up_turns_the_seen_bones_further_towards_the_picture():
    """Issue 28: in a head-and-shoulders shot (the pelvis below the frame) the lifter's upper body drifts
    from the picture; there the seen bones turn CLOSEUP_FIT_STRENGTH of the way to their 2D rays."""
    from ml.postprocess import CLOSEUP_FIT_STRENGTH, FIT_2D_STRENGTH, fit_strength

    kp = np.zeros((2, 17, 3))
    kp[..., :2] = 100.0
    kp[1, 0, 1] = 500.0  # frame 1: the pelvis below a 400 px tall picture
    assert fit_strength(kp, 640, 400).tolist() == [FIT_2D_STRENGTH, CLOSEUP_FIT_STRENGTH]
    assert CLOSEUP_FIT_STRENGTH > FIT_2D_STRENGTH
