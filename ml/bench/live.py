"""`python -m ml.bench live [--checkpoint PATH] [--offline-checkpoint PATH] [--video-dir DIR] [--json]`

Live mode's server side (issue 31), on every shared clip: the live lifter (ml.live.LiveLifter, one frame
at a time with its short look-ahead, one torch thread) against the offline pipeline, on the same 2D
(the pipeline's records, cached as `ml.bench quality --reuse-2d` keeps them):
  lift ms     the live lifter's time per frame (median, 95th percentile): lifting its window and
              placing the frame in the world, what the live worker spends per camera frame
  capacity    frames/s one core lifts (1000 / mean ms): how many webcams of 30 fps one worker serves
  wait ms     how long a frame waits for its look-ahead at the clip's frame rate
  quality     the in-the-wild figures of `ml.bench quality` (facing vs MediaPipe's world landmarks,
              reprojection, jitter, floating) for the live 3D and, beside them, the offline pipeline's
  vs offline  the live 3D against the offline one, root-relative (median mm per frame)
The browser's side (2D frames/s, camera-to-screen latency) is measured by tools/bench_live.py.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np


def live_result(offline, records, lifter, fps: float, flip: bool = True):
    """The offline result with its 3D replaced by the live lifter's, frame by frame (frames with no
    person, and the last look-ahead frames, keep the previous live frame); and the times per frame."""
    from ml.live import LiveLifter
    from ml.postprocess import camera_tilt

    live = LiveLifter(lifter, offline.width, offline.height, fps, flip=flip)
    k3 = np.full_like(offline.keypoints_3d, np.nan)
    pushed, ms = [], []
    for r in records:
        if r.keypoints is None:
            continue
        pushed.append(r.index)
        t0 = time.perf_counter()
        out = live.push(r.keypoints, layout="h36m17")
        ms.append(1000 * (time.perf_counter() - t0))
        if out is not None:
            k3[pushed[out.index]] = out.world
    for t in range(len(k3)):  # hold the last live frame where none was made
        if np.isnan(k3[t]).any():
            k3[t] = k3[t - 1] if t else np.nan_to_num(k3[t])
    first = next((t for t in range(len(k3)) if k3[t].any()), 0)
    k3[:first] = k3[first]
    result = dataclasses.replace(offline, keypoints_3d=k3.astype(np.float32), cuts=[],
                                 camera=camera_tilt(live.aligner.tilt), contact=None)
    return result, np.array(ms), live


def run_clip(video: Path, args, lifter) -> dict:
    from ml.bench.quality import REUSE_CACHE, cached_2d, measure
    from ml.pipeline import PipelineOptions, run_pipeline
    from ml.quality import result_to_camera

    options = PipelineOptions(checkpoint=args.offline_checkpoint, detect_processes=1)
    records, mp_world, mp_found = cached_2d(video, options, REUSE_CACHE)
    offline = run_pipeline(video, options, records=records)
    live, ms, live_lifter = live_result(offline, records, lifter, offline.fps, flip=not args.no_flip)
    f_off = measure(offline, mp_world, mp_found)
    f_live = measure(live, mp_world, mp_found)
    a = result_to_camera(offline.keypoints_3d - offline.keypoints_3d[:, :1], offline.camera)
    b = result_to_camera(live.keypoints_3d - live.keypoints_3d[:, :1], live.camera)
    det = np.asarray(offline.detected, bool)
    vs = float(np.median(np.linalg.norm(a - b, axis=-1).mean(-1)[det])) * 1000 if det.any() else float("nan")
    return {"clip": Path(video).stem.split("_")[0], "frames": offline.keypoints_3d.shape[0], "fps": offline.fps,
            "lift_ms_median": float(np.median(ms)), "lift_ms_p95": float(np.percentile(ms, 95)),
            "capacity_fps": 1000.0 / float(np.mean(ms)), "wait_ms": 1000.0 * live_lifter.latency_s,
            "vs_offline_mm": vs, "live": f_live, "offline": f_off}


COLUMNS = ("facing_median_deg", "facing_over_45_pct", "reprojection_pct", "jitter_m_s2", "float_pct")


def table(rows: list[dict]) -> str:
    head = (f"{'clip':12s} {'frames':>6s} {'fps':>4s} {'lift ms':>8s} {'p95':>6s} {'cap/s':>6s} {'wait':>5s} "
            f"{'vsOff':>6s}   live: facing  >45%  reproj  jitter  float% | offline: facing  >45%  reproj  jitter  float%")
    lines = [head]
    for r in rows:
        q = lambda f: "  ".join(f"{f[c]:6.2f}" if c != "facing_median_deg" else f"{f[c]:6.1f}" for c in COLUMNS)  # noqa: E731
        lines.append(f"{r['clip']:12s} {r['frames']:6d} {r['fps']:4.0f} {r['lift_ms_median']:8.1f} {r['lift_ms_p95']:6.1f} "
                     f"{r['capacity_fps']:6.0f} {r['wait_ms']:5.0f} {r['vs_offline_mm']:6.0f}         "
                     f"{q(r['live'])} |          {q(r['offline'])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.bench live", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default=None, help="the live lifter (default: the live worker's choice, "
                   "ml/weights/lifter_live.pt if shipped, else the offline model)")
    p.add_argument("--offline-checkpoint", default=None, help="the offline pipeline's (default: the shipped one)")
    p.add_argument("--video-dir", type=Path, default=None, help="the shared clips (default ../shared/data/video)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the live worker uses 1)")
    p.add_argument("--no-flip", action="store_true", help="no test-time flip (POSENET_LIVE_FLIP=false)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON (last line)")
    args = p.parse_args(argv)
    import torch

    from ml.bench.montage import SHARED_VIDEO, bench_clips
    from ml.lift import DEFAULT_CHECKPOINT, Lifter

    torch.set_num_threads(args.threads)
    shipped_live = DEFAULT_CHECKPOINT.with_name("lifter_live.pt")
    checkpoint = args.checkpoint or (shipped_live if shipped_live.exists() else DEFAULT_CHECKPOINT)
    lifter = Lifter.load(checkpoint)
    videos = bench_clips(args.video_dir or SHARED_VIDEO, montages=False)
    if not videos:
        print(f"error: no shared clips in {args.video_dir or SHARED_VIDEO}", file=sys.stderr)
        return 2
    rows = []
    for v in videos:
        rows.append(run_clip(v, args, lifter))
        print(f"measured {rows[-1]['clip']}", file=sys.stderr, flush=True)
    print(f"live lifter {lifter.name} ({checkpoint}), {args.threads} torch thread(s), flip {'off' if args.no_flip else 'on'}")
    print(table(rows))
    if args.json:
        print(json.dumps(rows))
    return 0
