"""Run inside Blender: import a BVH or GLB we wrote and dump what Blender made of it, as JSON.

    blender -b --factory-startup --python tools/blender_import.py -- bvh|glb FILE FPS OUT.json

OUT.json: {"bones": [names], "fps": scene fps, "frames": [first, last] of the imported action,
"errors": [import operator reports], "heads": {bone: [[x, y, z] per frame]}, "tails": {...}}, in
Blender's world (Z up; the importers map our +Y up to +Z, +Z towards the camera to -Y).
Used by tests/ml/test_blender.py; also handy by hand.
"""
import builtins
import json
import sys

import bpy

# Debian's Blender 3.4 is older than its Python and NumPy: two shims, nothing else changed.
# Its BVH importer opens files with mode 'rU', which Python 3.11 rejects.
_open = builtins.open


def _open_without_u(file, mode="r", *args, **kwargs):
    return _open(file, mode.replace("U", "") if isinstance(mode, str) else mode, *args, **kwargs)


builtins.open = _open_without_u
if "glb" in sys.argv:  # its glTF importer uses np.bool, gone from Debian's NumPy 1.24
    import numpy

    numpy.bool = bool

kind, path, fps, out = sys.argv[sys.argv.index("--") + 1:]
fps = float(fps)
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = round(fps), round(fps) / fps  # glTF keys are in seconds
if kind == "bvh":
    res = bpy.ops.import_anim.bvh(filepath=path, global_scale=1.0, use_fps_scale=False,
                                  update_scene_fps=True, update_scene_duration=True)
else:
    res = bpy.ops.import_scene.gltf(filepath=path)
arm = next(o for o in bpy.data.objects if o.type == "ARMATURE")
action = arm.animation_data.action
first, last = (int(round(v)) for v in action.frame_range)
data = {"result": sorted(res), "bones": [b.name for b in arm.data.bones],
        "fps": scene.render.fps / scene.render.fps_base, "frames": [first, last],
        "meshes": [o.name for o in bpy.data.objects if o.type == "MESH"],
        "heads": {b.name: [] for b in arm.pose.bones}, "tails": {b.name: [] for b in arm.pose.bones}}
for f in range(first, last + 1):
    scene.frame_set(f)
    for pb in arm.pose.bones:
        data["heads"][pb.name].append(list(arm.matrix_world @ pb.head))
        data["tails"][pb.name].append(list(arm.matrix_world @ pb.tail))
with _open(out, "w") as fh:
    json.dump(data, fh)
