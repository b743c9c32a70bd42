"""Detector processes (ml.detect_pool): two processes give exactly the records of one pass, in
order; a video left early frees the processes for the next; a child's error reaches the caller."""
import pytest

from ml import segments
from ml.detect import create_detector
from ml.detect_pool import DetectorPool
from ml.video import VideoError


@pytest.fixture(scope="module")
def pool():
    p = DetectorPool(2)
    yield p
    p.close()


@pytest.fixture(scope="module")
def clip(people_clip_twice):
    return people_clip_twice  # 240 frames: two segments


@pytest.fixture(scope="module")
def one_pass(clip):
    pair = [create_detector() for _ in range(2)]
    try:
        return list(segments.detect_segments(clip, lambda k: True, pair, 10.0))
    finally:
        for d in pair:
            d.close()


def test_two_processes_equal_one_pass(pool, clip, one_pass):
    got = list(pool.records(clip, "mediapipe", 1, 10.0))
    assert [r.index for r in got] == list(range(240))
    for a, b in zip(got, one_pass):
        assert (a.keypoints is None) == (b.keypoints is None)
        if a.keypoints is not None:
            assert (a.keypoints == b.keypoints).all(), a.index
        assert a.cut == b.cut


def test_leaving_early_frees_the_processes(pool, clip):
    records = pool.records(clip, "mediapipe", 1, 10.0)
    first = [next(records) for _ in range(70)]
    records.close()  # e.g. the job was cancelled
    assert [r.index for r in first] == list(range(70))
    again = list(pool.records(clip, "mediapipe", 1, 10.0))
    assert len(again) == 240 and pool.alive()


def test_a_file_that_is_not_a_video(pool, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(VideoError, match="not a video"):
        list(pool.records(bad, "mediapipe", 1, 10.0))
    assert pool.alive()


def test_the_pipeline_gives_the_same_result_with_one_or_two_processes(pool, clip, tiny_checkpoint):
    import numpy as np

    from ml.pipeline import PipelineOptions, run_pipeline

    one = run_pipeline(clip, PipelineOptions(checkpoint=str(tiny_checkpoint), detect_processes=1))
    two = run_pipeline(clip, PipelineOptions(checkpoint=str(tiny_checkpoint), detect_processes=2))
    assert one.frame_count == two.frame_count == 240
    np.testing.assert_array_equal(one.keypoints_2d, two.keypoints_2d)
    np.testing.assert_array_equal(one.keypoints_3d, two.keypoints_3d)
    np.testing.assert_array_equal(one.detected, two.detected)


def test_warm_loads_the_detectors_in_every_child(pool, people_clip):
    pool.warm("mediapipe", 1)
    assert pool.alive()
    assert len(list(pool.records(people_clip, "mediapipe", 1, 10.0))) == 120  # one segment: child 1 idle


def test_children_do_not_outlive_a_killed_parent(tmp_path):
    """kill -9 of the process that owns a pool: its detector processes exit on their own."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\n"
        "from ml.detect_pool import DetectorPool\n"
        "if __name__ == '__main__':\n"
        "    pool = DetectorPool(2)\n"
        "    print(' '.join(str(p.pid) for p in pool._procs), flush=True)\n"
        "    time.sleep(600)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=root,
                             env=dict(os.environ, PYTHONPATH=root))
    children = [int(x) for x in owner.stdout.readline().split()]
    assert len(children) == 2 and all(_alive(pid) for pid in children)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not any(_alive(pid) for pid in children)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
