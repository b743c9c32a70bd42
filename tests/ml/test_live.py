"""ml.live: the live lifter answers each frame a short look-ahead after it, placed in the world as the
pipeline places frames; a live S9 evaluation reads the same windows as the offline one where the
look-ahead is half a window; a take kept without its video becomes the pipeline's records."""
import numpy as np
import pytest
import torch

from ml.lift import DEFAULT_CHECKPOINT, Lifter, predict_live, predict_normalized
from ml.live import LiveLifter, blazepose_to_h36m, take_records
from ml.skeleton import L_ANKLE, R_ANKLE, to_h36m

from . import test_track

W, H = 640, 480


def person(cx, cy, height, rng=None):
    """A standing person's H36M-17 keypoints (pixels + confidence), test_track's COCO figure mapped."""
    kp, box = test_track.person(cx, cy, height, rng)
    return to_h36m(kp, "coco17"), box


@pytest.fixture(scope="module")
def shipped():
    return Lifter.load(DEFAULT_CHECKPOINT)


def test_live_windows_ending_half_a_window_ahead_are_the_offline_centred_windows(tiny_checkpoint):
    model = Lifter.load(tiny_checkpoint).model
    F = model.receptive_field
    x = np.random.default_rng(0).normal(0, 0.3, (60, 17, 2)).astype(np.float32)
    offline = predict_normalized(model, x, flip=True, hop=1)
    live = predict_live(model, x, F // 2, every=1, flip=True)
    assert np.allclose(live, offline, atol=1e-5)
    assert np.allclose(predict_live(model, x, 3, every=7), predict_live(model, x, 3)[::7], atol=1e-5)
    with pytest.raises(AssertionError):
        predict_live(model, x, F)  # the frame must be inside its window


def test_each_frame_comes_look_ahead_frames_later_standing_on_the_floor(shipped):
    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    live = LiveLifter(shipped, W, H, fps=30.0)
    assert live.look_ahead == 3 and abs(live.latency_s - 0.1) < 1e-9
    out = []
    for t in range(40):
        kp, _ = person(300 + 2 * t, 260, 300, rng)
        frame = live.push(kp, layout="h36m17")
        if t < live.look_ahead:
            assert frame is None
        else:
            assert frame is not None and frame.index == t - live.look_ahead
            out.append(frame.world)
    world = np.stack(out)
    assert np.isfinite(world).all()
    lowest = world[:, [L_ANKLE, R_ANKLE], 1].min(1)
    assert np.abs(lowest).max() < 0.15                    # feet on the floor (+Y up)
    assert 1.2 < np.median(world[:, 10, 1] - lowest) < 2.0  # an upright adult


def test_a_slow_page_waits_for_no_future_and_a_skipped_frame_gets_no_3d(shipped):
    live = LiveLifter(shipped, W, H, fps=4.0)   # a detector at 4 frames/s: 0.1 s is less than a frame
    assert live.look_ahead == 0
    kp, _ = person(300, 260, 300)
    assert live.push(kp, layout="h36m17") is not None
    assert live.push(kp, layout="h36m17", lift=False) is None and live.pushed == 2


def test_blazepose_points_and_a_take_without_video_become_records(tmp_path):
    kp33 = np.zeros((33, 3), np.float32)
    kp33[:, :2] = np.random.default_rng(2).uniform(100, 400, (33, 2))
    kp33[:, 2] = 0.9
    h36m = blazepose_to_h36m(kp33)
    assert h36m.shape == (17, 3) and np.allclose(h36m[:, 2], 0.9)
    kp = np.stack([kp33, np.full_like(kp33, np.nan), kp33])
    np.savez(tmp_path / "take.npz", t=np.array([0.0, 0.04, 0.08]), kp=kp)
    records = take_records(tmp_path / "take.npz")
    assert [r.index for r in records] == [0, 1, 2] and [r.t_s for r in records] == [0.0, 0.04, 0.08]
    assert records[1].keypoints is None and records[1].face is None   # no person in that frame
    assert np.allclose(records[0].keypoints, h36m) and records[0].face.shape == (5, 3)
    assert not any(r.cut for r in records)
