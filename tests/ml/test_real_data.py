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
