import numpy as np
import pytest
import torch

from ml import cameras, data
from ml.skeleton import to_h36m


def test_world_camera_roundtrip(h36m_dir):
    cams = cameras.load_cameras(h36m_dir / "cameras.json")
    assert set(cams) == {"S1", "S5", "S9"} and len(cams["S1"]) == 4
    c = cams["S1"][0]
    X = np.random.default_rng(0).random((10, 17, 3))
    assert np.allclose(c.camera_to_world(c.world_to_camera(X)), X)


def test_projection_pinhole_and_distortion():
    X = np.array([[0.1, -0.2, 4.0], [0.0, 0.0, 3.0]])
    f, c = np.array([1000.0, 1000.0]), np.array([500.0, 500.0])
    u = cameras.project(X, f, c)
    assert np.allclose(u[0], [525.0, 450.0]) and np.allclose(u[1], [500.0, 500.0])
    # tangential terms in archive order: x' = x(1 + tan) + p1 r2, tan = p0 y + p1 x
    p = np.array([0.01, 0.02])
    ud = cameras.project(X, f, c, np.zeros(3), p)
    x, y = 0.025, -0.05
    r2, tan = x * x + y * y, p[0] * y + p[1] * x
    assert np.allclose(ud[0], [1000 * (x * (1 + tan) + p[1] * r2) + 500, 1000 * (y * (1 + tan) + p[0] * r2) + 500])


def test_screen_normalisation_roundtrip():
    x = np.array([[0.0, 0.0], [1000.0, 500.0], [500.0, 250.0]], np.float32)
    n = cameras.normalize_screen(x, 1000, 500)
    assert np.allclose(n[0], [-1, -0.5]) and np.allclose(n[1], [1, 0.5]) and np.allclose(n[2], [0, 0])
    assert np.allclose(cameras.image_coordinates(n, 1000, 500), x)


@pytest.mark.parametrize("fixture", ["h36m_dir", "h36m32_dir"])
def test_load_sequences_gt_and_32_joints(fixture, request):
    d = request.getfixturevalue(fixture)
    pos = data.load_3d(d / "data_3d_h36m.npz")
    assert pos["S1"]["Eating"].shape[1:] == (17, 3)
    seqs = data.load_sequences(d, ["S1", "S5"], "gt")
    assert len(seqs) == 2 * 2 * 4
    s = seqs[0]
    assert s.kp2d.shape == (len(s.pos3d), 17, 2) and np.allclose(s.pos3d[:, 0], 0)
    assert np.abs(s.kp2d).max() < 1.5                  # normalised screen coordinates
    assert s.action_group in ("Eating", "Walking")


def test_load_sequences_detections(h36m_dir):
    seqs = data.load_sequences(h36m_dir, ["S9"], "sh_pt_mpii")
    gt = data.load_sequences(h36m_dir, ["S9"], "gt")
    assert len(seqs) == len(gt) == 8
    # detections ~ GT + 3 px noise; nose is derived so skip it
    err = np.abs(seqs[0].kp2d - gt[0].kp2d)[:, [0, 1, 4, 8, 10, 16]].mean() * 500
    assert err < 6


def test_load_sequences_exclude(h36m_dir):
    seqs = data.load_sequences(h36m_dir, ["S9"], "sh_pt_mpii", exclude={("S9", "Eating"), ("S1", "Walking 1")})
    assert {s.action for s in seqs} == {"Walking 1"} and len(seqs) == 4


def test_window_sampler_covers_and_pads(h36m_dir):
    seqs = data.load_sequences(h36m_dir, ["S1"], "gt")
    sampler = data.WindowSampler(seqs, frames=27, stride=27, batch_size=16, seed=0)
    n = 0
    for x, y, m, src in sampler:
        assert src.shape == (len(x),) and (src == 0).all()  # projected ground truth
        assert x.shape[1:] == (27, 17, 2) and y.shape[1:] == (27, 17, 3) and m.shape == x.shape[:2]
        n += len(x)
    assert n > 0 and len(sampler) >= 1
    short = data.WindowSampler(seqs, frames=300, stride=10, batch_size=4, shuffle=False)
    x, y, m, _ = next(iter(short))
    assert x.shape[1] == 300 and not m.all() and m[:, 0].all()
    assert torch.equal(x[0, -1], x[0, m[0].sum() - 1])   # edge padding repeats the last frame


def test_augment_flip_consistent():
    x = torch.randn(64, 9, 17, 2)
    y = torch.randn(64, 9, 17, 3)
    cfg = data.AugmentConfig(noise_std=0, dropout_p=0, derived_offset_std=0, scale_range=0, shift_std=0)
    xa, ya = data.augment(x, y, cfg, torch.Generator().manual_seed(0))
    flipped = ~torch.isclose(xa, x).all(-1).all(-1).all(-1)
    assert 0 < flipped.sum() < 64
    i = int(torch.nonzero(flipped)[0])
    assert torch.allclose(xa[i, :, 1, 0], -x[i, :, 4, 0]) and torch.allclose(ya[i, :, 1, 0], -y[i, :, 4, 0])
    xa2, _ = data.augment(x, y, data.AugmentConfig(flip=False))
    assert xa2.shape == x.shape and not torch.equal(xa2, x)


