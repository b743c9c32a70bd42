import numpy as np
import pytest
import torch

from ml import lift, metrics, skeleton
from ml.models import LSTM_PoseNet, TransformerLifter, build_model, count_params
from ml.train import load_config, make_checkpoint


@pytest.mark.parametrize("arch", ["lstm", "transformer", "tcn"])
def test_models_seq2seq(arch):
    torch.manual_seed(0)
    small = {"lstm": dict(embed_dim=32, hidden=16), "transformer": dict(joint_dim=8, temporal_dim=32, heads=4,
                                                                       temporal_layers=1, spatial_layers=1),
             "tcn": dict(channels=16)}[arch]
    m = build_model(arch, dict(small, num_frames=9)).eval()
    assert m.receptive_field == 9
    y = m(torch.randn(3, 9, 17, 2))
    assert y.shape == (3, 9, 17, 3) and torch.all(y[:, :, 0] == 0)
    assert count_params(m) > 0


def test_tcn_sees_exactly_its_receptive_field():
    """A change at frame t moves the output frames within 13 of it (27 frames) and no others."""
    torch.manual_seed(0)
    m = build_model("tcn", dict(channels=16, num_frames=27)).eval()
    torch.nn.init.normal_(m.head.weight)  # the head starts at zero (the zero pose); make it see something
    x = torch.randn(1, 27 * 3, 17, 2)
    x2 = x.clone()
    x2[0, 40] += 1.0
    changed = (m(x2) - m(x)).abs().amax(dim=(0, 2, 3)) > 1e-6   # (F,)
    assert changed.nonzero().flatten().tolist() == list(range(40 - 13, 40 + 14))
    with pytest.raises(AssertionError):
        build_model("tcn", dict(num_frames=81, kernel=4))


def test_lstm_seed_signature():
    m = LSTM_PoseNet(17, 81, 2, 3)
    assert m.receptive_field == 81 and m.config.num_frames == 81
    assert LSTM_PoseNet(num_joints=17, num_frames=27, input_dim=2, output_dim=3).receptive_field == 27


def test_window_plan():
    for T in (1, 5, 9, 10, 100):
        starts, k, pos = lift.window_starts(T, 9, 3)
        assert len(k) == T and (pos >= 0).all() and (pos < 9).all()
        # each frame sits near the middle of its window
        assert (np.abs(pos - 4) <= 2).all()


def _tiny_checkpoint(tmp_path, arch="lstm"):
    cfg = load_config(None, arch=arch, frames=9)
    m = build_model(arch, dict(num_frames=9, **({"embed_dim": 32, "hidden": 16} if arch == "lstm" else
                                                {"joint_dim": 8, "temporal_dim": 32, "heads": 4})))
    path = tmp_path / f"{arch}.pt"
    torch.save(make_checkpoint(m, cfg, {"dataset": "test"}, {"val_mpjpe": 1.0}, 1), path)
    return path


@pytest.mark.parametrize("arch", ["lstm", "transformer"])
def test_lifter_any_length_deterministic(tmp_path, arch):
    lf = lift.Lifter.load(_tiny_checkpoint(tmp_path, arch))
    assert lf.receptive_field == 9 and lf.name.startswith(("LSTM_PoseNet", "TransformerLifter"))
    rng = np.random.default_rng(0)
    for T in (1, 4, 9, 23):
        kp = rng.random((T, 17, 2)) * [640, 480]
        y = lf.lift(kp, 640, 480)
        assert y.shape == (T, 17, 3) and y.dtype == np.float32 and np.all(y[:, 0] == 0)
        assert np.array_equal(y, lf.lift(kp, 640, 480))
    # slice with receptive_field // 2 context on both sides == lifting the whole sequence
    kp = rng.random((40, 17, 2)) * [640, 480]
    full = lf.lift(kp, 640, 480, flip=False)
    h = lf.receptive_field // 2
    part = lf.lift(kp[10 - h:20 + h], 640, 480, flip=False)[h:-h]
    assert part.shape == (10, 17, 3)
    assert np.all(np.isfinite(part))
    conf = np.ones((40, 17))
    conf[5, 3] = 0
    assert lf.lift(kp, 640, 480, conf=conf).shape == (40, 17, 3)


