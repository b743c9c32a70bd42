"""Dispatch, atomic writes, CSV and NPZ exports (the BVH and MP4 have their own test files)."""
import csv
import json

import numpy as np
import pytest

import ml.export.table
from ml.export import FILE_NAMES, FORMATS, export, export_all
from ml.export.table import csv_header
from ml.export.synthetic import synthetic_result
from ml.result import PoseResult
from ml.skeleton import JOINT_NAMES, PARENTS


@pytest.fixture(scope="module")
def result():
    r = synthetic_result(frames=10, fps=30.0, undetected=[4])
    r.contact[2:6, 0] = True  # the left foot planted for a while
    return r


def test_formats_and_unknown_format(tmp_path, result):
    assert FORMATS == ("json", "csv", "npz", "bvh", "glb", "mp4")
    with pytest.raises(ValueError, match="unknown export format.*choose from json, csv, npz, bvh, glb, mp4"):
        export(result, "fbx", tmp_path / "x.fbx")
    with pytest.raises(ValueError, match="'gif'"):
        export_all(result, tmp_path / "out", ["json", "gif"])
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_export_all_writes_each_format(tmp_path, result):
    written = export_all(result, tmp_path / "out", ["csv", "json", "npz", "bvh", "glb", "csv"])
    assert list(written) == ["csv", "json", "npz", "bvh", "glb"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILE_NAMES[f] for f in written)
    back = PoseResult.load_json(written["json"])
    assert np.allclose(back.keypoints_3d, result.keypoints_3d, atol=1e-5)
    assert np.array_equal(back.contact, result.contact)
    assert written["bvh"].read_text().startswith("HIERARCHY\nROOT Hips")
    assert written["glb"].read_bytes()[:4] == b"glTF"


def test_csv_columns_and_values(tmp_path, result):
    path = export(result, "csv", tmp_path / "r.csv")
    rows = list(csv.reader(path.open()))
    assert rows[0] == csv_header(JOINT_NAMES)
    assert rows[0][:10] == ["frame", "time_s", "detected", "pelvis_x", "pelvis_y", "pelvis_z",
                            "pelvis_u", "pelvis_v", "pelvis_conf", "pelvis_visible"]
    assert len(rows) == 1 + result.frame_count and all(len(r) == 3 + 17 * 7 + 2 for r in rows)
    assert rows[0][-2:] == ["left_foot_contact", "right_foot_contact"]
    data = np.array(rows[1:], float)
    assert np.array_equal(data[:, 0], np.arange(10)) and np.allclose(data[:, 1], np.arange(10) / 30, atol=1e-6)
    assert data[4, 2] == 0 and data[3, 2] == 1
    per = data[:, 3:-2].reshape(10, 17, 7)
    assert np.array_equal(data[:, -2:].astype(bool), result.contact)
    assert np.allclose(per[..., :3], result.keypoints_3d, atol=6e-5)
    assert np.allclose(per[..., 3:5], result.keypoints_2d[..., :2], atol=6e-3)
    assert np.allclose(per[..., 5], result.keypoints_2d[..., 2], atol=6e-4)
    assert np.array_equal(per[..., 6].astype(bool), result.visible) and not per[4, :, 6].any()


def test_npz_arrays_and_meta(tmp_path, result):
    path = export(result, "npz", tmp_path / "r.npz")
    with np.load(path) as z:  # no pickles needed
        assert set(z.files) == {"keypoints_2d", "keypoints_3d", "detected", "visible", "cuts", "contact",
                                "legs_guessed", "parents", "joint_names", "fps", "video_size", "meta"}
        assert np.array_equal(z["contact"], result.contact) and z["contact"].dtype == bool
        assert np.array_equal(z["visible"], result.visible) and z["cuts"].tolist() == list(result.cuts)
        assert np.array_equal(z["keypoints_3d"], result.keypoints_3d)
        assert np.array_equal(z["keypoints_2d"], result.keypoints_2d)
        assert z["detected"].dtype == bool and not z["detected"][4]
        assert z["parents"].tolist() == PARENTS and z["joint_names"].tolist() == JOINT_NAMES
        assert float(z["fps"]) == 30.0 and z["video_size"].tolist() == [result.width, result.height]
        meta = json.loads(str(z["meta"]))
    assert meta["detector"] == "synthetic" and "Y up" in meta["coordinate_frame"] and meta["frame_count"] == 10


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, result, monkeypatch):
    target = tmp_path / "result.csv"
    target.write_text("old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(ml.export.table.np, "savetxt", boom)
    with pytest.raises(OSError, match="disk full"):
        export(result, "csv", target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["result.csv"]
