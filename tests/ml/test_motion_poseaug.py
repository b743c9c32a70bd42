"""More motion in training (issue 28, part 4): another skeleton's motion capture filmed by virtual
cameras with its own source flag, and poses changed within anatomical limits (ml.poseaug)."""
import json

import numpy as np
import pytest
import torch

from ml import motion, skeleton, train
from ml.data import SOURCES, WindowSampler, VirtualCameraConfig, source_id
from ml.lift import Lifter, predict_normalized
from ml.poseaug import PoseAugConfig, augment_poses, body_axes

from .test_train_eval import TINY

# A Y-up standing skeleton in Human3.6M's joint order (metres), as the Bandai file stores its takes;
# joint 10 repeats joint 9, as the file's head end site does.
STAND_Y_UP = np.array([[0, .95, 0], [-.07, .93, 0], [-.08, .52, 0], [-.08, .1, 0], [.07, .93, 0], [.08, .52, 0],
                       [.08, .1, 0], [0, 1.2, 0], [0, 1.4, 0], [0, 1.5, .02], [0, 1.5, .02], [.17, 1.38, 0],
                       [.2, 1.12, 0], [.22, .88, 0], [-.17, 1.38, 0], [-.2, 1.12, 0], [-.22, .88, 0]], np.float32)


def make_motion_file(path, takes=12, T=45):
    """A tiny file in the Bandai layout: takes walking along +x at 30 fps, Y up."""
    rng = np.random.default_rng(0)
    d = {"fps": np.array(30), "up_axis": np.array("y"), "units": np.array("m"),
         "joints": np.array(["j"] * 17)}
    for i in range(takes):
        t = np.arange(T)[:, None, None] / 30.0
        pos = STAND_Y_UP[None] + 0.03 * np.sin(2 * np.pi * (t + rng.random((1, 17, 3))))
        pos[..., 0] += 1.2 * t[..., 0]
        d[f"dataset-2_walk_normal_{i + 1:03d}"] = pos.astype(np.float32)
    np.savez(path, **d)
    return path


@pytest.fixture(scope="module")
def motion_file(tmp_path_factory):
    return make_motion_file(tmp_path_factory.mktemp("motion") / "bandai.npz")


def test_takes_are_filmed_at_50_hz_with_a_head_top_and_their_own_source(motion_file):
    train_seqs = motion.load_motion_sequences(motion_file, "train", val_every=5)
    val = motion.load_motion_sequences(motion_file, "val", val_every=5)
    assert [s.action[-3:] for s in val] == ["005", "010"] and len(train_seqs) == 10
    s = train_seqs[0]
    assert len(s.kp2d) == 74                            # 45 frames at 30 fps = 1.47 s -> 74 at 50 Hz
    assert s.source == "mocap" and SOURCES[source_id(s.source)] == "mocap" and source_id("gt") == 0
    np.testing.assert_allclose(s.pos3d[:, 0], 0, atol=1e-6)             # root-relative
    head = np.linalg.norm(s.pos3d[:, 10] - s.pos3d[:, 9], axis=-1)
    np.testing.assert_allclose(head, motion.HEAD_TOP_M, atol=2e-3)       # a head top (interpolated to 50 Hz)
    # Upright in the image: the head above the pelvis (image y points down), the whole body in view.
    assert (s.kp2d[:, 10, 1] < s.kp2d[:, 0, 1]).all() and np.abs(s.kp2d).max() < 1.0
    # The 2D is the camera-frame 3D through the pinhole.
    X = s.pos3d + s.root[:, None]
    np.testing.assert_allclose(s.kp2d, motion.FOCAL * X[..., :2] / X[..., 2:3], atol=1e-5)


def test_a_missing_motion_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(motion, "SHARED_MOTION", tmp_path / "absent.npz")
    with pytest.raises(FileNotFoundError, match="bandai_namco_d2_h36m17.npz"):
        motion.resolve_motion_path(tmp_path / "nope.npz")


def test_motion_windows_are_always_refilmed_and_detector_windows_never(motion_file):
    seqs = motion.load_motion_sequences(motion_file, "train", val_every=5)
    sampler = WindowSampler(seqs, 9, 9, 64, seed=0, virtual=VirtualCameraConfig(prob=0.0, mocap_prob=1.0))
    x, y, mask, src = next(iter(sampler))
    assert (src == 2).all()
    plain = WindowSampler(seqs, 9, 9, 64, seed=0)
    x0, y0, _, _ = next(iter(plain))
    assert not torch.allclose(x, x0)   # another viewpoint; the same 3D pose up to a rotation
    bones = lambda a: torch.stack([torch.linalg.norm(a[..., j, :] - a[..., p, :], dim=-1) for j, p in skeleton.BONES])  # noqa: E731
    assert sorted(bones(y).flatten().tolist())[::50] == pytest.approx(sorted(bones(y0).flatten().tolist())[::50], abs=2e-3)


