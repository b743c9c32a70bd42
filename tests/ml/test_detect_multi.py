"""ml.detect_multi: the committed MoveNet MultiPose ONNX model run by onnxruntime on real frames."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.data import SHARED_DATA
from ml.detect_multi import WEIGHTS, _providers, create_multi_detector, network_size
from ml.skeleton import to_h36m

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "people_768x576_10fps.mp4"
PEDESTRIANS = SHARED_DATA.parent / "video" / "pedestrians_768x576_10fps.mp4"

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -r requirements.txt)")


def fixture_frame(index=30):
    cap = cv2.VideoCapture(str(FIXTURE))
    for _ in range(index + 1):
        ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


@pytest.fixture(scope="module")
def detector():
    d = create_multi_detector(input_size=512)
    yield d
    d.close()


def test_weights_are_committed_and_small():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 25e6
    assert (WEIGHTS.parent / "movenet_multipose.LICENSE.txt").is_file()


def test_finds_several_people_on_a_real_frame(detector):
    frame = fixture_frame()
    h, w = frame.shape[:2]
    people = detector(frame)
    assert detector.layout == "coco17" and detector.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")
    assert 3 <= len(people) <= 6  # the fixture shows about 7 small people; MoveNet finds most
    assert [p.score for p in people] == sorted((p.score for p in people), reverse=True)
    for p in people:
        assert p.keypoints.shape == (17, 3) and p.keypoints.dtype == np.float32
        assert p.score >= 0.2
        x0, y0, x1, y1 = p.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert 30 < y1 - y0 < 200  # people here are 60-110 px tall
        sure = p.keypoints[p.keypoints[:, 2] > 0.3, :2]
        # Confident keypoints lie in the person's box (a few px of slack): pixels of the original frame.
        assert len(sure) and np.all((sure >= [x0 - 8, y0 - 8]) & (sure <= [x1 + 8, y1 + 8]))
        head, ankles = p.keypoints[0, 1], p.keypoints[15:17, 1].mean()
        assert head < ankles  # upright people, y down
    assert to_h36m(np.stack([p.keypoints for p in people]), detector.layout).shape == (len(people), 17, 3)


def test_padding_does_not_shift_the_keypoints(detector):
    """448 px input pads 768x576 to 448x352 (336 rounded up); people land where the unpadded 512 px run puts them."""
    frame = fixture_frame()
    padded = create_multi_detector(input_size=448)
    assert network_size(768, 576, 448)[3:] == (448, 352)
    a = np.array([p.keypoints[:, :2].mean(0) for p in padded(frame)])
    b = np.array([p.keypoints[:, :2].mean(0) for p in detector(frame)])
    near = [np.linalg.norm(b - c, axis=1).min() for c in a]
    assert sorted(near)[len(near) // 2] < 5  # most people within a few pixels


def test_other_frame_shapes(detector):
    rng = np.random.default_rng(0)
    for h, w in [(720, 1280), (1280, 720), (61, 97)]:
        frame = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)  # dark noise: nobody
        assert detector(frame) == []
    big = cv2.resize(fixture_frame(), (1280, 960))
    assert len(detector(big)) >= 3


def test_network_size_is_padded_to_multiples_of_32():
    for w, h, size in [(768, 576, 512), (1280, 720, 384), (720, 1280, 512), (97, 61, 256), (1920, 1080, 640)]:
        scale, rw, rh, pw, ph = network_size(w, h, size)
        assert max(rw, rh) == size and pw % 32 == 0 and ph % 32 == 0 and 0 <= pw - rw < 32 and 0 <= ph - rh < 32


def test_cuda_first_when_onnxruntime_has_it():
    assert _providers(["CUDAExecutionProvider", "CPUExecutionProvider"]) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert _providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_bad_settings_are_refused_with_a_sentence(tmp_path):
    with pytest.raises(ValueError, match="input size must be one of"):
        create_multi_detector(input_size=500)
    with pytest.raises(ValueError, match="missing"):
        create_multi_detector(weights=tmp_path / "none.onnx")
    with pytest.raises(ValueError, match="Unknown multi-person"):
        create_multi_detector("yolo")


@pytest.mark.slow
@pytest.mark.skipif(not PEDESTRIANS.is_file(), reason="no real data (../shared/data)")
def test_pedestrians_clip_people_are_tracked():
    """The issue's target: on average at least 5 people tracked per frame on the shared pedestrians clip."""
    from ml.bench.multiperson import detect_video, summarise
    from ml.track import track_people

    per_frame, features, _, _ = detect_video(PEDESTRIANS, 512, 0.2)
    tracks = track_people(per_frame, fps=10.0, features=features)
    s = summarise(per_frame, tracks, 768, 576)
    assert len(per_frame) == 152
    assert s["people_tracked_per_frame"] >= 5.0 and s["people_tracked_and_detected_per_frame"] >= 5.0
    assert 7 <= s["tracks"] <= 12  # about 10 people cross the view
    assert sum(n >= 80 for n in s["track_frames"]) >= 6  # most people are followed for 8 s or more


def test_bench_runs_on_the_fixture(tmp_path, capsys):
    """`python -m ml.bench multiperson` end to end on the first frames of the fixture: figures, sheets, 3D."""
    import json

    from ml.bench.__main__ import main

    assert main(["multiperson", str(FIXTURE), "--input-size", "256", "--frames", "12", "--lift",
                 "--sheets", str(tmp_path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = figures["runs"][0]
    assert run["frames"] == 12 and run["input_size"] == 256
    assert run["people_found_per_frame"] >= 1 and run["tracks"] >= 1 and run["detect_fps"] > 0
    assert len(run["statures_m"]) == run["tracks"] and run["camera_height_m"] > 0
    sheet = cv2.imread(str(tmp_path / "people_768x576_10fps_256_identity_sheet.png"))
    assert sheet is not None and sheet.shape[0] == 16 + 96 * run["tracks"]
    assert len(list(tmp_path.glob("people_768x576_10fps_256_frame*.png"))) == 6
