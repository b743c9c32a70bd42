"""Pack Human3.6M (VideoPose3D npz layout) small enough to travel to a GPU machine, and unpack it there.

    python tools/device/pack_h36m.py pack   --data-dir ../shared/data/h36m --out pack/h36m
    python tools/device/pack_h36m.py unpack --pack pack/h36m --out /tmp/h36m

The data is Human3.6M (research use only): the pack folder is git-ignored and must never be
committed. 3D joints become integer millimetres and 2D detections integer quarter pixels, both
stored as int16 differences from the previous frame and zip-compressed (smooth motion: small
numbers). Unpacking gives files `ml.data` reads as it reads the originals: 3D within 0.5 mm, 2D
within 0.125 px (the SH detections are whole pixels: exact).
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

MM = 1000.0   # 3D: metres -> integer millimetres
QPX = 4.0     # 2D: pixels -> integer quarter pixels


def _encode(a: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, ...) float -> first frame (int32) and frame-to-frame differences (int16)."""
    q = np.round(np.asarray(a, np.float64) * scale).astype(np.int32)
    d = np.diff(q, axis=0)
    assert np.abs(d).max(initial=0) < 2 ** 15, "a jump too large for int16"
    return q[:1], d.astype(np.int16)


def _decode(first: np.ndarray, diff: np.ndarray, scale: float) -> np.ndarray:
    q = np.concatenate([first, first + np.cumsum(diff.astype(np.int32), axis=0)])
    return (q / scale).astype(np.float32)


def pack(data_dir: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    arrays = {}
    pos = np.load(data_dir / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    for s, acts in pos.items():
        for a, x in acts.items():
            arrays[f"3d|{s}|{a}|first"], arrays[f"3d|{s}|{a}|diff"] = _encode(x, MM)
    det = np.load(data_dir / "data_2d_h36m_sh_pt_mpii.npz", allow_pickle=True)
    meta = det["metadata"].item()
    for s, acts in det["positions_2d"].item().items():
        for a, cams in acts.items():
            for c, x in enumerate(cams):
                arrays[f"sh|{s}|{a}|{c}|first"], arrays[f"sh|{s}|{a}|{c}|diff"] = _encode(x, QPX)
    np.savez_compressed(out / "h36m_packed.npz", **arrays, metadata=np.array(meta, dtype=object))
    shutil.copy(data_dir / "cameras.json", out / "cameras.json")
    print(f"{out / 'h36m_packed.npz'}: {(out / 'h36m_packed.npz').stat().st_size / 2**20:.1f} MiB")


def unpack(pack_dir: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    z = np.load(pack_dir / "h36m_packed.npz", allow_pickle=True)
    pos, det = {}, {}
    for key in z.files:
        if not key.endswith("|first"):
            continue
        parts = key.split("|")
        x = _decode(z[key], z[key[:-len("first")] + "diff"], MM if parts[0] == "3d" else QPX)
        if parts[0] == "3d":
            pos.setdefault(parts[1], {})[parts[2]] = x
        else:
            cams = det.setdefault(parts[1], {}).setdefault(parts[2], {})
            cams[int(parts[3])] = x
    det = {s: {a: [c[i] for i in sorted(c)] for a, c in acts.items()} for s, acts in det.items()}
    np.savez(out / "data_3d_h36m.npz", positions_3d=np.array(pos, dtype=object))
    np.savez(out / "data_2d_h36m_sh_pt_mpii.npz", positions_2d=np.array(det, dtype=object),
             metadata=z["metadata"])
    shutil.copy(pack_dir / "cameras.json", out / "cameras.json")
    print(f"unpacked into {out}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("verb", choices=["pack", "unpack"])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data/h36m"))
    ap.add_argument("--pack", type=Path, default=Path("pack/h36m"))
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    if a.verb == "pack":
        pack(a.data_dir, a.out or a.pack)
    else:
        unpack(a.pack, a.out or Path("/tmp/h36m"))


if __name__ == "__main__":
    main()