def test_pose_augmentation_swings_limbs_the_anatomical_way_and_keeps_the_body_frame():
    rng = np.random.default_rng(0)
    y = np.stack([motion.add_head_top(motion.to_z_up(STAND_Y_UP[None]))] * 3)    # (3, 1, 17, 3)
    y = y - y[..., :1, :]
    _, up, fwd = body_axes(y)
    bend = PoseAugConfig(prob=1, limb_prob=1, leg_swing_deg=(0, 0), leg_abduct_deg=0, arm_swing_deg=0,
                         extra_bend_deg=60, bone_scale=0)
    d = augment_poses(y, bend, rng) - y
    along = lambda j: (d[..., j, :] * fwd).sum(-1)                                          # noqa: E731
    assert (along(3) < 0).all() and (along(6) < 0).all()       # knees bend backwards
    assert (along(13) > 0).all() and (along(16) > 0).all()     # elbows forwards
    kick = PoseAugConfig(prob=1, limb_prob=1, leg_swing_deg=(60, 60), leg_abduct_deg=0, arm_swing_deg=0,
                         extra_bend_deg=0, bone_scale=0)
    k = augment_poses(y, kick, rng)
    assert ((k[..., 2, :] - y[..., 2, :]) * fwd).sum(-1).min() > 0.3        # a forward kick
    np.testing.assert_allclose(k[..., :2, :][..., 0, :], 0, atol=1e-6)
    # Bone lengths stay when not scaled; the torso never moves.
    for j, p in skeleton.BONES:
        np.testing.assert_allclose(np.linalg.norm(k[..., j, :] - k[..., p, :], axis=-1),
                                   np.linalg.norm(y[..., j, :] - y[..., p, :], axis=-1), atol=1e-5)
    np.testing.assert_allclose(k[..., [0, 7, 8, 9, 10, 11, 14], :], y[..., [0, 7, 8, 9, 10, 11, 14], :], atol=1e-6)


def test_bone_scaling_keeps_left_and_right_alike():
    rng = np.random.default_rng(3)
    y = motion.add_head_top(motion.to_z_up(STAND_Y_UP[None]))[None]
    y = np.repeat(y - y[..., :1, :], 8, axis=0)
    only_bones = PoseAugConfig(prob=1, limb_prob=0, bone_scale=0.12)
    a = augment_poses(y, only_bones, rng)
    length = lambda q, j, p: np.linalg.norm(q[..., j, :] - q[..., p, :], axis=-1)            # noqa: E731
    for (l, lp), (r, rp) in [((2, 1), (5, 4)), ((13, 12), (16, 15))]:
        np.testing.assert_allclose(length(a, l, lp) / length(y, l, lp), length(a, r, rp) / length(y, r, rp), rtol=1e-4)
    ratio = length(a, 2, 1) / length(y, 2, 1)
    assert ratio.min() >= 0.88 - 1e-5 and ratio.max() <= 1.12 + 1e-5 and ratio.std() > 0.01


def test_fine_tuning_with_motion_capture_grows_the_source_flag_and_reports_its_validation(h36m_dir, motion_file, tmp_path):
    """A 2-source checkpoint fine-tuned with a third source (mocap): the new source starts as projected
    GT, the old ones as they were; the held-out takes are validated every epoch."""
    two = dict(TINY, epochs=1, train_subjects=["S9"], model={"embed_dim": 32, "hidden": 16, "num_sources": 2})
    train.train(train.load_config(None, **two, keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir),
                                  out=str(tmp_path / "two")), progress=False)
    init = str(tmp_path / "two" / "best.pt")
    three = dict(two, lr=1e-9, warmup_steps=0, model={"embed_dim": 32, "hidden": 16, "num_sources": 3},
                 motion=str(motion_file), motion_val_every=5, pose_aug={"prob": 0.5},
                 virtual={"prob": 0.3, "mocap_prob": 1.0})
    res = train.train(train.load_config(None, **three, init=init, keypoints="sh_pt_mpii+gt",
                                        data_dir=str(h36m_dir), out=str(tmp_path / "three")), progress=False)
    assert res["history"][0]["val_motion_mpjpe"] > 0
    before, after = Lifter.load(init), Lifter.load(tmp_path / "three" / "last.pt")
    assert after.meta["data"]["motion"]["val_takes"] == 2 and "non-commercial" in after.meta["data"]["licence"]
    x = np.random.default_rng(1).normal(0, 0.2, (20, 17, 2)).astype(np.float32)
    for new, old in ((0, 0), (1, 1), (2, 0)):
        np.testing.assert_allclose(predict_normalized(after.model, x, source=new),
                                   predict_normalized(before.model, x, source=old), atol=1e-4)


def test_evaluate_scores_the_held_out_takes_per_content(h36m_dir, motion_file, tmp_path, monkeypatch, capsys):
    from ml import evaluate

    monkeypatch.setattr(motion, "VAL_EVERY", 5)
    two = dict(TINY, epochs=1, train_subjects=["S9"], model={"embed_dim": 32, "hidden": 16, "num_sources": 2})
    train.train(train.load_config(None, **two, keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir),
                                  out=str(tmp_path / "two")), progress=False)
    evaluate.main(["--checkpoint", str(tmp_path / "two" / "best.pt"), "--motion", str(motion_file), "--json"])
    out = capsys.readouterr().out
    t = json.loads(out.strip().splitlines()[-1])
    assert list(t["actions"]) == ["walk"] and t["sequences"] == 2 and t["average"]["p1"] > 0  # no 'mocap' source: its default
    assert "held-out motion-capture takes" in out
    as_det = evaluate.evaluate(Lifter.load(tmp_path / "two" / "best.pt"), None, motion=str(motion_file), source=1)
    assert as_det["average"]["p1"] != t["average"]["p1"]
    from ml import ship

    (tmp_path / "motion.json").write_text(out)
    ship.main([str(tmp_path / "two" / "best.pt"), "--eval-motion", str(tmp_path / "motion.json"),
               "--out", str(tmp_path / "shipped.pt")])
    summary = json.loads((tmp_path / "shipped.json").read_text())
    assert summary["motion_val_p1_mm"] == round(t["average"]["p1"], 1)
