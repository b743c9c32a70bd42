"""`python -m ml.bench quality [VIDEO | --all] [--checkpoint PATH | --result result.json] [--frames 80-85,150] [--json]`

What a user sees in the 3D of a real clip, where no 3D ground truth exists (ml.quality):
  facing      torso facing (shoulder-line yaw) vs MediaPipe's own world landmarks on the same
              frames: median disagreement and the % of frames over 45°
  reprojection  the final 3D projected back into the video (best root position, the pipeline's
              pinhole) vs the 2D it came from, over the joints seen (confident, inside the frame:
              not a close-up's legs; the root fitted to the joints inside the frame): median over
              frames, % of the 2D body height
  height      upright ankle-to-head (90th percentile over frames), metres; MediaPipe's for reference
  jitter      mean joint acceleration of the root-relative motion, m/s² (within shots: not across
              the cuts the pipeline found)
  bone CV     bone-length variation over time, % (0 when the skeleton is fixed)
  feet        mean horizontal speed of a foot while in contact (cm/s; the result's contact flags,
              or flags found by ml.contact's rules for a result without them), and how far the
              lowest ankle and the root go below the ground (cm; ankle at its contact height)
  cuts / not visible  scene cuts found, and frames where some joint is not seen (outside the
              frame or unconfident: a close-up's legs)
  floor       % of the detected frames whose lowest joint is > 0.3 m above the floor (floating) and
              > 0.3 m below it (sunk)
  per shot    facing: the worst shot's % of frames over 45° (shots: a montage's own cuts and fades,
              else the cuts found); settle: frames after each cut until the 3D agrees (lowest joint
              and root heights within 0.1 m for 0.3 s) with that
              shot's 3D when the video starts at the cut (the same 2D lifted on its own, with the
              clip's skeleton): what the previous shot leaves behind (the worst cut)
With no VIDEO (or --all) it runs over every shared clip (../shared/data/video/, or --video-dir) and
the montages built from them (ml.bench.montage: hard cuts, a cross-fade, a close-up, a phone's
rotated copy) and prints one table, a row per clip; --json then prints a list.
--frames also prints those frames one by one (facing disagreement, reprojection), to look at the
frames a change is about (e.g. a detector's left/right swap) where the medians hardly move.
The 3D is the full pipeline's (ml.pipeline.run_pipeline with the given checkpoint), or a saved
result.json (e.g. one made by another version of the code, to compare before and after).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import sys
from pathlib import Path
from unittest import mock

import numpy as np


def mediapipe_world(video: Path, cuts=()) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's world landmarks mapped to H36M-17 (T,17,3, camera axes) and a detected mask (T,);
    the detector starts afresh at the `cuts` (first frames of shots), as the pipeline's does
    (ml.segments): left tracking, it looks for the last shot's person where they were."""
    from ml.detect import create_detector
    from ml.skeleton import to_h36m
    from ml.video import iter_frames

    detector = create_detector()
    out, found = [], []
    cuts = set(cuts)
    for i, (frame, _) in enumerate(iter_frames(video)):
        if i in cuts:
            detector.reset()
        det = detector(frame)
        ok = det is not None and det.world is not None
        found.append(ok)
        out.append(to_h36m(det.world[None], "blazepose33")[0, :, :3] if ok else np.zeros((17, 3), np.float32))
    detector.close()
    return np.stack(out), np.array(found, bool)


def measure(result, mp_world: np.ndarray, mp_found: np.ndarray, shots=None, alone: dict | None = None) -> dict:
    """The figures of one result (see the module doc); shots: first frames of its shots after the
    first, if known better than the cuts the pipeline found (a montage's own cuts); alone: each
    shot's 3D lifted on its own (shot_figures)."""
    from ml import quality

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
        "jitter_m_s2": quality.jitter_within_shots(k3, result.fps, getattr(result, "cuts", []) or []),
        "bone_cv_pct": quality.bone_length_cv_pct(k3),
        **feet,
        "cuts": list(getattr(result, "cuts", []) or []),
        "frames_not_all_visible": int((det & ~vis.all(axis=1)).sum()),
        "frames_detected": int(det.sum()),
        **shot_figures(result, k3, rows["facing_deg"], shots, alone),
    }


