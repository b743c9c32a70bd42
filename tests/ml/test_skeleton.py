import numpy as np
import pytest

from ml import skeleton
from ml.skeleton import LAYOUT_TABLES, to_h36m


def test_joint_set():
    assert len(skeleton.JOINT_NAMES) == 17 and skeleton.JOINT_NAMES[0] == "pelvis"
    assert skeleton.JOINT_NAMES[16] == "r_wrist"
    assert skeleton.PARENTS == [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
    for l, r in zip(skeleton.LEFT, skeleton.RIGHT):
        assert skeleton.JOINT_NAMES[l].replace("l_", "") == skeleton.JOINT_NAMES[r].replace("r_", "")
    perm = skeleton.FLIP_PERM
    assert [perm[p] for p in perm] == list(range(17))


@pytest.mark.parametrize("layout,J", [("blazepose33", 33), ("coco17", 17), ("sh16", 16)])
def test_shapes_and_channels(layout, J):
    rng = np.random.default_rng(0)
    for C in (2, 3, 4):
        kp = rng.random((5, J, C)).astype(np.float32)
        out = to_h36m(kp, layout)
        assert out.shape == (5, 17, C) and out.dtype == np.float32
    assert to_h36m(rng.random((J, 2)), layout).shape == (17, 2)


def _named(layout, T=3):
    rng = np.random.default_rng(1)
    names = skeleton.LAYOUT_NAMES[layout]
    kp = rng.random((T, len(names), 3)) * 100
    return kp, {n: i for i, n in enumerate(names)}


@pytest.mark.parametrize("layout", ["blazepose33", "coco17"])
def test_face_layouts(layout):
    kp, ix = _named(layout)
    out = to_h36m(kp, layout)
    L, R = "left_", "right_"
    # copied joints, including left/right (subject's left stays H36M l_*)
    assert np.allclose(out[:, 13], kp[:, ix[L + "wrist"]])
    assert np.allclose(out[:, 3], kp[:, ix[R + "ankle"]])
    assert np.allclose(out[:, 14], kp[:, ix[R + "shoulder"]])
    # pelvis = mid hips, coordinates averaged, confidence = min
    hips = kp[:, [ix[L + "hip"], ix[R + "hip"]]]
    assert np.allclose(out[:, 0, :2], hips[..., :2].mean(1))
    assert np.allclose(out[:, 0, 2], hips[..., 2].min(1))
    # thorax: from shoulders and hips (hip weights -0.06): the shoulders' confidence decides
    src = [ix[L + "shoulder"], ix[R + "shoulder"]]
    assert np.allclose(out[:, 8, 2], kp[:, src, 2].min(1))
    # spine between pelvis and thorax
    assert np.allclose(out[:, 7, :2], 0.5 * (out[:, 0, :2] + out[:, 8, :2]))


def test_upright_person_geometry():
    # A frontal COCO person (image y down): derived joints in the right vertical order.
    kp = np.zeros((1, 17, 2))
    pts = {0: (0, 10), 1: (-3, 8), 2: (3, 8), 3: (-7, 10), 4: (7, 10), 5: (-20, 40), 6: (20, 40),
           11: (-12, 100), 12: (12, 100), 7: (-25, 70), 8: (25, 70), 9: (-25, 100), 10: (25, 100),
           13: (-12, 150), 14: (12, 150), 15: (-12, 200), 16: (12, 200)}
    for i, p in pts.items():
        kp[0, i] = p
    y = to_h36m(kp, "coco17")[0, :, 1]
    assert y[10] < y[9] < y[8] < y[7] < y[0]        # head above nose above thorax above spine above pelvis
    assert 30 < y[8] < 40                            # thorax a little above the shoulder line


def test_sh16():
    kp, ix = _named("sh16")
    out = to_h36m(kp, "sh16")
    assert np.allclose(out[:, 0], kp[:, ix["pelvis"]])
    assert np.allclose(out[:, 10], kp[:, ix["head"]])
    assert np.allclose(out[:, 16], kp[:, ix["r_wrist"]])
    assert np.allclose(out[:, 11], kp[:, ix["l_shoulder"]])
    # nose derived: midpoint of thorax and head, min confidence
    assert np.allclose(out[:, 9, :2], 0.5 * (kp[:, ix["thorax"], :2] + kp[:, ix["head"], :2]))
    assert np.allclose(out[:, 9, 2], np.minimum(kp[:, ix["thorax"], 2], kp[:, ix["head"], 2]))


def test_tables_are_affine_and_translation_equivariant():
    for layout, W in LAYOUT_TABLES.items():
        assert np.allclose(W.sum(1), 1)
        kp = np.random.default_rng(2).random((4, W.shape[1], 2))
        assert np.allclose(to_h36m(kp + [5.0, -3.0], layout), to_h36m(kp, layout) + [5.0, -3.0])


def test_unknown_layout():
    with pytest.raises(ValueError):
        to_h36m(np.zeros((1, 17, 2)), "openpose25")


def test_flip_pose_roundtrip():
    x = np.random.default_rng(3).random((2, 17, 3))
    f = skeleton.flip_pose(x)
    assert np.allclose(f[:, 4, 0], -x[:, 1, 0])
    assert np.allclose(skeleton.flip_pose(f), x)
