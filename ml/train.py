"""Train a lifter on Human3.6M.

    python -m ml.train --config ml/configs/lstm_seed.json [--data-dir data/] [--keypoints gt]
                       [--epochs N] [--out runs/NAME] [--resume runs/NAME/last.pt] [--seed 0]

Writes OUT/last.pt (resumable: model + optimizer + schedule), OUT/best.pt (lowest validation
MPJPE) and OUT/metrics.json (per-epoch history). Checkpoints are self-describing: arch, model
config, joint set, input normalisation, training data, train config and measured metrics, so
`ml.lift.Lifter.load(path)` / `python -m ml.evaluate --checkpoint path` need nothing else.

Callback hook (for the web app's live metrics): `train(cfg, callback=fn)` calls
fn(event: dict) after each epoch with keys
    {"event": "epoch", "epoch", "epochs", "loss", "val_mpjpe" (mm), "lr", "elapsed_s",
     "best_val_mpjpe", "checkpoint"}
and every `log_every` steps with {"event": "step", "epoch", "step", "steps", "loss", "lr"}.
To stop early the callback returns False or raises StopTraining; the last/best checkpoints
written so far stay valid and train() returns normally with the summary.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from . import skeleton
from .data import (TEST_SUBJECTS, TRAIN_SUBJECTS, AugmentConfig, VirtualCameraConfig, WindowSampler,
                   augment, load_sequences, resolve_data_dir, source_id, sources_of)
from . import checkpoint
from .lift import H36M_FPS, predict_live, predict_normalized
from .models import arch_of, build_model, count_params, grow_sources, model_config, takes_source

LIVE_VAL_EVERY = 20  # a live run validates every 20th frame (one window per frame: 20x cheaper)


class StopTraining(Exception):
    """Raise from a training callback to stop training after the current step/epoch."""


@dataclass
class TrainConfig:
    name: str = "lstm_seed"                 # run name (used for the output dir and the model name)
    arch: str = "lstm"                      # "lstm" | "transformer"
    model: dict = field(default_factory=dict)  # overrides of the model's config dataclass
    frames: int = 81                        # window length = receptive field (seed: 81)
    batch_size: int = 512                   # windows per step (seed: 512)
    epochs: int = 15                        # seed: 15
    lr: float = 1e-4                        # peak learning rate (seed: 1e-4)
    lr_min_ratio: float = 0.01              # cosine schedule ends at lr * lr_min_ratio
    schedule: str = "cosine"                # "cosine" (with warmup) | "exp" (lr_decay per epoch) | "constant"
    lr_decay: float = 0.95                  # per-epoch decay for schedule="exp"
    warmup_steps: int = 50
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    stride: int = 81                        # frames between training windows (81: every frame once per epoch)
    velocity_loss: float = 0.5              # weight of the velocity (frame-difference) loss term
    keypoints: str = "gt"                   # "gt" (projected ground truth) | "sh_pt_mpii" | a mixture
                                            # "sh_pt_mpii+gt" (validation reports the first source)
    data_dir: str = "data/"                 # VideoPose3D layout; falls back to ../shared/data/h36m
    train_subjects: list = field(default_factory=lambda: list(TRAIN_SUBJECTS))
    test_subjects: list = field(default_factory=lambda: list(TEST_SUBJECTS))
    augment: dict = field(default_factory=dict)  # overrides of data.AugmentConfig
    virtual: dict = field(default_factory=dict)  # overrides of data.VirtualCameraConfig (prob 0: off)
    motion: str = ""                        # more motion capture in the mixture (ml.motion): "shared" or a path
                                            # to bandai_namco_d2_h36m17.npz; its windows get source "mocap" (2)
    motion_val_every: int = 10              # hold out the takes numbered a multiple of this (validation)
    pose_aug: dict = field(default_factory=dict)  # overrides of poseaug.PoseAugConfig (prob 0: off)
    seed: int = 0
    threads: int = 0                        # torch CPU threads (0: leave torch's default)
    device: str = "auto"                    # "auto" (CUDA when present) | "cpu" | "cuda"
    out: str = ""                           # output dir (default runs/<name>)
    log_every: int = 10                     # steps between "step" callback events
    max_minutes: float = 0.0                # stop after this wall time (0: no limit); checkpoints stay valid
    init: str = ""                          # start from this checkpoint's weights (fine-tuning; fresh optimizer)
    keep_epochs: bool = False               # also keep each epoch's weights as epoch_NN.pt (for ml.average)
    live_look_ahead: int = -1               # >= 0: a live lifter (ml.live, issue 31) that reads each frame this many
                                            # frames before its window's end: the loss also weighs the window's last
                                            # live_look_ahead + 1 frames (x live_weight) and validation reads them so
    live_weight: float = 4.0                # weight of that extra term (with live_look_ahead >= 0)
    amp: str = ""                           # "bf16": forward in bfloat16 autocast (weights and loss stay float32);
                                            # ~1.7-2x on CPUs with AMX/AVX512-BF16 and on GPUs (float32, with a
                                            # warning, where unsupported); "" = float32


PRESETS = {
    # The research seed's settings: LSTM_PoseNet, 81 frames, batch 512, 15 epochs, lr 1e-4.
    "seed": dict(arch="lstm", frames=81, batch_size=512, epochs=15, lr=1e-4),
}


def load_config(path: str | None, preset: str | None = None, **overrides) -> TrainConfig:
    d = {}
    if preset:
        d.update(PRESETS[preset])
    if path:
        d.update(json.loads(Path(path).read_text()))
    d.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(TrainConfig)}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    return TrainConfig(**d)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def lr_at(cfg: TrainConfig, step: int, total: int, epoch: int, time_frac: float = 0.0) -> float:
    """Learning rate at a step. With max_minutes set, the cosine follows whichever is further
    along, steps or wall time, so a time-capped run still ends at the low learning rate."""
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "exp":
        return cfg.lr * cfg.lr_decay ** epoch
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    p = min(1.0, max(time_frac, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)))
    lo = cfg.lr * cfg.lr_min_ratio
    return lo + 0.5 * (cfg.lr - lo) * (1 + math.cos(math.pi * p))


@torch.no_grad()
def validate(model, seqs, device, flip=False, live_look_ahead: int = -1) -> float:
    """Frame-weighted MPJPE (mm) over the sequences, non-overlapping windows (fast); a live lifter
    (live_look_ahead >= 0): every 20th frame from the window ending live_look_ahead frames after it."""
    model.eval()
    err, n = 0.0, 0
    for s in seqs:
        if live_look_ahead >= 0:
            pred = predict_live(model, s.kp2d, live_look_ahead, LIVE_VAL_EVERY, flip=flip, device=device,
                                source=source_id(s.source))
            gt = s.pos3d[::LIVE_VAL_EVERY]
        else:
            pred = predict_normalized(model, s.kp2d, flip=flip, hop=model.receptive_field, device=device,
                                      source=source_id(s.source))
            gt = s.pos3d
        err += float(np.linalg.norm(pred - gt, axis=-1).mean()) * len(pred)
        n += len(pred)
    model.train()
    return 1000.0 * err / n


def make_checkpoint(model, cfg: TrainConfig, data_info: dict, metrics: dict, epoch: int,
                    optimizer=None, step: int = 0, rng_state=None) -> dict:
    F = model.receptive_field
    kp = "GT 2D" if cfg.keypoints == "gt" else cfg.keypoints
    ck = {
        "format": checkpoint.FORMAT,
        "name": f"{type(model).__name__} {F}f (h36m {cfg.keypoints if cfg.keypoints != 'gt' else 'gt2d'})",
        "arch": arch_of(model),
        "model_config": model_config(model),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "joints": {"names": skeleton.JOINT_NAMES, "parents": skeleton.PARENTS,
                   "left": skeleton.LEFT, "right": skeleton.RIGHT, "set": "h36m17"},
        "normalization": {"type": "screen", "formula": "u / w * 2 - 1, v / w * 2 - h / w",
                          "output": "metres, camera frame (x right, y down, z forward), root-relative"},
        "data": data_info | {"keypoints": cfg.keypoints, "description": f"Human3.6M, {kp}"},
        "train_config": asdict(cfg),
        "metrics": metrics,
        "epoch": epoch,
        "params": count_params(model),
    }
    if optimizer is not None:
        ck["optimizer"] = optimizer.state_dict()
        ck["step"] = step
        ck["rng"] = rng_state
    return ck


def bf16_supported(device: torch.device) -> bool:
    """Whether autocast to bfloat16 runs on this device (CPU: oneDNN needs AVX512-BF16 or AMX)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


