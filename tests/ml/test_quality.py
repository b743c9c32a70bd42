"""In-the-wild quality figures (ml.quality, ml.bench quality) on generated motion."""
import argparse

import numpy as np
import pytest

from ml import quality
from ml.bench.quality import measure, parse_frames, per_frame
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
