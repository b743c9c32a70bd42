"""Overlay MP4: H.264 that OpenCV decodes, one output frame per result frame, joints in their colours."""
import re
import subprocess

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from ml.export import export, export_all  # noqa: E402
from ml.export.overlay import CENTER_BGR, LEFT_BGR, RIGHT_BGR, write_overlay  # noqa: E402
from ml.export.synthetic import synthetic_result  # noqa: E402

W, H, T, GREY = 161, 121, 8, 90  # odd size on purpose: H.264/yuv420p needs even dimensions


@pytest.fixture(scope="module")
def source_video(tmp_path_factory):
    # lossless FFV1 through ffmpeg: OpenCV's writer would round the size down to even numbers
    path = tmp_path_factory.mktemp("video") / "plain.mkv"
    raw = np.full((T, H, W, 3), GREY, np.uint8).tobytes()
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
                    "-s", f"{W}x{H}", "-framerate", "25", "-i", "pipe:0", "-c:v", "ffv1", str(path)],
                   input=raw, check=True)
    assert cv2.VideoCapture(str(path)).read()[1].shape == (H, W, 3)
    return path


def _decode(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode(errors="replace")
    cap.release()
    return frames, fourcc


def _codec(path):
    err = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                         capture_output=True, text=True).stderr
    return re.search(r"Video: (\w+)", err).group(1), err


def test_overlay_is_h264_with_joints_in_their_colours(tmp_path, source_video):
    r = synthetic_result(frames=T, width=W, height=H, undetected=[5])
    path = export(r, "mp4", tmp_path / "overlay.mp4", video_path=source_video)
    codec, info = _codec(path)
    assert codec == "h264" and "yuv420p" in info
    frames, fourcc = _decode(path)
    assert fourcc.lower() in ("avc1", "h264")
    assert len(frames) == T
    assert frames[0].shape == (H + 1, W + 1 + H + 1, 3)  # even video + square 3D panel
    want = {j: c for j, c in enumerate([CENTER_BGR, RIGHT_BGR, RIGHT_BGR, RIGHT_BGR, LEFT_BGR, LEFT_BGR,
                                        LEFT_BGR, CENTER_BGR, CENTER_BGR, CENTER_BGR, CENTER_BGR,
                                        LEFT_BGR, LEFT_BGR, LEFT_BGR, RIGHT_BGR, RIGHT_BGR, RIGHT_BGR])}
    checked = 0
    for t in (1, 2, 3):
        kp = r.keypoints_2d[t]
        for j, c in want.items():
            others = np.delete(kp[:, :2], j, 0)
            if kp[j, 2] < 0.5 or np.linalg.norm(others - kp[j, :2], axis=1).min() < 9:
                continue  # low confidence (faded) or another joint's disc too close to tell
            x, y = np.round(kp[j, :2]).astype(int)
            got = frames[t][y, x].astype(int)
            assert np.abs(got - c).max() < 45, (t, j, got, c)
            checked += 1
    assert checked >= 12
    # frame 5 has no detection: its joints are faded towards the grey background
    x, y = np.round(r.keypoints_2d[5, 10, :2]).astype(int)
    px = frames[5][y, x].astype(int)
    assert np.abs(px - GREY).max() < np.abs(np.array(CENTER_BGR) - GREY).max() * 0.6
    # the 3D panel is not empty
    assert frames[0][:, W + 1:].std() > 5


