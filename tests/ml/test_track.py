"""ml.track on generated detections: crossings, occlusion, late entry, spurious detections, gap filling."""
import numpy as np
import pytest

from ml.track import Tracker, appearance, box_iou, keypoint_similarity, track_people

FPS = 10.0
# A standing person's COCO-17 keypoints in a unit box (x, y in [0, 1]), head at the top.
UNIT_POSE = np.array([
    [.5, .08], [.45, .06], [.55, .06], [.4, .08], [.6, .08], [.3, .22], [.7, .22], [.25, .4], [.75, .4],
    [.22, .55], [.78, .55], [.38, .55], [.62, .55], [.38, .77], [.62, .77], [.38, .97], [.62, .97]])


def person(cx, cy, height, rng=None, noise=1.0):
    """Keypoints (17, 3) and box (4,) of a person centred at (cx, cy) pixels, `height` pixels tall."""
    w = 0.4 * height
    xy = np.array([cx - w / 2, cy - height / 2]) + UNIT_POSE * [w, height]
    if rng is not None:
        xy = xy + rng.normal(0, noise, xy.shape)
    kp = np.concatenate([xy, np.full((17, 1), 0.8)], axis=1)
    return kp, np.array([cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2])


def frame(*people):
    if not people:
        return np.zeros((0, 17, 3)), np.zeros((0, 4))
    return np.stack([p[0] for p in people]), np.stack([p[1] for p in people])


def run(frames):
    """frames: list of lists of (kp, box). Returns (tracks, per-frame {detection index: id})."""
    tracker = Tracker(FPS)
    ids = [tracker.update(*frame(*people)) for people in frames]
    return tracker.finish(), ids


def walker(x0, y, vx, height=90):
    return lambda t, rng: person(x0 + vx * t, y, height, rng)


# The second case: same size, same height in the image, so that only their motion tells them apart.
@pytest.mark.parametrize("dy, height_b, seed", [(20, 100, 0), (0, 90, 1), (0, 90, 2), (0, 90, 3)])
def test_two_people_crossing_keep_their_ids(dy, height_b, seed):
    rng = np.random.default_rng(seed)
    a, b = walker(100, 300, 12), walker(580, 300 + dy, -12, height=height_b)  # they pass each other at t = 20
    frames = [[a(t, rng), b(t, rng)] for t in range(40)]
    tracks, ids = run(frames)
    assert len(tracks) == 2
    # Detection 0 is always person a: the same id in every frame after confirmation, and a's id != b's
    # (at t = 20 the two coincide, so which detection gets which id there is a coin toss).
    after = [m for t, m in enumerate(ids) if t >= 3 and t != 20]
    ids_a = {m[0] for m in after}
    ids_b = {m[1] for m in after}
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
    for tr in tracks:
        assert tr.start == 0 and tr.end == 40 and tr.detected.all()
    by_id = {tr.id: tr for tr in tracks}
    a_track = by_id[ids_a.pop()]
    assert a_track.boxes[-1][0] > a_track.boxes[0][0] + 300  # the one who walked right


def test_detection_order_shuffled_does_not_matter():
    rng = np.random.default_rng(1)
    a, b = walker(100, 300, 10), walker(600, 300, -10)
    order = rng.random(30) < 0.5
    frames = [[a(t, rng), b(t, rng)] if o else [b(t, rng), a(t, rng)] for t, o in enumerate(order)]
    _, ids = run(frames)
    for t in range(3, 30):
        ia, ib = (ids[t][0], ids[t][1]) if order[t] else (ids[t][1], ids[t][0])
        assert (ia, ib) == ((ids[3][0], ids[3][1]) if order[3] else (ids[3][1], ids[3][0]))


def test_person_hidden_behind_another_gets_their_id_back_and_the_gap_filled():
    rng = np.random.default_rng(2)
    front, back = walker(100, 330, 12, height=110), walker(560, 300, -10, height=80)
    hidden = range(16, 22)  # back is behind front for 6 frames (0.6 s)
    frames = [[front(t, rng)] + ([] if t in hidden else [back(t, rng)]) for t in range(40)]
    tracks, ids = run(frames)
    assert len(tracks) == 2
    before = ids[15][1]
    assert ids[22][1] == before and ids[39][1] == before and ids[22][0] != before
    tr = next(t for t in tracks if t.id == before)
    assert tr.start == 0 and tr.end == 40
    assert not tr.detected[16:22].any() and tr.detected[:16].all() and tr.detected[22:].all()
    assert (tr.keypoints[16:22, :, 2] == 0).all() and (tr.keypoints[:16, :, 2] > 0).all()
    # Interpolated positions lie on the walk: centre x moves steadily from frame 15 to 22.
    cx = 0.5 * (tr.boxes[:, 0] + tr.boxes[:, 2])
    assert np.all(np.diff(cx[15:23]) < 0)
    assert abs(cx[18] - (560 - 10 * 18)) < 10


def test_person_entering_late_gets_a_new_id_from_their_first_frame():
    rng = np.random.default_rng(3)
    a, late = walker(100, 300, 8), walker(700, 250, -8)
    frames = [[a(t, rng)] + ([late(t, rng)] if t >= 15 else []) for t in range(35)]
    tracks, ids = run(frames)
    assert len(tracks) == 2
    by_start = sorted(tracks, key=lambda t: t.start)
    assert by_start[0].start == 0 and by_start[1].start == 15 and by_start[1].end == 35
    assert by_start[1].id != by_start[0].id and by_start[1].detected.all()
    assert 1 not in ids[15] and ids[17][1] == by_start[1].id  # id given once confirmed (3 hits)


