"""Foot contact, ground and foot locking (ml.contact) on generated motion."""
import numpy as np

from ml.contact import ANKLE_OF_STATURE, FEET, FootLock, contacts_of, sliding_speed_cm_s, two_bone_ik
from ml.export.synthetic import synthetic_pose3d
from ml.postprocess import bone_lengths

STATURE = 1.70
ANKLE_H = ANKLE_OF_STATURE * STATURE


def standing(frames: int) -> np.ndarray:
    """A person standing still (the synthetic walker's first frame), ankles on y = 0."""
    return np.repeat(synthetic_pose3d(1)[None, 0], frames, axis=0).astype(np.float64)


def walking(frames: int, fps: float = 25.0, slide: float = 0.25, noise_m: float = 0.003,
            jump_at: int | None = None) -> np.ndarray:
    """A physically planted walk (1.1 m/s, 0.6 m steps; each foot still for 60 % of the cycle and
    swinging on an arc for 40 %, legs by IK), then the whole trajectory short by `slide` (the
    stance foot slides back at that share of the walking speed, as a lifter's root estimate
    does), plus noise. Ankles on y = 0 when planted."""
    base = synthetic_pose3d(1)[0].astype(np.float64)
    base -= base[0] * [1, 0, 1]
    t = np.arange(frames) / fps
    cycle, step = 1.1, 0.6
    v = 2 * step / cycle
    pelvis = np.stack([np.zeros_like(t), 0.82 + 0.015 * np.cos(4 * np.pi * t / cycle), v * t], -1)
    out = np.empty((frames, 17, 3))
    for i in range(frames):
        p = base + (pelvis[i] - [0, base[0, 1], 0])
        for k, (hip, knee, ankle) in enumerate(FEET):
            ph = ((t[i] / cycle + 0.5 * k) % 1.0)     # 0..0.6 stance, 0.6..1 swing
            n = np.floor(t[i] / cycle + 0.5 * k)       # which stride
            land = lambda m: (m * cycle + 0.3 * cycle - 0.5 * k * cycle) * v  # footprint under mid-stance
            if ph < 0.6:
                z, y = land(n), 0.0
            else:
                s_ = (ph - 0.6) / 0.4
                z, y = land(n) + s_ * (land(n + 1) - land(n)), 0.12 * np.sin(np.pi * s_)
            target = np.array([base[ankle, 0], y, z])
            p[knee], p[ankle] = two_bone_ik(p[hip], p[knee] + [0, 0, 0.05], p[ankle], target)
        out[i] = p
    out[:, :, [0, 2]] -= slide * (pelvis[:, None, [0, 2]] - pelvis[0, [0, 2]])
    return out + np.random.default_rng(0).normal(0, noise_m, out.shape)


def test_two_bone_ik_keeps_bone_lengths_and_reaches_or_straightens():
    hip, knee, ankle = np.array([0.1, 0.9, 0.0]), np.array([0.1, 0.47, 0.1]), np.array([0.1, 0.05, 0.0])
    l1, l2 = np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee)
    target = np.array([0.2, 0.1, 0.15])
    k, a = two_bone_ik(hip, knee, ankle, target)
    assert np.allclose(a, target, atol=1e-9)
    assert np.isclose(np.linalg.norm(k - hip), l1) and np.isclose(np.linalg.norm(a - k), l2)
    assert (k - hip)[2] > 0  # the knee still bends forward, in its own plane
    far = np.array([0.1, -2.0, 0.0])  # out of reach: the leg points at it, straight
    k, a = two_bone_ik(hip, knee, ankle, far)
    assert np.isclose(np.linalg.norm(a - hip), l1 + l2, atol=1e-5) and a[1] < hip[1]


def test_a_sliding_walk_gets_planted_feet_with_legs_intact():
    raw = walking(200)
    before = sliding_speed_cm_s(raw, contacts_of(raw, 25.0, STATURE), 25.0)
    out, contact = FootLock(25.0, STATURE)(raw)
    after = sliding_speed_cm_s(out, contact, 25.0)
    assert contact.any(1).mean() > 0.8   # walking: a foot is down nearly all the time
    assert before > 10.0 and after <= 2.0, (before, after)
    legs = [c for f in FEET for c in f[1:]]
    assert np.allclose(bone_lengths(out)[:, legs], bone_lengths(raw)[:, legs], atol=1e-5)
    ankles = out[:, [f[2] for f in FEET], 1]
    assert ankles.min() >= ANKLE_H - 0.01       # never below the ground by more than 1 cm
    assert np.isclose(np.median(ankles.min(1)), ANKLE_H, atol=0.01)  # soles on y = 0


def test_a_jump_leaves_the_ground_and_lands():
    fps, pose = 25.0, standing(100)
    t = (np.arange(14) + 0.5) / fps                # 0.56 s of flight under gravity: 38 cm high
    pose[40:54, :, 1] += (0.5 * 9.81 * t * (14 / fps - t))[:, None]
    out, contact = FootLock(fps, STATURE)(pose)
    assert contact[:38].all() and contact[60:].all()
    assert not contact[42:52].any()
    lift = out[40:54, 0, 1].max() - out[:30, 0, 1].mean()
    assert 0.25 < lift < 0.4, lift  # the body leaves the ground (the take-off frame is still held)
    assert np.allclose(out[60:, 0, 1], out[:30, 0, 1].mean(), atol=0.01)  # and comes back down


