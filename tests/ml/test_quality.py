"""In-the-wild quality figures (ml.quality, ml.bench quality) on generated motion."""
import argparse

import numpy as np
import pytest

from ml import quality
from ml.bench.quality import measure, parse_frames, per_frame, table
from ml.export.synthetic import synthetic_result


def test_facing_error_is_the_shoulder_yaw_difference():
    pose = np.zeros((3, 17, 3))
    pose[:, quality.L_SHOULDER], pose[:, quality.R_SHOULDER] = [0.2, 0, 0], [-0.2, 0, 0]
    turned = pose.copy()
    for t, deg in enumerate([10, 60, 170]):
        a = np.deg2rad(deg)
        turned[t, quality.L_SHOULDER] = [0.2 * np.cos(a), 0, 0.2 * np.sin(a)]
        turned[t, quality.R_SHOULDER] = -turned[t, quality.L_SHOULDER]
    err = quality.facing_error_deg(turned, pose)
    assert np.allclose(err, [10, 60, 170])
    s = quality.facing_summary(err)
    assert np.isclose(s["facing_median_deg"], 60) and np.isclose(s["facing_over_45_pct"], 200 / 3)


def test_measure_a_result_against_its_own_3d():
    r = synthetic_result(frames=60, fps=25.0, turns=0.5)
    k3 = r.keypoints_3d.astype(np.float64)
    ref = quality.world_to_camera(k3 - k3[:, :1])
    f = measure(r, ref, np.ones(60, bool))
    assert f["facing_median_deg"] < 1e-6 and f["facing_over_45_pct"] == 0
    assert 1.3 < f["ankle_to_head_m"] < 1.9 and f["reprojection_pct"] < 10
    assert f["frames_detected"] == 60 and f["frames_not_all_visible"] > 0  # the low-confidence wrist
    assert f["float_pct"] == 0 and f["sunk_pct"] == 0 and f["shots"] == 1 and f["settle_max_frames"] is None
    two = measure(r, ref, np.ones(60, bool), shots=[30], alone={30: k3[30:]})
    assert two["shots"] == 2 and two["settle_frames"] == [0] and two["facing_worst_shot_over_45_pct"] == 0
    assert "two" in table([{**two, "clip": "two", "true_cuts": [30], "fades": []}]).splitlines()[1]
    mirrored = ref.copy()
    mirrored[..., 2] *= -1                                   # facing away instead of towards the camera
    assert measure(r, mirrored, np.ones(60, bool))["facing_median_deg"] > 45


def test_per_frame_figures_single_out_the_frame_that_is_wrong():
    r = synthetic_result(frames=60, fps=25.0, turns=0.5)
    k3 = r.keypoints_3d.astype(np.float64)
    ref = quality.world_to_camera(k3 - k3[:, :1])
    ref[30, ..., 2] *= -1                                    # MediaPipe sees frame 30 facing away
    r.keypoints_2d = r.keypoints_2d.copy()
    r.keypoints_2d[40, :, 0] += 40.0 * np.sign(np.arange(17) % 2 - 0.5)   # frame 40's 2D pulled apart
    rows = per_frame(r, ref, np.ones(60, bool))
    assert np.nanargmax(rows["facing_deg"]) == 30 and rows["facing_deg"][30] > 45
    assert np.nanargmax(rows["reprojection_pct"]) == 40
    assert np.nanmedian(rows["reprojection_pct"]) == measure(r, ref, np.ones(60, bool))["reprojection_pct"]
    assert parse_frames("80-82,150") == [80, 81, 82, 150] == parse_frames("80 - 82, 150,")
    for bad in ["85-80", "80-", "", ",", "a", "0-999999999"]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse_frames(bad)


def test_floor_shares_count_floating_and_sunk_frames():
    pose = np.zeros((10, 17, 3))
    pose[..., 1] = np.linspace(0.05, 1.6, 17)            # lowest joint at 5 cm
    pose[2:5, :, 1] += 0.5                               # three frames 55 cm up
    pose[9, :, 1] -= 0.6                                 # one 55 cm under
    f = quality.floor_shares_pct(pose)
    assert np.isclose(f["float_pct"], 30) and np.isclose(f["sunk_pct"], 10)
    detected = np.ones(10, bool)
    detected[2:5] = False                                # frames without a person do not count
    assert quality.floor_shares_pct(pose, detected)["float_pct"] == 0


