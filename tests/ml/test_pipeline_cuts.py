"""Scene cuts and partly visible people in the pipeline (real video, real detector)."""
import numpy as np

from ml.lift import Lifter, StreamingLifter
from ml.pipeline import PipelineOptions, run_pipeline
from ml.postprocess import visible_joints
from tests.conftest import write_video
from tests.ml.test_pipeline_input import clip_frames


def test_a_cut_starts_a_new_lifter_stream(people_clip, tmp_path, tiny_checkpoint):
    """Two shots (the second a differently graded camera): the result lists the cut, a chunk starts
    exactly on it, and the first shot's 3D is what lifting that shot alone gives."""
    frames = clip_frames(people_clip, 36, 60)
    graded = [np.ascontiguousarray(f[:, ::-1, ::-1]) for f in frames[30:]]  # mirrored, red <-> blue
    video = write_video(tmp_path / "two_shots.mp4", frames[:30] + graded)
    chunks = []
    # foot_lock off: the leg IK would move knees, and this compares the lifter's bone directions;
    # facing off: it may turn the (tiny, untrained) lifter's figure (ml.facing, tested on its own)
    result = run_pipeline(video, PipelineOptions(checkpoint=str(tiny_checkpoint), smoothing="none", foot_lock=False,
                                                 facing=False),
                          on_frames=lambda s, a, b, visible=None, cuts=(): chunks.append((s, len(b), list(cuts))))
    assert result.cuts == [30] and result.to_dict()["cuts"] == [30]
    assert 30 in [s for s, _, _ in chunks]
    # each shot keeps the camera tilt its frames were turned upright by (a montage's shots differ)
    shots = result.to_dict()["camera"]["shots"]
    assert [s["first_frame"] for s in shots] == [0, 30] and shots[-1]["world_from_camera"] == result.camera["world_from_camera"]
    assert [c for _, _, cs in chunks for c in cs] == [30]  # announced once, with the chunk holding it
    # the 3D of shot 1 came from windows inside shot 1 only
    lifter = Lifter.load(tiny_checkpoint)
    stream = StreamingLifter(lifter, result.width, result.height, result.fps)
    alone = stream.push(result.keypoints_2d[:30]) + stream.finish()
    assert sum(len(c.cam) for c in alone) == 30
    first = [c for c in alone if c.start == 0][0]
    before = result.keypoints_3d[:len(first.cam)]
    # the same bone directions as lifting the shot alone (bone lengths and root are the aligner's)
    d_ref = first.cam[:, 2] - first.cam[:, 1]
    d_got = (before[:, 2] - before[:, 1]) * np.array([1, -1, -1])
    cos = (d_ref * d_got).sum(-1) / np.linalg.norm(d_ref, axis=-1) / np.linalg.norm(d_got, axis=-1)
    assert (cos > 0.999).all()


def test_visibility_follows_the_2d(people_clip, tmp_path, tiny_checkpoint):
    """Frames without a person (here: a few black ones) and unconfident joints are not visible."""
    frames = clip_frames(people_clip, 36, 40)
    frames[15:20] = [np.zeros_like(frames[0])] * 5
    result = run_pipeline(write_video(tmp_path / "gap.mp4", frames), PipelineOptions(checkpoint=str(tiny_checkpoint)))
    assert not result.detected[15:20].any() and result.detected[:15].all()
    assert not result.visible[~result.detected].any()
    assert np.array_equal(result.visible, visible_joints(result.keypoints_2d, result.width, result.height))
    assert result.visible[result.detected].mean() > 0.3
    d = result.to_dict()
    assert np.array_equal(np.asarray(d["visible"], bool), result.visible)
    assert d["skeleton"]["height_source"] == "prior" and d["skeleton"]["height_m"] == 1.7
    tall = run_pipeline(write_video(tmp_path / "gap.mp4", frames),
                        PipelineOptions(checkpoint=str(tiny_checkpoint), height_m=1.95))
    assert tall.skeleton["height_source"] == "given"
    ratio = np.array(tall.skeleton["bone_lengths_m"])[1:] / np.array(d["skeleton"]["bone_lengths_m"])[1:]
    assert np.allclose(ratio, 1.95 / 1.7, rtol=0.01)
