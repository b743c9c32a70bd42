"""Honest close-ups (issue 28, part 5): joints outside the frame are not seen, do not stand on a
floor, and are not shown to the lifter as the detector's far-off guesses. Generated fixtures only."""
import json

import numpy as np

from ml.contact import ANKLE_OF_STATURE, STANDING_ROOT_OF_STATURE, FootLock
from ml.export.synthetic import synthetic_pose3d, synthetic_result
from ml.postprocess import UPRIGHT_OF_CHAIN, root_translation, visible_joints
from ml.skeleton import BLAZEPOSE33_NAMES, JOINT_NAMES, to_h36m
from ml.unseen import standing_legs

J = {n: i for i, n in enumerate(JOINT_NAMES)}
LEGS = [J[n] for n in ("l_knee", "l_ankle", "r_knee", "r_ankle")]
STATURE = 1.70


def test_thorax_and_head_top_are_seen_when_only_the_hips_are_not():
    """The thorax is the shoulders' midpoint nudged away from the pelvis (hip weights -0.06): the
    hips' confidence does not decide whether it is seen; the spine (half pelvis) is not."""
    kp = np.zeros((1, 33, 3))
    kp[..., :2] = np.random.default_rng(0).random((1, 33, 2)) * 100
    kp[..., 2] = 0.95
    for n in ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"):
        kp[0, BLAZEPOSE33_NAMES.index(n), 2] = 0.05
    out = to_h36m(kp, "blazepose33")[0]
    assert out[J["thorax"], 2] == out[J["head"], 2] == out[J["neck_nose"], 2] == 0.95
    assert out[J["pelvis"], 2] == out[J["spine"], 2] == 0.05


def test_a_joint_made_from_unseen_joints_is_not_seen():
    """A close-up's spine can lie inside the frame while the hips it is made from are below it."""
    kp = np.zeros((1, 17, 3))
    kp[..., :2] = [100, 100]
    kp[..., 2] = 0.9
    kp[0, [J["pelvis"], J["l_hip"], J["r_hip"]] + LEGS, 1] = 400  # below a 300 px tall frame
    seen = visible_joints(kp, 320, 300)[0]
    assert not seen[J["pelvis"]] and not seen[J["spine"]] and not seen[LEGS].any()
    assert seen[J["thorax"]] and seen[J["head"]] and seen[J["l_wrist"]]
    kp[0, J["thorax"], 2] = 0.1
    assert not visible_joints(kp, 320, 300)[0, J["head"]]


def closeup_2d(frames=30, width=320, height=240, zoom=4.0):
    """The synthetic walker's 2D, zoomed about the shoulders: the head and shoulders in the frame,
    the hips and legs far below it at a detector's guessing confidence."""
    r = synthetic_result(frames, width=width, height=height)
    kp = np.array(r.keypoints_2d, np.float64)
    centre = kp[:, [J["l_shoulder"], J["r_shoulder"]], :2].mean(1, keepdims=True)
    kp[..., :2] = (kp[..., :2] - centre) * zoom + [width / 2, height * 0.45]
    out = ~((kp[..., 0] >= 0) & (kp[..., 0] < width) & (kp[..., 1] >= 0) & (kp[..., 1] < height))
    kp[..., 2] = np.where(out, 0.05, 0.95)
    return kp.astype(np.float32), r


def test_the_lifter_is_shown_standing_legs_below_a_closeup():
    kp, _ = closeup_2d()
    wild = kp.copy()
    noise = np.random.default_rng(1).normal(0, 200, (len(kp), 4, 2))
    wild[:, LEGS, :2] += noise + [0, 300] + [0, 1] * np.abs(noise)  # a detector's guesses, below the frame
    xy, conf = standing_legs(wild, 320, 240)
    for hip, knee, ankle in (("l_hip", "l_knee", "l_ankle"), ("r_hip", "r_knee", "r_ankle")):
        h, k, a = xy[:, J[hip]], xy[:, J[knee]], xy[:, J[ankle]]
        down = xy[:, J["pelvis"]] - xy[:, J["thorax"]]
        down /= np.linalg.norm(down, axis=1, keepdims=True)
        for upper, lower in ((h, k), (k, a)):  # straight down the torso's own axis
            d = (lower - upper) / np.linalg.norm(lower - upper, axis=1, keepdims=True)
            assert (np.sum(d * down, 1) > 0.999).all()
        torso = np.linalg.norm(xy[:, J["pelvis"]] - xy[:, J["thorax"]], axis=1)
        assert np.allclose(np.linalg.norm(k - h, axis=1) / torso, 0.91, atol=0.01)
    assert (conf[:, LEGS] == 1).all()
    keep = [j for j in range(17) if j not in LEGS]
    assert np.array_equal(xy[:, keep], wild[:, keep, :2])  # the rest as detected


