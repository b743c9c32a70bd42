"""Facing from the image (ml.facing): face points -> head yaw, the lifter's pose or a turned/mirrored
one chosen over time, chunk by chunk as the pipeline streams. Generated fixtures only."""
import numpy as np
import pytest

from ml import facing, quality
from ml.skeleton import LAYOUT_NAMES, PARENTS

# A standing person facing the camera (camera frame: x right, y down, z away), pelvis at the
# origin, the person's left on the image's right: H36M-17 joint order.
STANDING = np.array([
    [0.0, 0.0, 0.0], [-0.13, 0.0, 0.0], [-0.14, 0.45, 0.02], [-0.14, 0.9, 0.05],     # pelvis, right leg
    [0.13, 0.0, 0.0], [0.14, 0.45, 0.02], [0.14, 0.9, 0.05],                          # left leg
    [0.0, -0.24, 0.0], [0.0, -0.49, 0.0], [0.0, -0.6, -0.05], [0.0, -0.72, 0.0],       # spine, thorax, nose, head
    [0.16, -0.47, 0.0], [0.3, -0.25, -0.1], [0.32, -0.05, -0.25],                      # left arm, a bit forward
    [-0.16, -0.47, 0.0], [-0.3, -0.25, 0.0], [-0.33, -0.02, 0.0],                     # right arm
])
FOCAL, W, H = 1000.0, 1000, 1000


def turned(pose, yaw):
    """Turn a pose about the camera's vertical axis so that its shoulder yaw becomes `yaw` more."""
    c, s = np.cos(-yaw), np.sin(-yaw)
    out = pose.copy()
    out[..., 0] = c * pose[..., 0] + s * pose[..., 2]
    out[..., 2] = -s * pose[..., 0] + c * pose[..., 2]
    return out


def project(points, root=(0.0, 0.0, 4.0)):
    p = np.asarray(points) + np.array(root)
    return FOCAL * p[..., :2] / p[..., 2:3] + np.array([W / 2, H / 2])


def head_points(yaw):
    """3D face points (5,3) of STANDING's head turned by yaw: ears 15 cm apart, nose 10 cm and the
    eyes 9 cm ahead of the ears' midpoint."""
    lat = np.array([np.cos(yaw), 0.0, np.sin(yaw)])
    fwd = np.array([np.sin(yaw), 0.0, -np.cos(yaw)])
    up = np.array([0.0, -1.0, 0.0])
    h = STANDING[10] * [1, 1, 0] + 0.05 * up
    return np.stack([h + 0.10 * fwd - 0.03 * up, h + 0.09 * fwd + 0.03 * lat, h + 0.09 * fwd - 0.03 * lat,
                     h + 0.075 * lat, h - 0.075 * lat])


def frame_2d(yaw, conf=0.9):
    """(17,3) 2D body and (5,3) face of STANDING turned by yaw, in a 1000 x 1000 image."""
    kp = np.concatenate([project(turned(STANDING, yaw)), np.full((17, 1), conf)], -1)
    face = np.concatenate([project(head_points(yaw)), np.full((5, 1), conf)], -1)
    return kp.astype(np.float32), face.astype(np.float32)