REAL = data.SHARED_DATA


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "data_2d_h36m_sh_pt_mpii.npz").exists(), reason="real H36M data absent")
def test_real_projection_matches_sh_detections():
    pos = data.load_3d(REAL / "data_3d_h36m.npz")
    det, _ = data.load_2d(REAL / "data_2d_h36m_sh_pt_mpii.npz")
    cams = cameras.load_cameras(REAL / "cameras.json")
    errs = []
    for act in ["Walking", "Eating", "Directions"]:
        for ci, cam in enumerate(cams["S9"]):
            uv = cam.project(cam.world_to_camera(pos["S9"][act]))
            sh = to_h36m(det["S9"][act][ci], "sh16")
            errs.append(np.linalg.norm(uv - sh, axis=-1)[:, [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]].ravel())
    assert np.median(np.concatenate(errs)) < 15


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "data_2d_h36m_sh_pt_mpii.npz").exists(), reason="real H36M data absent")
def test_real_corrupt_sequences_are_the_misaligned_ones():
    """CORRUPT_GT is exactly the set of S9 sequences where detections and projected mocap disagree."""
    pos = data.load_3d(REAL / "data_3d_h36m.npz")
    det, _ = data.load_2d(REAL / "data_2d_h36m_sh_pt_mpii.npz")
    cam = cameras.load_cameras(REAL / "cameras.json")["S9"][1]
    bad = set()
    for act in sorted(set(pos["S9"]) & set(det["S9"])):
        uv = cam.project(cam.world_to_camera(pos["S9"][act]))
        if np.median(np.linalg.norm(uv - to_h36m(det["S9"][act][1], "sh16"), axis=-1)) > 20:
            bad.add(("S9", act))
    assert bad == data.CORRUPT_GT


def test_mixed_sources_load_both(h36m_dir):
    mix = data.load_sequences(h36m_dir, ["S9"], "sh_pt_mpii+gt")
    sh = data.load_sequences(h36m_dir, ["S9"], "sh_pt_mpii")
    gt = data.load_sequences(h36m_dir, ["S9"], "gt")
    assert [s.source for s in mix] == ["sh_pt_mpii"] * len(sh) + ["gt"] * len(gt)
    assert all(np.array_equal(a.kp2d, b.kp2d) for a, b in zip(mix, sh + gt))
    with pytest.raises(ValueError):
        data.sources_of("gt+gt")


def test_virtual_cameras_refilm_only_projected_ground_truth(h36m_dir):
    seqs = data.load_sequences(h36m_dir, ["S9"], "sh_pt_mpii+gt")
    base = data.WindowSampler(seqs, 27, 27, 4096, shuffle=False)
    x0, y0, _, src0 = next(iter(base))
    ident = data.VirtualCameraConfig(prob=1.0, yaw_deg=0.0, elevation_deg=(0.0, 0.0), distance_scale=(1.0, 1.0))
    x1, y1, _, _ = next(iter(data.WindowSampler(seqs, 27, 27, 4096, shuffle=False, virtual=ident)))
    is_gt = np.array([s.source == "gt" for s in seqs])
    per_seq = [len(range(0, max(len(s.kp2d) - 27, 0) + 1, 27)) + 1 for s in seqs]  # unshuffled windows
    gt_win = torch.from_numpy(np.repeat(is_gt, per_seq)[:len(x0)])
    assert gt_win.any() and not gt_win.all()
    assert torch.equal(src0, (~gt_win).long())  # each window knows its source: detections 1, GT 0
    assert torch.equal(x1[~gt_win], x0[~gt_win]) and torch.allclose(y1, y0, atol=1e-6)  # detections untouched
    # projected GT again, without lens distortion: the same pose up to a near-constant offset
    rel = lambda x: x - x[:, :, :1]
    assert (rel(x1[gt_win]) - rel(x0[gt_win])).abs().max() < 0.04  # the fixture lens distorts strongly
    assert not torch.equal(x1[gt_win], x0[gt_win])
    x2, y2, _, _ = next(iter(data.WindowSampler(seqs, 27, 27, 4096, shuffle=False,
                                             virtual=data.VirtualCameraConfig(prob=1.0))))
    bones = lambda y: torch.linalg.norm(y[..., 1:, :] - y[..., [0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15], :], dim=-1)
    assert torch.allclose(bones(y2), bones(y0), atol=1e-5)                 # a rigid turn of the person
    assert torch.all(y2[..., 0, :] == 0) and not torch.allclose(y2[gt_win], y0[gt_win])
    assert (x2[gt_win] - x0[gt_win]).abs().max() > 0.05                    # seen from elsewhere