def test_fill_low_confidence():
    kp = np.zeros((5, 17, 2), np.float32)
    kp[:, 2, 0] = [0, 1, 99, 3, 4]
    conf = np.ones((5, 17))
    conf[2, 2] = 0.1
    assert lift.fill_low_confidence(kp, conf)[2, 2, 0] == pytest.approx(2)


def test_default_checkpoint_loads():
    if not lift.DEFAULT_CHECKPOINT.exists():
        pytest.skip("no default checkpoint committed yet")
    lf = lift.Lifter.load(lift.DEFAULT_CHECKPOINT)
    y = lf.lift(np.random.default_rng(0).random((3, 17, 2)) * 500, 500, 500)
    assert y.shape == (3, 17, 3)


def test_metrics():
    rng = np.random.default_rng(0)
    gt = rng.random((20, 17, 3))
    assert metrics.mpjpe(gt, gt) == 0
    assert metrics.mpjpe(gt + [0.0, 0.0, 0.01], gt) == pytest.approx(0.01)
    # similarity transform of the GT is perfectly recovered by Procrustes
    a = 0.3
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    pred = 1.7 * gt @ R.T + [1, 2, 3]
    assert metrics.p_mpjpe(pred, gt) < 1e-6
    assert metrics.n_mpjpe(2 * gt, gt) < 1e-6
    assert metrics.mpjve(gt + 5, gt) == pytest.approx(0)
    tab = metrics.action_table([{"action": "A", "frames": 10, "p1": 1, "p2": 1, "n": 1, "vel": 1},
                                {"action": "A", "frames": 30, "p1": 3, "p2": 1, "n": 1, "vel": 1},
                                {"action": "B", "frames": 10, "p1": 10, "p2": 2, "n": 1, "vel": 1}])
    assert tab["actions"]["A"]["p1"] == pytest.approx(2.5)
    assert tab["average"]["p1"] == pytest.approx(6.25)