def test_joints_inside_the_frame_are_left_to_the_detector():
    r = synthetic_result(20)
    kp = np.array(r.keypoints_2d)
    kp[:, LEGS, 2] = 0.1  # unsure, but inside the frame
    xy, conf = standing_legs(kp, r.width, r.height)
    assert np.array_equal(xy, kp[..., :2]) and np.array_equal(conf, kp[..., 2])


def test_feet_not_seen_make_no_contact_and_keep_the_root_height():
    """Standing, then the feet leave the frame (no ankle seen) and the guessed legs are crouched:
    no contact, the body placed by its root at the height it had while the feet were seen; after
    a cut, at a standing person's height."""
    pose = np.repeat(synthetic_pose3d(1)[None, 0], 60, 0).astype(np.float64)
    lock = FootLock(25.0, STATURE)
    seen = np.ones((60, 17), bool)
    seen[30:, LEGS] = False
    guessed = pose.copy()
    guessed[30:, LEGS, 1] += 0.25  # crouched, floating legs the lifter invented
    guessed[30:, :, 1] += 0.5      # and a root the lifter's depth put elsewhere
    out, contact = lock(guessed, None, seen)
    root_before = np.median(out[20:30, 0, 1])
    assert contact[:30].any(1).all() and not contact[30:].any()
    assert lock.legs_guessed == [False] * 30 + [True] * 30
    assert np.abs(out[30:, 0, 1] - root_before).max() < 1e-3
    lock.new_shot()
    out, _ = lock(guessed[30:], None, seen[30:])
    assert np.allclose(out[:, 0, 1], lock.standing_root_h, atol=1e-3)


def test_a_clip_that_starts_with_a_closeup_stands_at_a_standing_height():
    pose = np.repeat(synthetic_pose3d(1)[None, 0], 20, 0).astype(np.float64) + [0, 3.0, 0]
    seen = np.ones((20, 17), bool)
    seen[:, LEGS] = False
    out, contact = FootLock(25.0, STATURE)(pose, None, seen)
    assert not contact.any()
    assert np.allclose(out[:, 0, 1], STANDING_ROOT_OF_STATURE * STATURE, atol=1e-3)


def test_one_foot_seen_stands_the_other_does_not():
    pose = np.repeat(synthetic_pose3d(1)[None, 0], 40, 0).astype(np.float64)
    seen = np.ones((40, 17), bool)
    seen[:, J["r_ankle"]] = False
    _, contact = FootLock(25.0, STATURE)(pose, None, seen)
    assert contact[10:, 0].all() and not contact[:, 1].any()  # (left, right)


def test_the_root_is_placed_from_the_joints_inside_the_frame():
    r = synthetic_result(5)
    kp = np.array(r.keypoints_2d, np.float64)
    cam = np.array(r.keypoints_3d, np.float64) * [1, -1, -1]
    cam -= cam[:, :1]
    truth = root_translation(cam, kp[..., :2], kp[..., 2], r.width, r.height)
    bad = kp.copy()
    bad[:, LEGS, :2] += [300.0, 900.0]  # guesses far outside the frame, at some confidence
    bad[:, LEGS, 2] = 0.3
    outside = np.zeros((5, 17), bool)
    outside[:, LEGS] = True
    placed = root_translation(cam, bad[..., :2], bad[..., 2], r.width, r.height, ignore=outside)
    fooled = root_translation(cam, bad[..., :2], bad[..., 2], r.width, r.height)
    assert np.abs(placed - truth).max() < 0.05 < np.abs(fooled - truth).max()


