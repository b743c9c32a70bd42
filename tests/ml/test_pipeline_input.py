"""The video → 3D pipeline on real footage and on every kind of bad input (issue: pipeline)."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from ml.postprocess import bone_lengths
import pytest
import torch

from ml.pipeline import PipelineError, PipelineOptions, VideoProblem, _GapFiller, run_pipeline
from ml.video import VideoError, probe
from tests.conftest import write_video

ROOT = Path(__file__).resolve().parents[2]


def clip_frames(path, start, count):
    """Frames [start, start + count) decoded in order (MediaPipe first finds a person at frame 36)."""
    cap = cv2.VideoCapture(str(path))
    frames = [cap.read()[1] for _ in range(start + count)]
    return frames[start:]


def run(path, ckpt, **kw):
    return run_pipeline(path, PipelineOptions(checkpoint=str(ckpt), **kw))


@pytest.fixture(scope="module")
def streamed(people_clip, tiny_checkpoint):
    chunks, progress = [], []
    result = run_pipeline(people_clip, PipelineOptions(checkpoint=str(tiny_checkpoint)),
                          on_frames=lambda s, a, b, **k: chunks.append((s, a.copy(), b.copy())),
                          on_progress=lambda *p: progress.append(p))
    return result, chunks, progress


def test_real_clip_streams_every_frame_once_in_order(streamed):
    result, chunks, progress = streamed
    assert result.frame_count == 120 and result.keypoints_3d.shape == (120, 17, 3)
    starts = [s for s, _, _ in chunks]
    assert starts == sorted(starts) and starts[0] == 0 and len(chunks) > 3
    assert np.array_equal(np.concatenate([b for _, _, b in chunks]), result.keypoints_3d)
    # one skeleton in every frame: chunks wait for it to settle (a few seconds of video at most)
    assert np.allclose(bone_lengths(result.keypoints_3d), bone_lengths(result.keypoints_3d[:1]), atol=1e-5)
    # The first chunk went out while detection was still running.
    first_lift = next(i for i, p in enumerate(progress) if p[0] == "lift")
    assert any(p[0] == "detect" for p in progress[first_lift:])
    assert 0.3 < result.detected.mean() <= 1.0
    assert np.isfinite(result.keypoints_3d).all()
    assert (result.keypoints_2d[..., 0] <= 768).all() and (result.keypoints_2d[..., 1] <= 576).all()


def test_gap_filler_interpolates_and_holds():
    f = _GapFiller()
    a, b = np.zeros((17, 3)) + [0, 0, 1], np.ones((17, 3)) * [4, 4, 1]
    for kp in (None, a, None, None, None, b, None):
        f.add(kp)
    assert f.ready == 6
    f.finish()
    xs = [fr[0, 0] for fr in f.frames]
    assert xs == [0, 0, 1, 2, 3, 4, 4]
    assert [fr[0, 2] for fr in f.frames] == [0, 1, 0, 0, 0, 1, 0]  # filled frames carry confidence 0


def test_a_detection_stride_fills_the_frames_between(people_clip, tiny_checkpoint, streamed):
    full = streamed[0]
    half = run(people_clip, tiny_checkpoint, detect_stride=2, detect_processes=1)
    assert half.frame_count == full.frame_count and np.isfinite(half.keypoints_3d).all()
    assert "every 2 frames" in half.detector and "every" not in full.detector
    # skipped frames between sightings stay visible: about as many as when every frame is detected
    assert half.visible.mean() > 0.8 * full.visible.mean()
    assert abs(half.detected.mean() - full.detected.mean()) < 0.2


def test_gap_filler_keeps_the_confidence_of_frames_only_skipped():
    """A stride's skipped frames between two detections are a guess between two sightings (the lower
    confidence of the two); a frame where the detector saw no person still makes the gap unseen."""
    f = _GapFiller()
    a, b, c = np.zeros((17, 3)) + [0, 0, 0.9], np.ones((17, 3)) * [2, 2, 0.6], np.ones((17, 3)) * [6, 6, 1]
    f.add(a)
    f.add(None, skipped=True)
    f.add(b)
    f.add(None, skipped=True)
    f.add(None)                 # no person in a frame the detector saw
    f.add(None, skipped=True)
    f.add(c)
    f.add(None, skipped=True)   # the clip ends on a skipped frame
    f.finish()
    assert [fr[0, 0] for fr in f.frames] == [0, 1, 2, 3, 4, 5, 6, 6]
    assert [round(float(fr[0, 2]), 2) for fr in f.frames] == [0.9, 0.6, 0.6, 0, 0, 0, 1, 1]


def test_not_a_video(not_a_video, tiny_checkpoint):
    with pytest.raises(VideoError, match="not a video"):
        run(not_a_video, tiny_checkpoint)


def test_empty_file(tmp_path, tiny_checkpoint):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        run(tmp_path / "empty.mp4", tiny_checkpoint)


def test_truncated_file(people_clip, tmp_path, tiny_checkpoint):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(people_clip.read_bytes()[: people_clip.stat().st_size // 3])
    with pytest.raises(VideoError, match="damaged|not a video"):
        run(cut, tiny_checkpoint)


def test_no_person(no_person_video, tiny_checkpoint):
    with pytest.raises(VideoProblem, match="No person was found"):  # the video's own: a retry would repeat it
        run(no_person_video, tiny_checkpoint)


def test_person_in_only_a_few_frames(people_clip, tmp_path, tiny_checkpoint):
    people = clip_frames(people_clip, 36, 3)
    blank = [np.full_like(people[0], 90) for _ in range(27)]
    with pytest.raises(PipelineError, match=r"only \d+ of 30 frames"):
        run(write_video(tmp_path / "few.mp4", people + blank), tiny_checkpoint)


def test_very_large_frames_are_detected_downscaled(people_clip, tmp_path, tiny_checkpoint):
    frames = [cv2.resize(f, (3840, 2880)) for f in clip_frames(people_clip, 36, 6)]
    result = run(write_video(tmp_path / "huge.mp4", frames), tiny_checkpoint)
    assert (result.width, result.height) == (3840, 2880)
    kp = result.keypoints_2d[result.detected]
    assert len(kp) and kp[..., 0].max() > 768  # keypoints are in the big frame's pixels


def test_rotation_metadata_is_respected(people_clip, tmp_path, ffmpeg, tiny_checkpoint):
    rotated = tmp_path / "phone.mp4"
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-display_rotation", "90", "-i", str(people_clip),
                    "-frames:v", "20", "-c", "copy", str(rotated)], check=True)
    info = probe(rotated)
    assert (info.width, info.height) == (576, 768)


def test_variable_frame_rate_keeps_real_timestamps(people_clip, tmp_path, ffmpeg, tiny_checkpoint):
    vfr = tmp_path / "vfr.mp4"
    # First 20 frames 0.1 s apart, the rest 0.05 s apart.
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-ss", "3.6", "-i", str(people_clip), "-frames:v", "40",
                    "-vf", "settb=1/1000,setpts='if(lt(N,20),N*0.1,2+(N-20)*0.05)/TB'", "-fps_mode", "vfr",
                    "-enc_time_base", "1/1000", "-video_track_timescale", "1000",
                    "-c:v", "libx264", "-preset", "ultrafast", str(vfr)], check=True)
    result = run(vfr, tiny_checkpoint)
    dt = np.diff(result.times)
    assert np.allclose(dt[:18], 0.1, atol=0.011) and np.allclose(dt[22:], 0.05, atol=0.011)


def test_checkpoint_for_another_joint_set(people_clip, tiny_checkpoint, tmp_path):
    ckpt = torch.load(tiny_checkpoint, weights_only=False)
    ckpt["joints"]["set"] = "coco17"
    torch.save(ckpt, tmp_path / "coco.pt")
    with pytest.raises(PipelineError, match="joint set 'coco17'"):
        run(people_clip, tmp_path / "coco.pt")


def test_a_file_that_is_not_a_checkpoint(people_clip, not_a_video):
    with pytest.raises(PipelineError, match="not a usable 3DPoseNet lifter checkpoint") as info:
        run(people_clip, not_a_video)
    assert not isinstance(info.value, VideoProblem)  # the server's model, not the video: Retry stays


def test_infer_cli_fails_with_one_line(not_a_video, tmp_path, tiny_checkpoint):
    out = subprocess.run([sys.executable, "-m", "ml.infer", str(not_a_video), "--out", str(tmp_path / "o"),
                          "--checkpoint", str(tiny_checkpoint), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "not a video" in lines[0]
    assert not (tmp_path / "o").exists()  # nothing half-written


@pytest.mark.parametrize("complexity", [0, 2])
def test_lite_and_heavy_detectors_from_the_npm_model_files(people_clip, tmp_path, tiny_checkpoint, complexity):
    frames = clip_frames(people_clip, 36, 6)
    result = run(write_video(tmp_path / "short.mp4", frames), tiny_checkpoint, complexity=complexity)
    assert f"complexity {complexity}" in result.detector and result.detected.any()


def test_unknown_complexity_is_a_clear_error(people_clip, tiny_checkpoint):
    with pytest.raises(PipelineError, match="complexity must be 0"):
        run(people_clip, tiny_checkpoint, complexity=5)