# Weights a fine-tune may add to its init checkpoint's: they start at zero, so the model starts as the init.
NEW_ON_FINE_TUNE = ("source_embed.weight",)


def load_init_weights(model: torch.nn.Module, init: dict, path: str) -> None:
    """Start `model` from a checkpoint's weights. The architecture must match, except that a source
    flag (LSTMConfig.num_sources) may be added to a model without one, or given more sources (each
    new one starts as source 0, projected ground truth); anything else is a clear error."""
    if init.get("arch") != arch_of(model):
        raise ValueError(f"init checkpoint {path} is a {init.get('arch')!r} model; the config builds "
                         f"{arch_of(model)!r}: use a checkpoint of the same architecture")
    own = model.state_dict()
    theirs = grow_sources(init["model"], getattr(model.config, "num_sources", 0))
    added = [k for k in own if k not in theirs]
    wrong = [k for k in own if k in theirs and own[k].shape != theirs[k].shape] + [k for k in theirs if k not in own]
    if wrong or any(k not in NEW_ON_FINE_TUNE for k in added):
        diff = {k: v for k, v in init.get("model_config", {}).items() if model_config(model).get(k) != v}
        raise ValueError(f"init checkpoint {path} does not fit this config's model (its settings that differ: "
                         f"{diff or 'none recorded'}; weights that differ: {(wrong + added)[:4]}): "
                         "train with the checkpoint's model settings")
    model.load_state_dict({**theirs, **{k: torch.zeros_like(own[k]) for k in added}})


