"""World alignment pieces: fixed bone lengths, root trajectory from 2D, One-Euro, metrics."""
import numpy as np

from ml.postprocess import (OneEuro, WorldAligner, bone_length_std_mm, bone_lengths, jitter, root_translation,
                            with_bone_lengths)
from ml.skeleton import PARENTS


def standing_pose(T=10, seed=0):
    rng = np.random.default_rng(seed)
    base = np.array([[0, 0, 0], [-.13, 0, 0], [-.13, .45, 0], [-.13, .9, 0], [.13, 0, 0], [.13, .45, 0],
                     [.13, .9, 0], [0, -.23, 0], [0, -.48, 0], [0, -.6, -.05], [0, -.72, 0], [.18, -.45, 0],
                     [.2, -.2, 0], [.22, .05, 0], [-.18, -.45, 0], [-.2, -.2, 0], [-.22, .05, 0]], float)
    return base[None] + 0.02 * rng.standard_normal((T, 17, 3))  # camera frame: y down


def test_with_bone_lengths_fixes_lengths_and_keeps_directions():
    pose = standing_pose(20)
    target = np.median(bone_lengths(pose), axis=0)
    out = with_bone_lengths(pose, target)
    assert np.allclose(bone_lengths(out)[:, 1:], target[None, 1:], atol=1e-9)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            a, b = pose[:, j] - pose[:, p], out[:, j] - out[:, p]
            cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
            assert (cos > 0.9999).all()
    assert bone_length_std_mm(out) < 1e-6 < bone_length_std_mm(pose)


def test_root_translation_recovers_a_known_position():
    pose = standing_pose(5)
    pose -= pose[:, :1]
    truth = np.array([[0.3, -0.1, 4.0], [0.5, -0.1, 4.5], [-0.2, 0.0, 3.0], [0, 0, 6.0], [1.0, 0.2, 5.0]])
    w, h, f = 1280, 720, 1280.0
    cam = pose + truth[:, None]
    kp = np.stack([f * cam[..., 0] / cam[..., 2] + w / 2, f * cam[..., 1] / cam[..., 2] + h / 2], -1)
    est = root_translation(pose, kp, np.ones((5, 17)), w, h, focal=f)
    assert np.allclose(est, truth, atol=1e-6)


def test_one_euro_chunked_equals_whole_and_reduces_jitter():
    rng = np.random.default_rng(1)
    t = np.arange(200) / 25.0
    clean = np.sin(t)[:, None, None] * np.ones((1, 17, 3))
    noisy = clean + 0.01 * rng.standard_normal(clean.shape)
    whole = OneEuro(25.0)
    a = np.stack([whole(f) for f in noisy])
    chunked, parts = OneEuro(25.0), []
    for s in range(0, 200, 27):
        parts.append(np.stack([chunked(f) for f in noisy[s:s + 27]]))
    assert np.allclose(a, np.concatenate(parts))
    assert jitter(a, 25.0) < 0.5 * jitter(noisy, 25.0)


def test_world_aligner_gives_y_up_feet_on_floor():
    pose = standing_pose(30)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((30, 17, 1))], -1)
    world = WorldAligner(25.0, 800, 800, smoothing="none")(pose, kp)
    feet = np.minimum(world[:, 3, 1], world[:, 6, 1])
    assert np.allclose(feet, 0, atol=1e-6)
    assert (world[:, 10, 1] > world[:, 0, 1] + 0.5).all()  # head well above pelvis


def test_world_aligner_freezes_bone_lengths_at_the_first_lifter_window():
    """A short window (a 10 fps video's 17 frames) still fixes the skeleton for the rest of the video."""
    pose = standing_pose(17)
    pose -= pose[:, :1]
    kp = np.concatenate([pose[..., :2] * 300 + 400, np.ones((17, 17, 1))], -1)
    al = WorldAligner(10.0, 800, 800, smoothing="none")
    first = al(pose[5:10], kp[5:10], window=pose)
    bigger = pose * 1.2                                  # the next window sees a 20 % larger person
    second = al(bigger[5:10], kp[5:10], window=bigger)
    assert np.allclose(bone_lengths(first)[:, 1:], bone_lengths(second)[:, 1:], atol=1e-6)