def test_overlay_needs_the_video_and_leaves_nothing_behind(tmp_path):
    r = synthetic_result(frames=3, width=W, height=H)
    with pytest.raises(ValueError, match="source video"):
        export(r, "mp4", tmp_path / "o.mp4")
    with pytest.raises(ValueError, match="source video"):
        export_all(r, tmp_path, ["json", "mp4"])
    with pytest.raises(ValueError, match="source video"):
        write_overlay(r, tmp_path / "missing.mp4", tmp_path / "o.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="decode"):
        write_overlay(r, tmp_path / "junk.mp4", tmp_path / "o.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mp4"]


def test_encoder_failure_is_reported_and_cleaned_up(tmp_path, source_video):
    r = synthetic_result(frames=3, width=W, height=H)
    with pytest.raises(RuntimeError, match="ffmpeg failed"):
        write_overlay(r, source_video, tmp_path / "o.mp4", preset="no-such-preset")
    assert list(tmp_path.iterdir()) == []


def test_short_video_holds_last_frame_without_panel(tmp_path, source_video):
    r = synthetic_result(frames=T + 3, width=W * 2, height=H * 2)  # result at 2x the video's size
    path = write_overlay(r, source_video, tmp_path / "o.mp4", panel=False)
    frames, _ = _decode(path)
    assert len(frames) == T + 3 and frames[0].shape == (H + 1, W + 1, 3)
    x, y = np.round(r.keypoints_2d[T + 1, 3, :2] / 2).astype(int)  # rescaled to the video: right ankle
    assert np.abs(frames[T + 1][y, x].astype(int) - RIGHT_BGR).max() < 45


@pytest.mark.parametrize("codec", ["libx264", "libx265"])  # phones: HEVC in .mov
def test_rotated_phone_video_is_drawn_upright(tmp_path, codec):
    """A phone clip stored 160x96 with a 90° display rotation plays (and is lifted, ml.video) as 96x160:
    the overlay is upright too, and a joint lands on the marker drawn where the upright frame has it."""
    sw, sh = 160, 96  # stored (sensor) size; upright it is sh x sw
    mark = (30, 120)  # (x, y) of a white marker in the upright frame
    upright = np.full((sw, sh, 3), GREY, np.uint8)
    upright[mark[1] - 6:mark[1] + 7, mark[0] - 6:mark[0] + 7] = 255
    # Store it the way a phone does: sensor-oriented pixels + a display matrix that turns them upright.
    stored = np.ascontiguousarray(np.rot90(upright, k=-1))  # turned 90° clockwise: (sh, sw); displayed turned back
    plain = tmp_path / "stored.mp4"
    raw = np.repeat(stored[None], T, 0).tobytes()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{sw}x{sh}",
                    "-framerate", "25", "-i", "pipe:0", "-c:v", codec, "-crf", "12", "-pix_fmt", "yuv420p",
                    *(["-x265-params", "log-level=error"] if codec == "libx265" else []), str(plain)],
                   input=raw, check=True)
    phone = tmp_path / "phone.mov"
    subprocess.run([ffmpeg, "-loglevel", "error", "-display_rotation", "90", "-i", str(plain), "-c", "copy",
                    *(["-tag:v", "hvc1"] if codec == "libx265" else []), str(phone)], check=True)
    from ml.video import iter_frames, probe

    info = probe(phone)
    assert (info.width, info.height) == (sh, sw)  # the pipeline sees it upright
    first = next(iter_frames(phone))[0]
    assert first[mark[1], mark[0]].min() > 200, "the generated clip is not upright when rotated"
    r = synthetic_result(frames=T, width=sh, height=sw)
    k2 = r.keypoints_2d.copy()
    k2[:, :, 2] = 0.9
    k2[:, :, :2] = np.nan
    k2[:, 0, :2] = mark  # only the pelvis, on the marker
    r.keypoints_2d = k2
    frames, _ = _decode(write_overlay(r, phone, tmp_path / "o.mp4", panel=False))
    assert len(frames) == T and frames[0].shape == (sw, sh, 3)  # upright size (both even)
    x, y = mark
    assert np.abs(frames[2][y, x].astype(int) - CENTER_BGR).max() < 45  # the pelvis disc on the marker
    assert frames[2][sw - 10, sh // 2].max() < GREY + 20  # and the rest is the grey video


def test_an_overlay_fed_chunk_by_chunk_equals_one_written_at_once(tmp_path, source_video):
    """The worker draws the MP4 while the pipeline runs (BackgroundOverlay, chunks of frames in
    order); it is the same video as write_overlay's, gaps (no confidence) drawn as not detected."""
    from ml.export.overlay import BackgroundOverlay, Panel3D

    r = synthetic_result(frames=T, width=W, height=H, undetected=[5])
    r.keypoints_2d[5, :, 2] = 0.0  # as the pipeline's gap filling leaves an undetected frame
    whole = write_overlay(r, source_video, tmp_path / "whole.mp4")
    feed = BackgroundOverlay(source_video, tmp_path / "fed.mp4", width=W, height=H, fps=r.fps,
                             joint_names=r.joint_names, parents=r.parents,
                             extent_m=Panel3D.extent_of(np.asarray(r.keypoints_3d)))
    for a, b in ((0, 3), (3, 4), (4, T)):
        feed.push(r.keypoints_2d[a:b], r.keypoints_3d[a:b])
    ticks = []
    feed.finish(tick=lambda: ticks.append(1))
    one, _ = _decode(whole)
    two, _ = _decode(tmp_path / "fed.mp4")
    assert len(one) == len(two) == T
    assert max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(one, two)) == 0
    assert not list(tmp_path.glob(".*part*"))


