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
