"""`python tools/pose_task.py [--out frontend/dist/mediapipe-tasks]`: the Live page's 2D detector models.

The Live page runs BlazePose with `@mediapipe/tasks-vision`'s PoseLandmarker on the CPU delegate (XNNPACK
in wasm): no WebGL needed, ~12x faster than @mediapipe/pose's WebGL graph where WebGL is the CPU
(ml/RESULTS.md, "Live mode"). That API takes a `.task` bundle whose models carry TFLite metadata (the
input's normalisation); Google's bundles are downloads, so this writes them from the models we already
have, with the mediapipe wheel's own metadata writer: the pose detector from the wheel, the lite and
full landmark models from the wheel or the npm package @mediapipe/pose (Apache-2.0 both).
Run by `make frontend` (after the npm build) and by the Dockerfile.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_POSE = ROOT / "frontend" / "node_modules" / "@mediapipe" / "pose"
OUTPUTS = {"pose_detector": 2, "pose_landmarks_detector": 5}  # output tensors of each model


def _find(name: str) -> Path:
    import mediapipe

    wheel = Path(os.path.dirname(mediapipe.__file__)) / "modules"
    for p in (wheel / "pose_detection" / name, wheel / "pose_landmark" / name, NPM_POSE / name):
        if p.is_file():
            return p
    raise SystemExit(f"{name} not found (the mediapipe wheel, or `npm ci` in frontend/ for {NPM_POSE})")


def with_metadata(path: Path, name: str) -> bytearray:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
    writer.add_general_info(name, "MediaPipe BlazePose (Apache-2.0); metadata written by tools/pose_task.py")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])  # RGB 0-255 -> 0-1, as the models expect
    for k in range(OUTPUTS[name]):
        writer.add_feature_output(name=f"output_{k}")
    model, _ = writer.populate()
    return model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "frontend" / "dist" / "mediapipe-tasks")
    args = p.parse_args(argv)
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    args.out.mkdir(parents=True, exist_ok=True)
    detector = with_metadata(_find("pose_detection.tflite"), "pose_detector")
    for model in ("lite", "full"):
        landmarks = with_metadata(_find(f"pose_landmark_{model}.tflite"), "pose_landmarks_detector")
        out = args.out / f"pose_landmarker_{model}.task"
        model_asset_bundle_utils.create_model_asset_bundle(
            {"pose_detector.tflite": detector, "pose_landmarks_detector.tflite": landmarks}, str(out))
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