def test_an_abandoned_overlay_leaves_nothing(tmp_path, source_video):
    from ml.export.overlay import BackgroundOverlay

    r = synthetic_result(frames=T, width=W, height=H)
    feed = BackgroundOverlay(source_video, tmp_path / "fed.mp4", width=W, height=H, fps=r.fps,
                             joint_names=r.joint_names, parents=r.parents)
    feed.push(r.keypoints_2d[:4], r.keypoints_3d[:4])
    feed.close()
    assert list(tmp_path.iterdir()) == []


def test_an_overlay_of_a_missing_video_fails_at_finish(tmp_path):
    from ml.export.overlay import BackgroundOverlay

    r = synthetic_result(frames=T, width=W, height=H)
    feed = BackgroundOverlay(tmp_path / "gone.mp4", tmp_path / "fed.mp4", width=W, height=H, fps=r.fps,
                             joint_names=r.joint_names, parents=r.parents)
    feed.push(r.keypoints_2d, r.keypoints_3d)
    with pytest.raises(ValueError, match="does not exist"):
        feed.finish()


BITS = 6  # an indexed video's frame i shows i in binary down its left edge: a white square for a 1


def _indexed_video(path, frames: int, width: int, height: int, fps: float):
    video = np.full((frames, height, width, 3), 60, np.uint8)
    for i in range(frames):
        for b in range(BITS):
            if i >> b & 1:
                video[i, 4 + 16 * b:16 + 16 * b, 4:16] = 255
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
                    "-s", f"{width}x{height}", "-framerate", f"{fps:.6f}", "-i", "pipe:0", "-c:v", "ffv1", str(path)],
                   input=video.tobytes(), check=True)
    return path


def _index_of(frame) -> int:
    return sum(1 << b for b in range(BITS) if frame[6 + 16 * b:14 + 16 * b, 6:14].mean() > 160)


@pytest.mark.parametrize("fps", [25.0, 30000 / 1001])
def test_parts_joined_are_every_frame_once_at_its_time(tmp_path, fps):
    """Overlay parts (each started at its first frame) joined by stream copy: the frames of the
    whole video, each once and in order across the seams, at evenly spaced timestamps."""
    from ml.export.overlay import OverlayWriter, join_parts
    from tests.conftest import frame_times

    frames, width, height = 45, 192, 112
    source = _indexed_video(tmp_path / "indexed.mkv", frames, width, height, fps)
    r = synthetic_result(frames=frames, width=width, height=height, fps=fps, undetected=[16])
    bounds = [0, 16, 17, 40, frames]  # a part of one frame, too
    parts = []
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        writer = OverlayWriter(source, tmp_path / f"{k}.mp4", width=width, height=height, fps=fps,
                               joint_names=r.joint_names, parents=r.parents, start=a)
        writer.add(r.keypoints_2d[a:b], r.keypoints_3d[a:b], r.detected[a:b])
        parts.append(writer.finish())
    joined = join_parts(parts, tmp_path / "joined.mp4")

    times, decoded = frame_times(joined)
    assert decoded == len(times) == frames
    assert times[0] == 0 and np.allclose(np.diff(times), 1 / fps, rtol=0, atol=1e-3), np.diff(times)
    got, _ = _decode(joined)
    assert [_index_of(f) for f in got] == list(range(frames))
    assert _codec(joined)[0] == "h264"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["indexed.mkv", "joined.mp4"] + [p.name for p in parts])


def test_no_parts_to_join(tmp_path):
    from ml.export.overlay import join_parts

    with pytest.raises(ValueError, match="zero overlay parts"):
        join_parts([], tmp_path / "joined.mp4")
    assert not list(tmp_path.iterdir())