def test_face_points_come_from_layouts_with_a_face():
    for layout in ("blazepose33", "coco17"):
        names = LAYOUT_NAMES[layout]
        kp = np.arange(len(names) * 3, dtype=np.float32).reshape(-1, 3)
        face = facing.face_points(kp, layout)
        assert face.shape == (5, 3)
        assert [int(face[i, 0]) // 3 for i in range(5)] == [names.index(n) for n in facing.FACE_POINTS]
    assert facing.face_points(np.zeros((16, 3)), "sh16") is None


@pytest.mark.parametrize("deg", list(range(-170, 180, 20)))
def test_the_face_gives_the_head_yaw(deg):
    kp, face = frame_2d(np.radians(deg))
    yaw, weight = facing.face_yaw(face[None], kp[None])
    err = np.degrees(np.angle(np.exp(1j * (yaw[0] - np.radians(deg)))))
    assert abs(err) < 10, (deg, np.degrees(yaw[0]))
    assert weight[0] == pytest.approx(0.9)                         # the points' confidence, a face of full size
    # the same agrees with the shoulders' yaw as ml.quality measures it
    assert abs(np.degrees(quality.shoulder_yaw(turned(STANDING, np.radians(deg))[None]))[0] - deg) < 1e-6 or deg == 180


def test_unsure_or_missing_faces_weigh_little():
    kp, face = frame_2d(np.radians(30))
    low = face.copy()
    low[:, 2] = 0.1
    tiny = face.copy()
    tiny[:, :2] = face[:, :2].mean(0) + (face[:, :2] - face[:, :2].mean(0)) * 0.05   # a face a pixel wide
    gone = np.full_like(face, np.nan)
    lost = kp.copy()
    lost[:12, 2] = 0.1                                             # the detector has lost the body
    _, w = facing.face_yaw(np.stack([face, low, tiny, gone, face]), np.stack([kp] * 4 + [lost]))
    assert w[0] == pytest.approx(0.9) and w[1] == pytest.approx(0.1) and w[2] < 0.2 and w[3] == 0.0
    assert w[4] == 0.0


def test_states_mirror_and_turn_keeping_the_skeleton():
    pose = np.stack([STANDING, turned(STANDING, 0.7)]).astype(np.float32)
    assert np.array_equal(facing.transform(pose, np.full(2, facing.IDENTITY)), pose)
    bones = lambda p: np.linalg.norm(p - p[:, [max(q, 0) for q in PARENTS]], axis=-1)   # noqa: E731
    yaw = quality.shoulder_yaw(pose.astype(np.float64))
    for s in range(facing.N_STATES):
        out = facing.transform(pose, np.full(2, s))
        assert out.dtype == pose.dtype and np.allclose(bones(out), bones(pose), atol=1e-5)
        assert np.allclose(out[:, 0], 0.0)                         # turned about the root
        assert np.allclose(out[..., 1], pose[..., 1])               # about the vertical axis
        want = (-yaw if facing.STATE_MIRROR[s] else yaw) - facing.STATE_TURN[s]
        got = quality.shoulder_yaw(out.astype(np.float64))
        assert np.allclose(np.exp(1j * got), np.exp(1j * want), atol=1e-5)
    mirrored = facing.transform(pose, np.full(2, facing.N_STATES // 2 + len(facing.ANGLES) // 2))
    assert np.allclose(mirrored, pose * [1, 1, -1], atol=1e-6)     # the plain depth mirror


def test_reprojection_of_all_states_matches_the_quality_figure():
    rng = np.random.default_rng(0)
    T = 6
    pose = STANDING[None] + rng.normal(0, 0.03, (T, 17, 3))
    pose -= pose[:, :1]
    kp = np.concatenate([project(pose) + rng.normal(0, 4, (T, 17, 2)), rng.uniform(0.3, 1, (T, 17, 1))], -1)
    kp[2, :12, 2] = 0.1                                            # too few joints seen: NaN
    cand = facing.candidates(pose)
    got = facing.reprojection_pct(cand, kp, 1280, 720)
    for s in (0, facing.IDENTITY, 30, facing.N_STATES - 1):
        ref = quality.reprojection_per_frame_pct(cand[:, s], kp, 1280, 720)
        np.testing.assert_allclose(got[:, s], ref, rtol=1e-6, atol=1e-9)
    assert np.isnan(got[2]).all() and np.isfinite(got[[0, 1, 3, 4, 5]]).all()


def test_viterbi_ignores_a_one_frame_blip_and_starts_from_the_given_state():
    T = 20
    u = np.ones((T, facing.N_STATES))                             # every other state: far worse
    other = facing.IDENTITY + 5
    u[:, facing.IDENTITY] = 0.0
    u[:, other] = 0.1
    u[7, facing.IDENTITY] = 0.3                                    # one frame prefers another state
    states = facing.viterbi(u)
    assert (states == facing.IDENTITY).all()
    u[7, facing.IDENTITY] = 0.0
    u[10:, other] = -0.5                                           # a lasting preference wins
    states = facing.viterbi(u)
    assert (states[:10] == facing.IDENTITY).all() and (states[11:] == other).all()
    # a given start state is kept while the evidence is flat
    assert (facing.viterbi(np.zeros((5, facing.N_STATES)), start=other) == other).all()


def sequence(T, yaw_deg, lifted_yaw_deg):
    """A person standing turned by yaw_deg (2D and face from it), lifted as turned by lifted_yaw_deg."""
    kp, face = frame_2d(np.radians(yaw_deg))
    lifted = turned(STANDING, np.radians(lifted_yaw_deg))
    return (np.repeat(lifted[None], T, 0).astype(np.float32), np.repeat(kp[None], T, 0),
            np.repeat(face[None], T, 0))


@pytest.mark.parametrize("true, lifted", [(60, -60), (-50, 50), (120, 60), (-80, -150)])
def test_the_face_turns_a_wrongly_facing_lift_round(true, lifted):
    """A side-on person lifted as the depth mirror (or turned too far): the face points put it back,
    and the chosen pose fits the 2D at least as well as the lifter's."""
    pose, kp, face = sequence(30, true, lifted)
    states = facing.choose(pose, kp, face, W, H, fps=25)
    out = facing.transform(pose, states)
    err = np.degrees(np.abs(np.angle(np.exp(1j * (quality.shoulder_yaw(out.astype(np.float64)) - np.radians(true))))))
    assert (err < 20).all(), err
    before = np.nanmedian(quality.reprojection_per_frame_pct(pose.astype(np.float64), kp, W, H))
    after = np.nanmedian(quality.reprojection_per_frame_pct(out.astype(np.float64), kp, W, H))
    assert after <= before + 0.5
    assert len(set(states)) == 1                                   # one decision, no flicker


def test_an_agreeing_face_or_no_face_leaves_the_lift_alone():
    pose, kp, face = sequence(20, 40, 40)
    assert (facing.choose(pose, kp, face, W, H) == facing.IDENTITY).all()
    pose, kp, face = sequence(20, 60, -60)
    assert (facing.choose(pose, kp, np.full_like(face, np.nan), W, H) == facing.IDENTITY).all()


class _Chunk:
    """What FacingTracker uses of ml.lift.Chunk (a dataclass there)."""


def _chunks(pose, kp, F, hop):
    """Cut a sequence into StreamingLifter-style chunks (window_starts' plan, edge-padded windows)."""
    from dataclasses import make_dataclass

    from ml.lift import window_starts

    Chunk = make_dataclass("Chunk", ["start", "kp2d", "cam", "window", "window_kp2d", "offset"])
    T = len(pose)
    starts, k, _ = window_starts(T, F, hop)
    out = []
    for w in range(len(starts)):
        frames = np.flatnonzero(k == w)
        lo, hi = frames[0], frames[-1] + 1
        first = w * hop - F // 2
        idx = np.clip(np.arange(first, first + F), 0, T - 1)
        out.append(Chunk(lo, kp[lo:hi], pose[lo:hi], pose[idx], kp[idx], lo - first))
    return out


def test_the_tracker_turns_chunk_and_window_alike_and_keeps_decisions():
    """Chunk by chunk: the person turns from agreeing with the lift to its mirror image half-way
    (the lift stays wrong): the second half is turned round, in a short turn rather than a jump;
    every chunk's 3D is its window's slice, and frames before a chunk in its window carry the
    decisions already made."""
    T, F, hop, fps = 90, 21, 7, 25.0
    pose_a, kp_a, face_a = sequence(45, 60, 60)
    pose_b, kp_b, face_b = sequence(45, -60, 60)
    pose, kp, face = (np.concatenate(p) for p in ((pose_a, pose_b), (kp_a, kp_b), (face_a, face_b)))
    faces = [f for f in face]
    faces[3] = None                                                # a frame without a face
    tracker = facing.FacingTracker(W, H, fps=fps)
    fixed = [tracker.fix(ch, faces, T) for ch in _chunks(pose, kp, F, hop)]
    cam = np.concatenate([c.cam for c in fixed])
    assert cam.shape == pose.shape and len(tracker.states) == T
    yaw = np.degrees(quality.shoulder_yaw(cam.astype(np.float64)))
    assert np.abs(yaw[:40] - 60).max() < 5 and np.abs(yaw[50:] + 60).max() < 20
    states = np.array(tracker.states)
    switches = np.flatnonzero(np.diff(states) != 0)
    assert 1 <= len(switches) <= 3 and (np.abs(switches - 44) <= 5).all()   # turned round where it turns, once
    steady = np.abs(np.arange(T)[:, None] - switches[None]).min(1) > 3 * facing.SMOOTH_S * fps + 1
    np.testing.assert_allclose(cam[steady], facing.transform(pose, states)[steady], atol=1e-5)
    # a turn over a few frames, not a jump: the wrist moves at most ~12 cm a frame (a 120-degree jump: ~60 cm)
    assert np.linalg.norm(np.diff(cam, axis=0), axis=-1).max() < 0.12
    for c in fixed:
        np.testing.assert_array_equal(c.cam, c.window[c.offset:c.offset + len(c.cam)])
        first = c.start - c.offset
        for j in range(c.offset):                                  # before the chunk: what was decided
            i = max(first + j, 0)
            if steady[i]:
                np.testing.assert_allclose(c.window[j], cam[i], atol=1e-5)


def test_the_pipeline_takes_facing_from_the_records_faces(tmp_path):
    """Records carry the detector's face points to the lifting step: a lifter that always returns the
    depth mirror of a side-on person comes out facing the way the face says (and as lifted with
    PipelineOptions(facing=False))."""
    from ml.pipeline import PipelineOptions, run_pipeline
    from ml.segments import Record
    from tests.conftest import write_video

    class MirrorLifter:  # the mirror image of the truth, whatever the 2D
        name, receptive_field, path = "mirror", 9, ""

        def window_frames(self, fps=None):
            return 9

        def hop_for(self, fps=None):
            return 3

        def lift_window(self, kp2d, width, height, conf=None, flip=True, fps=None, unswap=True):
            return np.repeat(turned(STANDING, np.radians(-60))[None], len(kp2d), 0).astype(np.float32)

    T, fps = 30, 10.0
    video = write_video(tmp_path / "blank.mp4", [np.zeros((H, W, 3), np.uint8)] * T, fps=fps)
    kp, face = frame_2d(np.radians(60))
    records = [Record(i, i / fps, kp, False, face=face) for i in range(T)]

    def yaw(on):
        r = run_pipeline(video, PipelineOptions(foot_lock=False, facing=on), lifter=MirrorLifter(), records=records)
        k3 = np.asarray(r.keypoints_3d, np.float64)
        cam = quality.world_to_camera(k3 - k3[:, :1], r.camera["world_from_camera"])
        return np.degrees(quality.shoulder_yaw(cam))

    assert np.abs(yaw(False) + 60).max() < 15
    assert np.abs(yaw(True) - 60).max() < 15


def test_records_keep_their_faces_through_npz(tmp_path):
    from ml.segments import Record, arrays_to_records, records_to_arrays

    kp, face = frame_2d(0.3)
    recs = [Record(0, 0.0, kp, False, face=face), Record(1, 0.1, kp, False), Record(2, 0.2, None, True)]
    np.savez(tmp_path / "r.npz", **records_to_arrays(recs))
    with np.load(tmp_path / "r.npz") as z:
        back = arrays_to_records(z)
        old = arrays_to_records({k: z[k] for k in z.files if k != "face"})   # written before faces
    np.testing.assert_array_equal(back[0].face, face)
    assert back[1].face is None and back[2].face is None and back[2].keypoints is None
    assert all(r.face is None for r in old)
