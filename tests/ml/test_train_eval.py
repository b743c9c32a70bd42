import json

import pytest

from ml import evaluate, train
from ml.lift import Lifter

TINY = dict(arch="lstm", model={"embed_dim": 32, "hidden": 16}, frames=9, batch_size=16, epochs=2, lr=1e-3,
            stride=9, warmup_steps=2, train_subjects=["S1", "S5"], test_subjects=["S9"], threads=1, log_every=1)


def test_train_resume_evaluate(h36m_dir, tmp_path):
    events = []
    cfg = train.load_config(None, **TINY, data_dir=str(h36m_dir), out=str(tmp_path / "run"))
    res = train.train(cfg, callback=events.append, progress=False)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert {"loss", "val_mpjpe", "lr", "elapsed_s"} <= set(epochs[0])
    assert any(e["event"] == "step" for e in events)
    hist = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(hist["history"]) == 2 and hist["config"]["frames"] == 9
    # resume for one more epoch
    cfg3 = train.load_config(None, **dict(TINY, epochs=3), data_dir=str(h36m_dir), out=str(tmp_path / "run"))
    res = train.train(cfg3, resume=str(tmp_path / "run" / "last.pt"), progress=False)
    assert [h["epoch"] for h in res["history"]] == [1, 2, 3]
    # checkpoint alone suffices
    lf = Lifter.load(tmp_path / "run" / "best.pt")
    assert lf.receptive_field == 9 and "LSTM_PoseNet" in lf.name
    assert lf.meta["joints"]["names"][0] == "pelvis" and lf.meta["normalization"]["type"] == "screen"
    for kp in ("gt", "sh_pt_mpii"):
        t = evaluate.evaluate(lf, h36m_dir, kp, ["S9"])
        assert set(t["actions"]) == {"Walking", "Eating"} and t["average"]["p1"] > 0
        assert "AVERAGE" in evaluate.format_table(t) and "**average**" in evaluate.format_markdown(t)


@pytest.mark.parametrize("how", ["false", "raise"])
def test_callback_can_stop(h36m_dir, tmp_path, how):
    def cb(ev):
        if ev["event"] == "epoch":
            if how == "raise":
                raise train.StopTraining()
            return False

    cfg = train.load_config(None, **dict(TINY, epochs=5), data_dir=str(h36m_dir), out=str(tmp_path / how))
    res = train.train(cfg, callback=cb, progress=False)
    assert len(res["history"]) == 1
    assert (tmp_path / how / "best.pt").exists()


