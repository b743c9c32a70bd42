"""The standard humanoid rig our motion is exported on (BVH and GLB): Mixamo's bone names and
hierarchy, a T-pose rest pose, and per-frame bone rotations that reproduce the result's joints.

    anim = humanoid(result)      # Animation: bones, rest offsets, root positions, local rotations
    heads = forward_kinematics(anim)   # (T, bones, 3): equal to result.keypoints_3d at JOINT_OF

**Names.** Mixamo's (`Hips`, `Spine`, `LeftUpLeg`, `LeftForeArm`, ...), without the `mixamorig:`
prefix (a colon is not safe in every BVH parser). Blender's retargeting add-ons, Unity's Humanoid
auto-mapping and Unreal's IK retargeter recognise these names, so the motion maps without hand work.

**Rest pose.** T-pose, facing +Z, +Y up, the subject's left on +X: legs and spine straight along
∓Y, clavicles and arms horizontal along ±X, feet pointing +Z. Offsets are the result's bone lengths
(one skeleton per clip), the toes and hand ends proportional to the stature.

**Where each bone sits** (Human3.6M-17 joints of ml.skeleton): Hips = pelvis; Spine = spine; Spine1,
Spine2 at 1/3 and 2/3 of spine -> thorax; Neck = thorax (the clavicles start there too); Head = the
neck/nose joint; HeadTop_End = head top; legs and arms at their joints; toes derived from the foot.

**Rotations.** Each bone's world rotation takes its rest direction exactly onto the observed one
(so positions are reproduced: forward kinematics is checked at write time, to 1 µm); the twist
about the bone, which joint positions cannot show directly, is chosen to be what an animator
expects:
- Hips: from the spine and the hip line (the pelvis is made one rigid bone upstream,
  ml.postprocess.square_hips); Spine2: from the spine and the shoulder line; Spine and Spine1 blend
  the twist between them (1/3, 2/3), so the torso twists smoothly, not all at one joint.
- Knees and elbows are hinges: the thigh (upper arm) is twisted so that the knee (elbow) bends
  about one local axis (X for legs, Y for arms); the shin (forearm) then rotates about that axis
  only: no forearm twist from noise. A straight limb keeps the previous frame's twist.
- Neck and Head: a hinge through the nose (the H36M neck/nose joint sits in front of the neck
  line), which gives the head's yaw; else the chest's.
- Feet: flat, pointing where the hips face (no toe keypoints exist); hands follow the forearm.
Rotations are continuous over time (quaternions without sign flips, Euler angles unwrapped).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml import postprocess
from ml.export.rotations import frame, unit

X, Y, Z = np.eye(3)


@dataclass(frozen=True)
class Bone:
    name: str
    parent: str | None
    head: tuple            # ("joint", name) | ("lerp", a, b, t) | ("toe", side)
    rest: tuple            # rest direction of the offset from the parent's head
    end: tuple | None = None  # End Site offset, as a share of stature, rest frame (leaves only)


def _leg(s: str) -> list[Bone]:
    j = "l" if s == "Left" else "r"
    sx = 1.0 if s == "Left" else -1.0
    return [
        Bone(f"{s}UpLeg", "Hips", ("joint", f"{j}_hip"), (sx, 0, 0)),
        Bone(f"{s}Leg", f"{s}UpLeg", ("joint", f"{j}_knee"), (0, -1, 0)),
        Bone(f"{s}Foot", f"{s}Leg", ("joint", f"{j}_ankle"), (0, -1, 0)),
        Bone(f"{s}ToeBase", f"{s}Foot", ("toe", j), (0, -0.25, 0.97), end=(0, 0, 0.035)),
    ]


def _arm(s: str) -> list[Bone]:
    j = "l" if s == "Left" else "r"
    sx = 1.0 if s == "Left" else -1.0
    return [
        Bone(f"{s}Shoulder", "Spine2", ("joint", "thorax"), (0, 1, 0)),
        Bone(f"{s}Arm", f"{s}Shoulder", ("joint", f"{j}_shoulder"), (sx, 0, 0)),
        Bone(f"{s}ForeArm", f"{s}Arm", ("joint", f"{j}_elbow"), (sx, 0, 0)),
        Bone(f"{s}Hand", f"{s}ForeArm", ("joint", f"{j}_wrist"), (sx, 0, 0), end=(sx * 0.05, 0, 0)),
    ]


BONES: list[Bone] = [
    Bone("Hips", None, ("joint", "pelvis"), (0, 0, 0)),
    *_leg("Left"), *_leg("Right"),
    Bone("Spine", "Hips", ("joint", "spine"), (0, 1, 0)),
    Bone("Spine1", "Spine", ("lerp", "spine", "thorax", 1 / 3), (0, 1, 0)),
    Bone("Spine2", "Spine1", ("lerp", "spine", "thorax", 2 / 3), (0, 1, 0)),
    Bone("Neck", "Spine2", ("joint", "thorax"), (0, 1, 0)),
    Bone("Head", "Neck", ("joint", "neck_nose"), (0, 1, 0)),  # End Site: HeadTop_End
    *_arm("Left"), *_arm("Right"),
]
NAMES = [b.name for b in BONES]
PARENT = [NAMES.index(b.parent) if b.parent else -1 for b in BONES]
# The Human3.6M joint at each bone's head, where there is one (the bones a check can compare).
JOINT_OF = {b.name: b.head[1] for b in BONES if b.head[0] == "joint" and b.name not in
            ("LeftShoulder", "RightShoulder")}
HEAD_TOP = "head"           # HeadTop_End: the End Site of Head, at this joint
END_NAMES = {"Head": "HeadTop_End"}  # End Site names (GLB nodes); the others are "<bone>_End"


def end_name(bone: str) -> str:
    return END_NAMES.get(bone, f"{bone}_End")


FOOT_OF_STATURE = 0.13      # ankle -> toe base, horizontal, share of stature (a 1.70 m adult: 22 cm)


# Rest (T-pose) direction of the bone that ENDS at each Human3.6M joint (parent -> joint): the
# direction a zero-length bone takes in the first frame.
REST_DIRECTION = {
    "r_hip": (-1, 0, 0), "r_knee": (0, -1, 0), "r_ankle": (0, -1, 0),
    "l_hip": (1, 0, 0), "l_knee": (0, -1, 0), "l_ankle": (0, -1, 0),
    "spine": (0, 1, 0), "thorax": (0, 1, 0), "neck_nose": (0, 1, 0), "head": (0, 1, 0),
    "l_shoulder": (1, 0, 0), "l_elbow": (1, 0, 0), "l_wrist": (1, 0, 0),
    "r_shoulder": (-1, 0, 0), "r_elbow": (-1, 0, 0), "r_wrist": (-1, 0, 0),
}


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


def check_exportable(result, what: str) -> None:
    """The input errors a user can cause, as sentences (ValueError); `what`: the format's name."""
    if not result.fps or result.fps <= 0:
        raise ValueError(f"cannot write a {what} without a positive frame rate (fps={result.fps})")
    if result.frame_count == 0:
        raise ValueError(f"cannot write a {what} with zero frames")
    names = list(result.joint_names)
    if set(names) != set(REST_DIRECTION) | {"pelvis"} or result.parents[names.index("pelvis")] != -1:
        raise ValueError("the rig export supports the Human3.6M-17 skeleton (ml.skeleton) only")


