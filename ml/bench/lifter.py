"""Lifter throughput benchmark: frames/s per model and batch size on CPU (and CUDA when
present), parameter counts and FLOPs per frame.

    python -m ml.bench lifter [--checkpoints a.pt b.pt] [--batch-sizes 1 16 64] [--threads 1] [--json]

Without --checkpoints it benchmarks the default checkpoint plus freshly initialised default
LSTM_PoseNet, TransformerLifter and TCNLifter (81 frames). One "frame" is one output 3D pose: a batch of
B windows of F frames counts B*F frames (sequence-to-sequence models predict the whole window).
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..lift import DEFAULT_CHECKPOINT, Lifter
from ..models import LSTM_PoseNet, build_model, count_params


def flops_per_frame(model) -> float:
    """Forward FLOPs per output frame (2 per multiply-add). Attention is counted through the
    module's non-fused path; LSTM recurrences are added analytically (FlopCounter skips them)."""
    F = model.receptive_field
    was = model.training
    model.train()  # the fused inference path of nn.TransformerEncoder hides its matmuls
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(torch.zeros(1, F, model.config.num_joints, model.config.input_dim))
    model.train(was)
    total = fc.get_total_flops()
    if isinstance(model, LSTM_PoseNet):
        c = model.config
        dirs = 2 if c.bidirectional else 1
        inp = c.embed_dim
        for _ in range(c.layers):
            total += F * dirs * 2 * 4 * c.hidden * (inp + c.hidden)
            inp = c.hidden * dirs
    return total / F


@torch.no_grad()
def throughput(model, batch: int, device: str, seconds: float = 2.0) -> float:
    F = model.receptive_field
    model = model.to(device).eval()
    x = torch.randn(batch, F, model.config.num_joints, model.config.input_dim, device=device)
    model(x)
    n, t0 = 0, time.perf_counter()
    while True:
        model(x)
        n += 1
        if device == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if dt > seconds:
            return n * batch * F / dt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", nargs="*")
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 16, 64])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    models = []
    for p in a.checkpoints or ([DEFAULT_CHECKPOINT] if DEFAULT_CHECKPOINT.exists() else []):
        lf = Lifter.load(p)
        models.append((lf.name, lf.model))
    if not a.checkpoints:
        models += [("LSTM_PoseNet 81f (untrained)", build_model("lstm", {})),
                   ("TransformerLifter 81f (untrained)", build_model("transformer", {})),
                   ("TCNLifter 81f (untrained)", build_model("tcn", {}))]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    results = []
    for name, m in models:
        fl = flops_per_frame(m)
        for dev in devices:
            for b in a.batch_sizes:
                fps = throughput(m, b, dev, a.seconds)
                r = {"model": name, "params": count_params(m), "mflops_per_frame": round(fl / 1e6, 2),
                     "receptive_field": m.receptive_field, "device": dev, "threads": a.threads if dev == "cpu" else None,
                     "batch": b, "frames_per_s": round(fps, 1)}
                results.append(r)
                print(f"{name:<36} {dev:<5} batch {b:>4}: {fps:>10.0f} frames/s  "
                      f"({r['params'] / 1e6:.2f}M params, {r['mflops_per_frame']} MFLOPs/frame)", flush=True)
    if a.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    main()
