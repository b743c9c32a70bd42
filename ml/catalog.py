"""What `ml.train` can train, by name, without torch: the lifter architectures, the Human3.6M 2D
keypoints (one source or a mixture) and the saved training configurations (ml/configs/*.json).

The web process offers exactly these in the admin's training form (it never imports torch), so the
shipped model's own configuration can be queued from there (issue 29). tests/ml/test_catalog.py checks
this table against ml.models.MODELS and every configuration against ml.train.load_config."""
from __future__ import annotations

import json
from pathlib import Path

# arch name (ml.models.MODELS) -> what the admin shows
ARCHITECTURES = {
    "lstm": "LSTM_PoseNet (bidirectional LSTM)",
    "transformer": "Transformer",
    "tcn": "TCN (dilated temporal convolutions, VideoPose3D-style)",
}
# `keypoints` (ml.data.sources_of: sources joined by '+') -> what the admin shows
KEYPOINTS = {
    "gt": "Ground-truth 2D (projected)",
    "sh_pt_mpii": "Stacked Hourglass detections",
    "sh_pt_mpii+gt": "Stacked Hourglass + ground truth (a mixture)",
}
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
SHIPPED_CONFIG = "lstm512_src3_mocap_poseaug_ft6"  # the configuration of ml/weights/lifter_default.pt


def configs() -> dict[str, str]:
    """Saved configuration name -> a label (its architecture, 2D keypoints, epochs; the shipped one says so)."""
    out = {}
    for path in sorted(CONFIG_DIR.glob("*.json")):
        d = json.loads(path.read_text())
        label = f"{path.stem}: {d.get('arch', 'lstm')}, {d.get('keypoints', 'gt')} 2D, {d.get('epochs', '?')} epochs"
        out[path.stem] = label + (" (what ships)" if path.stem == SHIPPED_CONFIG else "")
    return out


def config_path(name: str) -> Path:
    """The file of a saved configuration; ValueError for a name that is not one."""
    path = CONFIG_DIR / f"{name}.json"
    if not name or "/" in name or not path.is_file():
        raise ValueError(f"No saved training configuration {name!r}; choose one of {', '.join(configs())}.")
    return path


def config_values(name: str) -> dict:
    return json.loads(config_path(name).read_text())
