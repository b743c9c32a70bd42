"""`python -m ml.bench multiperson VIDEO [--input-size 384 512] [--sheets DIR]`

Multi-person 2D detection (ml.detect_multi) and tracking (ml.track) on one video, per network input
size: detection fps (decode + detect, one onnxruntime thread as in the pipeline), people found per
frame, tracking fps (colour signatures included, unless --no-appearance), with --lift the 3D lifting of every track and their placement in one scene (ml.lift_people)
and the three stages' fps one after another, tracks kept, people tracked per frame (detected or gap-filled frames), and the
tracks that begin or end away from the image border (a person does not appear out of nothing in the
middle of a fixed view: such a start or end is a lost or switched identity, or a person who stood
hidden). With --sheets it saves, per input size, a few frames with boxes and ids drawn and an
"identity sheet": one row per track, a crop of the person every few frames, so that identity
switches can be counted by eye (a row whose person changes clothes is a switch).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

EDGE_PX = 24  # a box this close to the image border can be entering or leaving


def detect_video(video: Path, input_size: int, min_score: float, max_frames: int = 0
                 ) -> tuple[list[list], list, float, float]:
    """Per-frame person lists, their colour signatures (ml.track.appearance, (N, D) per frame), the
    seconds that decoding + detection took and the seconds the signatures took."""
    from ml.detect_multi import create_multi_detector
    from ml.track import appearance
    from ml.video import iter_frames

    detector = create_multi_detector(input_size=input_size, min_score=min_score)
    per_frame, features = [], []
    t_features = 0.0
    t0 = time.perf_counter()
    for i, (frame, _) in enumerate(iter_frames(video)):
        if max_frames and i >= max_frames:
            break
        people = detector(frame)
        t1 = time.perf_counter()
        features.append(np.array([appearance(frame, p.box) for p in people]))
        t_features += time.perf_counter() - t1
        per_frame.append(people)
    elapsed = time.perf_counter() - t0 - t_features
    detector.close()
    return per_frame, features, elapsed, t_features


def away_from_edges(box: np.ndarray, width: int, height: int) -> bool:
    return bool(box[0] > EDGE_PX and box[1] > EDGE_PX and box[2] < width - EDGE_PX and box[3] < height - EDGE_PX)


def summarise(per_frame: list[list], tracks: list, width: int, height: int) -> dict:
    n = len(per_frame)
    covered = np.zeros(n, int)
    detected = np.zeros(n, int)
    for t in tracks:
        covered[t.start:t.end] += 1
        detected[t.start:t.end] += t.detected
    inner_starts = [t.id for t in tracks if t.start > 0 and away_from_edges(t.boxes[0], width, height)]
    inner_ends = [t.id for t in tracks if t.end < n and away_from_edges(t.boxes[-1], width, height)]
    return {
        "people_found_per_frame": float(np.mean([len(p) for p in per_frame])) if n else 0.0,
        "tracks": len(tracks),
        "track_frames": [t.end - t.start for t in tracks],
        "people_tracked_per_frame": float(covered.mean()) if n else 0.0,
        "people_tracked_and_detected_per_frame": float(detected.mean()) if n else 0.0,
        "filled_fraction": float(1 - detected.sum() / max(covered.sum(), 1)),
        "tracks_starting_inside_view": inner_starts,
        "tracks_ending_inside_view": inner_ends,
    }


def _colour(track_id: int) -> tuple[int, int, int]:
    hue = (track_id * 47) % 180
    import cv2

    return tuple(int(c) for c in cv2.cvtColor(np.uint8([[[hue, 220, 255]]]), cv2.COLOR_HSV2BGR)[0, 0])


def save_sheets(video: Path, tracks: list, out_dir: Path, tag: str, every: int = 4, n_frames: int = 6,
                max_frames: int = 0) -> list[Path]:
    """Frames with ids drawn, and the identity sheet (rows = tracks, a crop every `every` frames)."""
    import cv2

    from ml.video import iter_frames

    out_dir.mkdir(parents=True, exist_ok=True)
    frames = [f for i, (f, _) in zip(range(max_frames or 10 ** 9), iter_frames(video))]
    n = len(frames)
    written = []
    for i in np.linspace(0, n - 1, n_frames).round().astype(int):
        img = frames[i].copy()
        for t in tracks:
            if t.start <= i < t.end:
                x0, y0, x1, y1 = t.boxes[i - t.start].round().astype(int)
                col = _colour(t.id)
                cv2.rectangle(img, (x0, y0), (x1, y1), col, 2 if t.detected[i - t.start] else 1)
                cv2.putText(img, str(t.id), (x0, max(12, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, col, 2)
        cv2.putText(img, f"frame {i}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        path = out_dir / f"{tag}_frame{i:04d}.png"
        cv2.imwrite(str(path), img)
        written.append(path)
    cw, ch, label_w = 40, 96, 40
    cols = list(range(0, n, every))
    sheet = np.full((ch * len(tracks) + 16, label_w + cw * len(cols), 3), 40, np.uint8)
    for c, i in enumerate(cols):
        cv2.putText(sheet, str(i), (label_w + c * cw, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (255, 255, 255), 1)
    for r, t in enumerate(tracks):
        y = 16 + r * ch
        cv2.putText(sheet, str(t.id), (4, y + ch // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, _colour(t.id), 2)
        for c, i in enumerate(cols):
            if not t.start <= i < t.end:
                continue
            x0, y0, x1, y1 = t.boxes[i - t.start]
            cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(y1 - y0, 2 * (x1 - x0)) * 0.55
            crop = _crop(frames[i], cx - half * cw / ch, cy - half, cx + half * cw / ch, cy + half)
            tile = cv2.resize(crop, (cw, ch))
            if not t.detected[i - t.start]:
                tile = (tile * 0.4).astype(np.uint8)  # filled by interpolation: dimmed
            sheet[y:y + ch, label_w + c * cw:label_w + (c + 1) * cw] = tile
    path = out_dir / f"{tag}_identity_sheet.png"
    cv2.imwrite(str(path), sheet)
    written.append(path)
    return written


def _crop(img: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = img.shape[:2]
    pad = int(max(x1 - x0, y1 - y0)) + 1
    big = np.pad(img, ((pad, pad), (pad, pad), (0, 0)))
    xa, ya = int(round(x0)) + pad, int(round(y0)) + pad
    xb, yb = max(xa + 1, int(round(x1)) + pad), max(ya + 1, int(round(y1)) + pad)
    return big[max(0, ya):min(h + 2 * pad, yb), max(0, xa):min(w + 2 * pad, xb)]


def _rounded(v):
    if isinstance(v, float):
        return round(v, 3)
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    return v


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.bench multiperson", description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path)
    p.add_argument("--input-size", type=int, nargs="+", default=[384, 512], help="network input long side(s)")
    p.add_argument("--min-score", type=float, default=None, help="person score threshold (default: the detector's)")
    p.add_argument("--sheets", type=Path, default=None, help="save frames with ids and identity sheets here")
    p.add_argument("--frames", type=int, default=0, help="only the first N frames (0: all)")
    p.add_argument("--no-appearance", action="store_true", help="track on boxes, keypoints and motion only")
    p.add_argument("--lift", action="store_true", help="also lift every track to 3D (ml.lift_people) and time it")
    p.add_argument("--checkpoint", default=None, help="lifter checkpoint for --lift (default: the shipped model)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON (last line)")
    args = p.parse_args(argv)

    from ml.detect_multi import MIN_PERSON_SCORE
    from ml.track import track_people
    from ml.video import probe

    info = probe(args.video)
    lifter = None
    if args.lift:
        import torch

        from ml.pipeline import PipelineOptions, load_lifter

        lifter = load_lifter(args.checkpoint)
        torch.set_num_threads(PipelineOptions().torch_threads)  # as the pipeline runs it
    min_score = MIN_PERSON_SCORE if args.min_score is None else args.min_score
    print(f"video {args.video.name}: {info.width}x{info.height} @ {info.fps:g} fps; {os.cpu_count()} CPU cores; "
          f"person score >= {min_score}")
    figures = {"video": str(args.video), "size": [info.width, info.height], "min_score": min_score, "runs": []}
    for size in args.input_size:
        per_frame, features, t_detect, t_features = detect_video(args.video, size, min_score, args.frames)
        t0 = time.perf_counter()
        tracks = track_people(per_frame, info.fps, features=None if args.no_appearance else features)
        t_track = time.perf_counter() - t0 + (0.0 if args.no_appearance else t_features)
        n = len(per_frame)
        fig = {"input_size": size, "frames": n, "detect_fps": n / t_detect, "track_fps": n / max(t_track, 1e-9),
               **summarise(per_frame, tracks, info.width, info.height)}
        if lifter is not None:
            from ml.lift_people import lift_people, place_in_scene

            t0 = time.perf_counter()
            scene = place_in_scene(lift_people(tracks, lifter, info.width, info.height, info.known_fps))
            t_lift = time.perf_counter() - t0
            fig["camera_height_m"] = scene.camera_height_m
            fig["camera_pitch_deg"] = float(np.degrees(np.arctan2(abs(scene.world_from_camera[1, 2]),
                                                                  scene.world_from_camera[1, 1])))
            fig["statures_m"] = [round(scene.stature_m(t.id), 2) for t in tracks]
            fig["lift_fps"] = n / t_lift
            fig["person_frames_lifted_per_s"] = sum(t.end - t.start for t in tracks) / t_lift
            fig["sequential_fps"] = n / (t_detect + t_track + t_lift)
        figures["runs"].append(fig)
        print(f"\ninput {size} px: {n} frames")
        print(f"  detection (decode + detect)  {fig['detect_fps']:8.1f} frames/s")
        print(f"  tracking + gap filling       {fig['track_fps']:8.1f} frames/s   "
              f"({'without' if args.no_appearance else 'with'} colour signatures)")
        if lifter is not None:
            print(f"  lifting every track          {fig['lift_fps']:8.1f} frames/s   "
                  f"({fig['person_frames_lifted_per_s']:.0f} person-frames/s)")
            print(f"  all three, one after another {fig['sequential_fps']:8.1f} frames/s")
            print(f"  one scene: camera {fig['camera_height_m']:.2f} m above the ankles, pitched "
                  f"{fig['camera_pitch_deg']:.1f} deg down; statures (m) {fig['statures_m']}")
        print(f"  people found per frame       {fig['people_found_per_frame']:8.2f}")
        print(f"  people tracked per frame     {fig['people_tracked_per_frame']:8.2f}   "
              f"(detected {fig['people_tracked_and_detected_per_frame']:.2f}, filled {100 * fig['filled_fraction']:.1f} %)")
        print(f"  tracks kept                  {fig['tracks']:8d}   frames each: {fig['track_frames']}")
        print(f"  tracks starting inside view  {fig['tracks_starting_inside_view']}")
        print(f"  tracks ending inside view    {fig['tracks_ending_inside_view']}")
        if args.sheets:
            for path in save_sheets(args.video, tracks, args.sheets, f"{args.video.stem}_{size}",
                                    max_frames=args.frames):
                print(f"  saved {path}")
    if args.json:
        print(json.dumps(_rounded(figures)))
    return 0