@dataclass
class Animation:
    names: list[str]
    parents: list[int]
    offsets: np.ndarray      # (N, 3) metres: each bone's head in its parent's rest frame
    ends: dict               # bone index -> End Site offset (3,) metres, in the bone's frame
    root: np.ndarray         # (T, 3) metres: the Hips' world position
    local: np.ndarray        # (T, N, 3, 3) local rotations (parent frame), the root's is global
    fps: float

    @property
    def frames(self) -> int:
        return len(self.root)


def _heads(P: np.ndarray, names: list[str]) -> np.ndarray:
    """(T, 17, 3) -> (T, N, 3) bone heads (toes: NaN, they come from the foot's rotation)."""
    J = {n: i for i, n in enumerate(names)}
    out = np.full((len(P), len(BONES), 3), np.nan)
    for i, b in enumerate(BONES):
        if b.head[0] == "joint":
            out[:, i] = P[:, J[b.head[1]]]
        elif b.head[0] == "lerp":
            _, a, c, t = b.head
            out[:, i] = (1 - t) * P[:, J[a]] + t * P[:, J[c]]
    return out


STRAIGHT_DEG = 15.0  # below this bend a hinge's axis is noise: it leans on the previous frame's


def _hinge(a: np.ndarray, b: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(T,3) axis of the bend from bone a to bone b (a × b), continuous over time: each frame's sign
    follows the previous frame's axis (the first frame's follows ref), and a nearly straight limb
    (bend under STRAIGHT_DEG, where the axis is noise) blends towards the previous axis."""
    a, _ = unit(a)
    b, _ = unit(b)
    n, sin = unit(np.cross(a, b))
    w = np.clip(sin / np.sin(np.radians(STRAIGHT_DEG)), 0.0, 1.0)
    out = np.empty_like(n)
    prev = unit(ref[0] - (ref[0] @ a[0]) * a[0])[0]
    for t in range(len(n)):
        cur = n[t] if n[t] @ prev >= 0 else -n[t]
        v = w[t] * cur + (1 - w[t]) * prev
        v -= (v @ a[t]) * a[t]
        nv = np.linalg.norm(v)
        out[t] = v / nv if nv > 1e-9 else prev
        prev = out[t]
    return out


def humanoid(result) -> Animation:
    """The result's motion on the rig (see the module docstring)."""
    names = list(result.joint_names)
    P = postprocess.square_hips(bone_length_normalized(result))  # (T, 17, 3)
    J = {n: i for i, n in enumerate(names)}
    T = len(P)
    heads = _heads(P, names)
    B = {n: i for i, n in enumerate(NAMES)}
    stature = float((result.skeleton or {}).get("height_m") or postprocess.DEFAULT_STATURE_M)

    G = np.zeros((T, len(BONES), 3, 3))
    pelvis_up = P[:, J["spine"]] - P[:, J["pelvis"]]
    G[:, B["Hips"]] = frame(pelvis_up, P[:, J["l_hip"]] - P[:, J["r_hip"]])
    spine = P[:, J["thorax"]] - P[:, J["spine"]]
    chest = frame(spine, P[:, J["l_shoulder"]] - P[:, J["r_shoulder"]])
    hips_x = G[:, B["Hips"], :, 0]
    for name, f in (("Spine", 1 / 3), ("Spine1", 2 / 3), ("Spine2", 1.0)):
        G[:, B[name]] = frame(spine, (1 - f) * hips_x + f * chest[:, :, 0])
    neck, head = P[:, J["neck_nose"]] - P[:, J["thorax"]], P[:, J[HEAD_TOP]] - P[:, J["neck_nose"]]
    nod = _hinge(neck, head, chest[:, :, 0])
    G[:, B["Neck"]] = frame(neck, nod)
    G[:, B["Head"]] = frame(head, nod)
    forward = unit(np.cross(hips_x, Y) * [1, 0, 1])[0]  # where the hips face, horizontal (left × up)
    for s, j in (("Left", "l"), ("Right", "r")):
        thigh = P[:, J[f"{j}_knee"]] - P[:, J[f"{j}_hip"]]
        shin = P[:, J[f"{j}_ankle"]] - P[:, J[f"{j}_knee"]]
        knee = _hinge(thigh, shin, hips_x)
        G[:, B[f"{s}UpLeg"]] = frame(-thigh, knee)
        G[:, B[f"{s}Leg"]] = frame(-shin, knee)
        G[:, B[f"{s}Foot"]] = frame(np.broadcast_to(Y, (T, 3)), np.cross(Y, forward))  # flat, forward
        G[:, B[f"{s}ToeBase"]] = G[:, B[f"{s}Foot"]]
        sx = 1.0 if s == "Left" else -1.0
        clav = P[:, J[f"{j}_shoulder"]] - P[:, J["thorax"]]
        G[:, B[f"{s}Shoulder"]] = frame(sx * clav, chest[:, :, 1], primary_axis=0)
        upper = P[:, J[f"{j}_elbow"]] - P[:, J[f"{j}_shoulder"]]
        fore = P[:, J[f"{j}_wrist"]] - P[:, J[f"{j}_elbow"]]
        elbow = _hinge(upper, fore, chest[:, :, 1])
        G[:, B[f"{s}Arm"]] = frame(sx * upper, elbow, primary_axis=0)
        G[:, B[f"{s}ForeArm"]] = frame(sx * fore, elbow, primary_axis=0)
        G[:, B[f"{s}Hand"]] = G[:, B[f"{s}ForeArm"]]

    offsets = np.zeros((len(BONES), 3))
    for i, b in enumerate(BONES):
        if b.head[0] == "toe":
            offsets[i] = np.asarray(b.rest) / np.linalg.norm(b.rest) * FOOT_OF_STATURE * stature
        elif PARENT[i] >= 0:
            d = heads[:, i] - heads[:, PARENT[i]]
            offsets[i] = np.asarray(b.rest, np.float64) * float(np.median(np.linalg.norm(d, axis=-1)))
    ends = {i: np.asarray(b.end, np.float64) * stature for i, b in enumerate(BONES) if b.end}
    ends[B["Head"]] = Y * float(np.median(np.linalg.norm(head, axis=-1)))

    local = np.empty_like(G)
    for i, p in enumerate(PARENT):
        local[:, i] = G[:, i] if p < 0 else np.swapaxes(G[:, p], 1, 2) @ G[:, i]
    anim = Animation(NAMES, PARENT, offsets, ends, heads[:, B["Hips"]].copy(), local, float(result.fps))
    fk = forward_kinematics(anim)
    known = ~np.isnan(heads[0, :, 0])
    err = float(np.abs(fk[:, known] - heads[:, known]).max())
    assert err < 1e-6, f"rig rotation solve is off by {err:.3g} m"  # a bug, never bad input
    return anim


