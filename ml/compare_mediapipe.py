"""Compare our lifter with MediaPipe's own 3D world landmarks on a real video.

    python -m ml.compare_mediapipe VIDEO [--checkpoint PATH] [--json]

Both run on the same MediaPipe BlazePose 2D track (complexity 1): the lifter gets the 2D
landmarks mapped to H36M-17 (ml.skeleton.to_h36m), MediaPipe's `pose_world_landmarks` are mapped
the same way. No 3D ground truth exists for in-the-wild video, so we report temporal quality:
  jitter       mean joint acceleration |p[t+1] - 2 p[t] + p[t-1]| (root-relative), in m/s^2
  bone std     per-bone standard deviation of the length over time, mean over the 16 bones, mm
  bone cv      the same relative to the mean bone length, %
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from . import skeleton


def temporal_stats(p: np.ndarray, fps: float) -> dict:
    """p (T, 17, 3) metres -> jitter and bone-length stability."""
    p = p - p[:, :1]
    acc = np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1) * fps * fps
    bones = np.stack([np.linalg.norm(p[:, c] - p[:, par], axis=-1) for c, par in skeleton.BONES], 1)
    return {"jitter_m_s2": float(acc.mean()), "bone_std_mm": float(1000 * bones.std(0).mean()),
            "bone_cv_pct": float(100 * (bones.std(0) / bones.mean(0)).mean())}


def run(video: str, checkpoint=None) -> dict:
    import cv2
    import mediapipe as mp

    from .lift import DEFAULT_CHECKPOINT, Lifter

    cap = cv2.VideoCapture(video)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True)
    kp2d, world, w, h = [], [], 0, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        if res.pose_landmarks is None:
            continue
        kp2d.append([[p.x * w, p.y * h, p.visibility] for p in res.pose_landmarks.landmark])
        world.append([[p.x, p.y, p.z, p.visibility] for p in res.pose_world_landmarks.landmark])
    pose.close()
    kp2d = skeleton.to_h36m(np.asarray(kp2d, np.float32), "blazepose33")
    world = skeleton.to_h36m(np.asarray(world, np.float32), "blazepose33")[..., :3]
    lifter = Lifter.load(checkpoint or DEFAULT_CHECKPOINT)
    ours = lifter.lift(kp2d[..., :2], w, h, conf=kp2d[..., 2], fps=fps)
    return {"video": video, "frames_with_person": len(kp2d), "fps": fps,
            "lifter": lifter.name, "ours": temporal_stats(ours, fps),
            "mediapipe_world": temporal_stats(world, fps)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video")
    ap.add_argument("--checkpoint")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    r = run(a.video, a.checkpoint)
    print(f"{r['video']}: {r['frames_with_person']} frames with a person, {r['fps']:.1f} fps")
    for k in ("ours", "mediapipe_world"):
        s = r[k]
        print(f"  {k:<16} jitter {s['jitter_m_s2']:7.2f} m/s^2   bone std {s['bone_std_mm']:6.1f} mm"
              f"   bone cv {s['bone_cv_pct']:5.1f} %")
    if a.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
