"""Checkpoint files: the one place they are written and read (train, lift, ship, the web app's models).

A checkpoint is a dict of tensors, numbers, strings, lists and dicts (see ml.train.make_checkpoint):
it carries its architecture, model config, joint set, input normalisation, training data, train
config and measured metrics, so `load(path)` needs nothing else.

One rule for reading: `weights_only=True`. Refusing pickled code means a file from elsewhere (a
model registered in the admin, a download) cannot run code on a worker; our own files (resumable
optimizer and RNG state included) need nothing more. Writing is atomic (temp file + rename), so a
training killed mid-save leaves the previous last.pt intact.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

FORMAT = "3dposenet-lifter/1"


def load(path: str | os.PathLike, device="cpu") -> dict:
    ckpt = torch.load(path, map_location=device, weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint")
    return ckpt


def save(ckpt: dict, path: str | os.PathLike) -> Path:
    assert ckpt.get("format") == FORMAT, ckpt.get("format")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    torch.save(ckpt, tmp)
    os.replace(tmp, path)
    return path