def shot_figures(result, k3: np.ndarray, facing_deg: np.ndarray, shots=None, alone: dict | None = None) -> dict:
    """Floor shares, facing per shot and settling after cuts. shots: first frames of the shots
    after the first (default: the cuts the result found); alone: {shot start: its 3D lifted from
    there on its own} (settle_frames), if measured."""
    from ml import quality

    det = np.asarray(result.detected, bool)
    starts = sorted(set(shots if shots is not None else (getattr(result, "cuts", []) or [])))
    per_shot = quality.facing_per_shot(facing_deg, starts)
    worst = [s["over_45_pct"] for s in per_shot if np.isfinite(s["over_45_pct"])]
    settle = quality.settle_frames(k3, alone, result.fps) if alone else []
    stand = quality.standing_frames(result.keypoints_2d, result.fps, starts)
    return {**quality.floor_shares_pct(k3, det),
            "float_standing_pct": quality.floor_shares_pct(k3, det & stand)["float_pct"],
            "standing_frames": int((det & stand).sum()),
            "shots": len(per_shot), "facing_worst_shot_over_45_pct": max(worst) if worst else float("nan"),
            "facing_per_shot_over_45_pct": [round(s["over_45_pct"], 2) for s in per_shot],
            "settle_frames": settle, "settle_max_frames": max(settle) if settle else None}


