"""BVH export (Biovision Hierarchy) of the motion on the standard humanoid rig (ml.export.rig:
Mixamo bone names, T-pose rest pose), for Blender, MotionBuilder, Unity, Unreal.

BVH stores a skeleton as fixed bone OFFSETs in a rest pose plus, per frame, the root position and one
rotation per joint. Our 3D joints come with one skeleton per clip (ml.postprocess), and older
results whose bones jitter are made representable first (`bone_length_normalized`: every bone its
median length, directions kept, rebuilt from the pelvis). The rig's rotations reproduce those
positions exactly: forward kinematics of the written file gives them back (to ~1 µm, the text
precision); the export checks it.

File conventions: units **metres** by default (`units="cm"` for tools that expect centimetres;
Blender's importer maps 1 file unit to 1 Blender unit = 1 m, so metres import at the right size with
scale 1.0), +Y up (Blender's default import axes, forward -Z / up Y, convert it to Blender's Z-up),
Frame Time = 1/fps, root channels `Xposition Yposition Zposition Zrotation Xrotation Yrotation`,
others `Zrotation Xrotation Yrotation`, in degrees. Channel order is BVH's usual meaning: the local
rotation matrix is Rz(z) @ Rx(x) @ Ry(y) acting on column vectors, and a joint's world transform is
parent_world @ [R | OFFSET]. Angles are unwrapped over time (no ±180° jumps) so interpolating tools do
not spin bones around. Leaves end in an End Site (`HeadTop_End`, hand and toe ends).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ml.export._atomic import atomic_path
from ml.export.rig import bone_length_normalized, bone_lengths  # noqa: F401 (re-exported)
from ml.export.rig import check_exportable, forward_kinematics, humanoid
from ml.export.rotations import euler_zxy, from_euler_zxy


def write_bvh(result, path: str | os.PathLike, units: str = "m") -> Path:
    """Write the BVH file (see the module docstring). units: "m" (default) or "cm"."""
    if units not in ("m", "cm"):
        raise ValueError(f"units must be 'm' or 'cm', not {units!r}")
    check_exportable(result, "BVH")
    anim = humanoid(result)
    T = anim.frames
    angles = np.unwrap(euler_zxy(anim.local), period=360.0, axis=0)  # (T, N, 3)
    want = forward_kinematics(anim)
    err = float(np.abs(forward_kinematics(anim, from_euler_zxy(angles)) - want).max())
    assert err < 1e-6, f"BVH Euler angles are off by {err:.3g} m"  # a bug, never bad input

    scale, decimals = (1.0, 6) if units == "m" else (100.0, 4)
    kids = {i: [c for c, p in enumerate(anim.parents) if p == i] for i in range(len(anim.names))}
    text = io.StringIO()
    text.write("HIERARCHY\n")

    def vec(v):
        return " ".join(f"{x * scale:.{decimals}f}" for x in v)

    def write_node(i, depth):
        ind = "  " * depth
        if anim.parents[i] < 0:
            text.write(f"ROOT {anim.names[i]}\n{{\n  OFFSET {vec(anim.offsets[i])}\n"
                       "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n")
        else:
            text.write(f"{ind}JOINT {anim.names[i]}\n{ind}{{\n{ind}  OFFSET {vec(anim.offsets[i])}\n"
                       f"{ind}  CHANNELS 3 Zrotation Xrotation Yrotation\n")
        for c in kids[i]:
            write_node(c, depth + 1)
        if i in anim.ends:
            text.write(f"{ind}  End Site\n{ind}  {{\n{ind}    OFFSET {vec(anim.ends[i])}\n{ind}  }}\n")
        text.write(f"{ind}}}\n")

    write_node(0, 0)
    text.write(f"MOTION\nFrames: {T}\nFrame Time: {1.0 / float(result.fps):.8f}\n")
    motion = np.concatenate([anim.root * scale, angles.reshape(T, -1)], axis=1)
    fmt = [f"%.{decimals}f"] * 3 + ["%.6f"] * (motion.shape[1] - 3)
    np.savetxt(text, motion, fmt=fmt, delimiter=" ", newline="\n")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue())
    return path
