"""Exports of a several-people result (ml.result_people.PeopleResult, result version 2).

| format | content |
|---|---|
| json | the version-2 result file |
| csv  | one row per person, frame and joint: person_id, frame, time_s, detected, joint, x, y, z (metres, the scene's world frame), u, v (pixels), conf, visible |
| npz  | person_ids (P,), keypoints_3d / keypoints_2d (P, T, 17, 3) NaN where the person is absent, visible (P, T, 17), present (P, T), detected (P, T), plus parents, joint_names, fps, video_size, cuts, meta (JSON) |
| bvh  | a zip of person_<id>.bvh: each person on the standard rig (ml.export.bvh), their frames only, in the shared world frame |
| glb  | a zip of person_<id>.glb (ml.export.glb), likewise |
| mp4  | the overlay: every person drawn in their colour (ml.palette.person_colour) with their id (ml.export.overlay) |

BVH and GLB are written by the one-person writers from `PeopleResult.person_result(id)`, so a person's
file is exactly what a one-person result of their frames would give.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ml.export._atomic import atomic_path

CSV_HEADER = ["person_id", "frame", "time_s", "detected", "joint", "x", "y", "z", "u", "v", "conf", "visible"]


def write_csv_people(result, path: str | os.PathLike) -> Path:
    lines = [",".join(CSV_HEADER)]
    names = list(result.joint_names)
    for p in result.people:
        for k in range(p.end - p.start):
            f = p.start + k
            head = f"{p.id},{f},{result.times[f]:.6f},{int(p.detected[k])}"
            k3, k2, vis = p.keypoints_3d[k], p.keypoints_2d[k], p.visible[k]
            for j, name in enumerate(names):
                lines.append(f"{head},{name},{k3[j, 0]:.4f},{k3[j, 1]:.4f},{k3[j, 2]:.4f},"
                             f"{k2[j, 0]:.2f},{k2[j, 1]:.2f},{k2[j, 2]:.3f},{int(vis[j])}")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path


def write_npz_people(result, path: str | os.PathLike) -> Path:
    from ml.result_people import PEOPLE_VERSION, SCENE_FRAME

    meta = {"format": "3dposenet-result-npz", "version": PEOPLE_VERSION, "people_mode": result.people_mode,
            "source": result.source_name, "frame_count": result.frame_count, "coordinate_frame": SCENE_FRAME,
            "model": result.model, "detector": result.detector, "timings": result.timings, "camera": result.camera,
            "skeletons": {str(p.id): p.skeleton for p in result.people}}
    arrays = dict(**result.dense(), cuts=np.asarray(result.cuts, np.int32).reshape(-1),
                  parents=np.asarray(result.parents, np.int32), joint_names=np.asarray(list(result.joint_names), str),
                  fps=np.float64(result.fps), video_size=np.asarray([result.width, result.height], np.int32),
                  time_s=np.asarray(result.times, np.float64), meta=np.asarray(json.dumps(meta, default=str)))
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:  # a file object: numpy adds no ".npz"
        np.savez_compressed(fh, **arrays)
    return path


def write_zip_per_person(result, path: str | os.PathLike, fmt: str) -> Path:
    """A zip of person_<id>.<fmt>, each written by the one-person writer of `fmt` (bvh | glb)."""
    from ml.export.bvh import write_bvh
    from ml.export.glb import write_glb

    writer = {"bvh": write_bvh, "glb": write_glb}[fmt]
    path = Path(path)
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory(dir=path.parent) as tmpdir:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in result.people:
                one = Path(tmpdir) / f"person_{p.id}.{fmt}"
                writer(result.person_result(p.id), one)
                zf.write(one, one.name)
            zf.writestr("README.txt", _readme(result, fmt))
    return path


def _readme(result, fmt: str) -> str:
    text = io.StringIO()
    text.write(f"{len(result.people)} people from {result.source_name or 'the video'} "
               f"({result.frame_count} frames at {result.fps:g} fps). One {fmt.upper()} file per person, all in one\n"
               "world frame (metres, +Y up, ground y = 0): load them together and they stand where they stood.\n"
               "Each file holds that person's frames only; it starts at the video frame given here.\n\n")
    for p in result.people:
        text.write(f"person_{p.id}.{fmt}: frames {p.start}-{p.end - 1} (starts at {result.times[p.start]:.3f} s), "
                   f"stature {p.skeleton.get('height_m', '?')} m\n")
    return text.getvalue()
