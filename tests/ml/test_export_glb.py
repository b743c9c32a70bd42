"""GLB export: what we wrote, read back by pygltflib and our own forward kinematics of its
animation (Blender's importer checks it independently in test_blender.py)."""
import numpy as np
import pygltflib
import pytest

from ml.export import export
from ml.export.glb import mannequin, read_motion, write_glb
from ml.export.rig import JOINT_OF, NAMES, end_name, humanoid, joint_positions
from ml.export.synthetic import synthetic_result


@pytest.fixture(scope="module")
def walk():
    return synthetic_result(frames=48, fps=25.0, turns=1.0, noise_m=0.003)


def test_glb_animation_reproduces_the_rig(tmp_path, walk):
    path = export(walk, "glb", tmp_path / "walk.glb")
    motion = read_motion(path)
    want = joint_positions(humanoid(walk))
    err = max(np.abs(motion[b] - want[j]).max() for b, j in JOINT_OF.items())
    err = max(err, np.abs(motion[end_name("Head")] - want["head"]).max())
    assert err < 1e-5, f"{err * 1000:.4f} mm"  # float32 in the file


def test_glb_structure_skin_and_timing(tmp_path, walk):
    gltf = pygltflib.GLTF2().load_binary(str(write_glb(walk, tmp_path / "walk.glb")))
    names = [n.name for n in gltf.nodes]
    assert names[:len(NAMES)] == NAMES and "HeadTop_End" in names and "Mannequin" in names
    skin, = gltf.skins
    assert len(skin.joints) == len(NAMES) + 5 and gltf.nodes[skin.skeleton].name == "Hips"
    anim, = gltf.animations
    assert anim.name == "motion" and len(anim.channels) == 1 + len(NAMES)
    times = gltf.accessors[anim.samplers[0].input]
    assert times.count == walk.frame_count and times.max[0] == pytest.approx((walk.frame_count - 1) / 25.0)
    mesh_node = gltf.nodes[names.index("Mannequin")]
    assert mesh_node.skin == 0 and gltf.meshes[mesh_node.mesh].primitives[0].attributes.JOINTS_0 is not None


def test_mannequin_covers_the_body_and_is_skinned_to_real_bones(walk):
    anim = humanoid(walk)
    pos, nor, joints, tris = mannequin(anim, 1.70)
    assert len(pos) == len(nor) == len(joints) and tris.max() < len(pos)
    assert np.allclose(np.linalg.norm(nor, axis=1), 1.0, atol=1e-6)
    assert set(np.unique(joints)) >= {NAMES.index(b) for b in ("Hips", "LeftUpLeg", "RightForeArm", "Head")}
    height = np.ptp(pos[:, 1])
    assert 1.6 < height < 1.9  # a 1.70 m person's body from soles to crown, in the T-pose


def test_glb_refuses_bad_input_and_writes_nothing(tmp_path):
    r = synthetic_result(frames=5)
    r.fps = 0
    with pytest.raises(ValueError, match="frame rate"):
        write_glb(r, tmp_path / "x.glb")
    assert list(tmp_path.iterdir()) == []