def test_the_ground_comes_from_the_contacts_not_the_raw_height():
    pose = standing(50)
    pose[..., 1] += 0.37   # the aligner's raw height is arbitrary
    out, contact = FootLock(25.0, STATURE)(pose)
    assert contact.all()
    assert np.allclose(out[:, [3, 6], 1], ANKLE_H, atol=1e-6)


def test_chunk_by_chunk_equals_all_at_once():
    raw = walking(120)
    whole, c_whole = FootLock(25.0, STATURE)(raw)
    lock = FootLock(25.0, STATURE)
    parts = [lock(raw[i:i + 17]) for i in range(0, len(raw), 17)]
    assert np.array_equal(np.concatenate([p[0] for p in parts]), whole)
    assert np.array_equal(np.concatenate([p[1] for p in parts]), c_whole)



def test_a_new_shot_finds_its_own_floor_at_once():
    """Another camera puts the raw pose at another height: after new_shot() the feet are on the floor
    from the shot's first frame (the ground is not fitted through the last shot's frames, no take-off
    is read into the jump between the shots, no vertical correction carries over)."""
    fps = 25.0
    first, second = standing(60), standing(60)
    second[..., 1] += 0.8                      # the new camera's raw height
    second[..., 0] += 2.0                      # ... and place
    lock = FootLock(fps, STATURE)
    a, _ = lock(first)
    lock.new_shot()
    b, contact = lock(second)
    assert np.allclose(a[:, [3, 6], 1], ANKLE_H, atol=1e-6)
    assert np.abs(b[:, [3, 6], 1] - ANKLE_H).max() < 0.01   # on the floor from the cut's frame on
    assert contact[5:].all()


def test_a_rise_with_no_foot_down_before_it_is_not_a_jump():
    """A glide (feet moving, never found down) that the lifter or a zoom lifts by 0.6 m within a
    few frames: no take-off, the body settles back onto the ground."""
    fps = 25.0
    pose = standing(75)
    pose[:, :, 0] += (np.arange(75) * 0.12)[:, None]          # 3 m/s across: no foot is still
    pose[30:, :, 1] += np.minimum(np.arange(45) / 4.0, 1.0)[:, None] * 0.6
    out, contact = FootLock(fps, STATURE)(pose)
    assert not contact[5:].any()  # (the first frames' speed is not known yet)
    low = out[:, [3, 6], 1].min(1)
    assert (low[40:] < ANKLE_H + 0.05).all(), low[30:45].round(2)


def test_a_flight_ends_even_without_a_landing():
    """A take-off from planted feet, then the raw pose stays up (the lifter's drift, the person
    tracked off the floor) with feet that never settle: after MAX_FLIGHT_S the body comes back down,
    and what the feet were corrected by before the take-off is not held in the air."""
    from ml.contact import MAX_FLIGHT_S

    fps = 25.0
    pose = standing(150)
    pose[30:40, :, 1] -= np.linspace(0, 0.5, 10)[:, None]  # the raw sinks (the ground lags: lifted)
    pose[40:, :, 1] -= 0.5
    pose[50:, :, 1] += np.minimum((np.arange(100) + 1) / 3.0, 1.0)[:, None] * 0.7  # up fast, stays up
    pose[50:, [3, 6], 2] += (0.15 * np.sin(np.arange(100) * 1.3))[:, None]          # feet never still
    out, contact = FootLock(fps, STATURE)(pose)
    assert contact[:28].all()
    low = out[:, [3, 6], 1].min(1)
    assert low[52:58].max() > 0.3                       # it leaves the ground ...
    back = 50 + round((MAX_FLIGHT_S + 0.3) * fps)
    assert (low[back:] < 0.2).all(), low[50::5].round(2)  # ... and comes back (0.3 m: floating)


def image_of(pose: np.ndarray) -> np.ndarray:
    """A camera's 2D of world poses (n,17,3): 300 px per metre, y down, confidence 1."""
    return np.concatenate([400 + 300 * pose[..., :1], 600 - 300 * pose[..., 1:2], np.ones(pose.shape[:2] + (1,))], -1)


def test_a_body_the_3d_lifts_while_a_foot_stands_still_in_the_image_does_not_take_off():
    """On one leg, the other raised, the 3D rising and falling 0.3 m (the root depth's noise): the
    standing foot does not move in the video, so nothing leaves the floor; the same rise with the
    feet rising in the image too is a jump."""
    fps = 25.0
    clean = standing(100)
    clean[:, 6, 1] += 0.25                               # the left foot raised, held
    bump = np.zeros(100)
    bump[40:60] = 0.3 * np.sin(np.linspace(0, np.pi, 20))
    raw = clean.copy()
    raw[..., 1] += bump[:, None]
    seen = np.ones((100, 17), bool)
    out, contact = FootLock(fps, STATURE)(raw, image_of(clean), seen)
    assert out[:, [3, 6], 1].min(1).max() < ANKLE_H + 0.1
    jump, _ = FootLock(fps, STATURE)(raw, image_of(raw), seen)
    assert jump[40:60, [3, 6], 1].min(1).max() > ANKLE_H + 0.2
