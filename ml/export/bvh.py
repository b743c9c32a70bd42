"""BVH export (Biovision Hierarchy) of the 3D joints, for Blender, MotionBuilder, game engines.

BVH stores a skeleton as fixed bone OFFSETs in a rest pose plus, per frame, the root position and one
rotation per joint. Our 3D joints move freely (their bone lengths jitter), so the export first makes
them representable, then solves rotations that reproduce them exactly:

1. **Fixed bone lengths** (`bone_length_normalized`): every bone gets its median length over the
   sequence (frames with a detected person, when there are any); each frame keeps the observed bone
   directions, rebuilt outwards from the observed pelvis. These are exactly the positions the BVH
   encodes: forward kinematics of the written file reproduces them (to ~1 µm, the text precision).
2. **Rest pose = T-pose**, facing +Z, +Y up, the subject's left on +X: legs, spine and head straight
   along ∓Y, hips/shoulders/arms horizontal along ±X. OFFSETs are those directions × median lengths.
   A T-pose is what retargeting tools expect, and it makes all-zero rotations a recognisable pose.
3. **Hierarchy**: the 17 Human3.6M joints with their parents (root: pelvis) and their names, plus a
   zero-OFFSET "link" joint in front of each non-primary child of a joint with several children:
   `r_pelvis_link`/`l_pelvis_link` (pelvis → hips) and `r_clavicle`/`l_clavicle` (thorax →
   shoulders); mocap files such as CMU's do the same (Hips → LHipJoint → LeftUpLeg). One rotation per
   joint can aim one child exactly but not three children whose relative layout changes from frame to
   frame (a shrug, estimation noise); with the links every bone direction is reproduced exactly.
   Leaves (head, wrists, ankles) end in an `End Site` (head top / hand / foot stub for display).
4. **Rotations**: the pelvis and the thorax get a full 3D frame from two directions (primary: the
   spine / neck, exact; secondary: the left-minus-right hip / shoulder line, orthogonalised). Every
   other joint (and each link) gets the *swing*, the smallest rotation taking its rest bone direction
   onto the observed one expressed in its parent's frame; the twist about a bone cannot be seen in
   joint positions, so "no extra twist relative to the parent" is the consistent choice, and it is
   well defined for straight limbs (no cross products of nearly parallel bones are involved). A bone
   pointing exactly opposite to its rest direction turns 180° about a fixed perpendicular axis.
   Leaf joints carry zero rotations.

File conventions: units **metres** by default (`units="cm"` for tools that expect centimetres;
Blender's importer maps 1 file unit to 1 Blender unit = 1 m, so metres import at the right size with
scale 1.0), +Y up (Blender's default import axes, forward -Z / up Y, convert it to Blender's Z-up),
Frame Time = 1/fps, root channels `Xposition Yposition Zposition Zrotation Xrotation Yrotation`,
others `Zrotation Xrotation Yrotation`, in degrees. Channel order is BVH's usual meaning: the local
rotation matrix is Rz(z) @ Rx(x) @ Ry(y) acting on column vectors, and a joint's world transform is
parent_world @ [R | OFFSET]. Angles are unwrapped over time (no ±180° jumps) so interpolating tools do
not spin bones around.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml import postprocess
from ml.export._atomic import atomic_path

# Rest (T-pose) direction of the bone that ENDS at each Human3.6M joint (parent → joint).
REST_DIRECTION = {
    "r_hip": (-1, 0, 0), "r_knee": (0, -1, 0), "r_ankle": (0, -1, 0),
    "l_hip": (1, 0, 0), "l_knee": (0, -1, 0), "l_ankle": (0, -1, 0),
    "spine": (0, 1, 0), "thorax": (0, 1, 0), "neck_nose": (0, 1, 0), "head": (0, 1, 0),
    "l_shoulder": (1, 0, 0), "l_elbow": (1, 0, 0), "l_wrist": (1, 0, 0),
    "r_shoulder": (-1, 0, 0), "r_elbow": (-1, 0, 0), "r_wrist": (-1, 0, 0),
}
# Joints with several children: (primary child along rest +Y, right child, left child along rest ±X).
FRAME_JOINTS = {"pelvis": ("spine", "r_hip", "l_hip"), "thorax": ("neck_nose", "r_shoulder", "l_shoulder")}
LINK_NAMES = {"r_hip": "r_pelvis_link", "l_hip": "l_pelvis_link",
              "r_shoulder": "r_clavicle", "l_shoulder": "l_clavicle"}
# End Site offsets of the leaves, metres, in the leaf's rest frame (display only: head top, hand, foot).
END_SITES = {"head": (0, 0.08, 0), "l_wrist": (0.08, 0, 0), "r_wrist": (-0.08, 0, 0),
             "l_ankle": (0, -0.03, 0.12), "r_ankle": (0, -0.03, 0.12)}
EULER_ORDER = "ZXY"


# --- small rotation helpers (vectorised over frames) ------------------------------------------------
def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0), n[..., 0]


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations taking unit vector a (3,) onto unit vectors b (T, 3): (T, 3, 3).
    Rodrigues with k = a × b: R = I + [k]x + [k]x² / (1 + a·b); antiparallel → 180° about an axis ⟂ a."""
    k = np.cross(a, b)
    c = b @ a
    K = np.zeros((len(b), 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    K -= K.transpose(0, 2, 1)
    flip = c < -1 + 1e-9
    R = np.eye(3) + K + (K @ K) / np.where(flip, 1.0, 1.0 + c)[:, None, None]
    if flip.any():
        n, _ = _unit(np.cross(a, np.eye(3)[np.argmin(np.abs(a))]))
        R[flip] = 2 * np.outer(n, n) - np.eye(3)
    return R


def _frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) whose columns are x = secondary ⟂ primary, y = primary, z = x × y: they
    take rest +Y onto `primary` and rest +X towards `secondary`. A secondary parallel to the primary
    (degenerate) reuses the previous frame's x axis (or any perpendicular for the first frame)."""
    y, _ = _unit(primary)
    x, n = _unit(secondary - np.sum(secondary * y, -1, keepdims=True) * y)
    for t in np.nonzero(n < 1e-6)[0]:
        ref = x[t - 1] if t > 0 else np.eye(3)[np.argmin(np.abs(y[t]))]
        x[t], _ = _unit(ref - (ref @ y[t]) * y[t])
    return np.stack([x, y, np.cross(x, y)], -1)


def _axis_rot(axis: str, deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
    R[..., 3 - i - j, 3 - i - j] = 1
    R[..., i, i], R[..., j, j], R[..., i, j], R[..., j, i] = c, c, -s, s
    return R


def euler_zxy(R: np.ndarray) -> np.ndarray:
    """Angles (…, 3) in degrees, as (z, x, y), with R = Rz(z) @ Rx(x) @ Ry(y); x in [-90, 90]."""
    x = np.arctan2(R[..., 2, 1], np.hypot(R[..., 2, 0], R[..., 2, 2]))
    z = np.arctan2(-R[..., 0, 1], R[..., 1, 1])
    y = np.arctan2(-R[..., 2, 0], R[..., 2, 2])
    lock = np.hypot(R[..., 0, 1], R[..., 1, 1]) < 1e-9  # x = ±90°: only z ± y is defined; take y = 0
    z = np.where(lock, np.arctan2(R[..., 1, 0], R[..., 0, 0]), z)
    y = np.where(lock, 0.0, y)
    return np.degrees(np.stack([z, x, y], -1))


def from_euler_zxy(angles: np.ndarray) -> np.ndarray:
    return _axis_rot("Z", angles[..., 0]) @ _axis_rot("X", angles[..., 1]) @ _axis_rot("Y", angles[..., 2])


# --- fixed bone lengths ------------------------------------------------------------------------------
def _finite_frames(k3: np.ndarray) -> np.ndarray:
    """Frames with non-finite values take the nearest earlier (else later) finite frame."""
    ok = np.isfinite(k3).all(axis=(1, 2))
    if ok.all():
        return k3
    if not ok.any():
        raise ValueError("the result has no frame with finite 3D joints; nothing to export")
    idx = np.where(ok, np.arange(len(k3)), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = np.argmax(ok)
    return k3[idx]


def bone_lengths(result) -> np.ndarray:
    """(J,) median length (metres) of the bone ending at each joint (0 for the root)."""
    k3 = _finite_frames(np.asarray(result.keypoints_3d, np.float64))
    det = np.asarray(result.detected, bool)
    return np.median(postprocess.bone_lengths(k3[det] if det.any() else k3, result.parents), axis=0)


def bone_length_normalized(result) -> np.ndarray:
    """(T, J, 3) metres: the positions the BVH encodes. The observed pelvis, then every bone with its
    observed direction and its median length (ml.postprocess.with_bone_lengths)."""
    k3 = _finite_frames(np.asarray(result.keypoints_3d, np.float64))
    assert k3.shape[1] == len(result.parents) == len(result.joint_names), (k3.shape, len(result.parents))
    rest = {j: REST_DIRECTION.get(n, (0, 1, 0)) for j, n in enumerate(result.joint_names)}
    return postprocess.with_bone_lengths(k3, bone_lengths(result), result.parents, rest)


# --- the BVH skeleton --------------------------------------------------------------------------------
@dataclass
class Node:
    name: str
    parent: int          # index into the node list, -1 for the root
    joint: int           # the Human3.6M joint whose position this node has
    aims: int | None     # the Human3.6M joint whose bone this node's rotation aims (None: a leaf)
    offset: np.ndarray   # metres, rest pose, in the parent's frame
    children: list


def build_skeleton(joint_names, parents, lengths) -> list[Node]:
    """BVH nodes in depth-first (file and channel) order; see the module docstring."""
    names = list(joint_names)
    if set(names) != set(REST_DIRECTION) | {"pelvis"} or parents[names.index("pelvis")] != -1:
        raise ValueError("BVH export supports the Human3.6M-17 skeleton (ml.skeleton) only")
    kids = {j: [c for c, p in enumerate(parents) if p == j] for j in range(len(names))}
    nodes: list[Node] = []

    def add(name, parent, joint, aims, offset):
        nodes.append(Node(name, parent, joint, aims, np.asarray(offset, np.float64), []))
        if parent >= 0:
            nodes[parent].children.append(len(nodes) - 1)
        return len(nodes) - 1

    def visit(j, parent, offset):
        name = names[j]
        primary = names.index(FRAME_JOINTS[name][0]) if name in FRAME_JOINTS else (kids[j] or [None])[0]
        me = add(name, parent, j, primary, offset)
        for c in kids[j]:
            off = lengths[c] * np.asarray(REST_DIRECTION[names[c]], np.float64)
            if c == primary:
                visit(c, me, off)
            else:  # a zero-offset link joint aims this child
                link = add(LINK_NAMES.get(names[c], f"{name}_{names[c]}_link"), me, j, c, np.zeros(3))
                visit(c, link, off)

    visit(names.index("pelvis"), -1, np.zeros(3))
    return nodes


def solve_rotations(nodes: list[Node], pos: np.ndarray, joint_names) -> np.ndarray:
    """Local rotation matrices (T, N, 3, 3) such that forward kinematics of `nodes` gives `pos`."""
    T = len(pos)
    names = list(joint_names)
    glob = np.empty((T, len(nodes), 3, 3))
    local = np.empty_like(glob)
    for i, nd in enumerate(nodes):
        Gp = glob[:, nd.parent] if nd.parent >= 0 else np.broadcast_to(np.eye(3), (T, 3, 3))
        if nd.name in FRAME_JOINTS:
            prim, right, left = (names.index(n) for n in FRAME_JOINTS[nd.name])
            G = _frame(pos[:, prim] - pos[:, nd.joint], pos[:, left] - pos[:, right])
        elif nd.aims is None:
            G = Gp
        else:
            d, _ = _unit(pos[:, nd.aims] - pos[:, nd.joint])
            rest = np.asarray(REST_DIRECTION[names[nd.aims]], np.float64)
            G = Gp @ _swing(rest, np.einsum("tji,tj->ti", Gp, d))  # d in the parent's frame
        glob[:, i] = G
        local[:, i] = np.swapaxes(Gp, 1, 2) @ G
    return local


def forward_kinematics(nodes: list[Node], root_pos: np.ndarray, local: np.ndarray) -> np.ndarray:
    """World positions (T, N, 3) of the nodes (our own FK, used as a write-time self-check)."""
    T = len(root_pos)
    glob = np.empty((T, len(nodes), 3, 3))
    out = np.empty((T, len(nodes), 3))
    for i, nd in enumerate(nodes):
        if nd.parent < 0:
            glob[:, i], out[:, i] = local[:, i], root_pos + nd.offset
        else:
            glob[:, i] = glob[:, nd.parent] @ local[:, i]
            out[:, i] = out[:, nd.parent] + glob[:, nd.parent] @ nd.offset
    return out


def write_bvh(result, path: str | os.PathLike, units: str = "m") -> Path:
    """Write the BVH file (see the module docstring). units: "m" (default) or "cm"."""
    if units not in ("m", "cm"):
        raise ValueError(f"units must be 'm' or 'cm', not {units!r}")
    if not result.fps or result.fps <= 0:
        raise ValueError(f"cannot write a BVH without a positive frame rate (fps={result.fps})")
    if result.frame_count == 0:
        raise ValueError("cannot write a BVH with zero frames")
    pos = bone_length_normalized(result)
    T, J, _ = pos.shape
    nodes = build_skeleton(result.joint_names, result.parents, bone_lengths(result))
    local = solve_rotations(nodes, pos, result.joint_names)
    angles = np.unwrap(euler_zxy(local), period=360.0, axis=0)  # (T, N, 3)
    fk = forward_kinematics(nodes, pos[:, nodes[0].joint], from_euler_zxy(angles))
    err = max(float(np.abs(fk[:, i] - pos[:, nd.joint]).max()) for i, nd in enumerate(nodes))
    assert err < 1e-6, f"BVH rotation solve is off by {err:.3g} m"  # a bug, never bad input

    scale, decimals = (1.0, 6) if units == "m" else (100.0, 4)
    text = io.StringIO()
    text.write("HIERARCHY\n")

    def write_node(i, depth):
        nd, ind = nodes[i], "  " * depth
        off = " ".join(f"{v * scale:.{decimals}f}" for v in nd.offset)
        if nd.parent < 0:
            text.write(f"ROOT {nd.name}\n{{\n  OFFSET {off}\n"
                       "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n")
        else:
            text.write(f"{ind}JOINT {nd.name}\n{ind}{{\n{ind}  OFFSET {off}\n"
                       f"{ind}  CHANNELS 3 Zrotation Xrotation Yrotation\n")
        for c in nd.children:
            write_node(c, depth + 1)
        if not nd.children:
            end = " ".join(f"{v * scale:.{decimals}f}" for v in END_SITES.get(nd.name, (0, 0.05, 0)))
            text.write(f"{ind}  End Site\n{ind}  {{\n{ind}    OFFSET {end}\n{ind}  }}\n")
        text.write(f"{ind}}}\n")

    write_node(0, 0)
    text.write(f"MOTION\nFrames: {T}\nFrame Time: {1.0 / float(result.fps):.8f}\n")
    motion = np.concatenate([pos[:, nodes[0].joint] * scale, angles.reshape(T, -1)], axis=1)
    fmt = [f"%.{decimals}f"] * 3 + ["%.6f"] * (motion.shape[1] - 3)
    np.savetxt(text, motion, fmt=fmt, delimiter=" ", newline="\n")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue())
    return path
