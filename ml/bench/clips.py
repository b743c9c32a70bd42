"""Long test clips for the benchmarks, made by looping a short real one (never committed)."""
from __future__ import annotations

from pathlib import Path


def make_long_clip(video: Path, minutes: float, out: Path) -> Path:
    import cv2

    from ml.video import iter_frames, probe

    info = probe(video)
    frames = [f for f, _ in iter_frames(video)]
    need = int(minutes * 60 * info.fps)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
    for i in range(need):
        writer.write(frames[i % len(frames)])
    writer.release()
    return out