def test_facing_per_shot_splits_at_the_cuts():
    assert quality.shot_ranges(10, [4, 0, 4, 12]) == [(0, 4), (4, 10)]
    err = np.array([10, 10, 10, 10, 10, 90, 90, 10, 10, 10, np.nan, 90], float)
    shots = quality.facing_per_shot(err, [5, 10], min_frames=2)
    assert [s["over_45_pct"] for s in shots[:2]] == [0.0, 40.0]
    assert np.isnan(shots[2]["over_45_pct"]) and shots[2]["compared"] == 1


def test_settle_counts_the_frames_a_previous_shot_leaves_behind():
    T = 40
    alone = np.zeros((20, 17, 3))
    alone[..., 1] = np.linspace(0.07, 1.6, 17)
    clip = np.zeros((T, 17, 3))
    clip[20:] = alone
    clip[20:26, :, 1] += np.linspace(0.6, 0.15, 6)[:, None]  # floats after the cut, settles by frame 26
    assert quality.settle_frames(clip, {20: alone}, fps=10.0) == [6]
    same = clip.copy()
    same[20:] = alone
    assert quality.settle_frames(same, {20: alone}, fps=10.0) == [0]
    never = clip.copy()
    never[20:, :, 1] += 0.5
    assert quality.settle_frames(never, {20: alone}, fps=10.0) == [20]


def test_jitter_within_shots_leaves_the_cut_out():
    t = np.arange(40)[:, None, None] / 10.0
    pose = np.zeros((40, 17, 3))
    pose[:, 1:] = 0.1 * t                                 # steady motion: no acceleration
    pose[20:, 1:] += 0.5                                  # a cut: the next shot's pose
    assert quality.jitter_within_shots(pose, 10.0) > 1.0
    assert quality.jitter_within_shots(pose, 10.0, [20]) < 1e-9


def test_a_montage_is_turned_back_to_the_camera_shot_by_shot():
    """result.camera["shots"]: each shot's frames go back to camera axes by that shot's own tilt."""
    from ml.postprocess import upright_rotation

    rng = np.random.default_rng(0)
    cam = rng.normal(0, 0.3, (10, 17, 3))
    tilts = [upright_rotation(np.array([0.0, 1.0, 0.3])), upright_rotation(np.array([0.2, 1.0, -0.1]))]
    world = cam * np.array([1.0, -1.0, -1.0])
    world[:4] = world[:4] @ tilts[0].T
    world[4:] = world[4:] @ tilts[1].T
    camera = {"world_from_camera": tilts[1].tolist(),
              "shots": [{"first_frame": 0, "world_from_camera": tilts[0].tolist()},
                        {"first_frame": 4, "world_from_camera": tilts[1].tolist()}]}
    np.testing.assert_allclose(quality.result_to_camera(world, camera), cam, atol=1e-9)
    one = quality.result_to_camera(world, {"world_from_camera": tilts[1].tolist()})   # earlier results: one tilt
    np.testing.assert_allclose(one[4:], cam[4:], atol=1e-9)
    assert np.abs(one[:4] - cam[:4]).max() > 0.01


def test_standing_frames_come_from_the_pictures_ankles_not_the_3d():
    from ml.quality import standing_frames
    from ml.skeleton import HEAD, L_ANKLE, R_ANKLE

    T, fps = 60, 30.0
    kp = np.zeros((T, 17, 3))
    kp[..., 2] = 0.9
    kp[:, HEAD, 1] = 100.0
    kp[:, [L_ANKLE, R_ANKLE], 1] = 400.0          # on the ground line, 300 px tall
    kp[20:26, [L_ANKLE, R_ANKLE], 1] = 370.0      # a hop: both ankles 10 % of the height up in the picture
    kp[40, L_ANKLE, 2] = 0.1                      # an ankle not seen: no judgement, not standing
    stand = standing_frames(kp, fps)
    assert not stand[20:26].any() and not stand[40]
    assert stand[:20].all() and stand[26:40].all() and stand[41:].all()
    # a cut: the next shot's ground line is its own (another camera, the feet lower in the picture)
    kp[45:, [L_ANKLE, R_ANKLE], 1] = 600.0
    kp[45:, HEAD, 1] = 300.0
    assert standing_frames(kp, fps, cuts=[45])[41:45].all()
    assert not standing_frames(kp, fps)[41:45].any()  # without the cut, the other shot's line
