"""Provisional 3D for the first second (issue 33): until the skeleton is measured the pipeline sends
previews of every frame so far; they come before the first final frames, cover them, and leave the
result exactly as without them (the aligner is not touched: a copy aligns the previews)."""
import numpy as np

from ml.pipeline import PREVIEW_FIRST_FRAMES, PipelineOptions, run_pipeline
from tests.conftest import write_video
from tests.ml.test_pipeline_input import clip_frames


def test_previews_come_first_cover_the_frames_and_change_nothing(people_clip, tmp_path, tiny_checkpoint):
    video = write_video(tmp_path / "walk.mp4", clip_frames(people_clip, 36, 70))
    options = PipelineOptions(checkpoint=str(tiny_checkpoint))
    events, previewed = [], {}

    def on_preview(start, kp2d, kp3d, visible=None):
        events.append(("preview", start, len(kp3d)))
        for k in range(len(kp3d)):
            previewed[start + k] = np.asarray(kp3d[k])
        assert visible is not None and len(visible) == len(kp3d) == len(kp2d)

    def on_frames(start, kp2d, kp3d, visible=None, cuts=()):
        events.append(("final", start, len(kp3d)))

    with_previews = run_pipeline(video, options, on_frames=on_frames, on_preview=on_preview)
    without = run_pipeline(video, options)
    np.testing.assert_array_equal(with_previews.keypoints_3d, without.keypoints_3d)
    kinds = [e[0] for e in events]
    assert kinds[0] == "preview" and "final" in kinds
    assert "preview" not in kinds[kinds.index("final"):]  # none after the first final frames
    first = [e for e in events if e[0] == "preview"][0]
    assert first[1] == 0 and first[2] >= PREVIEW_FIRST_FRAMES  # frames 0.. as soon as there are enough
    assert sorted(previewed) == list(range(len(previewed)))
    # a first look, close to the final 3D (the same person, the same place, give or take)
    final = np.asarray(with_previews.keypoints_3d)
    gap = np.mean([np.linalg.norm(previewed[i] - final[i], axis=-1).mean() for i in previewed])
    assert gap < 0.25, gap


def test_several_people_previews_come_first_and_change_nothing(people_clip, tmp_path, tiny_checkpoint):
    video = write_video(tmp_path / "street.mp4", clip_frames(people_clip, 0, 50))
    options = PipelineOptions(checkpoint=str(tiny_checkpoint), people="several")
    events = []

    previewed_2d = {}

    def on_preview(start, count, people=(), cuts=()):
        events.append(("preview", start, count, sorted(q["id"] for q in people)))
        for q in people:
            assert len(q["kp2d"]) == len(q["kp3d"]) == len(q["visible"]) and q["start"] + len(q["kp3d"]) <= count
            for k, kp in enumerate(q["kp2d"]):
                previewed_2d[(q["id"], q["start"] + k)] = np.asarray(kp)[:, :2]

    def on_frames(start, count, people=(), cuts=()):
        events.append(("final", start, count, sorted(q["id"] for q in people)))

    with_previews = run_pipeline(video, options, on_frames=on_frames, on_preview=on_preview)
    without = run_pipeline(video, options)
    assert [p.id for p in with_previews.people] == [p.id for p in without.people]
    for a, b in zip(with_previews.people, without.people):
        np.testing.assert_array_equal(a.keypoints_3d, b.keypoints_3d)
    kinds = [e[0] for e in events]
    assert kinds[0] == "preview" and "final" in kinds and "preview" not in kinds[kinds.index("final"):]
    # each previewed frame is that person at that frame (not shifted in time): its 2D is the final 2D
    final_2d = {(p.id, p.start + k): np.asarray(kp)[:, :2] for p in with_previews.people
                for k, kp in enumerate(p.keypoints_2d)}
    gaps = [np.abs(previewed_2d[key] - final_2d[key]).max() for key in previewed_2d if key in final_2d]
    assert gaps and np.median(gaps) < 1.0, np.median(gaps)
    final_ids = {i for e in events if e[0] == "final" for i in e[3]}
    assert {i for e in events if e[0] == "preview" for i in e[3]} <= final_ids  # nobody who is not there later
