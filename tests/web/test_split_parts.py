"""The parts of a split video (poseapp/segments.py): one owner per part, a helper's part read back
as written, and a part whose helper went quiet redone by the job's own worker."""
import os
import time

import pytest
from django.core.files import File

from poseapp import segments
from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner, people_clip_twice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with open(people_clip_twice, "rb") as f:
        video = Video.objects.create(owner=owner, file=File(f, name="twice.mp4"), original_name="twice.mp4")
    return PoseJob.objects.create(owner=owner, video=video, status=PoseJob.Status.RUNNING)


def test_a_part_has_one_owner(job):
    a, b = segments.Parts(job, 2), segments.Parts(job, 2)
    assert a.claim(1) and not b.claim(1)
    assert a.owner(1) == segments.owner_name() and a.mine == {1} and b.mine == set()


def test_part_count_follows_the_settings(settings):
    from ml.video import VideoInfo

    info = VideoInfo(width=640, height=480, fps=25.0, frame_count_hint=25 * 130)
    settings.POSENET_SPLIT_MIN_S = 60
    assert segments.part_count(info) == 7  # 130 s in 20-s parts
    settings.POSENET_SPLIT_MIN_S = 200
    assert segments.part_count(info) == 0
    settings.POSENET_SPLIT_MIN_S, settings.POSENET_SPLIT = 60, False
    assert segments.part_count(info) == 0


def test_helper_parts_and_a_quiet_helper(job, settings, people_clip_twice):
    """Part 1 written by a 'helper' is read back as it is; with part 1 claimed by a helper that went
    quiet, the job's worker detects it itself; both give the records of one pass."""
    from ml.pipeline import detector_pair
    from ml.segments import detect_segments

    whole = list(detect_segments(people_clip_twice, lambda k: True, detector_pair(), 10.0))
    parts = segments.Parts(job, 2)
    parts.claim(1)
    parts.write(1, whole[200:])
    got = list(segments.split_records(job, people_clip_twice, 10.0, segments.Parts(job, 2), lambda: False,
                                      tick=lambda: None, done_here=(here := [])))
    assert here == [0] and [r.index for r in got] == list(range(240))
    assert all((a.keypoints is None) == (b.keypoints is None) for a, b in zip(got, whole))

    os.remove(parts.path(1, "npz"))
    old = time.time() - 3600
    os.utime(parts.path(1, "claim"), (old, old))  # claimed an hour ago, never finished
    settings.POSENET_SPLIT_STALE_S = 30
    got = list(segments.split_records(job, people_clip_twice, 10.0, segments.Parts(job, 2), lambda: False,
                                      tick=lambda: None, done_here=(here := [])))
    assert here == [0, 1] and len(got) == 240


def test_a_helper_that_failed_on_the_video(job, people_clip_twice):
    from ml.video import VideoError

    parts = segments.Parts(job, 2)
    parts.claim(1)
    parts.write_error(1, "No frames could be decoded from this file.")
    with pytest.raises(VideoError, match="No frames"):
        list(segments.split_records(job, people_clip_twice, 10.0, segments.Parts(job, 2), lambda: False,
                                    tick=lambda: None, done_here=[]))


def test_a_late_helper_starts_nothing_again(job):
    """A helper task that runs after the job's worker has finished the parts (and removed their
    folders) detects and draws nothing, and leaves no folder behind."""
    job.work_dir.mkdir(parents=True, exist_ok=True)
    segments.detect_parts(job.pk, 2)
    assert list(job.work_dir.iterdir()) == []
    assert not segments.Parts(job, 2).claim(0, create=False)