def per_frame(result, mp_world: np.ndarray, mp_found: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) arrays: facing disagreement with MediaPipe (degrees) and reprojection (% of the body
    height) of every frame; NaN where a frame has no figure (no person, too few joints seen)."""
    from ml import quality
    from ml.postprocess import visible_joints

    k3 = np.asarray(result.keypoints_3d, np.float64)
    cam = quality.result_to_camera(k3 - k3[:, :1], result.camera)
    n = min(len(cam), len(mp_world))
    both = np.zeros(len(cam), bool)
    both[:n] = mp_found[:n] & np.asarray(result.detected[:n], bool)
    facing = np.full(len(cam), np.nan)
    facing[both] = quality.facing_error_deg(cam[both], mp_world[:n][both[:n]])
    kp2d = np.asarray(result.keypoints_2d, np.float64)
    # over the joints seen by today's rule (ml.postprocess.visible_joints), whatever the result's
    # flags say, so that results of other versions are measured on the same joints
    reprojection = quality.reprojection_per_frame_pct(cam, kp2d, result.width, result.height,
                                                      visible=visible_joints(kp2d, result.width, result.height))
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
    sliding = contact.copy()
    sliding[[c for c in (result.cuts or []) if 0 < c < len(sliding)]] = False  # a cut is no slide
    ankles = k3[:, [a for _, _, a in FEET], 1]
    ground = 0.0 if source == "result" else float(np.median(ankles.min(1))) - ANKLE_OF_STATURE * stature
    return {"foot_slide_cm_s": sliding_speed_cm_s(k3, sliding, result.fps), "contact_source": source,
            "contact_pct": float(100.0 * contact.any(1).mean()),
            "ankle_below_ground_cm": float(100.0 * max(0.0, ground + ANKLE_OF_STATURE * stature - ankles.min())),
            "root_below_ground_cm": float(100.0 * max(0.0, ground - k3[:, 0, 1].min()))}


def cached_2d(video: Path, options, cache: Path) -> tuple[list, np.ndarray, np.ndarray]:
    """--reuse-2d: the pipeline's 2D records and MediaPipe's world landmarks of a video, detected once
    and kept in `cache` (keyed by the file's path, size and time, the detector settings and the
    code that makes the records), so a change after the 2D (lifting, alignment) is measured in
    seconds."""
    from ml.pipeline import detect_records
    from ml.segments import Record, arrays_to_records, records_to_arrays
    from ml.video import probe

    st = Path(video).stat()
    code = hashlib.sha1(b"".join((ML / f).read_bytes() for f in RECORD_CODE if (ML / f).is_file())).hexdigest()
    key = hashlib.sha1(f"{Path(video).resolve()}|{st.st_size}|{st.st_mtime_ns}|{options.detector}|"
                       f"{options.complexity}|{options.detect_stride}|{','.join(Record._fields)}|{code}|"
                       f"mp{MP_WORLD_VERSION}"
                       .encode()).hexdigest()[:12]
    path = cache / f"{Path(video).stem}-{key}.npz"
    if path.is_file():
        z = np.load(path)
        return arrays_to_records(z), z["mp_world"], z["mp_found"]
    records = list(detect_records(Path(video), probe(video), options))
    mp_world, mp_found = mediapipe_world(video, [r.index for r in records if r.cut])
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, mp_world=mp_world, mp_found=mp_found, **records_to_arrays(records))
    return records, mp_world, mp_found


def run_clip(video: Path, args) -> dict:
    """The pipeline on one video (or args.result), measured: the figures, plus the result under
    "_result" and MediaPipe's world landmarks under "_mp". Each shot after a cut is also lifted on
    its own, from the same 2D (as if the video started at the cut): how long the clip's 3D takes
    to agree with it is the settling figure."""
    from ml.bench.montage import sidecar
    from ml.pipeline import PipelineError, PipelineOptions, detect_records, run_pipeline
    from ml.result import PoseResult
    from ml.video import probe

    options = PipelineOptions(checkpoint=args.checkpoint, height_m=args.height_m, smoothing=args.smoothing,
                              foot_lock=not args.no_foot_lock, detect_stride=args.detect_stride,
                              detect_processes=1, facing=not args.no_facing)
    if args.reuse_2d:
        records, mp_world, mp_found = cached_2d(video, options, REUSE_CACHE)
    elif args.result:
        records = None
    else:
        records = list(detect_records(Path(video), probe(video), options))
    result = PoseResult.load_json(args.result) if args.result else run_pipeline(video, options, records=records)
    if not args.reuse_2d:
        mp_world, mp_found = mediapipe_world(video, [r.index for r in records or [] if r.cut]
                                             if records is not None else result.cuts)
    side = sidecar(video)
    shots = sorted(side.get("cuts", []) + side.get("fades", [])) if side else None  # a montage's own shots
    starts = shots if shots is not None else list(result.cuts or [])
    alone = {}
    if records is not None:
        for c, e in zip(starts, starts[1:] + [len(records)]):
            part = [r._replace(index=r.index - c, t_s=r.t_s - records[c].t_s, cut=r.cut and r.index > c)
                    for r in records[c:e]]
            if any(r.keypoints is not None for r in part):
                try:
                    with same_skeleton(result.skeleton["bone_lengths_m"]):
                        alone[c] = run_pipeline(video, options, records=part).keypoints_3d
                except PipelineError:  # too few frames with a person to lift on its own
                    pass
    f = measure(result, mp_world, mp_found, shots=shots, alone=alone)
    f["video"] = str(video)
    f["clip"] = side.get("name") if side else Path(video).stem.split("_")[0]
    f["true_cuts"] = side.get("cuts") if side else None
    f["fades"] = side.get("fades") if side else None
    f["_result"], f["_mp"] = result, (mp_world, mp_found)
    return f


@contextlib.contextmanager
def same_skeleton(lengths):
    """run_pipeline with the skeleton given (bone lengths (17,) m) instead of one measured on the
    video: a shot lifted on its own then differs from the clip only by what the earlier shots
    left behind, not by the clip's skeleton (measured over its first seconds, i.e. other shots)."""
    import ml.pipeline
    from ml.postprocess import WorldAligner

    class Given(WorldAligner):
        def __post_init__(self):
            super().__post_init__()
            self.bones.lengths = self.bones.frozen = np.asarray(lengths, np.float64)

    with mock.patch.object(ml.pipeline, "WorldAligner", Given):
        yield


