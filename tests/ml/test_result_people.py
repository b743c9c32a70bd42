"""Result version 2 (several people): JSON round trip, readers of either version, a v1-only reader's
clear refusal, and the v2 exports (CSV, NPZ, BVH and GLB zips, overlay MP4)."""
import json
import zipfile

import numpy as np
import pytest

from ml.export import PEOPLE_FILE_NAMES, export_all
from ml.export.synthetic import synthetic_people_result, synthetic_result
from ml.result import PoseResult, load_result
from ml.result_people import PeopleResult


@pytest.fixture
def several():
    return synthetic_people_result()


def test_json_round_trip(tmp_path, several):
    path = several.save_json(tmp_path / "result.json")
    d = json.loads(path.read_text())
    assert d["format"] == "3dposenet-result" and d["version"] == 2 and d["people_mode"] == "several"
    assert [(p["id"], p["start"], p["end"]) for p in d["people"]] == [(1, 0, 40), (2, 10, 30), (3, 25, 40)]
    assert len(d["people"][1]["detected"]) == 20 and d["people"][1]["detected"][2] is False
    assert set(d["camera"]) == {"world_from_camera", "tilt_deg", "height_m"} and len(d["time_s"]) == 40
    back = load_result(path)
    assert isinstance(back, PeopleResult) and back.frame_count == 40
    for a, b in zip(several.people, back.people):
        assert (a.id, a.start, a.end) == (b.id, b.start, b.end)
        assert np.allclose(a.keypoints_3d, b.keypoints_3d, atol=1e-5)
        assert np.allclose(a.keypoints_2d, b.keypoints_2d, atol=0.01)
        assert (a.visible == b.visible).all() and (a.detected == b.detected).all()
    assert list(back.people_per_frame()[[0, 10, 25, 30, 39]]) == [1, 2, 3, 2, 2]


def test_v1_reader_refuses_v2_by_name_and_v2_reader_refuses_v1(tmp_path, several):
    v2 = several.save_json(tmp_path / "v2.json")
    with pytest.raises(ValueError, match=r"version-2 3DPoseNet result \(several people\).*version 1 only"):
        PoseResult.load_json(v2)
    v1 = synthetic_result(10).save_json(tmp_path / "v1.json")
    assert isinstance(load_result(v1), PoseResult)
    with pytest.raises(ValueError, match=r"version-1 .*one person.*version 2 only"):
        PeopleResult.load_json(v1)
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not a 3DPoseNet result"):
        load_result(tmp_path / "other.json")
    (tmp_path / "bad.json").write_text('{"format": "3dposenet-result", "version": 9}')
    with pytest.raises(ValueError, match="version-9"):
        load_result(tmp_path / "bad.json")


def test_person_result_is_that_persons_frames(several):
    one = several.person_result(2)
    assert one.frame_count == 20 and np.allclose(one.keypoints_3d, several.person(2).keypoints_3d)
    assert np.allclose(one.times, several.times[10:30])


def test_csv_npz_bvh_glb_of_several_people(tmp_path, several):
    written = export_all(several, tmp_path, ["csv", "npz", "bvh", "glb"])
    assert {f: p.name for f, p in written.items()} == {f: PEOPLE_FILE_NAMES[f] for f in ("csv", "npz", "bvh", "glb")}

    lines = written["csv"].read_text().splitlines()
    assert lines[0].split(",")[:5] == ["person_id", "frame", "time_s", "detected", "joint"]
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == (40 + 20 + 15) * 17
    person2 = [r for r in rows if r[0] == "2"]
    assert {int(r[1]) for r in person2} == set(range(10, 30)) and person2[0][4] == "pelvis"
    assert [r[3] for r in person2 if r[4] == "pelvis"][2] == "0"  # the filled frame
    p3 = several.person(3)
    first3 = next(r for r in rows if r[0] == "3")
    assert np.allclose([float(v) for v in first3[5:8]], p3.keypoints_3d[0, 0], atol=1e-4)

    d = np.load(written["npz"])
    assert list(d["person_ids"]) == [1, 2, 3] and d["keypoints_3d"].shape == (3, 40, 17, 3)
    assert d["present"].sum(1).tolist() == [40, 20, 15]
    assert np.isnan(d["keypoints_3d"][1, :10]).all() and np.isfinite(d["keypoints_3d"][1, 10:30]).all()
    assert np.allclose(d["keypoints_3d"][2, 25:], p3.keypoints_3d) and not d["detected"][1, 12]
    assert json.loads(str(d["meta"]))["version"] == 2

    with zipfile.ZipFile(written["bvh"]) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "person_1.bvh", "person_2.bvh", "person_3.bvh"]
        text = zf.read("person_2.bvh").decode()
        assert text.startswith("HIERARCHY") and "Frames: 20\n" in text
        assert "person_3.bvh: frames 25-39" in zf.read("README.txt").decode()
    with zipfile.ZipFile(written["glb"]) as zf:
        names = sorted(zf.namelist())
        assert names == ["README.txt", "person_1.glb", "person_2.glb", "person_3.glb"]
        assert zf.read("person_1.glb")[:4] == b"glTF"


def test_overlay_draws_everyone_in_their_colour(tmp_path, several):
    import cv2

    from ml import palette
    from tests.conftest import write_video

    video = write_video(tmp_path / "grey.mp4", [np.full((240, 320, 3), 90, np.uint8)] * 40, fps=25.0)
    path = export_all(several, tmp_path / "out", ["mp4"], video_path=video)["mp4"]
    cap = cv2.VideoCapture(str(path))
    frames = []
    while (ok := cap.read())[0]:
        frames.append(ok[1])
    assert len(frames) == 40 and frames[0].shape == (240, 320, 3)  # no 3D panel for several people

    def has_colour(img, pid):
        want = np.array(palette.bgr(palette.person_colour(pid)), float)
        return (np.abs(img.astype(float) - want).sum(-1) < 60).sum() > 20

    assert has_colour(frames[5], 1) and not has_colour(frames[5], 2) and not has_colour(frames[5], 3)
    assert has_colour(frames[27], 1) and has_colour(frames[27], 2) and has_colour(frames[27], 3)


def test_bench_quality_refuses_a_several_people_result_with_a_sentence(tmp_path, several, capsys):
    """`ml.bench quality --result` reads one person (version 1): given a version-2 file it says so, exit 2."""
    from ml.bench.quality import main

    v2 = several.save_json(tmp_path / "result.json")
    assert main(["clip.mp4", "--result", str(v2)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: result.json is a version-2 3DPoseNet result (several people)") and "Traceback" not in err
