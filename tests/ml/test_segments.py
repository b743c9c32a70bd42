"""Detection segments (ml.segments): whoever detects a segment, in whatever order or process, the
2D of every frame is the same, so a video split across processes or workers gives one result."""
import numpy as np
import pytest

from ml import segments
from ml.detect import create_detector
from ml.video import iter_frames, iter_frames_from


@pytest.fixture(scope="module")
def pair():
    detectors = [create_detector() for _ in range(2)]
    yield detectors
    for d in detectors:
        d.close()


def _same(a, b):
    assert [r.index for r in a] == [r.index for r in b]
    assert [r.cut for r in a] == [r.cut for r in b]
    for x, y in zip(a, b):
        assert (x.keypoints is None) == (y.keypoints is None), x.index
        if x.keypoints is not None:
            np.testing.assert_array_equal(x.keypoints, y.keypoints)
        assert x.t_s == pytest.approx(y.t_s)


@pytest.fixture(scope="module")
def clip(people_clip_twice):
    return people_clip_twice  # 240 frames at 10 fps: segment 0 is frames 0-199, segment 1 200-239


@pytest.fixture(scope="module")
def whole(clip, pair):
    """The clip's records in one pass."""
    return list(segments.detect_segments(clip, lambda k: True, pair, 10.0))


def test_the_plan():
    assert segments.Plan.for_fps(10.0) == (200, 10)
    assert segments.Plan.for_fps(25.0) == (500, 25)
    assert segments.Plan.for_fps(None) == segments.Plan.for_fps(25.0)
    plan = segments.Plan.for_fps(10.0)
    assert [plan.segment_of(i) for i in (0, 199, 200)] == [0, 0, 1]
    assert [plan.window_start(k) for k in (0, 1, 2)] == [0, 190, 390]


def test_every_frame_once_in_order(whole):
    assert [r.index for r in whole] == list(range(240))
    assert sum(r.keypoints is not None for r in whole) > 80  # a person is found in the clip
    assert whole[50].keypoints.shape == (17, 3)


def test_interleaved_segments_equal_one_pass(clip, pair, whole):
    even = list(segments.detect_segments(clip, lambda k: k % 2 == 0, pair, 10.0))
    odd = list(segments.detect_segments(clip, lambda k: k % 2 == 1, pair, 10.0))
    assert [r.index for r in even] == list(range(200))
    assert [r.index for r in odd] == list(range(200, 240))
    _same(even + odd, whole)


def test_a_range_from_a_seek_equals_one_pass(clip, pair, whole):
    later = list(segments.detect_segments(clip, lambda k: True, pair, 10.0, first=1))
    _same(later, whole[200:])
    first_only = list(segments.detect_segments(clip, lambda k: True, pair, 10.0, first=0, last=0))
    _same(first_only, whole[:200])


def test_the_detector_restarts_at_each_segment(clip, whole):
    """Not a continuous track: the 2D right after a segment boundary differs from what one detector
    tracking through it gives (the reason for the plan), while frames before it are the same."""
    detector = create_detector()
    continuous = []
    for frame, _ in iter_frames(clip):
        det = detector(frame)
        continuous.append(None if det is None else det.keypoints)
    detector.close()
    from ml.skeleton import to_h36m

    before = [to_h36m(k[None], "blazepose33")[0] if k is not None else None for k in continuous[:200]]
    for r, k in zip(whole[:200], before):
        if k is not None and r.keypoints is not None:
            np.testing.assert_array_equal(r.keypoints, k)
    def differs(r, k):
        if (r.keypoints is None) != (k is None):
            return True
        return k is not None and np.abs(r.keypoints - to_h36m(k[None], "blazepose33")[0]).max() > 0

    assert any(differs(r, k) for r, k in zip(whole[200:220], continuous[200:220]))


def test_seeking_gives_the_frames_a_plain_decode_gives(people_clip):
    plain = [f for f, _ in iter_frames(people_clip)]
    got = list(iter_frames_from(people_clip, 50, want=lambda i: i % 3 == 0))
    assert [i for i, _, _ in got] == list(range(50, 120))
    for i, frame, t in got:
        if i % 3 == 0:
            np.testing.assert_array_equal(frame, plain[i])
        else:
            assert frame is None
        assert t == pytest.approx(i / 10.0, abs=0.01)


def test_records_round_trip_through_arrays(whole):
    back = segments.arrays_to_records(segments.records_to_arrays(whole))
    _same(back, whole)


@pytest.fixture(scope="module")
def strided(clip, pair):
    return list(segments.detect_segments(clip, lambda k: True, pair, 10.0, stride=2))


def test_a_stride_shows_the_detector_every_nth_frame_of_each_run(strided):
    """Counted from each detector run's first frame: segment 0's from frame 0, segment 1's from its
    warm-up start (190), so both segments see frames 0, 2, ... and 200, 202, ..."""
    assert [r.index for r in strided] == list(range(240))
    assert [r.skipped for r in strided[:4]] == [False, True, False, True]
    assert all(r.skipped == (r.index % 2 == 1) for r in strided if not r.cut)
    assert all(r.keypoints is None for r in strided if r.skipped)
    assert sum(r.keypoints is not None for r in strided) > 40


def test_strided_segments_still_equal_one_pass(clip, pair, strided):
    even = list(segments.detect_segments(clip, lambda k: k % 2 == 0, pair, 10.0, stride=2))
    odd = list(segments.detect_segments(clip, lambda k: k % 2 == 1, pair, 10.0, stride=2))
    _same(even + odd, strided)
    back = segments.arrays_to_records(segments.records_to_arrays(strided))
    assert [r.skipped for r in back] == [r.skipped for r in strided]


def test_a_seek_past_the_end_gives_nothing(people_clip):
    assert list(iter_frames_from(people_clip, 500)) == []