ML = Path(__file__).resolve().parent.parent
REUSE_CACHE = ML.parent / "var" / "bench" / "2d"
MP_WORLD_VERSION = 2  # --reuse-2d's key: 2, the reference detector restarts at the cuts
RECORD_CODE = ["video.py", "detect.py", "skeleton.py", "shots.py", "segments.py", "facing.py"]  # --reuse-2d's key

# (header, width, figure key, format) of the one-table view
COLUMNS = [("clip", 11, "clip", "{}"), ("frames", 6, "frames", "{}"), ("cuts", 6, None, None),
           ("facing", 6, "facing_median_deg", "{:.1f}"), (">45%", 5, "facing_over_45_pct", "{:.1f}"),
           ("shot>45", 7, "facing_worst_shot_over_45_pct", "{:.1f}"), ("reproj", 6, "reprojection_pct", "{:.2f}"),
           ("height", 6, "ankle_to_head_m", "{:.2f}"), ("jitter", 6, "jitter_m_s2", "{:.2f}"),
           ("boneCV", 6, "bone_cv_pct", "{:.2f}"), ("slide", 5, "foot_slide_cm_s", "{:.1f}"),
           ("float%", 6, "float_pct", "{:.1f}"), ("stand%", 6, "float_standing_pct", "{:.1f}"),
           ("sunk%", 5, "sunk_pct", "{:.1f}"),
           ("settle", 6, "settle_max_frames", "{}"), ("notvis", 6, "frames_not_all_visible", "{}")]
LEGEND = ("facing: median disagreement with MediaPipe's world landmarks (deg), >45%: frames over 45 deg, "
          "shot>45: the worst shot's; reproj: % of the 2D body height; height: ankle-to-head upright (m); "
          "jitter m/s^2; boneCV %; slide: foot sliding in contact (cm/s); float% / sunk%: lowest joint "
          "> 0.3 m above / below the floor; stand%: float% over the frames where the picture shows the person "
          "standing (ml.quality.standing_frames: the lower ankle on the shot's 2D ground line, not in the air); settle: frames after a cut until the 3D is the shot's own (floor, root; "
          "worst cut); notvis: frames with joints not visible; cuts: found/true (a fade counts as a cut)")


def table(rows: list[dict]) -> str:
    def cell(f, key, fmt):
        if key is None:
            true = f.get("true_cuts")
            found = len(f["cuts"])
            return f"{found}" if true is None else f"{found}/{len(true) + len(f.get('fades') or [])}"
        v = f.get(key)
        if v is None or isinstance(v, float) and not np.isfinite(v):
            return "-"
        return fmt.format(v)

    lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w, _, _) in enumerate(COLUMNS))]
    for f in rows:
        lines.append("  ".join(cell(f, k, fmt).rjust(w) if i else cell(f, k, fmt).ljust(w)
                               for i, (_, w, k, fmt) in enumerate(COLUMNS)))
    return "\n".join(lines)