def test_spurious_detections_do_not_become_people():
    rng = np.random.default_rng(4)
    a = walker(100, 300, 8)
    ghost = person(600, 100, 60)
    frames = [[a(t, rng)] for t in range(30)]
    frames[10].append(ghost)                       # one frame
    frames[20] += [person(300, 500, 70), ]         # another, elsewhere
    frames[24].append(person(650, 450, 80))        # two frames in a row: still not confirmed
    frames[25].append(person(652, 450, 80))
    tracks, ids = run(frames)
    assert len(tracks) == 1 and tracks[0].detected.all()
    assert all(len(m) == 1 for m in ids[3:])


def test_short_confirmed_track_is_dropped_at_the_end():
    rng = np.random.default_rng(5)
    a, brief = walker(100, 300, 8), walker(600, 300, -8)
    frames = [[a(t, rng)] + ([brief(t, rng)] if 10 <= t < 13 else []) for t in range(30)]  # 3 frames < 0.5 s
    tracks, _ = run(frames)
    assert [t.start for t in tracks] == [0]


def test_a_person_gone_too_long_comes_back_as_a_new_id():
    rng = np.random.default_rng(6)
    a = walker(100, 300, 5)
    frames = [[a(t, rng)] if not 10 <= t < 30 else [] for t in range(45)]  # 2 s away > keep_lost_s
    tracks, _ = run(frames)
    assert [(t.start, t.end) for t in tracks] == [(0, 10), (30, 45)]
    assert tracks[0].id != tracks[1].id


def test_empty_video_and_frames_without_people():
    assert run([[] for _ in range(5)])[0] == []
    assert track_people([[], []], FPS) == []


def test_shapes_are_checked():
    tracker = Tracker(FPS)
    with pytest.raises(AssertionError):
        tracker.update(np.zeros((2, 17, 3)), np.zeros((3, 4)))
    with pytest.raises(AssertionError):
        tracker.update(np.zeros((2, 17, 3)), np.zeros((2, 4)), np.zeros(3))


def test_similarities():
    kp, box = person(100, 100, 80)
    assert box_iou(box, box) == pytest.approx(1.0)
    assert box_iou(box, box + 1000) == 0.0
    area = float(np.prod(box[2:] - box[:2]))
    assert keypoint_similarity(kp, kp, area) == pytest.approx(1.0)
    far = kp.copy()
    far[:, 0] += 40
    assert keypoint_similarity(kp, far, area) < 0.2
    unseen = kp.copy()
    unseen[:, 2] = 0.0
    assert keypoint_similarity(kp, unseen, area) == 0.0


def painted(people_and_colours, shape=(576, 768)):
    """A grey frame with each person's box painted: upper body one colour, lower body another."""
    img = np.full(shape + (3,), 110, np.uint8)
    for (kp, box), (top, bottom) in people_and_colours:
        x0, y0, x1, y1 = box.round().astype(int)
        mid = (y0 + y1) // 2
        img[y0:mid, x0:x1] = top
        img[mid:y1, x0:x1] = bottom
    return img


def test_appearance_signatures_tell_clothes_apart():
    red_jeans = ((30, 30, 200), (150, 90, 40))   # BGR: red jumper, blue jeans
    black = ((20, 20, 20), (25, 25, 25))
    a, b = person(200, 300, 100), person(500, 300, 100)
    img = painted([(a, red_jeans), (b, black)])
    fa, fb = appearance(img, a[1]), appearance(img, b[1])
    assert fa.shape == fb.shape == (2 * 8 ** 3,)
    assert np.linalg.norm(fa) == pytest.approx(1.0) and fa @ fa == pytest.approx(1.0)
    assert fa @ fb < 0.5
    shifted = painted([(person(203, 302, 100), red_jeans)])
    assert appearance(shifted, person(203, 302, 100)[1]) @ fa > 0.9
    assert not appearance(img, np.array([900, 900, 950, 990.0])).any()  # off the frame: no signature


def test_stranger_in_a_lost_persons_place_does_not_take_their_id():
    """A (red) is hidden for 7 frames; meanwhile B (black) steps out where A would be. Boxes and
    motion alone hand A's id to B; with colour signatures B gets an id of their own and A gets A's back."""
    rng = np.random.default_rng(7)
    red, black = ((30, 30, 200), (150, 90, 40)), ((20, 20, 20), (25, 25, 25))
    a = walker(100, 300, 10)
    frames, imgs = [], []
    for t in range(40):
        people = []
        if not 12 <= t < 19:
            people.append((a(t, rng), red))
        if t >= 14:  # B appears next to A's hidden path, then walks down and away from it
            people.append((person(100 + 10 * 14 + 25, 300 + 6 * (t - 14), 100, rng), black))
        frames.append(people)
        imgs.append(painted([p for p in people]))

    def run_with(use_colours):
        tracker = Tracker(FPS)
        ids = []
        for people, img in zip(frames, imgs):
            kp, box = frame(*[p for p, _ in people])
            feats = np.stack([appearance(img, b) for b in box]) if use_colours and len(box) else None
            ids.append(tracker.update(kp, box, None, feats))
        return ids

    ids = run_with(True)
    id_a = ids[11][0]
    assert ids[19][0] == id_a and ids[39][0] == id_a  # A back under A's id
    assert ids[17].get(0) not in (None, id_a) and ids[39][1] not in (None, id_a)  # B: a new id
    geometric = run_with(False)
    assert geometric[17][0] == geometric[11][0]  # without colours B is taken for A (why they are used)
