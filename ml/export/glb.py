"""GLB export (binary glTF 2.0): the motion on the standard humanoid rig (ml.export.rig), with a
small mannequin skinned to it, for Blender, three.js, Unity, Unreal, model viewers.

    write_glb(result, "result.glb")

Contents (written with `pygltflib`, from PyPI):
- one node per rig bone (Mixamo names, T-pose rest: translation = the rest offset, no rotation),
  plus an `<bone>_End` leaf for each End Site (`HeadTop_End`, hand and toe ends), all joints of
  the skin, so tools draw every bone with its length;
- one animation, "motion": the Hips' translation and every bone's rotation per frame (LINEAR,
  times = frame / fps; quaternions sign-continuous), reproducing the result's joints exactly
  (the rig's forward kinematics; the export checks it);
- a skin over the bones and the "Mannequin" mesh: a procedural body (tapered prisms along the
  bones, an ellipsoid head) that we generate here, so it is ours to license with the code. Each
  vertex follows one bone (rigid skinning: weight 1), which is what a stick-built body needs.
Axes and units are glTF's: metres, +Y up, the person facing +Z at rest, the same as result.json's
world frame, so the root moves exactly as `keypoints_3d`'s pelvis.

FBX is not offered: no package on PyPI writes FBX (Autodesk's FBX SDK is not on PyPI and its
licence does not allow redistribution); Blender imports this GLB (or the BVH) and exports FBX.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ml.export._atomic import atomic_path
from ml.export.rig import Animation, check_exportable, end_name, humanoid, rest_heads
from ml.export.rotations import quaternions

# Mannequin radii (m, for a 1.70 m person; scaled by stature), per segment from a bone's head to
# its child's head (or End Site): (start radius, end radius).
SEGMENT_RADII = {
    "UpLeg": (0.075, 0.055), "Leg": (0.052, 0.04), "Foot": (0.04, 0.035), "ToeBase": (0.035, 0.03),
    "Spine": (0.12, 0.125), "Spine1": (0.125, 0.13), "Spine2": (0.13, 0.14), "Neck": (0.045, 0.045),
    "Shoulder": (0.05, 0.05), "Arm": (0.048, 0.04), "ForeArm": (0.038, 0.03), "Hand": (0.035, 0.03),
}
HEAD_RADII = (0.085, 0.11, 0.095)  # ellipsoid semi-axes x, y, z around Head -> HeadTop_End
SIDES = 10
COLOUR = (0.72, 0.74, 0.78, 1.0)


def _radii(name: str) -> tuple[float, float] | None:
    for key in sorted(SEGMENT_RADII, key=len, reverse=True):  # "UpLeg" before "Leg"
        if name.endswith(key) and (name[:-len(key)] in ("", "Left", "Right")):
            return SEGMENT_RADII[key]
    return None


def _prism(a: np.ndarray, b: np.ndarray, ra: float, rb: float):
    """Vertices, normals, triangles of a closed tapered prism from a to b (rest frame)."""
    axis = b - a
    length = np.linalg.norm(axis)
    w = axis / length
    u = np.cross(w, [0.0, 0.0, 1.0] if abs(w[2]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(w, u)
    ang = 2 * np.pi * np.arange(SIDES) / SIDES
    ring = np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * v  # (S, 3) outward
    side_n = ring + w * (ra - rb) / length
    side_n /= np.linalg.norm(side_n, axis=1, keepdims=True)
    verts = [a + ra * ring, b + rb * ring, np.repeat(a[None], SIDES, 0) + ra * ring,
             np.repeat(b[None], SIDES, 0) + rb * ring, a[None], b[None]]
    norms = [side_n, side_n, np.repeat(-w[None], SIDES, 0), np.repeat(w[None], SIDES, 0), -w[None], w[None]]
    tris = []
    S = SIDES
    for i in range(S):
        j = (i + 1) % S
        tris += [(i, j, S + i), (j, S + j, S + i)]             # side
        tris += [(4 * S, 2 * S + j, 2 * S + i)]                # cap at a
        tris += [(4 * S + 1, 3 * S + i, 3 * S + j)]            # cap at b
    return np.concatenate(verts), np.concatenate(norms), np.array(tris)


def _ellipsoid(c: np.ndarray, radii, rings: int = 8):
    th = np.linspace(0, np.pi, rings + 1)
    ph = 2 * np.pi * np.arange(SIDES) / SIDES
    n = np.stack([np.sin(th)[:, None] * np.cos(ph), np.cos(th)[:, None] * np.ones_like(ph),
                  np.sin(th)[:, None] * np.sin(ph)], -1).reshape(-1, 3)
    verts = c + n * np.asarray(radii)
    norms = n / np.asarray(radii)
    norms /= np.linalg.norm(norms, axis=1, keepdims=True)
    tris = []
    for r in range(rings):
        for i in range(SIDES):
            j = (i + 1) % SIDES
            a, b, cc, d = r * SIDES + i, r * SIDES + j, (r + 1) * SIDES + i, (r + 1) * SIDES + j
            tris += [(a, cc, b), (b, cc, d)]
    return verts, norms, np.array(tris)


def mannequin(anim: Animation, stature: float):
    """(positions (V,3), normals (V,3), joints (V,) bone index, triangles (F,3)) in the rest pose."""
    rest = rest_heads(anim)
    s = stature / 1.70
    parts = []
    for i, name in enumerate(anim.names):
        kids = [c for c, p in enumerate(anim.parents) if p == i]
        ends = [rest[c] for c in kids if not name.endswith("Spine2") or anim.names[c] == "Neck"]
        if i in anim.ends:
            ends.append(rest[i] + anim.ends[i])
        if name == "Head":
            parts.append((_ellipsoid(0.5 * (rest[i] + ends[0]), np.array(HEAD_RADII) * s), i))
            continue
        if name == "Hips":  # the pelvis: across the hips, and up to the spine
            l, r = rest[anim.names.index("LeftUpLeg")], rest[anim.names.index("RightUpLeg")]
            parts.append((_prism(r, l, 0.10 * s, 0.10 * s), i))
            parts.append((_prism(rest[i], rest[anim.names.index("Spine")], 0.115 * s, 0.12 * s), i))
            continue
        radii = _radii(name)
        for e in ends if radii else []:
            if np.linalg.norm(e - rest[i]) > 1e-4:
                parts.append((_prism(rest[i], e, radii[0] * s, radii[1] * s), i))
    pos, nor, jnt, tri, base = [], [], [], [], 0
    for (v, n, t), bone in parts:
        pos.append(v)
        nor.append(n)
        jnt.append(np.full(len(v), bone))
        tri.append(t + base)
        base += len(v)
    return np.concatenate(pos), np.concatenate(nor), np.concatenate(jnt), np.concatenate(tri)


def write_glb(result, path: str | os.PathLike) -> Path:
    """Write the GLB file (see the module docstring)."""
    import pygltflib as g
    from ml.postprocess import DEFAULT_STATURE_M

    check_exportable(result, "GLB")
    anim = humanoid(result)
    stature = float((result.skeleton or {}).get("height_m") or DEFAULT_STATURE_M)
    T, N = anim.frames, len(anim.names)
    blob = bytearray()
    views, accessors = [], []

    def add(array: np.ndarray, ctype: int, atype: str, target: int | None = None, minmax: bool = False) -> int:
        data = np.ascontiguousarray(array)
        while len(blob) % 4:
            blob.append(0)
        views.append(g.BufferView(buffer=0, byteOffset=len(blob), byteLength=data.nbytes, target=target))
        blob.extend(data.tobytes())
        flat = data.reshape(len(data), -1)
        accessors.append(g.Accessor(bufferView=len(views) - 1, componentType=ctype, count=len(data), type=atype,
                                    min=flat.min(0).tolist() if minmax else None,
                                    max=flat.max(0).tolist() if minmax else None))
        return len(accessors) - 1

    # Nodes: bones (index = rig bone index), End Sites, then the mesh node.
    nodes = [g.Node(name=n, translation=anim.offsets[i].tolist(), children=[]) for i, n in enumerate(anim.names)]
    for i, p in enumerate(anim.parents):
        if p >= 0:
            nodes[p].children.append(i)
    for i, off in anim.ends.items():
        nodes.append(g.Node(name=end_name(anim.names[i]), translation=off.tolist()))
        nodes[i].children.append(len(nodes) - 1)
    # The skin's joints: every bone and End Site (an importer makes bones of joints only, so the
    # ends give the leaf bones their true length, e.g. Head -> HeadTop_End in Blender).
    heads = rest_heads(anim)
    rest_glob = np.concatenate([heads, [heads[i] + off for i, off in anim.ends.items()]])
    joints = len(rest_glob)
    inv_bind = np.tile(np.eye(4, dtype=np.float32), (joints, 1, 1))
    inv_bind[:, :3, 3] = -rest_glob  # T-pose: bones unrotated, so the bind is a translation
    inv_bind = np.ascontiguousarray(inv_bind.transpose(0, 2, 1))  # glTF matrices are column-major

    pos, nor, jnt, tri = mannequin(anim, stature)
    joints4 = np.zeros((len(jnt), 4), np.uint16)
    joints4[:, 0] = jnt
    weights4 = np.zeros((len(jnt), 4), np.float32)
    weights4[:, 0] = 1.0
    prim = g.Primitive(attributes=g.Attributes(
        POSITION=add(pos.astype(np.float32), g.FLOAT, g.VEC3, g.ARRAY_BUFFER, minmax=True),
        NORMAL=add(nor.astype(np.float32), g.FLOAT, g.VEC3, g.ARRAY_BUFFER),
        JOINTS_0=add(joints4, g.UNSIGNED_SHORT, g.VEC4, g.ARRAY_BUFFER),
        WEIGHTS_0=add(weights4, g.FLOAT, g.VEC4, g.ARRAY_BUFFER)),
        indices=add(tri.astype(np.uint32).reshape(-1), g.UNSIGNED_INT, g.SCALAR, g.ELEMENT_ARRAY_BUFFER),
        material=0)
    skin = g.Skin(name="Humanoid", joints=list(range(joints)), skeleton=0,
                  inverseBindMatrices=add(inv_bind.reshape(joints, 16), g.FLOAT, g.MAT4))
    nodes.append(g.Node(name="Mannequin", mesh=0, skin=0))

    times = (np.arange(T) / float(anim.fps)).astype(np.float32)
    t_acc = add(times, g.FLOAT, g.SCALAR, minmax=True)
    samplers, channels = [], []
    root = (anim.root + anim.offsets[0]).astype(np.float32)
    samplers.append(g.AnimationSampler(input=t_acc, output=add(root, g.FLOAT, g.VEC3), interpolation="LINEAR"))
    channels.append(g.AnimationChannel(sampler=0, target=g.AnimationChannelTarget(node=0, path="translation")))
    quats = quaternions(anim.local).astype(np.float32)  # (T, N, 4) x y z w
    for i in range(N):
        samplers.append(g.AnimationSampler(input=t_acc, output=add(np.ascontiguousarray(quats[:, i]), g.FLOAT, g.VEC4),
                                           interpolation="LINEAR"))
        channels.append(g.AnimationChannel(sampler=len(samplers) - 1,
                                           target=g.AnimationChannelTarget(node=i, path="rotation")))

    gltf = g.GLTF2(
        asset=g.Asset(generator="3DPoseNet ml.export.glb", version="2.0"),
        scene=0, scenes=[g.Scene(name=result.source_name or "motion", nodes=[0, len(nodes) - 1])],
        nodes=nodes, meshes=[g.Mesh(name="Mannequin", primitives=[prim])], skins=[skin],
        materials=[g.Material(name="mannequin", pbrMetallicRoughness=g.PbrMetallicRoughness(
            baseColorFactor=list(COLOUR), metallicFactor=0.0, roughnessFactor=0.8))],
        animations=[g.Animation(name="motion", samplers=samplers, channels=channels)],
        accessors=accessors, bufferViews=views, buffers=[g.Buffer(byteLength=len(blob))])
    gltf.set_binary_blob(bytes(blob))
    path = Path(path)
    with atomic_path(path) as tmp:
        gltf.save_binary(str(tmp))
    return path


def read_motion(path: str | os.PathLike) -> dict:
    """{node name: (T, 3) world positions} of the bone nodes of a GLB we wrote, by our own reading of
    its animation (for tests and checks; Blender's importer is the independent one)."""
    import pygltflib as g

    gltf = g.GLTF2().load_binary(str(path))
    blob = gltf.binary_blob()

    def read(i):
        a = gltf.accessors[i]
        v = gltf.bufferViews[a.bufferView]
        n = {g.SCALAR: 1, g.VEC3: 3, g.VEC4: 4, g.MAT4: 16}[a.type]
        dt = {g.FLOAT: np.float32, g.UNSIGNED_SHORT: np.uint16, g.UNSIGNED_INT: np.uint32}[a.componentType]
        return np.frombuffer(blob, dt, a.count * n, v.byteOffset + (a.byteOffset or 0)).reshape(a.count, n)

    anim = gltf.animations[0]
    T = gltf.accessors[anim.samplers[0].input].count
    trs = {i: (np.tile(nd.translation or [0, 0, 0], (T, 1)), np.tile([0, 0, 0, 1.0], (T, 1)))
           for i, nd in enumerate(gltf.nodes)}
    for ch in anim.channels:
        out = read(anim.samplers[ch.sampler].output).astype(np.float64)
        t, q = trs[ch.target.node]
        trs[ch.target.node] = (out, q) if ch.target.path == "translation" else (t, out)
    parent = {c: i for i, nd in enumerate(gltf.nodes) for c in (nd.children or [])}
    world: dict = {}

    def glob(i):
        if i in world:
            return world[i]
        t, q = trs[i]
        x, y, z, w = q.T
        R = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                      np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                      np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)
        if i in parent:
            pR, pt = glob(parent[i])
            world[i] = (pR @ R, pt + np.einsum("tij,tj->ti", pR, t))
        else:
            world[i] = (R, t)
        return world[i]

    return {nd.name: glob(i)[1] for i, nd in enumerate(gltf.nodes) if nd.mesh is None}