def test_cli_evaluate_json(h36m_dir, tmp_path, capsys):
    cfg = train.load_config(None, **dict(TINY, epochs=1), data_dir=str(h36m_dir), out=str(tmp_path / "r"))
    train.train(cfg, progress=False)
    evaluate.main(["--checkpoint", str(tmp_path / "r" / "best.pt"), "--data-dir", str(h36m_dir),
                   "--subjects", "S9", "--json", "--no-flip"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    d = json.loads(last)
    assert d["flip"] is False and "average" in d and d["excluded"] == []
    evaluate.main(["--checkpoint", str(tmp_path / "r" / "best.pt"), "--data-dir", str(h36m_dir),
                   "--subjects", "S9", "--json", "--no-flip", "--exclude-corrupt"])
    d2 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert d2["average"] == d["average"]  # the generated data has no corrupt sequences
    evaluate.main(["--checkpoint", str(tmp_path / "r" / "best.pt"), "--data-dir", str(h36m_dir),
                   "--subjects", "S9", "--json", "--no-flip", "--frame-step", "2"])
    d3 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert d3["frame_step"] == 2 and d3["average"]["frames"] * 2 == d["average"]["frames"]
    evaluate.main(["--checkpoint", str(tmp_path / "r" / "best.pt"), "--data-dir", str(h36m_dir),
                   "--subjects", "S9", "--json", "--no-flip", "--one-skeleton"])
    d4 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert d4["one_skeleton"] is True and d["one_skeleton"] is False
    assert d4["average"]["frames"] == d["average"]["frames"] and d4["average"]["p1"] != d["average"]["p1"]


def test_presets_and_unknown_keys():
    c = train.load_config(None, "seed")
    assert (c.batch_size, c.frames, c.epochs, c.lr, c.arch) == (512, 81, 15, 1e-4, "lstm")
    with pytest.raises(ValueError):
        train.load_config(None, bogus=1)


def test_bench_lifter_runs(capsys):
    from ml.bench.__main__ import main
    assert main(["lifter", "--batch-sizes", "1", "--seconds", "0.05", "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out.strip().splitlines()[-1])
    assert rows and rows[0]["frames_per_s"] > 0 and rows[0]["mflops_per_frame"] > 0


def test_train_on_a_mixture_with_virtual_cameras(h36m_dir, tmp_path):
    """Detections + projected GT in one run (validation on the first source), GT windows re-filmed."""
    cfg = train.load_config(None, **dict(TINY, epochs=1, train_subjects=["S9"]), keypoints="sh_pt_mpii+gt",
                            virtual={"prob": 0.5}, data_dir=str(h36m_dir), out=str(tmp_path / "mix"))
    res = train.train(cfg, progress=False)
    hist = json.loads((tmp_path / "mix" / "metrics.json").read_text())
    assert "sh_pt_mpii 2D" in hist["val_protocol"] and res["best_val_mpjpe"] > 0
    lf = Lifter.load(tmp_path / "mix" / "best.pt")
    assert lf.meta["data"]["keypoints"] == "sh_pt_mpii+gt" and lf.meta["train_config"]["virtual"]["prob"] == 0.5
    t = evaluate.evaluate(lf, h36m_dir, "sh_pt_mpii", ["S9"])
    assert 0 <= t["average"]["facing_med"] <= 180 and 0 <= t["average"]["facing_over"] <= 100


def test_evaluate_from_another_viewpoint(h36m_dir, tmp_path):
    cfg = train.load_config(None, **dict(TINY, epochs=1), data_dir=str(h36m_dir), out=str(tmp_path / "v"))
    train.train(cfg, progress=False)
    lf = Lifter.load(tmp_path / "v" / "best.pt")
    flat = evaluate.evaluate(lf, h36m_dir, "gt", ["S9"], view_elevation=0.0)
    high = evaluate.evaluate(lf, h36m_dir, "gt", ["S9"], view_elevation=40.0, view_distance=2.0)
    assert flat["average"]["p1"] != high["average"]["p1"] and "+40° elevation" in evaluate.format_table(high)
    with pytest.raises(ValueError, match="keypoints gt"):
        evaluate.evaluate(lf, h36m_dir, "sh_pt_mpii", ["S9"], view_elevation=30.0)


def test_a_source_flag_model_trains_in_bf16_and_lifts_as_its_default_source(h36m_dir, tmp_path):
    """num_sources: each window tells the model its 2D source (detector or projected GT); the app's
    input uses the checkpoint's default_source, evaluation the source of the keypoints it reads."""
    import numpy as np
    import torch

    from ml.lift import predict_normalized

    cfg = train.load_config(None, **dict(TINY, epochs=1, train_subjects=["S9"],
                                         model={"embed_dim": 32, "hidden": 16, "num_sources": 2, "default_source": 1}),
                            keypoints="sh_pt_mpii+gt", amp="bf16", data_dir=str(h36m_dir), out=str(tmp_path / "src"))
    train.train(cfg, progress=False)
    lf = Lifter.load(tmp_path / "src" / "best.pt")
    assert lf.meta["model_config"]["num_sources"] == 2 and lf.meta["train_config"]["amp"] == "bf16"
    x = np.random.default_rng(0).normal(0, 0.2, (30, 17, 2)).astype(np.float32)
    as_gt, as_det = (predict_normalized(lf.model, x, source=s) for s in (0, 1))
    assert np.abs(as_gt - as_det).max() > 1e-4                       # the flag changes the 3D
    np.testing.assert_allclose(predict_normalized(lf.model, x), as_det, atol=1e-6)  # default_source = 1
    with torch.no_grad():                                           # per window, in one batch
        both = lf.model(torch.from_numpy(np.stack([x[:9], x[:9]])), torch.tensor([0, 1]))
        np.testing.assert_allclose(both[1].numpy(), lf.model(torch.from_numpy(x[None, :9]), 1)[0].numpy(), atol=1e-5)


def test_amp_must_be_known(h36m_dir, tmp_path):
    cfg = train.load_config(None, **TINY, amp="fp8", data_dir=str(h36m_dir), out=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="amp"):
        train.train(cfg, progress=False)


def test_ship_names_the_model_sets_its_source_and_drops_training_state(h36m_dir, tmp_path):
    from ml import checkpoint, ship

    cfg = train.load_config(None, **dict(TINY, epochs=1, train_subjects=["S9"],
                                         model={"embed_dim": 32, "hidden": 16, "num_sources": 2}),
                            keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir), out=str(tmp_path / "r"))
    train.train(cfg, progress=False)
    out = tmp_path / "shipped.pt"
    ship.main([str(tmp_path / "r" / "last.pt"), "--name", "LSTM 4.5M + source flag (test)",
               "--set", "default_source=0", "--out", str(out)])
    ck = checkpoint.load(out)
    assert "optimizer" not in ck and "rng" not in ck
    lf = Lifter.load(out)
    assert lf.name == "LSTM 4.5M + source flag (test)" and lf.meta["model_config"]["default_source"] == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["name"] == lf.name and summary["arch"] == "lstm"


def test_fine_tuning_adds_a_source_flag_to_a_model_without_one_and_rejects_other_mismatches(h36m_dir, tmp_path):
    """--init from a checkpoint without the flag: the new flag starts at zero (the model starts as the
    init, whatever the source); a checkpoint of other sizes is a clear error, not a state-dict dump."""
    import numpy as np

    from ml.lift import predict_normalized

    base = train.load_config(None, **dict(TINY, epochs=1, train_subjects=["S9"]), data_dir=str(h36m_dir),
                             out=str(tmp_path / "base"))
    train.train(base, progress=False)
    init = str(tmp_path / "base" / "best.pt")
    flagged = dict(TINY, epochs=1, train_subjects=["S9"], lr=1e-9, warmup_steps=0,
                   model={"embed_dim": 32, "hidden": 16, "num_sources": 2})
    cfg = train.load_config(None, **flagged, init=init, keypoints="sh_pt_mpii+gt", data_dir=str(h36m_dir),
                            out=str(tmp_path / "ft"))
    train.train(cfg, progress=False)
    before, after = Lifter.load(init), Lifter.load(tmp_path / "ft" / "last.pt")
    assert after.meta["data"]["init_from"]["checkpoint"] == init
    x = np.random.default_rng(1).normal(0, 0.2, (20, 17, 2)).astype(np.float32)
    for s in (0, 1):  # lr 1e-9: the weights barely move, so the fine-tune starts where the init is
        np.testing.assert_allclose(predict_normalized(after.model, x, source=s),
                                   predict_normalized(before.model, x), atol=1e-4)

    wider = train.load_config(None, **dict(TINY, model={"embed_dim": 48, "hidden": 16}), init=init,
                              data_dir=str(h36m_dir), out=str(tmp_path / "wide"))
    with pytest.raises(ValueError, match="embed_dim"):
        train.train(wider, progress=False)