@pytest.mark.parametrize("fps", [None, 50, 25, 10, 60])
def test_lift_window_matches_lift_centre(tmp_path, fps):
    lf = lift.Lifter.load(_tiny_checkpoint(tmp_path, "lstm"))
    F, hop = lf.window_frames(fps), lf.hop_for(fps)
    kp = np.random.default_rng(5).random((40, 17, 2)) * [640, 480]
    full = lf.lift(kp, 640, 480, fps=fps)
    c = 2 * hop                                       # a window centre lift() uses
    win = lf.lift_window(kp[c - F // 2:c - F // 2 + F], 640, 480, fps=fps)
    lo, hi = c - hop // 2, c - hop // 2 + hop
    assert np.allclose(win[lo - (c - F // 2):hi - (c - F // 2)], full[lo:hi], atol=1e-5)


def test_window_frames_cover_the_models_time_span():
    assert lift.window_frames(81, 1.0) == lift.window_frames(81, 1.05) == 81  # within tolerance: as is
    assert lift.window_frames(81, 0.5) == 41       # 25 fps video, 50 Hz model: same 1.6 s
    assert lift.window_frames(81, 0.6) == 49       # 30 fps
    assert lift.window_frames(81, 1.2) == 97       # 60 fps
    assert lift.window_frames(9, 0.1) == 3         # never fewer than 3
    assert all(lift.window_frames(81, r) % 2 == 1 for r in np.linspace(0.1, 3, 50))
    assert lift.window_frames(81, 0.9) == lift.window_frames(81, 1.1) == 81  # symmetric tolerance


@pytest.mark.parametrize("fps", [float("nan"), 0, -25, None, float("inf")])
def test_unusable_fps_lifts_frames_as_they_are(tmp_path, fps):
    lf = lift.Lifter.load(_tiny_checkpoint(tmp_path, "lstm"))
    assert lf.window_frames(fps) == lf.receptive_field
    kp = np.random.default_rng(1).random((12, 17, 2)) * 500
    assert np.allclose(lf.lift(kp, 500, 500, fps=fps), lf.lift(kp, 500, 500))


def test_resample_windows_is_linear_in_time():
    t = torch.linspace(0, 1, 41)
    w = (t[None, :, None, None] * torch.tensor([2.0, -3.0])).expand(2, 41, 17, 2)  # (2, 41, 17, 2)
    up = lift.resample_windows(w, 81)
    assert up.shape == (2, 81, 17, 2)
    assert torch.allclose(up[0, :, 0, 0], torch.linspace(0, 2, 81), atol=1e-6)
    assert torch.allclose(lift.resample_windows(up, 41), w, atol=1e-6)
    assert lift.resample_windows(w, 41) is w


@pytest.mark.parametrize("fps", [None, 25.0, 10.0])
def test_streaming_lifter_equals_offline_lift(tmp_path, fps):
    """Frames pushed one at a time (then finish) give exactly lift()'s output, in order, each frame once."""
    lf = lift.Lifter.load(_tiny_checkpoint(tmp_path))
    rng = np.random.default_rng(1)
    # confident joints: lift() interpolates unconfident ones over the whole sequence, a stream per window
    kp = np.concatenate([rng.random((47, 17, 2)) * [640, 480], np.ones((47, 17, 1))], -1).astype(np.float32)
    stream = lift.StreamingLifter(lf, 640, 480, fps, reframe=False)
    chunks = []
    for t in range(len(kp)):
        chunks += stream.push(kp[t:t + 1])
        # a chunk leaves once its window's last frame is in, never later than half a window + a hop
        assert sum(len(c.cam) for c in chunks) >= t + 1 - stream.F // 2 - stream.hop
    chunks += stream.finish()
    assert [c.start for c in chunks] == list(np.cumsum([0] + [len(c.cam) for c in chunks[:-1]]))
    got = np.concatenate([c.cam for c in chunks])
    assert np.allclose(got, lf.lift(kp[..., :2], 640, 480, conf=kp[..., 2], fps=fps), atol=1e-5)
    # each frame once, in order: the pushed 2D, where this random 2D "flickers" with its left/right
    # labels swapped back as the lifter saw it (ml.swaps), the joints without a twin untouched
    got2d = np.concatenate([c.kp2d for c in chunks])
    pairs = np.array(skeleton.LEFT + skeleton.RIGHT), np.array(skeleton.RIGHT + skeleton.LEFT)
    kept = (got2d == kp).all(-1)                                          # (T, 17)
    mirrored = (got2d[:, pairs[0]] == kp[:, pairs[1]]).all(-1)             # (T, 12)
    assert kept[:, [j for j in range(17) if j not in pairs[0]]].all()
    assert (kept[:, pairs[0]] | mirrored).all()


def test_streaming_lifter_reframes_any_person_size_alike(tmp_path):
    lf = lift.Lifter.load(_tiny_checkpoint(tmp_path))
    rng = np.random.default_rng(2)
    kp = np.concatenate([rng.random((20, 17, 2)) * 100 + 200, np.ones((20, 17, 1))], -1).astype(np.float32)
    small = kp.copy()
    small[..., :2] = (kp[..., :2] - 200) * 0.3 + 50                    # the same person, smaller, elsewhere
    s1, s2 = lift.StreamingLifter(lf, 640, 480), lift.StreamingLifter(lf, 640, 480)
    a = np.concatenate([c.cam for c in s1.push(kp) + s1.finish()])
    b = np.concatenate([c.cam for c in s2.push(small) + s2.finish()])
    assert np.allclose(a, b, atol=1e-4)
