"""ml.pipeline_people on generated detections (no detector): what is streamed is the result, every frame
once and in order, and most frames leave while the video is still being fed; crossings, an occlusion,
a late entry, a scene cut, detection every other frame. Plus the real detector's sentence for a video
without people."""
from types import SimpleNamespace

import numpy as np
import pytest

from ml.data import SHARED_DATA
from ml.detect_multi import PersonDetection
from ml.pipeline import PipelineError, PipelineOptions, load_lifter, run_pipeline
from ml.pipeline_people import _PeopleRun
from tests.ml.test_track import person, walker

FPS = 10.0
INFO = SimpleNamespace(width=768, height=576, fps=FPS, known_fps=FPS, frame_count_hint=0)


@pytest.fixture(scope="module")
def lifter():
    import torch

    torch.set_num_threads(PipelineOptions().torch_threads)  # as the pipeline runs it (2 threads fight on 2 cores)
    return load_lifter(None)


def detections(people):
    return [PersonDetection(kp.astype(np.float32), tuple(box), None, 0.9) for kp, box in people]


def crowd(T=60, cut=None):
    """A walks right, B walks left and crosses A at t = 20, A is hidden at 40-44, C enters at 25.
    With `cut`, the second shot has the same people elsewhere."""
    rng = np.random.default_rng(0)
    a, b, c = walker(100, 300, 12, height=150), walker(580, 320, -12, height=160), walker(20, 420, 8, height=170)
    frames = []
    for t in range(T):
        shift = 0 if cut is None or t < cut else 200
        people = [b(t, rng)] + ([] if 40 <= t < 45 else [a(t, rng)]) + ([c(t, rng)] if t >= 25 else [])
        people = [(kp + [0, shift, 0], box + [0, shift, 0, shift]) for kp, box in people] if shift else people
        frames.append(detections(people))
    return frames


def run(lifter, frames, every=1, cuts=()):
    sent, live_until = [], []
    options = PipelineOptions(people="several", detect_stride=every)

    def on_frames(start, count, people, cuts):
        sent.append((start, count, people, cuts))

    r = _PeopleRun(lifter, INFO, options, on_frames)
    for i, people in enumerate(frames):
        skip = (i - max([c for c in (0, *cuts) if c <= i])) % every
        r.feed(i, None if skip else people, None, i in cuts)
    live_until.append(sum(n for _, n, _, _ in sent))  # frames sent before the end of the video
    r.finish()
    return r, sent, live_until[0]


def test_streamed_frames_are_the_result_in_order_and_online(lifter):
    r, sent, before_end = run(lifter, crowd())
    starts = [s for s, _, _, _ in sent]
    assert starts[0] == 0 and all(s + n == nxt for (s, n, _, _), nxt in zip(sent, starts[1:]))
    assert sum(n for _, n, _, _ in sent) == 60
    # Online: only the last frames wait for the end (a lost-track wait at most, half a window, a hop).
    assert before_end >= 60 - 30, before_end
    people = r.result_people()
    assert [(p.id, p.start, p.end) for p in people][:2] == [(1, 0, 60), (2, 0, 60)]
    assert len(people) == 3 and people[2].start == 25 and people[2].end == 60
    a = next(p for p in people if p.keypoints_2d[-1, 0, 0] > p.keypoints_2d[0, 0, 0] + 300 and p.start == 0)
    assert not a.detected[40:45].any() and a.detected[:40].all() and a.detected[45:].all()
    assert (a.keypoints_2d[40:45, :, 2] == 0).all()  # filled frames have no confidence
    for p in people:  # what was streamed is the result, frame for frame
        got = {}
        for s, n, chunk, _ in sent:
            for q in chunk:
                if q["id"] == p.id:
                    assert s <= q["start"] and q["start"] + len(q["kp3d"]) <= s + n
                    got.update({q["start"] + k: f for k, f in enumerate(q["kp3d"])})
        assert sorted(got) == list(range(p.start, p.end))
        assert np.allclose(np.stack([got[f] for f in sorted(got)]), p.keypoints_3d)
        assert np.isfinite(p.keypoints_3d).all() and p.skeleton["height_m"] > 0


def test_a_cut_ends_every_track_and_ids_go_on(lifter):
    r, sent, _ = run(lifter, crowd(cut=30)[:60], cuts=(30,))
    people = r.result_people()
    assert r.cuts == [30]
    assert all(p.end <= 30 or p.start >= 30 for p in people)  # no track spans the cut
    before, after = [p for p in people if p.end <= 30], [p for p in people if p.start >= 30]
    assert len(before) == 3 and len(after) == 3 and min(p.id for p in after) > max(p.id for p in before)
    assert [c for _, _, _, cuts in sent for c in cuts] == [30]


def test_detecting_every_other_frame_interpolates_the_rest(lifter):
    r, sent, _ = run(lifter, crowd(), every=2)
    people = r.result_people()
    assert sum(n for _, n, _, _ in sent) == 60
    a, b = people[0], people[1]
    assert (a.start, b.start) == (0, 0) and a.detected[0:10:2].all() and not a.detected[1:10:2].any()
    assert len(people) == 3 and people[2].start in (25, 26)
    assert a.end >= 59 and b.end >= 59  # a track ends at its last detected frame


