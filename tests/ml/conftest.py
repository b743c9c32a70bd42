"""ml-only fixtures: tiny generated Human3.6M-style data in VideoPose3D's npz schema."""
import json

import numpy as np
import pytest

from ml.data import H36M32_TO_17

CAM_IDS = ["54138969", "55011271", "58860488", "60457274"]


def _camera(i):
    # Four cameras around the origin at 4.5 m, 1.5 m high, looking at the centre.
    ang = np.pi / 4 + i * np.pi / 2
    centre = np.array([4.5 * np.cos(ang), 4.5 * np.sin(ang), 1.5])
    fwd = -centre / np.linalg.norm(centre)
    right = np.cross(fwd, [0, 0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd])
    return {"id": CAM_IDS[i], "res_w": 1000, "res_h": 1002, "R": R.tolist(), "T": centre.tolist(),
            "f": [1145.0, 1144.0], "c": [512.0, 515.0], "k": [-0.2, 0.24, -0.003], "p": [-0.0014, -0.001]}


def _motion(T, rng, joints=17):
    """A standing skeleton (metres, z up) swaying and walking, with per-joint wobble."""
    base = np.array([[0, 0, 1.0], [-.13, 0, 1.0], [-.13, 0, .55], [-.13, 0, .1], [.13, 0, 1.0], [.13, 0, .55],
                     [.13, 0, .1], [0, 0, 1.23], [0, 0, 1.48], [0, -.05, 1.6], [0, 0, 1.72], [.18, 0, 1.45],
                     [.2, 0, 1.18], [.22, 0, .95], [-.18, 0, 1.45], [-.2, 0, 1.18], [-.22, 0, .95]])
    t = np.arange(T)[:, None, None] / 50.0
    pos = base[None] + 0.05 * np.sin(2 * np.pi * (t * 0.7 + rng.random((1, 17, 3))))
    pos[..., 0] += 0.3 * np.sin(t[..., 0] * 0.5)
    if joints == 32:
        full = np.zeros((T, 32, 3))
        full[:, H36M32_TO_17] = pos
        return full.astype(np.float32)
    return pos.astype(np.float32)


def make_h36m_dir(path, joints=17, T=120, subjects=("S1", "S5", "S9"), actions=("Walking 1", "Eating")):
    rng = np.random.default_rng(0)
    path.mkdir(parents=True, exist_ok=True)
    pos = {s: {a: _motion(T + 10 * i, rng, joints) for i, a in enumerate(actions)} for s in subjects}
    np.savez_compressed(path / "data_3d_h36m.npz", positions_3d=pos)
    cams = {"convention": "X_cam = R @ (X_world - T)", "distortion": "archive order",
            "subjects": {s: [_camera(i) for i in range(4)] for s in subjects}}
    (path / "cameras.json").write_text(json.dumps(cams))
    # SH-16 style detections for the test subject: projected GT with noise, in SH order.
    from ml.cameras import load_cameras
    cam_objs = load_cameras(path / "cameras.json")
    sh_from_h36m = [3, 2, 1, 4, 5, 6, 0, 7, 8, 10, 16, 15, 14, 11, 12, 13]
    p2d = {}
    for s in subjects[-1:]:
        p2d[s] = {}
        for a in actions:
            p17 = pos[s][a][:, H36M32_TO_17] if joints == 32 else pos[s][a]
            p2d[s][a] = [(c.project(c.world_to_camera(p17))[:, sh_from_h36m]
                          + rng.normal(0, 3, (len(p17), 16, 2))).astype(np.float32) for c in cam_objs[s]]
    np.savez_compressed(path / "data_2d_h36m_sh_pt_mpii.npz", positions_2d=p2d,
                        metadata={"num_joints": 16, "keypoints_symmetry": [[3, 4, 5, 13, 14, 15], [0, 1, 2, 10, 11, 12]]})
    return path


@pytest.fixture(scope="session")
def h36m_dir(tmp_path_factory):
    return make_h36m_dir(tmp_path_factory.mktemp("h36m17"))


@pytest.fixture(scope="session")
def h36m32_dir(tmp_path_factory):
    return make_h36m_dir(tmp_path_factory.mktemp("h36m32"), joints=32)
