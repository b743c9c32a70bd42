"""Feet on the floor on every shot (issue 28): a montage generated from the real pedestrians clip,
the shipped model, the real detector."""
import cv2
import numpy as np

from ml.pipeline import PipelineOptions, run_pipeline
from ml.quality import floor_shares_pct
from tests.conftest import write_video
from tests.ml.test_pipeline_input import clip_frames


def zoomed(frames, x, y, w, h):
    """A close-up: the crop (x, y, w, h) of every frame scaled up to the frame's size."""
    H, W = frames[0].shape[:2]
    return [cv2.resize(np.ascontiguousarray(f[y:y + h, x:x + w]), (W, H), interpolation=cv2.INTER_LINEAR)
            for f in frames]


def test_a_zoom_cut_is_a_new_shot_with_its_own_floor(people_clip, tmp_path):
    """Wide, then a 2x close-up of the same street (the same colours: only the layout tells the cut):
    the cut is found, and no frame of the close-up floats (lowest joint > 0.3 m above the floor) or
    sinks because of the shot before it."""
    frames = clip_frames(people_clip, 36, 60)
    video = write_video(tmp_path / "zoom.mp4", frames[:30] + zoomed(frames[30:], 100, 80, 384, 288))
    chunks = []
    result = run_pipeline(video, PipelineOptions(),
                          on_frames=lambda s, a, b, visible=None, cuts=(): chunks.append((s, len(b), list(cuts))))
    assert result.cuts == [30]
    assert [c for _, _, cs in chunks for c in cs] == [30]  # streamed with the chunk that holds it
    k3 = np.asarray(result.keypoints_3d)
    det = np.asarray(result.detected, bool)
    assert det[:30].sum() > 20 and det[30:].sum() > 10   # (MediaPipe finds the close-up's person late)
    f = floor_shares_pct(k3[30:], det[30:])
    assert f["float_pct"] == 0 and f["sunk_pct"] == 0, k3[30:, :, 1].min(1).round(2)
    low = k3[30:][det[30:], :, 1].min(1)
    assert np.abs(low[:5] - np.median(low)).max() < 0.1  # on the floor from the shot's first frames