def test_a_video_without_people_says_so(tmp_path):
    from tests.conftest import write_video

    video = write_video(tmp_path / "empty.mp4", [np.full((240, 320, 3), 128, np.uint8)] * 8)
    with pytest.raises(PipelineError, match="No person was found"):
        run_pipeline(video, PipelineOptions(people="several", people_input_size=256))


def test_several_people_keep_the_frame_and_duration_limits(tmp_path):
    """The limits the one-person path checks while decoding (ml.pipeline.check_frame) hold here too."""
    from tests.conftest import write_video

    video = write_video(tmp_path / "grey.mp4", [np.full((240, 320, 3), 128, np.uint8)] * 12, fps=4.0)
    with pytest.raises(PipelineError, match="more than 5 frames"):
        run_pipeline(video, PipelineOptions(people="several", people_input_size=256, max_frames=5))
    with pytest.raises(PipelineError, match="longer than the 2 s limit"):
        run_pipeline(video, PipelineOptions(people="several", people_input_size=256, max_seconds=2))


def test_an_unknown_people_mode_is_refused(tmp_path):
    with pytest.raises(PipelineError, match="Unknown people mode 'many'"):
        run_pipeline(tmp_path / "x.mp4", PipelineOptions(people="many"))
    # several people smooth each root at the job's level: an unknown level is refused, not run unsmoothed
    with pytest.raises(PipelineError, match="Unknown smoothing 'wobbly'"):
        run_pipeline(tmp_path / "x.mp4", PipelineOptions(people="several", smoothing="wobbly"))


@pytest.fixture(scope="module")
def people_3s(tmp_path_factory):
    """The first 3 s (30 frames) of the people fixture: several small pedestrians."""
    from ml.video import iter_frames
    from tests.conftest import FIXTURES, write_video

    frames = [f for f, _ in iter_frames(FIXTURES / "people_768x576_10fps.mp4")][:30]
    return write_video(tmp_path_factory.mktemp("people3s") / "people_3s.mp4", frames, fps=10.0)


def test_cli_and_bench_run_several_people(people_3s, tmp_path, capsys):
    import json

    from ml.bench.__main__ import main as bench
    from ml.infer import main as infer
    from ml.result import load_result

    assert infer([str(people_3s), "--out", str(tmp_path), "--people", "several", "--formats", "json,bvh",
                  "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "people" in out and "tracked per frame" in out and "result_bvh.zip" in out
    result = load_result(tmp_path / "result.json")
    assert result.frame_count == 30 and len(result.people) >= 2 and result.timings["people_per_frame"] >= 2

    with pytest.raises(SystemExit):  # a height is one person's
        infer([str(people_3s), "--out", str(tmp_path), "--people", "several", "--height-m", "1.8"])
    assert "each person's size comes from the scene" in capsys.readouterr().err

    assert bench(["pipeline", "--people", "several", str(people_3s), "--configs", "384:1:1:on,384:1:2:off",
                  "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["frames"] == 30 and figures["decode_fps"] > 0
    assert [(r["people_input_size"], r["detect_stride"], r["people_overlap"]) for r in figures["runs"]] == [
        (384, 1, True), (384, 2, False)]
    assert all(r["fps"] > 0 and r["over_decode"] > 0 and r["people_per_frame"] >= 1 for r in figures["runs"])


PEDESTRIANS = SHARED_DATA.parent / "video" / "pedestrians_768x576_10fps.mp4"


@pytest.mark.slow
@pytest.mark.skipif(not PEDESTRIANS.is_file(), reason="no real data (../shared/data)")
def test_pedestrians_clip_end_to_end():
    """The issue's target through the whole several-people pipeline: >= 5 people per frame on average,
    standing on one ground plane at plausible sizes."""
    result = run_pipeline(PEDESTRIANS, PipelineOptions(people="several"))
    assert result.frame_count == 152 and result.timings["people_per_frame"] >= 5.0, result.timings
    long = [p for p in result.people if p.end - p.start >= 80]
    assert len(long) >= 6  # most people are followed for 8 s or more
    statures = [p.skeleton["height_m"] for p in long]
    assert sum(1.3 <= s <= 2.3 for s in statures) >= len(long) - 1, statures
    # everyone's lower ankle near the one ground plane y = 0, each person on their own (a pooled median hid
    # people floating 0.25 m above it and others sunk 0.37 m below)
    feet = {p.id: np.median(np.minimum(p.keypoints_3d[p.detected, 3, 1], p.keypoints_3d[p.detected, 6, 1]))
            for p in long}
    assert all(abs(v) < 0.1 for v in feet.values()), feet
    assert 1.0 < result.camera["height_m"] < 20.0 and 0 < result.camera["tilt_deg"] < 60


def test_progress_never_goes_back_a_stage(people_3s):
    stages = ("decode", "detect", "lift", "export")
    seen = []
    run_pipeline(people_3s, PipelineOptions(people="several", people_input_size=256, progress_every=5),
                 on_progress=lambda stage, done, total: seen.append((stage, done)))
    order = [stages.index(s) for s, _ in seen]
    assert order == sorted(order), seen  # detect then lift, not interleaved
    assert [d for s, d in seen if s == "detect"] == sorted(d for s, d in seen if s == "detect")
    assert seen[-1] == ("lift", 30)
