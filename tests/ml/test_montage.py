"""The bench's montages (ml.bench.montage) built from generated clips: cuts where the recipe says,
a cross-fade, a zoomed crop, a phone's rotation metadata honoured by the decoder; deterministic."""
import json

import numpy as np
import pytest

from ml.bench.montage import Montage, Part, bench_clips, build, sidecar
from ml.shots import ShotDetector
from ml.video import iter_frames, probe
from tests.conftest import write_video

pytest.importorskip("imageio_ffmpeg")


def clip(path, colour, size=(320, 240), frames=50, fps=25.0, seed=0):
    """A textured scene in `colour` (BGR) with a bright square sliding across: something to see."""
    w, h = size
    rng = np.random.default_rng(seed)
    base = (rng.random((h, w, 3)) * 50 + np.array(colour)).clip(0, 255).astype(np.uint8)
    out = []
    for t in range(frames):
        f = base.copy()
        x = 10 + 3 * t
        f[h // 3:h // 3 + 30, x:x + 30] = 255
        out.append(f)
    return write_video(path, out, fps=fps)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    clip(d / "green.mp4", (40, 140, 30), seed=0)
    clip(d / "magenta.mp4", (160, 40, 150), seed=1)
    clip(d / "tall.mp4", (30, 60, 200), size=(180, 320), frames=20, fps=10.0, seed=2)
    return d


def frames_of(path):
    return [f for f, _ in iter_frames(path)]


def test_hard_cuts_are_where_the_sidecar_says_and_the_shot_detector_finds_them(sources, tmp_path):
    m = Montage("cuts", [Part("green.mp4", 0.0, 1.0), Part("magenta.mp4", 0.2, 0.8), Part("green.mp4", 1.0, 0.6)],
                (256, 144))
    path = build(m, sources, tmp_path)
    side = sidecar(path)
    assert side["cuts"] == [25, 45] and side["frames"] == 60 and side["fades"] == []
    frames = frames_of(path)
    info = probe(path)
    assert len(frames) == 60 and (info.width, info.height) == (256, 144) and info.fps == 25
    det = ShotDetector(25.0)
    assert [i for i, f in enumerate(frames) if det(f)] == side["cuts"]
    # cached: the same recipe is not built again; a changed recipe is
    mtime = path.stat().st_mtime_ns
    assert build(m, sources, tmp_path).stat().st_mtime_ns == mtime
    m2 = Montage("cuts", m.parts[:2], (256, 144))
    build(m2, sources, tmp_path)
    assert sidecar(path)["frames"] == 45


def test_builds_are_deterministic(sources, tmp_path):
    m = Montage("fade", [Part("green.mp4", 0.0, 1.2), Part("magenta.mp4", 0.0, 1.2)], (256, 144), fade_s=0.4)
    a = build(m, sources, tmp_path / "a").read_bytes()
    b = build(m, sources, tmp_path / "b").read_bytes()
    assert a == b
    side = json.loads((tmp_path / "a" / "fade.json").read_text())
    assert side["frames"] == 50 and side["fades"] == [25] and side["cuts"] == []
    frames = frames_of(tmp_path / "a" / "fade.mp4")
    assert len(frames) == 50
    mid = frames[25].astype(float).mean((0, 1))  # half of each scene's colour in the fade's middle
    g, mg = frames[5].astype(float).mean((0, 1)), frames[45].astype(float).mean((0, 1))
    assert np.allclose(mid, 0.5 * (g + mg), atol=12)


def test_a_close_up_is_the_crop_zoomed_and_letterboxed(sources, tmp_path):
    m = Montage("closeup", [Part("green.mp4", 0.0, 0.4), Part("green.mp4", 0.4, 0.4, crop=(80, 60, 0, 70))],
                (320, 240))
    frames = frames_of(build(m, sources, tmp_path))
    assert len(frames) == 20
    # the crop holds the square's row (y 80-110 of the source): zoomed x4, it fills the picture's middle
    wide_white = (frames[5].min(-1) > 230).mean()
    close_white = (frames[15].min(-1) > 230).mean()
    assert close_white > 4 * wide_white


def test_a_phone_video_stored_sideways_decodes_upright(sources, tmp_path):
    m = Montage("phone", [Part("tall.mp4", 0.0, 2.0)], (180, 320), rotate=90, fps=10)
    path = build(m, sources, tmp_path)
    info = probe(path)
    assert (info.width, info.height) == (180, 320)  # the rotation metadata is applied: portrait
    import cv2

    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
    ok, raw = cap.read()
    cap.release()
    assert ok and raw.shape[:2] == (180, 320)  # stored as landscape pixels
    upright = frames_of(path)
    src = frames_of(sources / "tall.mp4")
    assert len(upright) == 20
    # the same picture as the source (the square near the top, sliding right), not turned on its side
    assert np.abs(upright[0].astype(float) - src[0].astype(float)).mean() < 12


def test_bench_clips_lists_what_is_there(sources, tmp_path, capsys):
    assert bench_clips(tmp_path / "none", tmp_path / "cache") == []
    from ml.bench.quality import main

    assert main(["--video-dir", str(tmp_path / "none")]) == 2  # no clips: a sentence, no traceback
    assert "no shared clips" in capsys.readouterr().err
