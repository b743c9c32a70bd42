"""Checkpoint weights to float16 and back (files back from the GPU machine are at most 16 MiB each).

    python tools/device/half.py --to-half best.pt best_half.pt
    python tools/device/half.py --to-float best_half.pt best.pt
Only floating-point tensors of the model's state change; everything else in the checkpoint is kept.
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from the repo root
from ml import checkpoint  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--to-half", action="store_true")
    g.add_argument("--to-float", action="store_true")
    ap.add_argument("src")
    ap.add_argument("dst")
    a = ap.parse_args(argv)
    ck = checkpoint.load(a.src)
    dtype = torch.float16 if a.to_half else torch.float32
    ck["model"] = {k: v.to(dtype) if v.is_floating_point() else v for k, v in ck["model"].items()}
    checkpoint.save(ck, a.dst)


if __name__ == "__main__":
    main()
