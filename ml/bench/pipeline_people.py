"""`python -m ml.bench pipeline --people several VIDEO [--configs 512:1:1:on,512:1:2:on ...]`

The several-people pipeline (ml.pipeline_people) end to end on one video, once per configuration, in
one run: decode-only fps first, then per configuration (MoveNet input size : onnxruntime threads : detect
every k-th frame : decode + detect overlapped in their own thread "on" | "off") the end-to-end fps, its
ratio to decode-only, people tracked per frame (detected or filled by the tracker), people the detector
found per detected frame, people (tracks kept), and the stream's latency (frames between a frame's
decoding and its sending: mean, max). The machine's load average is printed with the figures: the
machine is shared. With --sheets DIR, each configuration's identity sheet (ml.bench.multiperson: one row
per person id, a crop every 4 frames) is saved there, to count identity switches by eye.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

DEFAULT_CONFIGS = "512:1:1:on,512:1:1:off,512:2:1:on,448:1:1:on,384:1:1:on,512:1:2:on"


def parse_configs(text: str) -> list[dict]:
    out = []
    for item in text.split(","):
        size, threads, every, overlap = item.strip().split(":")
        out.append({"people_input_size": int(size), "people_threads": int(threads),
                    "detect_stride": int(every), "people_overlap": overlap == "on"})
    return out


def label(c: dict) -> str:
    return (f"{c['people_input_size']} px, {c['people_threads']} thr, every {c['detect_stride']}, "
            f"overlap {'on' if c['people_overlap'] else 'off'}")


def person_tracks(result) -> list:
    """A PeopleResult's people as ml.bench.multiperson.save_sheets wants tracks (boxes from the 2D)."""
    from types import SimpleNamespace

    import numpy as np

    out = []
    for p in result.people:
        k = p.keypoints_2d
        boxes = np.stack([k[..., 0].min(1), k[..., 1].min(1), k[..., 0].max(1), k[..., 1].max(1)], 1)
        tall = boxes[:, 3] - boxes[:, 1]
        boxes[:, 1] -= 0.1 * tall  # the keypoints stop at the eyes and ankles
        boxes[:, 3] += 0.05 * tall
        out.append(SimpleNamespace(id=p.id, start=p.start, end=p.end, boxes=boxes, detected=p.detected))
    return out


def run(video: Path, configs: list[dict], checkpoint: str | None = None, device: str = "cpu",
        as_json: bool = False, sheets: Path | None = None) -> int:
    from ml.bench.pipeline import _decode_only
    from ml.pipeline import PipelineOptions, load_lifter, run_pipeline
    from ml.video import probe

    info = probe(video)
    lifter = load_lifter(checkpoint, device)
    n, t_decode = _decode_only(video)
    decode_fps = n / t_decode
    print(f"video       {video.name}: {n} frames, {info.width}x{info.height} @ {info.fps:g} fps; "
          f"{os.cpu_count()} CPU cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"decode only {decode_fps:8.1f} frames/s")
    print(f"{'configuration':44s} {'fps':>6s} {'x decode':>8s} {'tracked/f':>9s} {'found/f':>7s} {'people':>6s} "
          f"{'latency mean/max (frames)':>26s}")
    rows = []
    for c in configs:
        options = PipelineOptions(checkpoint=checkpoint, device=device, people="several", **c)
        t0 = time.perf_counter()
        result = run_pipeline(video, options, lifter=lifter)
        fps = result.frame_count / (time.perf_counter() - t0)
        t = result.timings
        row = {**c, "fps": fps, "over_decode": fps / decode_fps, "people_per_frame": t["people_per_frame"],
               "people_found_per_frame": t["people_found_per_frame"], "people": len(result.people),
               "latency_frames": t["latency_frames"], "load": os.getloadavg()[0]}
        rows.append(row)
        lat = t["latency_frames"]
        print(f"{label(c):44s} {fps:6.2f} {row['over_decode']:8.3f} {row['people_per_frame']:9.2f} "
              f"{row['people_found_per_frame']:7.2f} {row['people']:6d} {lat['mean']:>14.1f} / {lat['max']:<4d}"
              f"  (load {row['load']:.1f})", flush=True)
        if sheets is not None:
            from ml.bench.multiperson import save_sheets

            tag = (f"{video.stem}_{c['people_input_size']}px_{c['people_threads']}thr_every{c['detect_stride']}"
                   f"_overlap{'on' if c['people_overlap'] else 'off'}")
            print(f"  saved {save_sheets(video, person_tracks(result), sheets, tag, n_frames=0)[-1]}")
    if as_json:
        print(json.dumps({"video": str(video), "frames": n, "decode_fps": round(decode_fps, 2),
                          "runs": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                                   for r in rows]}))
    return 0
