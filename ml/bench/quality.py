"""`python -m ml.bench quality VIDEO [--checkpoint PATH | --result result.json] [--frames 80-85,150] [--json]`

What a user sees in the 3D of a real clip, where no 3D ground truth exists (ml.quality):
  facing      torso facing (shoulder-line yaw) vs MediaPipe's own world landmarks on the same
              frames: median disagreement and the % of frames over 45°
  reprojection  the final 3D projected back into the video (best root position, the pipeline's
              pinhole) vs the 2D it came from: median over frames, % of the 2D body height
  height      upright ankle-to-head (90th percentile over frames), metres; MediaPipe's for reference
  jitter      mean joint acceleration of the root-relative motion, m/s²
  bone CV     bone-length variation over time, % (0 when the skeleton is fixed)
  feet        mean horizontal speed of a foot while in contact (cm/s; the result's contact flags,
              or flags found by ml.contact's rules for a result without them), and how far the
              lowest ankle and the root go below the ground (cm; ankle at its contact height)
  cuts / not visible  scene cuts found, and frames where some joint is not seen (outside the
              frame or unconfident: a close-up's legs)
--frames also prints those frames one by one (facing disagreement, reprojection), to look at the
frames a change is about (e.g. a detector's left/right swap) where the medians hardly move.
The 3D is the full pipeline's (ml.pipeline.run_pipeline with the given checkpoint), or a saved
result.json (e.g. one made by another version of the code, to compare before and after).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np


def mediapipe_world(video: Path) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's world landmarks mapped to H36M-17 (T,17,3, camera axes) and a detected mask (T,)."""
    from ml.detect import create_detector
    from ml.skeleton import to_h36m
    from ml.video import iter_frames

    detector = create_detector()
    out, found = [], []
    for frame, _ in iter_frames(video):
        det = detector(frame)
        ok = det is not None and det.world is not None
        found.append(ok)
        out.append(to_h36m(det.world[None], "blazepose33")[0, :, :3] if ok else np.zeros((17, 3), np.float32))
    detector.close()
    return np.stack(out), np.array(found, bool)


def measure(result, mp_world: np.ndarray, mp_found: np.ndarray) -> dict:
    from ml import quality
    from ml.postprocess import jitter

    k3 = np.asarray(result.keypoints_3d, np.float64)
    rows = per_frame(result, mp_world, mp_found)
    compared = np.isfinite(rows["facing_deg"])
    reprojection = rows["reprojection_pct"]
    vis = np.asarray(result.visible, bool)
    det = np.asarray(result.detected, bool)
    feet = foot_figures(result, k3)
    return {
        "frames": int(len(k3)), "fps": float(result.fps), "model": result.model.get("name", ""),
        "frames_compared": int(compared.sum()), **quality.facing_summary(rows["facing_deg"][compared]),
        "reprojection_pct": float(np.nanmedian(reprojection)) if np.isfinite(reprojection).any() else float("nan"),
        "ankle_to_head_m": quality.ankle_to_head_m(k3),
        "mediapipe_ankle_to_head_m": quality.ankle_to_head_m(quality.world_to_camera(mp_world[mp_found])),
        "jitter_m_s2": jitter(k3 - k3[:, :1], result.fps),
        "bone_cv_pct": quality.bone_length_cv_pct(k3),
        **feet,
        "cuts": list(getattr(result, "cuts", []) or []),
        "frames_not_all_visible": int((det & ~vis.all(axis=1)).sum()),
        "frames_detected": int(det.sum()),
    }


