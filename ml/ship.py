"""Copy a trained checkpoint to ml/weights/ for shipping: drops optimizer/RNG state, stores the
weights as float32, and attaches evaluation tables (from `ml.evaluate --json` output files).

    python -m ml.ship runs/NAME/best.pt [--eval-gt gt.json] [--eval-sh sh.json] [--out ml/weights/lifter_default.pt]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import checkpoint
from .lift import DEFAULT_CHECKPOINT


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--eval-gt")
    ap.add_argument("--eval-sh")
    ap.add_argument("--set", nargs="*", default=[], help="model_config overrides key=json (for old checkpoints)")
    ap.add_argument("--out", default=str(DEFAULT_CHECKPOINT))
    a = ap.parse_args(argv)
    ck = checkpoint.load(a.checkpoint)
    for k in ("optimizer", "rng", "step"):
        ck.pop(k, None)
    ck["model"] = {k: v.float().contiguous() for k, v in ck["model"].items()}
    for kv in a.set:
        k, v = kv.split("=", 1)
        ck["model_config"][k] = json.loads(v)
    for key, path in (("eval_s9_gt", a.eval_gt), ("eval_s9_sh_pt_mpii", a.eval_sh)):
        if path:
            last = Path(path).read_text().strip().splitlines()[-1]
            ck["metrics"][key] = json.loads(last)
    checkpoint.save(ck, a.out)
    print(f"wrote {a.out} ({Path(a.out).stat().st_size / 1e6:.1f} MB): {ck['name']}")


if __name__ == "__main__":
    main()
