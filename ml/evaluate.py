"""Evaluate a lifter checkpoint on Human3.6M by the standard protocols.

    python -m ml.evaluate --checkpoint PATH [--data-dir DIR] [--keypoints gt|sh_pt_mpii]
                          [--subjects S9 [S11 ...]] [--no-flip] [--exclude-corrupt] [--frame-step N [--no-resample]]
                          [--keep-swaps] [--one-skeleton] [--json] [--markdown]

Every frame of every test sequence and camera is lifted with the same centred-window scheme as
ml.lift.Lifter (flip test-time augmentation on by default). Prints the per-action table of
P1 (MPJPE), P2 (P-MPJPE), N-MPJPE and MPJVE in mm, the torso facing error (median yaw error of the
shoulder line, degrees, and the % of frames where it exceeds 45°), and the averages over actions
(VideoPose3D's convention). With --json the same table is the last stdout line as JSON.
--exclude-corrupt leaves out the test sequences whose mocap does not match the video
(ml.data.CORRUPT_GT): not the standard protocol, but it shows what detector input really costs.
--frame-step 2 lifts every 2nd frame only, i.e. Human3.6M as a 25 fps camera would film it (the
lifters are trained at 50 Hz; most uploaded videos are 25-30 fps), lifted as the app lifts such a
video (resampled to the model's rate, see ml.lift); --no-resample lifts the frames as they are.
--view-elevation DEG (with GT 2D) films the test mocap again from a camera orbited DEG degrees up or
down around the person (ml.data.refilm): how a model copes with viewpoints Human3.6M lacks.
--keep-swaps lifts the 2D exactly as given; by default each window's left/right label swaps are
undone first (ml.swaps), as the app does.
--motion shared|PATH scores the held-out takes of the new motion capture instead (ml.motion: Bandai
Namco dataset 2, every take numbered a multiple of 10, each filmed by its own virtual camera, the
same takes and cameras as ml.train's validation), per content (walk, run, wave, ...): the other
skeleton's joints, so a model told the source "mocap" is scored on its own terms; a model without
that source gets its default (--source N overrides). Human3.6M options do not apply.
--one-skeleton rebuilds each sequence's predictions with one set of bone lengths (their medians),
as the app's result is built (ml.postprocess.one_skeleton): not the standard protocol, which scores
the lifter's own output, but what a user gets.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from . import metrics, quality
from .data import CORRUPT_GT, load_sequences, refilm, resolve_data_dir, source_id
from .lift import H36M_FPS, Lifter, predict_live, predict_normalized
from .postprocess import one_skeleton as rebuild_one_skeleton


def evaluate(lifter: Lifter, data_dir, keypoints="gt", subjects=("S9",), flip=True, progress=False,
             exclude_corrupt=False, frame_step: int = 1, resample: bool = True,
             view_elevation: float | None = None, view_distance: float = 1.0, one_skeleton: bool = False,
             unswap: bool = True, motion: str | None = None, source: int | None = None,
             look_ahead: int | None = None, live_every: int = 10) -> dict:
    exclude = CORRUPT_GT if exclude_corrupt else set()
    if view_elevation is not None and keypoints != "gt":
        raise ValueError("--view-elevation re-films the mocap: use it with --keypoints gt")
    if motion:
        from .motion import VAL_EVERY, load_motion_sequences, take_content, val_seed
        seqs = load_motion_sequences(None if motion == "shared" else motion, "val", VAL_EVERY, seed=val_seed(VAL_EVERY))
        keypoints, subjects = "mocap", ("bandai",)
    else:
        seqs = load_sequences(resolve_data_dir(data_dir), list(subjects), keypoints, exclude=exclude)
    n_sources = getattr(lifter.model.config, "num_sources", 0)
    rows = []
    t0 = time.time()
    for s in seqs:
        kp2d, gt = s.kp2d, s.pos3d
        if view_elevation is not None:  # the same motion seen from higher/lower (and further) away
            kp2d, gt = (a[0] for a in refilm(gt[None], s.root[None], np.array([s.focal]), 0.0,
                                             view_elevation, view_distance))
        src = source if source is not None else (source_id(s.source) if source_id(s.source) < n_sources else None)
        if look_ahead is not None:  # live (ml.live): every live_every-th frame, from the window ending look_ahead after it
            pred = predict_live(lifter.model, kp2d, look_ahead, live_every, flip=flip, device=lifter.device,
                                source=src, unswap=unswap)
            gt = gt[::live_every]
        else:
            pred = predict_normalized(lifter.model, kp2d[::frame_step], flip=flip, device=lifter.device,
                                      rate=1.0 / frame_step if resample else 1.0, unswap=unswap, source=src)
            gt = gt[::frame_step]
        if one_skeleton:
            pred = rebuild_one_skeleton(pred)
        facing = quality.facing_error_deg(pred, gt)
        rows.append({"subject": s.subject, "action": take_content(s.action) if motion else s.action_group,
                     "sequence": s.action, "camera": s.camera,
                     "frames": len(gt), "p1": 1000 * metrics.mpjpe(pred, gt),
                     "p2": 1000 * metrics.p_mpjpe(pred, gt), "n": 1000 * metrics.n_mpjpe(pred, gt),
                     "vel": 1000 * metrics.mpjve(pred, gt), "facing_med": float(np.median(facing)),
                     "facing_over": 100.0 * float(np.mean(facing > quality.FACING_LIMIT_DEG))})
        if progress:
            print(f"  {s.subject} {s.action} cam{s.camera}: {rows[-1]['p1']:.1f} mm", flush=True)
    table = metrics.action_table(rows)
    table.update({"checkpoint_name": lifter.name, "keypoints": keypoints, "subjects": sorted({s.subject for s in seqs}),
                  "flip": flip, "sequences": len(rows),
                  "excluded": sorted(" ".join(e) for e in exclude if e[0] in subjects), "seconds": round(time.time() - t0, 1),
                  "frame_step": frame_step, "resample": resample, "view_elevation": view_elevation,
                  "view_distance": view_distance, "one_skeleton": one_skeleton, "unswap": unswap,
                  "motion": motion, "source": source,
                  "look_ahead": look_ahead, "live_every": live_every if look_ahead is not None else None, "units": f"mm (MPJVE: mm/frame at {H36M_FPS / frame_step:g} Hz)" if look_ahead is None else
                  f"mm (MPJVE: between every {live_every}th frame, not a velocity figure)"})
    return table


def format_table(t: dict) -> str:
    lines = [f"{t['checkpoint_name']} | keypoints {t['keypoints']} | subjects {','.join(t['subjects'])} | "
             f"flip {'on' if t['flip'] else 'off'}"
             + (f" | every {t['frame_step']}th frame ({H36M_FPS / t['frame_step']:g} Hz, "
                f"{f'resampled to {H36M_FPS:g} Hz' if t.get('resample', True) else 'not resampled'})"
                if t.get("frame_step", 1) > 1 else "")
             + (f" | excluded (corrupt ground truth): {', '.join(t['excluded'])}" if t.get("excluded") else "")
             + (f" | re-filmed from {t['view_elevation']:+g}° elevation, {t['view_distance']:g}x distance"
                if t.get("view_elevation") is not None else "")
             + (" | one skeleton per sequence (median bone lengths)" if t.get("one_skeleton") else "")
             + (" | left/right swaps kept" if not t.get("unswap", True) else "")
             + (" | held-out motion-capture takes (Bandai Namco dataset 2, its own skeleton)" if t.get("motion") else "")
             + (f" | source flag {t['source']}" if t.get("source") is not None else ""),
             ""]
    rows = list(t["actions"].items()) + [("AVERAGE", t["average"])]
    w = max(14, max(len(a) for a, _ in rows) + 1)
    lines[-1] = f"{'action':<{w}}{'frames':>8}{'P1':>8}{'P2':>8}{'N-MPJPE':>9}{'MPJVE':>8}{'facing°':>9}{'>45° %':>8}"
    for act, r in rows:
        lines.append(f"{act:<{w}}{r['frames']:>8}{r['p1']:>8.1f}{r['p2']:>8.1f}{r['n']:>9.1f}{r['vel']:>8.2f}"
                     f"{r['facing_med']:>9.1f}{r['facing_over']:>8.2f}")
    return "\n".join(lines)


def format_markdown(t: dict) -> str:
    """The same table as GitHub markdown (for model cards and issue notes)."""
    lines = ["| action | frames | P1 | P2 | N-MPJPE | MPJVE | facing (median °) | facing > 45° (%) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for act, r in list(t["actions"].items()) + [("**average**", t["average"])]:
        lines.append(f"| {act} | {r['frames']} | {r['p1']:.1f} | {r['p2']:.1f} | {r['n']:.1f} | {r['vel']:.2f} "
                     f"| {r['facing_med']:.1f} | {r['facing_over']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data-dir", default="data/")
    ap.add_argument("--keypoints", default="gt")
    ap.add_argument("--subjects", nargs="+", default=["S9", "S11"])
    ap.add_argument("--no-flip", action="store_true")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--exclude-corrupt", action="store_true",
                    help="leave out test sequences whose mocap does not match the video (not the standard protocol)")
    ap.add_argument("--frame-step", type=int, default=1,
                    help="lift every Nth frame (2: Human3.6M as a 25 fps video; not the standard protocol)")
    ap.add_argument("--no-resample", action="store_true",
                    help="with --frame-step: lift the frames as they are, not resampled to the model's rate")
    ap.add_argument("--view-elevation", type=float, default=None, metavar="DEG",
                    help="with --keypoints gt: film the mocap again from DEG degrees above (+) or below "
                         "Human3.6M's cameras (pinhole, no distortion; not the standard protocol)")
    ap.add_argument("--view-distance", type=float, default=1.0, metavar="X",
                    help="with --view-elevation: the camera X times further away")
    ap.add_argument("--one-skeleton", action="store_true",
                    help="rebuild each sequence with its median bone lengths, as the app's result is (not the standard protocol)")
    ap.add_argument("--keep-swaps", action="store_true",
                    help="lift the 2D as given, without undoing left/right label swaps (ml.swaps)")
    ap.add_argument("--motion", metavar="shared|PATH",
                    help="score the held-out takes of the new motion capture (ml.motion) instead of Human3.6M")
    ap.add_argument("--source", type=int, default=None,
                    help="feed the model this source flag (ml.data.SOURCES) instead of each sequence's own")
    ap.add_argument("--look-ahead", type=int, default=None, metavar="FRAMES",
                    help="live mode (ml.live): each frame from the window ending this many 50 Hz frames after it")
    ap.add_argument("--live-every", type=int, default=10, metavar="N",
                    help="with --look-ahead: every N-th frame (one window per frame evaluated)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    lifter = Lifter.load(a.checkpoint, device=device)
    t = evaluate(lifter, a.data_dir, a.keypoints, a.subjects, flip=not a.no_flip, exclude_corrupt=a.exclude_corrupt,
                 frame_step=a.frame_step, resample=not a.no_resample, view_elevation=a.view_elevation,
                 view_distance=a.view_distance, one_skeleton=a.one_skeleton, unswap=not a.keep_swaps,
                 motion=a.motion, source=a.source, look_ahead=a.look_ahead,
                 live_every=a.live_every)
    print(format_markdown(t) if a.markdown else format_table(t))
    if a.json:
        print(json.dumps(t))


if __name__ == "__main__":
    main()