def per_frame(result, mp_world: np.ndarray, mp_found: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) arrays: facing disagreement with MediaPipe (degrees) and reprojection (% of the body
    height) of every frame; NaN where a frame has no figure (no person, too few joints seen)."""
    from ml import quality

    k3 = np.asarray(result.keypoints_3d, np.float64)
    cam = quality.world_to_camera(k3 - k3[:, :1], (result.camera or {}).get("world_from_camera"))
    n = min(len(cam), len(mp_world))
    both = np.zeros(len(cam), bool)
    both[:n] = mp_found[:n] & np.asarray(result.detected[:n], bool)
    facing = np.full(len(cam), np.nan)
    facing[both] = quality.facing_error_deg(cam[both], mp_world[:n][both[:n]])
    reprojection = quality.reprojection_per_frame_pct(cam, np.asarray(result.keypoints_2d, np.float64),
                                                      result.width, result.height)
    return {"facing_deg": facing, "reprojection_pct": reprojection}


def parse_frames(spec: str) -> list[int]:
    """'80-85,150' -> [80, 81, 82, 83, 84, 85, 150] (spaces allowed, at most MAX_LISTED frames)."""
    out: list[int] = []
    for part in filter(None, (p.replace(" ", "") for p in spec.split(","))):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        lo, hi = (int(m[1]), int(m[2] or m[1])) if m else (0, -1)
        if hi < lo or len(out) + hi - lo + 1 > MAX_LISTED:
            raise argparse.ArgumentTypeError(f"bad frame list {spec!r}: give up to {MAX_LISTED} frames "
                                             "like 80-85,150")
        out.extend(range(lo, hi + 1))
    if not out:
        raise argparse.ArgumentTypeError(f"bad frame list {spec!r}: give frames like 80-85,150")
    return out


MAX_LISTED = 2000  # frames --frames prints (a minute and more of video, one line each)


def foot_figures(result, k3: np.ndarray) -> dict:
    from ml.contact import ANKLE_OF_STATURE, FEET, contacts_of, sliding_speed_cm_s
    from ml.postprocess import DEFAULT_STATURE_M

    stature = float((result.skeleton or {}).get("height_m") or DEFAULT_STATURE_M)
    contact = np.asarray(result.contact, bool)
    source = "result"
    if not contact.any():
        contact, source = contacts_of(k3, result.fps, stature, np.asarray(result.keypoints_2d),
                                      np.asarray(result.visible, bool)), "derived"
    ankles = k3[:, [a for _, _, a in FEET], 1]
    ground = 0.0 if source == "result" else float(np.median(ankles.min(1))) - ANKLE_OF_STATURE * stature
    return {"foot_slide_cm_s": sliding_speed_cm_s(k3, contact, result.fps), "contact_source": source,
            "contact_pct": float(100.0 * contact.any(1).mean()),
            "ankle_below_ground_cm": float(100.0 * max(0.0, ground + ANKLE_OF_STATURE * stature - ankles.min())),
            "root_below_ground_cm": float(100.0 * max(0.0, ground - k3[:, 0, 1].min()))}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.bench quality", description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path)
    p.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: the shipped model)")
    p.add_argument("--result", type=Path, help="measure this result.json instead of running the pipeline")
    p.add_argument("--height-m", type=float, default=None, help="the person's height, as the app's option")
    p.add_argument("--smoothing", default="light", choices=["none", "light", "strong"])
    p.add_argument("--no-foot-lock", action="store_true", help="the lower ankle on the floor in every frame "
                   "(no contacts, no locking: the earlier behaviour)")
    p.add_argument("--detect-stride", type=int, default=1,
                   help="show the 2D detector every n-th frame, interpolate the others (the pipeline's option)")
    p.add_argument("--frames", type=parse_frames, default=[],
                   help="also print these frames one by one (0-based, e.g. 80-85,150)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON (last line)")
    args = p.parse_args(argv)

    from ml.result import PoseResult

    if args.result:
        try:  # a several-people (version 2) file or not a result at all: say so, no traceback
            result = PoseResult.load_json(args.result)
        except ValueError as exc:
            print(f"error: {exc} The quality figures measure one person (python -m ml.infer --people one).",
                  file=sys.stderr)
            return 2
    else:
        from ml.pipeline import PipelineOptions, run_pipeline

        result = run_pipeline(args.video, PipelineOptions(checkpoint=args.checkpoint, height_m=args.height_m,
                                                             smoothing=args.smoothing,
                                                             foot_lock=not args.no_foot_lock,
                                                             detect_stride=args.detect_stride))
    mp_world, mp_found = mediapipe_world(args.video)
    f = measure(result, mp_world, mp_found)
    f["video"] = str(args.video)
    print(f"video         {args.video.name}: {f['frames']} frames, {f['fps']:g} fps; model {f['model']}")
    print(f"facing        median {f['facing_median_deg']:.1f}°, {f['facing_over_45_pct']:.1f} % of frames over 45° "
          f"(vs MediaPipe world landmarks, {f['frames_compared']} frames)")
    print(f"reprojection  {f['reprojection_pct']:.2f} % of the 2D body height (median over frames)")
    print(f"height        ankle-to-head {f['ankle_to_head_m']:.2f} m upright (MediaPipe's own: "
          f"{f['mediapipe_ankle_to_head_m']:.2f} m)")
    print(f"stability     jitter {f['jitter_m_s2']:.2f} m/s², bone-length CV {f['bone_cv_pct']:.2f} %")
    print(f"feet          {f['foot_slide_cm_s']:.2f} cm/s sliding in contact ({f['contact_source']} flags, "
          f"a foot down in {f['contact_pct']:.0f} % of frames); below ground: ankle "
          f"{f['ankle_below_ground_cm']:.1f} cm, root {f['root_below_ground_cm']:.1f} cm")
    print(f"flags         cuts at {f['cuts'] or 'none'}; {f['frames_not_all_visible']} of {f['frames_detected']} "
          f"detected frames have joints not visible")
    if args.frames:
        rows = per_frame(result, mp_world, mp_found)
        print("frame  facing vs MediaPipe  reprojection")
        for t in args.frames:
            if t >= f["frames"]:
                print(f"{t:5d}  (the video has {f['frames']} frames)")
                continue
            fa, rp = rows["facing_deg"][t], rows["reprojection_pct"][t]
            print(f"{t:5d}  {'-' if np.isnan(fa) else f'{fa:.1f}°':>19}  {'-' if np.isnan(rp) else f'{rp:.2f} %':>12}")
    if args.json:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in f.items()}))
    return 0
