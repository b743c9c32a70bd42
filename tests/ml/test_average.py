"""ml.average: the weights of one run's epochs averaged into a checkpoint the app loads like any other."""
import pytest
import torch

from ml import average, checkpoint, train
from ml.lift import Lifter
from tests.ml.test_train_eval import TINY


@pytest.fixture
def two_epochs(h36m_dir, tmp_path):
    """A tiny run's weights after epoch 1 and after epoch 2 ("keep_epochs")."""
    out = tmp_path / "run"
    cfg = train.load_config(None, **dict(TINY, epochs=2, keep_epochs=True), data_dir=str(h36m_dir), out=str(out))
    train.train(cfg, progress=False)
    return out / "epoch_01.pt", out / "epoch_02.pt"


def test_average_of_two_epochs_is_their_mean_and_loads(two_epochs, tmp_path, capsys):
    a, b = two_epochs
    out = tmp_path / "avg.pt"
    average.main([str(a), str(b), "--out", str(out)])
    assert "2 checkpoints averaged (epochs 1, 2)" in capsys.readouterr().out
    ca, cb, avg = checkpoint.load(a), checkpoint.load(b), checkpoint.load(out)
    assert "optimizer" not in avg and avg["averaged_from"][1]["epoch"] == 2
    changed = 0
    for k, v in avg["model"].items():
        assert torch.allclose(v, (ca["model"][k] + cb["model"][k]) / 2, atol=1e-6), k
        changed += int(not torch.equal(ca["model"][k], cb["model"][k]))
    assert changed > 0  # the epochs differ, so the average is a third model
    lifter = Lifter.load(out)
    assert lifter.receptive_field == 9


def test_average_refuses_different_models(two_epochs):
    ck = checkpoint.load(two_epochs[0])
    other = dict(ck, model_config={**ck["model_config"], "hidden": 8})
    with pytest.raises(ValueError, match="share architecture and model config"):
        average.average([ck, other])


def test_a_fine_tune_that_added_a_source_averages_with_its_init(h36m_dir, tmp_path):
    """The init has 2 sources, the fine-tune 3: the init's missing source is its source 0."""
    import numpy as np

    from ml.lift import predict_normalized

    two = dict(TINY, epochs=1, train_subjects=["S9"], model={"embed_dim": 32, "hidden": 16, "num_sources": 2})
    train.train(train.load_config(None, **two, keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir),
                                  out=str(tmp_path / "two")), progress=False)
    three = dict(two, model={"embed_dim": 32, "hidden": 16, "num_sources": 3}, init=str(tmp_path / "two" / "best.pt"))
    train.train(train.load_config(None, **three, keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir),
                                  out=str(tmp_path / "three")), progress=False)
    init, ft = checkpoint.load(tmp_path / "two" / "best.pt"), checkpoint.load(tmp_path / "three" / "best.pt")
    avg = average.average([ft, init])
    assert avg["model_config"]["num_sources"] == 3
    e_init, e_ft, e_avg = (c["model"]["source_embed.weight"] for c in (init, ft, avg))
    assert torch.allclose(e_avg[2], (e_ft[2] + e_init[0]) / 2) and torch.allclose(e_avg[1], (e_ft[1] + e_init[1]) / 2)
    checkpoint.save(avg, tmp_path / "avg.pt")
    x = np.random.default_rng(0).normal(0, 0.2, (20, 17, 2)).astype(np.float32)
    assert np.isfinite(predict_normalized(Lifter.load(tmp_path / "avg.pt").model, x, source=2)).all()
