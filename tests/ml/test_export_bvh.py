"""BVH round trip through an independent parser (PyPI `bvh`): parse the written file, run forward
kinematics written here from the parsed OFFSETs/CHANNELS/frames (not ml.export's FK), and compare
with the joints the rig encodes: within 1 mm for every joint and frame. Plus the rig's promises:
Mixamo names, T-pose rest, hinge knees and elbows, continuous rotations."""
import bvh  # the independent parser (PyPI `bvh`, pinned bvh==0.3 in requirements-test.txt)
import numpy as np
import pytest

from ml.export import export
from ml import postprocess
from ml.export import rig
from ml.export.bvh import bone_length_normalized, bone_lengths, write_bvh
from ml.export.rotations import quaternions
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
    ends = {n: np.array([float(v) for v in e["OFFSET"]]) for n in names
            for e in mocap.get_joint(n).filter("End")}
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
            if n in ends:
                out.setdefault(n + ".end", []).append(pos[n] + glob[n] @ ends[n])
    return mocap, {n: np.array(v) for n, v in out.items()}


def encoded(result) -> np.ndarray:
    """(T, 17, 3) what the rig encodes: fixed bone lengths and a rigid pelvis."""
    return postprocess.square_hips(bone_length_normalized(result))


def parsed_joints(fk) -> dict:
    """{H36M joint: (T, 3)} from the parsed file: bone heads, and the head top (Head's End Site)."""
    out = {j: fk[b] for b, j in rig.JOINT_OF.items()}
    out["head"] = fk["Head.end"]
    return out


def _max_error_mm(result, path, scale=1.0):
    mocap, fk = parse_and_fk(path)
    got, want = parsed_joints(fk), encoded(result) * scale
    assert set(got) == set(JOINT_NAMES)
    return mocap, max(np.abs(got[n] - want[:, j]).max() for j, n in enumerate(JOINT_NAMES)) * 1000 / scale


def test_round_trip_walking_with_noise(tmp_path):
    r = synthetic_result(frames=40, noise_m=0.006, undetected=[7, 8])
    path = export(r, "bvh", tmp_path / "walk.bvh")
    mocap, err = _max_error_mm(r, path)
    assert err < 1.0, f"{err:.4f} mm"
    assert mocap.nframes == 40 and mocap.frame_time == pytest.approx(1 / 25, abs=1e-7)
    assert mocap.joint_channels("Hips") == ["Xposition", "Yposition", "Zposition",
                                            "Zrotation", "Xrotation", "Yrotation"]
    assert mocap.joint_channels("LeftForeArm") == ["Zrotation", "Xrotation", "Yrotation"]
    # Mixamo's names and hierarchy
    assert [j for j in mocap.get_joints_names()] == rig.NAMES
    for child, parent in (("LeftLeg", "LeftUpLeg"), ("LeftUpLeg", "Hips"), ("Spine2", "Spine1"),
                          ("LeftShoulder", "Spine2"), ("Head", "Neck"), ("RightHand", "RightForeArm")):
        assert mocap.joint_parent(child).name == parent
    assert len(mocap.search("End")) == 5  # head top, two hands, two toes


def test_rest_pose_is_a_t_pose():
    r = synthetic_result(frames=10)
    anim = rig.humanoid(r)
    rest = rig.forward_kinematics(anim, np.broadcast_to(np.eye(3), anim.local.shape))[0]
    rest -= rest[0]  # relative to the Hips
    at = {n: rest[i] for i, n in enumerate(rig.NAMES)}
    for a, b, axis in (("LeftArm", "LeftHand", 0), ("RightArm", "RightHand", 0), ("LeftUpLeg", "LeftFoot", 1),
                       ("Hips", "Neck", 1), ("LeftUpLeg", "RightUpLeg", 0)):
        d = at[b] - at[a]
        assert np.allclose(np.delete(d, axis), 0, atol=1e-9), (a, b, d)
    assert at["LeftHand"][0] > 0.5 > -0.5 > at["RightHand"][0] and at["LeftFoot"][1] < -0.8
    assert at["LeftToeBase"][2] > 0.1  # feet point forward (+Z), the way the person faces


def test_knees_and_elbows_are_hinges_and_rotations_are_continuous():
    r = synthetic_result(frames=60, turns=1.0, noise_m=0.002)
    anim = rig.humanoid(r)
    B = rig.NAMES.index
    P = encoded(r)
    for name, axis, (a, b, c) in (("LeftLeg", 0, (4, 5, 6)), ("RightLeg", 0, (1, 2, 3)),
                                  ("LeftForeArm", 1, (11, 12, 13)), ("RightForeArm", 1, (14, 15, 16))):
        u, v = P[:, b] - P[:, a], P[:, c] - P[:, b]
        bend = np.degrees(np.arccos(np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)))
        R = anim.local[:, B(name)]
        bent = bend > rig.STRAIGHT_DEG  # a bent limb rotates about that axis only (a hinge) ...
        assert bent.sum() > 10 and np.allclose(R[bent][:, :, axis], np.eye(3)[axis], atol=1e-9), name
        assert (R[:, axis, axis] > 0.99).all(), name  # ... a straight one nearly (its axis is noise)
    q = quaternions(anim.local)
    assert (np.sum(q[1:] * q[:-1], -1) > 0.9).all()  # no sign flips, no jumps between frames


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
    _, err = _max_error_mm(r, path, scale=100.0)
    assert err < 1.0, f"{err:.4f} mm"
    assert np.allclose(encoded(r)[5], encoded(r)[4])


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
    with pytest.raises(ValueError, match="Human3.6M-17"):
        write_bvh(r, tmp_path / "x.bvh")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