def forward_kinematics(anim: Animation, local: np.ndarray | None = None) -> np.ndarray:
    """World positions (T, N, 3) of the bones' heads."""
    local = anim.local if local is None else local
    T, N = local.shape[:2]
    glob = np.empty((T, N, 3, 3))
    out = np.empty((T, N, 3))
    for i, p in enumerate(anim.parents):
        if p < 0:
            glob[:, i], out[:, i] = local[:, i], anim.root + anim.offsets[i]
        else:
            glob[:, i] = glob[:, p] @ local[:, i]
            out[:, i] = out[:, p] + glob[:, p] @ anim.offsets[i]
    return out


def rest_heads(anim: Animation) -> np.ndarray:
    """(N, 3) the bones' heads in the rest (T-)pose, the Hips at its offset from the origin."""
    out = np.zeros((len(anim.names), 3))
    for i, p in enumerate(anim.parents):
        out[i] = anim.offsets[i] + (out[p] if p >= 0 else 0.0)
    return out


def world_rotations(anim: Animation) -> np.ndarray:
    """(T, N, 3, 3) each bone's world rotation (for the End Sites and for skinning)."""
    glob = np.empty_like(anim.local)
    for i, p in enumerate(anim.parents):
        glob[:, i] = anim.local[:, i] if p < 0 else glob[:, p] @ anim.local[:, i]
    return glob


def joint_positions(anim: Animation) -> dict[str, np.ndarray]:
    """{Human3.6M joint name: (T, 3)} as the rig reproduces them (bone heads, and the head top)."""
    fk = forward_kinematics(anim)
    out = {j: fk[:, NAMES.index(b)] for b, j in JOINT_OF.items()}
    h = NAMES.index("Head")
    out[HEAD_TOP] = fk[:, h] + world_rotations(anim)[:, h] @ anim.ends[h]
    return out