def public(f: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in f.items() if not k.startswith("_")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.bench quality", description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path, nargs="?", help="one video (default: every shared clip and montage)")
    p.add_argument("--all", action="store_true", help="every shared clip and the montages built from them")
    p.add_argument("--video-dir", type=Path, default=None, help="the shared clips' folder "
                   "(default ../shared/data/video)")
    p.add_argument("--no-montages", action="store_true", help="--all without the montages")
    p.add_argument("--reuse-2d", action="store_true", help="keep each video's 2D (and MediaPipe's world "
                   "landmarks) in var/bench/2d/ and reuse it: for changes after the 2D detection")
    p.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: the shipped model)")
    p.add_argument("--result", type=Path, help="measure this result.json instead of running the pipeline")
    p.add_argument("--height-m", type=float, default=None, help="the person's height, as the app's option")
    p.add_argument("--smoothing", default="light", choices=["none", "light", "strong"])
    p.add_argument("--no-foot-lock", action="store_true", help="the lower ankle on the floor in every frame "
                   "(no contacts, no locking: the earlier behaviour)")
    p.add_argument("--no-facing", action="store_true", help="the lifter's own facing (no turn from the face "
                   "points, ml.facing), to measure what that step does")
    p.add_argument("--detect-stride", type=int, default=1,
                   help="show the 2D detector every n-th frame, interpolate the others (the pipeline's option)")
    p.add_argument("--frames", type=parse_frames, default=[],
                   help="also print these frames one by one (0-based, e.g. 80-85,150)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON (last line)")
    args = p.parse_args(argv)

    if args.video is None or args.all:
        if args.result or args.frames:
            p.error("--result and --frames need one VIDEO")
        from ml.bench.montage import SHARED_VIDEO, bench_clips

        videos = bench_clips(args.video_dir or SHARED_VIDEO, montages=not args.no_montages)
        if not videos:
            print(f"error: no shared clips in {args.video_dir or SHARED_VIDEO}", file=sys.stderr)
            return 2
        rows = []
        for v in videos:
            rows.append(run_clip(v, args))
            print(f"measured {rows[-1]['clip']} ({rows[-1]['frames']} frames)", file=sys.stderr, flush=True)
        model = rows[0]["model"]
        print(f"model {model}")
        print(table(rows))
        print(LEGEND)
        if args.json:
            print(json.dumps([public(f) for f in rows]))
        return 0

    if args.result:
        from ml.result import PoseResult

        try:  # a several-people (version 2) file or not a result at all: say so, no traceback
            PoseResult.load_json(args.result)
        except ValueError as exc:
            print(f"error: {exc} The quality figures measure one person (python -m ml.infer --people one).",
                  file=sys.stderr)
            return 2
    f = run_clip(args.video, args)
    result, (mp_world, mp_found) = f["_result"], f["_mp"]
    print(f"video         {args.video.name}: {f['frames']} frames, {f['fps']:g} fps; model {f['model']}")
    print(f"facing        median {f['facing_median_deg']:.1f}°, {f['facing_over_45_pct']:.1f} % of frames over 45° "
          f"(vs MediaPipe world landmarks, {f['frames_compared']} frames); worst shot "
          f"{f['facing_worst_shot_over_45_pct']:.1f} % over 45° ({f['shots']} shots)")
    print(f"reprojection  {f['reprojection_pct']:.2f} % of the 2D body height (median over frames)")
    print(f"height        ankle-to-head {f['ankle_to_head_m']:.2f} m upright (MediaPipe's own: "
          f"{f['mediapipe_ankle_to_head_m']:.2f} m)")
    print(f"stability     jitter {f['jitter_m_s2']:.2f} m/s², bone-length CV {f['bone_cv_pct']:.2f} %")
    print(f"feet          {f['foot_slide_cm_s']:.2f} cm/s sliding in contact ({f['contact_source']} flags, "
          f"a foot down in {f['contact_pct']:.0f} % of frames); below ground: ankle "
          f"{f['ankle_below_ground_cm']:.1f} cm, root {f['root_below_ground_cm']:.1f} cm")
    print(f"floor         lowest joint > 0.3 m above the floor in {f['float_pct']:.1f} % of the detected frames "
          f"({f['float_standing_pct']:.1f} % of the {f['standing_frames']} where the picture shows them standing), "
          f"> 0.3 m below in {f['sunk_pct']:.1f} %; settled {f['settle_frames'] or '-'} frames after the cuts")
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
        print(json.dumps(public(f)))
    return 0