def test_a_closeup_shot_through_the_pipeline(tmp_path, tiny_checkpoint):
    """Wide, then a head-and-shoulders close-up (2D given, generated): the close-up's legs are not
    visible, make no contact, are flagged as guessed in result.json and the NPZ, and the body keeps
    the skeleton's standing root height instead of standing on invented feet."""
    from ml.export.arrays import write_npz
    from ml.pipeline import PipelineOptions, run_pipeline
    from ml.result import PoseResult
    from ml.segments import Record
    from tests.conftest import write_video

    n_wide, n_close, W, H = 40, 40, 320, 240
    wide = synthetic_result(n_wide, fps=10.0, width=W, height=H)
    close, _ = closeup_2d(n_close, W, H)
    close[:, LEGS, :2] += np.random.default_rng(3).normal(0, 150, (n_close, 4, 2))
    kp = np.concatenate([np.asarray(wide.keypoints_2d), close])
    records = [Record(i, i / 10.0, kp[i], i == n_wide) for i in range(len(kp))]
    video = write_video(tmp_path / "closeup.mp4", [np.zeros((H, W, 3), np.uint8)] * len(kp))
    result = run_pipeline(video, PipelineOptions(checkpoint=str(tiny_checkpoint), facing=False), records=records)
    assert result.cuts == [n_wide]
    assert not result.legs_guessed[:n_wide].any() and result.legs_guessed[n_wide:].all()
    assert not result.visible[n_wide:][:, LEGS + [J["pelvis"], J["spine"]]].any()
    assert result.visible[n_wide:][:, [J["thorax"], J["l_shoulder"], J["r_shoulder"]]].all()
    assert not result.contact[n_wide:].any()
    k3 = np.asarray(result.keypoints_3d)
    L = result.skeleton["bone_lengths_m"]
    standing = ANKLE_OF_STATURE * result.skeleton["height_m"] + (L[2] + L[3]) * UPRIGHT_OF_CHAIN
    assert np.abs(k3[n_wide:, 0, 1] - standing).max() < 0.01  # whatever the shot before left
    result.save_json(tmp_path / "r.json")
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["legs_guessed"] == [[n_wide, n_wide + n_close]]
    assert np.array_equal(PoseResult.load_json(tmp_path / "r.json").legs_guessed, result.legs_guessed)
    npz = np.load(write_npz(result, tmp_path / "r.npz"))
    assert np.array_equal(npz["legs_guessed"], result.legs_guessed)
    assert np.array_equal(npz["visible"], result.visible)


def test_the_overlay_fades_joints_not_seen():
    """The overlay MP4's 2D and its 3D panel draw a joint the result marks not visible faded, as
    an unconfident one (the 2D of a close-up's spine is inside the frame, its hips are not)."""
    from ml.export.overlay import Panel3D, draw_skeleton_2d, joint_colours
    from ml.skeleton import PARENTS

    r = synthetic_result(1)
    kp = np.array(r.keypoints_2d[0], np.float64)
    kp[:, 2] = 1.0
    colours = joint_colours(JOINT_NAMES)
    blank = np.zeros((r.height, r.width, 3), np.uint8)
    solid = draw_skeleton_2d(blank.copy(), kp, PARENTS, colours)
    faded = draw_skeleton_2d(blank.copy(), kp, PARENTS, colours, seen=np.zeros(17, bool))
    assert 0 < faded.astype(int).sum() < 0.5 * solid.astype(int).sum()
    panel = Panel3D(200)
    k3 = np.asarray(r.keypoints_3d[0], np.float64)
    on, off = panel.draw(k3, PARENTS, colours), panel.draw(k3, PARENTS, colours, seen=np.zeros(17, bool))
    bg = panel.background.astype(int)
    assert 0 < np.abs(off.astype(int) - bg).sum() < 0.6 * np.abs(on.astype(int) - bg).sum()
