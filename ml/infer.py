"""`python -m ml.infer VIDEO --out DIR [--formats json,csv,npz,bvh,glb,mp4] [--people one|several] [--checkpoint PATH]`

Turns a video into 3D and writes the chosen formats. Exit code 0 on success; on failure a one-line
reason on stderr and exit code 1 (bad input) or 2 (bad arguments).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.export import FORMATS
from ml.result_people import PEOPLE_MODES


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ml.infer", description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path, help="input video file")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated subset of {','.join(FORMATS)}")
    p.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: the shipped model)")
    p.add_argument("--smooth", default="light", choices=["none", "light", "strong"], help="One-Euro smoothing")
    p.add_argument("--complexity", type=int, default=1, choices=[0, 1, 2],
                   help="MediaPipe model: 0 lite, 1 full, 2 heavy (0/2 need `npm ci` in frontend/)")
    p.add_argument("--no-flip", action="store_true", help="disable flip test-time augmentation")
    p.add_argument("--height-m", type=float, default=None,
                   help="the person's height in metres (scales the skeleton; default: a typical adult, 1.70 m)")
    p.add_argument("--no-foot-lock", action="store_true",
                   help="no foot contact or locking: the lower ankle on the floor in every frame (jumps flattened)")
    p.add_argument("--no-facing", action="store_true",
                   help="keep the lifter's own facing: do not turn the 3D the way the face points say (ml.facing)")
    p.add_argument("--processes", type=int, default=0,
                   help="2D detector processes (0: one per two cores, at most 4; the result is the same)")
    p.add_argument("--detect-stride", type=int, default=1, choices=[1, 2, 3, 4],
                   help="show the 2D detector every n-th frame and interpolate the others: faster, less exact "
                        "(2 on a 25 fps clip: about twice the detection speed; ml/RESULTS.md)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="the lifter's device (auto: CUDA when torch sees a GPU)")
    p.add_argument("--people", default="one", choices=PEOPLE_MODES,
                   help="one: the main person (MediaPipe, result version 1); several: everyone (MoveNet "
                        "MultiPose + tracking, result version 2, docs/result-format.md)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.height_m is not None and not 0.5 <= args.height_m <= 2.5:
        p.error("--height-m must be between 0.5 and 2.5 metres")
    if args.height_m is not None and args.people == "several":
        p.error("--height-m is one person's height; with --people several each person's size comes from the scene")
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in args.formats if f not in FORMATS]
    if bad or not args.formats:
        p.error(f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from tqdm import tqdm

    from ml.export import export_all
    from ml.pipeline import PipelineError, PipelineOptions, run_pipeline
    from ml.video import VideoError

    bars: dict[str, tqdm] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if args.quiet or stage not in ("detect", "lift"):
            return
        bar = bars.get(stage) or bars.setdefault(
            stage, tqdm(total=total, desc={"detect": "2D detection", "lift": "3D lifting"}[stage],
                        unit="frame", position=len(bars), leave=True))
        bar.total = max(total, done)
        bar.n = done
        bar.refresh()

    options = PipelineOptions(checkpoint=args.checkpoint, smoothing=args.smooth, flip=not args.no_flip,
                              detect_processes=args.processes, device=args.device,
                              complexity=args.complexity, height_m=args.height_m,
                              foot_lock=not args.no_foot_lock, detect_stride=args.detect_stride,
                              people=args.people, facing=not args.no_facing)
    try:
        result = run_pipeline(args.video, options, on_progress=on_progress)
    except (VideoError, PipelineError) as exc:
        for bar in bars.values():
            bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for bar in bars.values():
        bar.close()
    args.out.mkdir(parents=True, exist_ok=True)
    written = export_all(result, args.out, args.formats, video_path=args.video)
    t = result.timings
    if args.people == "several":
        print(f"{result.frame_count} frames, {t['fps']} frames/s end to end "
              f"({result.frame_count / result.fps:.1f} s of video in {t['total_s']} s); {len(result.people)} people, "
              f"{t['people_per_frame']:.2f} tracked per frame; model: {result.model['name']}")
        for fmt, path in written.items():
            print(f"  {fmt:4s} {path}")
        return 0
    print(f"{result.frame_count} frames, {t['fps']} frames/s end to end "
          f"({result.frame_count / result.fps:.1f} s of video in {t['total_s']} s); model: {result.model['name']}")
    q = result.quality
    print(f"jitter (mean joint acceleration, root-relative) {q['jitter_raw']:.2f} m/s² raw → {q['jitter']:.2f} m/s² "
          f"final ({args.smooth} smoothing); bone-length std {q['bone_length_std_mm_raw']:.1f} mm raw → "
          f"{q['bone_length_std_mm']:.2f} mm final; person detected in {int(result.detected.sum())}/"
          f"{result.frame_count} frames")
    for fmt, path in written.items():
        print(f"  {fmt:4s} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
