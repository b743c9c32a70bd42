"""Copy a trained checkpoint to ml/weights/ for shipping: drops optimizer/RNG state, stores the
weights as float32, and attaches evaluation tables (from `ml.evaluate --json` output files).
Also writes OUT with a .json suffix: the model's name, architecture, size, training data and
headline figures, which the web app shows in its model registry without loading torch.

    python -m ml.ship runs/NAME/best.pt [--eval-gt gt.json] [--eval-sh sh.json] [--eval-motion motion.json] [--name "..."]
                      [--set default_source=0] [--out ml/weights/lifter_default.pt]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import checkpoint
from .lift import DEFAULT_CHECKPOINT


def summary(ck: dict) -> dict:
    """What the registry shows of a checkpoint: identity, data, and the S9 averages measured."""
    m = ck.get("metrics", {})
    out = {"name": ck.get("name"), "arch": ck.get("arch"), "params": ck.get("params"),
           "receptive_field": ck.get("model_config", {}).get("num_frames"),
           "training_keypoints": ck.get("data", {}).get("keypoints"),
           "dataset": ck.get("data", {}).get("dataset"), "licence": ck.get("data", {}).get("licence"),
           "model_card": "ml/weights/MODEL_CARD.md"}
    for key, label in (("eval_s9_gt", "s9_gt2d"), ("eval_s9_sh_pt_mpii", "s9_sh"), ("eval_motion_val", "motion_val")):
        avg = m.get(key, {}).get("average")
        if avg:
            out[f"{label}_p1_mm"] = round(avg["p1"], 1)
            out[f"{label}_p2_mm"] = round(avg["p2"], 1)
            if "facing_over" in avg:
                out[f"{label}_facing_over_45_pct"] = round(avg["facing_over"], 2)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--eval-gt")
    ap.add_argument("--eval-sh")
    ap.add_argument("--eval-motion", help="ml.evaluate --motion --json output (held-out motion-capture takes)")
    ap.add_argument("--set", nargs="*", default=[], help="model_config overrides key=json (for old checkpoints)")
    ap.add_argument("--name", help="the name the app's registry and results show (default: the trained one, "
                                   "which says only architecture, window and data)")
    ap.add_argument("--out", default=str(DEFAULT_CHECKPOINT))
    a = ap.parse_args(argv)
    ck = checkpoint.load(a.checkpoint)
    for k in ("optimizer", "rng", "step"):
        ck.pop(k, None)
    ck["model"] = {k: v.float().contiguous() for k, v in ck["model"].items()}
    for kv in a.set:
        k, v = kv.split("=", 1)
        ck["model_config"][k] = json.loads(v)
    if a.name:
        ck["name"] = a.name
    for key, path in (("eval_s9_gt", a.eval_gt), ("eval_s9_sh_pt_mpii", a.eval_sh), ("eval_motion_val", a.eval_motion)):
        if path:
            last = Path(path).read_text().strip().splitlines()[-1]
            ck["metrics"][key] = json.loads(last)
    checkpoint.save(ck, a.out)
    Path(a.out).with_suffix(".json").write_text(json.dumps(summary(ck), indent=1) + "\n")
    print(f"wrote {a.out} ({Path(a.out).stat().st_size / 1e6:.1f} MB): {ck['name']}")


if __name__ == "__main__":
    main()