def train(cfg: TrainConfig, callback=None, resume: str | None = None, progress: bool = True) -> dict:
    from tqdm import tqdm

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    if cfg.amp not in ("", "bf16"):
        raise ValueError(f"amp must be '' or 'bf16', not {cfg.amp!r}")
    use_bf16 = cfg.amp == "bf16" and bf16_supported(device)
    if cfg.amp == "bf16" and not use_bf16:
        # oneDNN's LSTM has no bfloat16 kernel without AVX512-BF16/AMX: it fails at the first step.
        print(f"[train] this {device.type} has no bfloat16 support: training in float32", flush=True)
    if device.type == "cuda":  # TF32 matrix products and convolutions: several times faster, ample precision
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out = Path(cfg.out or f"runs/{cfg.name}")
    out.mkdir(parents=True, exist_ok=True)

    data_dir = resolve_data_dir(cfg.data_dir)
    train_seqs = load_sequences(data_dir, cfg.train_subjects, cfg.keypoints)
    try:
        val_seqs = load_sequences(data_dir, cfg.test_subjects, sources_of(cfg.keypoints)[0])
    except ValueError:
        val_seqs = load_sequences(data_dir, cfg.test_subjects, "gt")
    motion_val = []
    if cfg.motion:
        from .motion import load_motion_sequences, resolve_motion_path, val_seed
        path = resolve_motion_path(None if cfg.motion == "shared" else cfg.motion)
        train_seqs += load_motion_sequences(path, "train", cfg.motion_val_every, seed=cfg.seed)
        motion_val = load_motion_sequences(path, "val", cfg.motion_val_every, seed=val_seed(cfg.motion_val_every))
    data_info = {"dataset": "Human3.6M", "licence": "Human3.6M: research use only", "fps": H36M_FPS,
                 "data_dir": str(data_dir), "train_subjects": cfg.train_subjects,
                 "test_subjects": sorted({s.subject for s in val_seqs}),
                 "train_frames": int(sum(len(s.kp2d) for s in train_seqs))}
    if cfg.motion:
        data_info |= {"dataset": "Human3.6M + Bandai Namco Research Motion Dataset 2",
                      "licence": "Human3.6M: research use only; Bandai Namco dataset 2: CC BY-NC 4.0 (non-commercial)",
                      "motion": {"file": str(path), "train_takes": sum(s.source == "mocap" for s in train_seqs),
                                 "val_takes": len(motion_val), "val_every": cfg.motion_val_every}}

    model = build_model(cfg.arch, dict(cfg.model, num_frames=cfg.frames)).to(device)
    if cfg.init and not resume:
        init = checkpoint.load(cfg.init, device)
        load_init_weights(model, init, cfg.init)
        data_info["init_from"] = {"checkpoint": cfg.init, "name": init.get("name"),
                                  "train_config": init.get("train_config")}
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    virtual = VirtualCameraConfig(**cfg.virtual)
    from .poseaug import PoseAugConfig
    sampler = WindowSampler(train_seqs, cfg.frames, cfg.stride, cfg.batch_size, seed=cfg.seed,
                            virtual=virtual, pose_aug=PoseAugConfig(**cfg.pose_aug))
    aug = AugmentConfig(**cfg.augment)
    gen = torch.Generator().manual_seed(cfg.seed)
    steps_per_epoch = len(sampler)
    total = steps_per_epoch * cfg.epochs

    history, start_epoch, step, best, elapsed_before = [], 0, 0, float("inf"), 0.0
    if resume:
        ck = checkpoint.load(resume, device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_epoch, step = ck["epoch"], ck["step"]
        history = ck["metrics"].get("history", [])
        best = ck["metrics"].get("best_val_mpjpe", best)
        elapsed_before = history[-1]["elapsed_s"] if history else 0.0
        if ck.get("rng"):
            sampler.rng.bit_generator.state = ck["rng"]["sampler"]
            gen.set_state(ck["rng"]["gen"])

    print(f"[train] {cfg.name}: {type(model).__name__} {count_params(model)/1e6:.2f}M params, "
          f"{len(train_seqs)} train seqs ({data_info['train_frames']} frames), {steps_per_epoch} steps/epoch, "
          f"device {device}", flush=True)
    t0, cpu0 = time.time(), time.process_time()
    cpu_before = history[-1].get("cpu_s", 0.0) if history else 0.0
    stop = False

    def emit(ev):
        nonlocal stop
        if callback is None:
            return
        try:
            if callback(ev) is False:
                stop = True
        except StopTraining:
            stop = True

    model.train()
    for epoch in range(start_epoch, cfg.epochs):
        tot, cnt = 0.0, 0
        it = tqdm(sampler, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{cfg.epochs}",
                  disable=not progress, mininterval=10)
        for x, y, mask, src in it:
            tf = (time.time() - t0 + elapsed_before) / (60 * cfg.max_minutes) if cfg.max_minutes else 0.0
            lr = lr_at(cfg, step, total, epoch, tf)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = augment(x, y, aug, gen)
            x, y, mask = x.to(device), y.to(device), mask.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                pred = model(x, src.to(device)) if takes_source(model) else model(x)
            pred = pred.float()
            m = mask.float()
            err = torch.linalg.norm(pred - y, dim=-1).mean(-1)                 # (B, F)
            loss = (err * m).sum() / m.sum()
            if cfg.live_look_ahead >= 0:  # where a live lifter reads its answer: the window's last frames
                k = cfg.live_look_ahead + 1
                loss = loss + cfg.live_weight * (err[:, -k:] * m[:, -k:]).sum() / m[:, -k:].sum().clamp(min=1)
            if cfg.velocity_loss > 0:
                vm = m[:, 1:] * m[:, :-1]
                verr = torch.linalg.norm(pred.diff(dim=1) - y.diff(dim=1), dim=-1).mean(-1)
                loss = loss + cfg.velocity_loss * (verr * vm).sum() / vm.sum().clamp(min=1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            step += 1
            tot += loss.item() * len(x)
            cnt += len(x)
            it.set_postfix(loss=f"{1000 * tot / cnt:.1f}mm", lr=f"{lr:.2e}")
            if cfg.log_every and step % cfg.log_every == 0:
                emit({"event": "step", "epoch": epoch + 1, "step": step, "steps": total,
                      "loss": 1000 * tot / cnt, "lr": lr})
            if cfg.max_minutes and tf >= 1.0:
                stop = True
            if stop:
                break
        val = validate(model, val_seqs, device, live_look_ahead=cfg.live_look_ahead)
        rec = {"epoch": epoch + 1, "loss": 1000 * tot / max(cnt, 1), "val_mpjpe": val, "lr": lr,
               "elapsed_s": time.time() - t0 + elapsed_before, "steps": step,
               "cpu_s": time.process_time() - cpu0 + cpu_before}
        if motion_val:  # held-out takes of the new motion capture, their own skeleton (source 2)
            rec["val_motion_mpjpe"] = validate(model, motion_val, device, live_look_ahead=cfg.live_look_ahead)
        history.append(rec)
        is_best = val < best
        best = min(best, val)
        metrics = {"history": history, "best_val_mpjpe": best, "val_mpjpe": val,
                   "val_protocol": f"P1 mm, {'+'.join(data_info['test_subjects'])} "
                                   f"{val_seqs[0].source} 2D, non-overlapping windows, no flip"
                                   + (f"; live: every {LIVE_VAL_EVERY}th frame, look-ahead {cfg.live_look_ahead}"
                                      if cfg.live_look_ahead >= 0 else ""),
                   "train_time_s": rec["elapsed_s"]}
        rng = {"sampler": sampler.rng.bit_generator.state, "gen": gen.get_state()}
        checkpoint.save(make_checkpoint(model, cfg, data_info, metrics, epoch + 1, opt, step, rng), out / "last.pt")
        if is_best:
            checkpoint.save(make_checkpoint(model, cfg, data_info, metrics, epoch + 1), out / "best.pt")
        if cfg.keep_epochs:
            checkpoint.save(make_checkpoint(model, cfg, data_info, metrics, epoch + 1), out / f"epoch_{epoch + 1:02d}.pt")
        (out / "metrics.json").write_text(json.dumps({"config": asdict(cfg), **metrics}, indent=1))
        print(f"[train] epoch {epoch + 1}: loss {rec['loss']:.1f} mm, val MPJPE {val:.1f} mm"
              + (f" (motion capture {rec['val_motion_mpjpe']:.1f} mm)" if motion_val else "") + ", "
              f"lr {lr:.2e}, {rec['elapsed_s'] / 60:.1f} min", flush=True)
        emit({"event": "epoch", "epochs": cfg.epochs, "best_val_mpjpe": best,
              "checkpoint": str(out / "best.pt"), **rec})
        if stop:
            break
    return {"out": str(out), "best_val_mpjpe": best, "history": history}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="JSON file with TrainConfig fields")
    ap.add_argument("--preset", choices=sorted(PRESETS), help="start from a named preset (e.g. seed)")
    ap.add_argument("--data-dir")
    ap.add_argument("--keypoints")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--device")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--max-minutes", type=float, dest="max_minutes")
    ap.add_argument("--resume", help="a last.pt to continue from")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    cfg = load_config(a.config, a.preset, data_dir=a.data_dir, keypoints=a.keypoints, epochs=a.epochs,
                      out=a.out, seed=a.seed, device=a.device, threads=a.threads, max_minutes=a.max_minutes)
    res = train(cfg, resume=a.resume, progress=not a.no_progress)
    print(json.dumps({"out": res["out"], "best_val_mpjpe": res["best_val_mpjpe"]}))


if __name__ == "__main__":
    main()
