"""Average the weights of several checkpoints of one training run (e.g. its last epochs): one
model of the same size and cost that usually scores better than any single epoch (stochastic weight
averaging, Izmailov et al. 2018). Measured in ml/RESULTS.md.

    python -m ml.average runs/NAME/ep10.pt runs/NAME/ep11.pt ... --out runs/NAME/averaged.pt

The inputs must share architecture and model config, except that a checkpoint with fewer sources in
its source flag (e.g. the init a fine-tune added a source to) may be averaged with ones that have
more: its missing sources are taken as its source 0 (ml.models.grow_sources). Floating-point tensors are averaged; integer
buffers (e.g. BatchNorm's batch counter) come from the last input. BatchNorm running statistics are
averaged too, an approximation: the shipped LSTMs and transformers have none. The output carries the
config, data and training history of the last input with the most sources, with "averaged_from"
saying what went in.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from . import checkpoint
from .models import grow_sources


def average(ckpts: list[dict]) -> dict:
    """The checkpoints' weights averaged, in a copy of the last one with the most sources (no optimizer state)."""
    assert ckpts, "nothing to average"
    n = max(ck["model_config"].get("num_sources", 0) for ck in ckpts)
    ckpts = [dict(ck, model=grow_sources(ck["model"], n)) for ck in ckpts]
    same = lambda c: {k: v for k, v in c.items() if k not in ("num_sources", "default_source")}  # noqa: E731
    first = ckpts[0]
    for ck in ckpts[1:]:
        if ck["arch"] != first["arch"] or same(ck["model_config"]) != same(first["model_config"]):
            raise ValueError("checkpoints to average must share architecture and model config "
                             f"({first['arch']} {first['model_config']} vs {ck['arch']} {ck['model_config']})")
        if ck["model"].keys() != first["model"].keys():
            raise ValueError("checkpoints to average must have the same tensors")
    base = [ck for ck in ckpts if ck["model_config"].get("num_sources", 0) == n][-1]  # its config has every source
    out = {k: v for k, v in base.items() if k not in ("optimizer", "rng", "step")}
    model = {}
    for k, last in ckpts[-1]["model"].items():
        if last.is_floating_point():
            model[k] = torch.stack([ck["model"][k].float() for ck in ckpts]).mean(0).to(last.dtype)
        else:
            model[k] = last.clone()
    out["model"] = model
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    ckpts = [checkpoint.load(p) for p in a.checkpoints]
    out = average(ckpts)
    out["averaged_from"] = [{"path": str(p), "epoch": ck.get("epoch")} for p, ck in zip(a.checkpoints, ckpts)]
    checkpoint.save(out, a.out)
    epochs = ", ".join(str(ck.get("epoch")) for ck in ckpts)
    print(f"wrote {a.out} ({Path(a.out).stat().st_size / 1e6:.1f} MB): {len(ckpts)} checkpoints averaged (epochs {epochs})")


if __name__ == "__main__":
    main()
