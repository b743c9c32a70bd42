"""BVH round trip through an independent parser (PyPI `bvh`): parse the written file, run forward
kinematics written here from the parsed OFFSETs/CHANNELS/frames (not ml.export.bvh's FK), and compare
with ml.export.bvh.bone_length_normalized: within 1 mm for every joint and frame."""
import bvh  # the independent parser (PyPI `bvh`, pinned bvh==0.3 in requirements-test.txt)
import numpy as np
import pytest

from ml.export import export
from ml.export.bvh import bone_length_normalized, bone_lengths, write_bvh
from ml.export.synthetic import synthetic_result
from ml.skeleton import BONES, JOINT_NAMES


def _axis(axis, deg):
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return {"X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]


def parse_and_fk(path):
    """{joint name: (T, 3) world positions} from the file, via the `bvh` package's parse."""
    mocap = bvh.Bvh(path.read_text())
    names = mocap.get_joints_names()
    offsets = {n: np.array(mocap.joint_offset(n)) for n in names}
    channels = {n: mocap.joint_channels(n) for n in names}
    parent = {n: (mocap.joint_parent(n).name if mocap.joint_parent(n) is not None else None) for n in names}
    values = {n: np.array(mocap.frames_joint_channels(n, channels[n])) for n in names}
    assert mocap.nframes == len(mocap.frames)
    out = {}
    for t in range(mocap.nframes):
        glob, pos = {}, {}
        for n in names:  # depth-first: parents first
            R, p = np.eye(3), offsets[n].copy()
            for ch, v in zip(channels[n], values[n][t]):
                if ch.endswith("position"):
                    p += np.eye(3)["XYZ".index(ch[0])] * v
                else:
                    R = R @ _axis(ch[0], v)
            if parent[n] is None:
                glob[n], pos[n] = R, p
            else:
                glob[n] = glob[parent[n]] @ R
                pos[n] = pos[parent[n]] + glob[parent[n]] @ offsets[n]
            out.setdefault(n, []).append(pos[n])
    return mocap, {n: np.array(v) for n, v in out.items()}


def _max_error_mm(result, path):
    mocap, fk = parse_and_fk(path)
    want = bone_length_normalized(result)
    assert set(JOINT_NAMES) <= set(fk)
    return mocap, max(np.abs(fk[n] - want[:, j]).max() for j, n in enumerate(JOINT_NAMES)) * 1000


def test_round_trip_walking_with_noise(tmp_path):
    r = synthetic_result(frames=40, noise_m=0.006, undetected=[7, 8])
    path = export(r, "bvh", tmp_path / "walk.bvh")
    mocap, err = _max_error_mm(r, path)
    assert err < 1.0, f"{err:.4f} mm"
    assert mocap.nframes == 40 and mocap.frame_time == pytest.approx(1 / 25, abs=1e-7)
    assert mocap.joint_channels("pelvis") == ["Xposition", "Yposition", "Zposition",
                                              "Zrotation", "Xrotation", "Yrotation"]
    assert mocap.joint_channels("l_elbow") == ["Zrotation", "Xrotation", "Yrotation"]
    # leaves end in an End Site; hierarchy keeps the H36M parents (links aside)
    assert mocap.joint_parent("r_knee").name == "r_hip"
    assert mocap.joint_parent("r_hip").name == "r_pelvis_link"
    assert mocap.joint_parent("r_pelvis_link").name == "pelvis"
    assert len(mocap.search("End")) == 5


def test_round_trip_full_turn_and_straight_limbs(tmp_path):
    r = synthetic_result(frames=48, turns=1.0, straight_limbs=True, noise_m=0.0)
    k = r.keypoints_3d
    for c, p, q in ((2, 1, 3), (12, 11, 13)):  # knee on the hip-ankle line, elbow on shoulder-wrist
        u, v = k[:, c] - k[:, p], k[:, q] - k[:, c]
        assert np.abs(np.cross(u, v)).max() < 1e-6
    path = write_bvh(r, tmp_path / "turn.bvh")
    _, err = _max_error_mm(r, path)
    assert err < 1.0, f"{err:.4f} mm"
    # the facing direction (hip line) really turns through 360°
    hips = k[:, 4] - k[:, 1]
    yaw = np.unwrap(np.arctan2(hips[:, 2], hips[:, 0]))
    assert abs(yaw[-1] - yaw[0]) > np.radians(340)


def test_round_trip_in_centimetres_and_degenerate_input(tmp_path):
    r = synthetic_result(frames=12, turns=0.5)
    r.keypoints_3d[3, 13] = r.keypoints_3d[3, 12]  # zero-length forearm in one frame
    r.keypoints_3d[5] = np.nan  # a non-finite frame holds the previous one
    r.keypoints_3d[6, 12] = r.keypoints_3d[6, 8] + 0.3 * (r.keypoints_3d[6, 8] - r.keypoints_3d[6, 11])
    path = write_bvh(r, tmp_path / "cm.bvh", units="cm")  # ^ an arm pointing against its rest direction
    mocap, fk = parse_and_fk(path)
    want = bone_length_normalized(r) * 100
    err = max(np.abs(fk[n] - want[:, j]).max() for j, n in enumerate(JOINT_NAMES))
    assert err < 0.1, f"{err:.4f} cm"
    assert np.allclose(want[5], want[4])


def test_bone_lengths_are_fixed_and_directions_kept():
    r = synthetic_result(frames=30, noise_m=0.01)
    norm = bone_length_normalized(r)
    L = bone_lengths(r)
    for c, p in BONES:
        d = norm[:, c] - norm[:, p]
        assert np.allclose(np.linalg.norm(d, axis=-1), L[c], atol=1e-9)
        obs = r.keypoints_3d[:, c].astype(float) - r.keypoints_3d[:, p]
        cos = np.sum(d * obs, -1) / np.linalg.norm(d, axis=-1) / np.linalg.norm(obs, axis=-1)
        assert cos.min() > 1 - 1e-6
    assert np.allclose(norm[:, 0], r.keypoints_3d[:, 0], atol=1e-6)


def test_bvh_rejects_other_skeletons_and_bad_fps(tmp_path):
    r = synthetic_result(frames=5)
    r.fps = 0
    with pytest.raises(ValueError, match="frame rate"):
        write_bvh(r, tmp_path / "x.bvh")
    r = synthetic_result(frames=5)
    r.joint_names = [f"j{i}" for i in range(17)]
    with pytest.raises(ValueError, match="Human3.6M"):
        write_bvh(r, tmp_path / "x.bvh")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
