"""`python -m ml.bench pipeline --video PATH [--checkpoint PATH] [--processes 1,2] [--device cpu|cuda]`
   `python -m ml.bench pipeline --people several VIDEO [--configs ...]` (several people: ml.bench.pipeline_people)

Measures, in one run on the same video: decode-only fps, 2D detection fps (decode + detect, one
process), lifting fps (lifting + world alignment on those keypoints, on --device), and the
end-to-end pipeline fps (`ml.pipeline.run_pipeline`: decoding, detection and lifting overlap) with
each number of detector processes asked for (ml.detect_pool; the pool is started before the
timing, as a worker keeps it warm), with the ratios end-to-end / decode-only and end-to-end /
real time (the video's own frame rate).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from ml.result_people import PEOPLE_MODES


def _decode_only(video: Path) -> tuple[int, float]:
    from ml.video import iter_frames

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(video))
    return n, time.perf_counter() - t0


def _detect_only(video: Path) -> tuple[np.ndarray, float]:
    from ml.detect import create_detector
    from ml.skeleton import to_h36m
    from ml.video import iter_frames

    detector = create_detector()
    out = []
    t0 = time.perf_counter()
    for frame, _ in iter_frames(video):
        det = detector(frame)
        out.append(to_h36m(det.keypoints[None], detector.layout)[0] if det is not None else None)
    elapsed = time.perf_counter() - t0
    detector.close()
    first = next((k for k in out if k is not None), np.zeros((17, 3), np.float32))
    filled = [k if k is not None else first for k in out]
    return np.stack(filled), elapsed


def _lift_only(lifter, kp: np.ndarray, width: int, height: int, fps: float, lift_fps: float | None) -> float:
    """Lifting + world alignment of the whole clip's 2D, as the pipeline does it (one stream)."""
    from ml.lift import StreamingLifter
    from ml.postprocess import WorldAligner, visible_joints

    aligner = WorldAligner(fps, width, height)
    t0 = time.perf_counter()
    stream = StreamingLifter(lifter, width, height, lift_fps)
    for ch in stream.push(kp) + stream.finish():
        aligner(ch.cam, ch.kp2d, seen=visible_joints(ch.kp2d, width, height), window=ch.window,
                offset=ch.offset, window_seen=visible_joints(ch.window_kp2d, width, height),
                window_kp2d=ch.window_kp2d)
    return time.perf_counter() - t0


def main(argv=None) -> int:  # noqa: C901 - one straight measurement script
    p = argparse.ArgumentParser(prog="python -m ml.bench pipeline", description=__doc__.split("\n\n")[0])
    p.add_argument("video_arg", type=Path, nargs="?", metavar="VIDEO", help="the video (or --video)")
    p.add_argument("--video", type=Path, default=None)
    p.add_argument("--people", default="one", choices=PEOPLE_MODES,
                   help="several: the several-people pipeline, once per --configs entry")
    p.add_argument("--configs", default=None, help="several people: size:threads:every:overlap,... "
                                                   "(default: ml.bench.pipeline_people.DEFAULT_CONFIGS)")
    p.add_argument("--sheets", type=Path, default=None, help="several people: save identity sheets here")
    p.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: the shipped model)")
    p.add_argument("--processes", default="1,2", help="detector processes for the end-to-end runs, comma-separated")
    p.add_argument("--strides", default="1", help="detection strides for the end-to-end runs (every n-th frame "
                   "shown to the detector, the others interpolated), comma-separated, e.g. 1,2")
    p.add_argument("--device", default="cpu", help="the lifter's device: cpu | cuda | auto")
    p.add_argument("--minutes", type=float, default=0,
                   help="loop the video to this length first (several detection segments: ml/segments.py)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON (last line)")
    args = p.parse_args(argv)
    args.video = args.video or args.video_arg
    if args.video is None:
        p.error("give the video (VIDEO or --video)")
    if args.people == "several":
        from ml.bench import pipeline_people

        return pipeline_people.run(args.video, pipeline_people.parse_configs(args.configs or
                                                                             pipeline_people.DEFAULT_CONFIGS),
                                   args.checkpoint, args.device, args.json, args.sheets)

    import torch

    from ml.pipeline import PipelineOptions, load_lifter, run_pipeline
    from ml.video import probe

    if args.minutes:
        import tempfile

        from ml.bench.clips import make_long_clip

        out = Path(tempfile.mkdtemp(prefix="posenet-bench-")) / f"long_{args.video.stem}.mp4"
        args.video = make_long_clip(args.video, args.minutes, out)
    info = probe(args.video)
    lifter = load_lifter(args.checkpoint, args.device)
    processes = [int(x) for x in args.processes.split(",")]
    strides = [int(x) for x in args.strides.split(",")]
    torch.set_num_threads(PipelineOptions().torch_threads)  # as the pipeline runs it
    rng = np.random.default_rng(0)
    F = lifter.window_frames(info.known_fps)
    for _ in range(5):  # warm-up: the first calls of a torch model are much slower than the rest
        lifter.lift_window(rng.random((F, 17, 2), np.float32) * 500, info.width, info.height,
                           conf=np.ones((F, 17), np.float32), fps=info.known_fps)

    n, t_decode = _decode_only(args.video)
    kp, t_detect = _detect_only(args.video)
    t_lift = _lift_only(lifter, kp, info.width, info.height, info.fps, info.known_fps)
    e2e = {}
    for P in processes:
        if P > 1:
            from ml.detect_pool import get_pool

            list(get_pool(P).records(args.video, "mediapipe", 1, info.fps))  # start and warm the pool
        for s in strides:
            options = PipelineOptions(checkpoint=args.checkpoint, detect_processes=P, device=args.device,
                                      detect_stride=s)
            t0 = time.perf_counter()
            result = run_pipeline(args.video, options, lifter=lifter)
            e2e[(P, s)] = result.frame_count / (time.perf_counter() - t0)

    figures = {
        "video": str(args.video), "frames": n, "size": [info.width, info.height], "video_fps": info.fps,
        "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "model": lifter.name,
        "device": str(lifter.device), "decode_fps": n / t_decode, "detect_2d_fps": n / t_detect,
        "lift_fps": n / t_lift,
    }
    print(f"video            {args.video.name}: {n} frames decoded, {info.width}x{info.height} @ {info.fps:g} fps")
    print(f"machine          {os.cpu_count()} CPU cores, torch threads {torch.get_num_threads()}; model {lifter.name} "
          f"on {lifter.device}")
    print(f"decode only      {figures['decode_fps']:8.1f} frames/s")
    print(f"2D (decode+det)  {figures['detect_2d_fps']:8.1f} frames/s   (one process)")
    print(f"lifting + align  {figures['lift_fps']:8.1f} frames/s")
    for (P, s), fps in e2e.items():
        tag = f"{P}proc" + (f"_stride{s}" if s > 1 else "")
        figures[f"end_to_end_fps_{tag}"] = fps
        figures[f"end_to_end_over_decode_{tag}"] = fps / figures["decode_fps"]
        print(f"end to end       {fps:8.1f} frames/s   {P} detector process{'es' if P > 1 else ''}"
              f"{f', detector on every {s} frames' if s > 1 else ''}: "
              f"{fps / figures['decode_fps']:.3f} x decode-only, {fps / info.fps:.2f} x real time")
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0
