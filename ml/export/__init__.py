"""Exporters: every download format is written from one in-memory `ml.result.PoseResult`.

    export(result, "bvh", "out/result.bvh")
    export_all(result, "out/", ["json", "csv", "npz", "bvh", "mp4"], video_path="clip.mp4")

| format | module | content |
|---|---|---|
| json | `PoseResult.save_json` | the versioned result file (docs/result-format.md) |
| csv  | `ml.export.table`   | one row per frame: 3D (metres) and 2D (pixels, confidence) per joint |
| npz  | `ml.export.arrays`  | the arrays plus a JSON `meta` string, for NumPy users |
| bvh  | `ml.export.bvh`     | animation on a standard humanoid rig (ml.export.rig: Mixamo names, T-pose) |
| glb  | `ml.export.glb`     | glTF 2.0: the same rig and animation, with a skinned mannequin |
| mp4  | `ml.export.overlay` | H.264 video: 2D skeleton drawn over the source frames (+ a small 3D view) |

A several-people result (ml.result_people.PeopleResult, version 2) is written by ml.export.people
under PEOPLE_FILE_NAMES: its BVH and GLB are zips with one file per person.

Every write is atomic (temporary name in the same folder, then os.replace): a failure never leaves
half a file. Heavy imports (OpenCV) happen only when that format is asked for.
"""
from __future__ import annotations

import os
from pathlib import Path

from ml.export._atomic import atomic_path

FORMATS = ("json", "csv", "npz", "bvh", "glb", "mp4")
# File names used by export_all (one folder per run / job).
FILE_NAMES = {"json": "result.json", "csv": "result.csv", "npz": "result.npz", "bvh": "result.bvh",
              "glb": "result.glb", "mp4": "overlay.mp4"}
PEOPLE_FILE_NAMES = {**FILE_NAMES, "bvh": "result_bvh.zip", "glb": "result_glb.zip"}  # people_mode "several"


def file_names(people_mode: str = "one") -> dict:
    """The file name of each format for a job or run of this people mode ("one" | "several")."""
    return PEOPLE_FILE_NAMES if people_mode == "several" else FILE_NAMES


def _is_people(result) -> bool:
    return getattr(result, "people_mode", "one") == "several"


def export(result, fmt: str, path: str | os.PathLike, video_path: str | os.PathLike | None = None) -> Path:
    """Write `result` (a PoseResult) as `fmt` to `path`; returns the path. `video_path` (the source
    video) is needed only for "mp4". Raises ValueError for an unknown format or missing input."""
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    path = Path(path)
    if fmt == "json":
        with atomic_path(path) as tmp:
            result.save_json(tmp)
    elif _is_people(result):
        _export_people(result, fmt, path, video_path)
    elif fmt == "csv":
        from ml.export.table import write_csv
        write_csv(result, path)
    elif fmt == "npz":
        from ml.export.arrays import write_npz
        write_npz(result, path)
    elif fmt == "bvh":
        from ml.export.bvh import write_bvh
        write_bvh(result, path)
    elif fmt == "glb":
        from ml.export.glb import write_glb
        write_glb(result, path)
    else:
        from ml.export.overlay import write_overlay
        write_overlay(result, video_path, path)
    return path


def _export_people(result, fmt: str, path: Path, video_path) -> None:
    from ml.export import people

    if fmt == "csv":
        people.write_csv_people(result, path)
    elif fmt == "npz":
        people.write_npz_people(result, path)
    elif fmt in ("bvh", "glb"):
        people.write_zip_per_person(result, path, fmt)
    else:
        from ml.export.overlay import write_overlay_people
        write_overlay_people(result, video_path, path)


def export_all(result, out_dir: str | os.PathLike, formats, video_path: str | os.PathLike | None = None
               ) -> dict[str, Path]:
    """Write each of `formats` into `out_dir` under FILE_NAMES; returns {format: path} in the order
    asked. Formats are checked before anything is written, so a typo costs nothing."""
    formats = [str(f).lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown export format(s) {', '.join(map(repr, bad))}; choose from {', '.join(FORMATS)}")
    if "mp4" in formats and video_path is None:
        raise ValueError("the overlay MP4 needs the source video: pass video_path")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = file_names("several" if _is_people(result) else "one")
    return {f: export(result, f, out_dir / names[f], video_path=video_path) for f in dict.fromkeys(formats)}
