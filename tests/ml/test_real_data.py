"""Real Human3.6M checks (slow marker: run with `pytest -m slow tests/ml`)."""
import numpy as np
import pytest

from ml import data
from ml.cameras import image_coordinates
from ml.lift import DEFAULT_CHECKPOINT, Lifter

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (data.SHARED_DATA / "data_3d_h36m.npz").exists(), reason="no real data")]


def test_default_lifter_on_s9_walking():
    lf = Lifter.load(DEFAULT_CHECKPOINT)
    seqs = data.load_sequences(data.SHARED_DATA, ["S9"], "gt", action_filter=["Walking"])
    s = seqs[0]
    kp = image_coordinates(s.kp2d, s.width, s.height)
    pred = lf.lift(kp, s.width, s.height)
    assert 1000 * np.linalg.norm(pred - s.pos3d, axis=-1).mean() < 80


def test_sh_detections_load_for_s9():
    seqs = data.load_sequences(data.SHARED_DATA, ["S9"], "sh_pt_mpii", action_filter=["Walking"])
    gt = data.load_sequences(data.SHARED_DATA, ["S9"], "gt", action_filter=["Walking"])
    assert len(seqs) == len(gt) and all(len(a.kp2d) == len(b.kp2d) for a, b in zip(seqs, gt))


def test_25fps_video_is_lifted_better_resampled_to_the_models_rate():
    """S9 as a 25 fps camera films it: resampling each window to 50 Hz beats lifting frames as they are."""
    lf = Lifter.load(DEFAULT_CHECKPOINT)
    err = {None: [], 25: []}
    for s in data.load_sequences(data.SHARED_DATA, ["S9"], "gt", action_filter=["Walking", "Eating"])[::2]:
        kp = image_coordinates(s.kp2d[::2], s.width, s.height)
        for fps in err:
            err[fps].append(np.linalg.norm(lf.lift(kp, s.width, s.height, fps=fps) - s.pos3d[::2], axis=-1).mean())
    assert np.mean(err[25]) < np.mean(err[None]) - 0.001  # at least 1 mm better


def test_sh_detections_cover_the_training_subjects():
    """Every training subject's sequences have detections, frame for frame, near the projected mocap."""
    for subj in data.TRAIN_SUBJECTS:
        sh = data.load_sequences(data.SHARED_DATA, [subj], "sh_pt_mpii", action_filter=["Walking", "Eating"])
        gt = data.load_sequences(data.SHARED_DATA, [subj], "gt", action_filter=["Walking", "Eating"])
        assert len(sh) == len(gt) > 0 and all(len(a.kp2d) == len(b.kp2d) for a, b in zip(sh, gt))
        px = [np.median(np.linalg.norm(image_coordinates(a.kp2d - b.kp2d, 1000, 1000) - image_coordinates(
            np.zeros_like(a.kp2d), 1000, 1000), axis=-1)) for a, b in zip(sh, gt)]
        assert np.median(px) < 25, (subj, px)  # the detector is noisy, not misaligned


def test_shipped_lifter_is_trained_on_detections():
    lf = Lifter.load(DEFAULT_CHECKPOINT)
    assert "sh_pt_mpii" in lf.meta["data"]["keypoints"]
