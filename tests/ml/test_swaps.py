"""ml.swaps: brief left/right label swaps undone by continuity, and nothing changed without one."""
import numpy as np
import pytest

from ml import lift
from ml.models import build_model
from ml.skeleton import LEFT, RIGHT
from ml.swaps import GROUPS, MAX_RUN, unswap


def walking_track(T=120, fps=50.0, seed=0) -> np.ndarray:
    """(T,17,2) a smooth, person-sized 2D track in normalised screen units (~0.6 tall): a body
    drifting sideways with limbs swinging, left and right well apart."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(-0.3, 0.3, (17, 2)) * np.array([0.3, 1.0])
    base[LEFT, 0] -= 0.12   # the subject's left limbs on one side of the image ...
    base[RIGHT, 0] += 0.12  # ... the right ones on the other
    t = np.arange(T)[:, None, None] / fps
    phase = rng.uniform(0, 2 * np.pi, (1, 17, 1))
    swing = 0.03 * np.sin(2 * np.pi * 1.0 * t + phase)          # limbs swing at 1 Hz
    drift = np.concatenate([0.1 * t, 0 * t], -1)                  # the body walks sideways
    return (base[None] + swing + drift).astype(np.float32)


def swap_labels(x, frames, left, right):
    y = x.copy()
    y[np.ix_(frames, left + right)] = x[np.ix_(frames, right + left)]
    return y


def test_a_smooth_track_is_left_alone():
    x = walking_track()
    np.testing.assert_array_equal(unswap(x), x)
    # at 10 fps the limbs move 5x further per frame: still no swap without a jump
    np.testing.assert_array_equal(unswap(walking_track(40, fps=10.0)), walking_track(40, fps=10.0))


@pytest.mark.parametrize("run", [1, 2, MAX_RUN])
@pytest.mark.parametrize("group", range(len(GROUPS)))
def test_brief_swaps_are_swapped_back(run, group):
    x = walking_track()
    left, right = GROUPS[group]
    swapped = swap_labels(x, np.arange(50, 50 + run), left, right)
    assert not np.array_equal(swapped, x)
    np.testing.assert_array_equal(unswap(swapped), x)


@pytest.mark.parametrize("frames", [np.arange(50, 50 + MAX_RUN + 1), np.arange(0, 2), np.arange(118, 120)])
def test_long_runs_and_runs_at_the_ends_are_left_alone(frames):
    """Within one window a long run, or one at its start or end, may be the correct labels."""
    swapped = swap_labels(walking_track(), frames, *GROUPS[3])
    np.testing.assert_array_equal(unswap(swapped), swapped)


def test_whole_body_swap_and_confidence_travels_with_its_joint():
    x = walking_track()
    conf = np.linspace(0.1, 0.9, 17, dtype=np.float32)[None].repeat(len(x), 0)
    xc = np.concatenate([x, conf[..., None]], -1)                # (T,17,3)
    swapped = swap_labels(xc, np.arange(30, 32), LEFT, RIGHT)
    np.testing.assert_array_equal(unswap(swapped), xc)


def test_batches_of_windows_equal_one_by_one():
    x = walking_track(200)
    w = np.stack([swap_labels(x[s:s + 27], np.arange(5, 8), *GROUPS[k % 4]) for k, s in enumerate(range(0, 170, 20))])
    np.testing.assert_array_equal(unswap(w), np.stack([unswap(v) for v in w]))
    assert unswap(x[:1]).shape == (1, 17, 2)   # one frame: nothing to compare with, unchanged


def test_the_lifter_sees_the_labels_swapped_back():
    """predict_normalized undoes swaps in each window before lifting (unswap=False keeps them)."""
    m = build_model("lstm", dict(num_frames=9, embed_dim=32, hidden=16)).eval()
    x = walking_track(60)
    swapped = swap_labels(x, [21], *GROUPS[3])  # inside every 9-frame window that holds it (hop 3)
    clean = lift.predict_normalized(m, x)
    np.testing.assert_allclose(lift.predict_normalized(m, swapped), clean, atol=1e-6)
    assert np.abs(lift.predict_normalized(m, swapped, unswap=False) - clean).max() > 1e-4


@pytest.mark.parametrize("reframe", [False, True])
def test_the_streaming_lifter_hands_on_2d_with_the_labels_of_its_3d(reframe):
    """The pipeline fits the 3D to the chunk's 2D and draws and exports it: a swap undone for the
    lifter must be undone there too, or the fit pulls the left forearm towards the right wrist."""
    lifter = lift.Lifter(build_model("lstm", dict(num_frames=9, embed_dim=32, hidden=16)), {})
    px = (walking_track(60) + 1.0) * 500.0                       # pixels of a 1000 x 1000 video
    conf = np.linspace(0.5, 0.9, 17, dtype=np.float32)[None, :, None].repeat(60, 0)
    clean = np.concatenate([px, conf], -1)
    swapped = swap_labels(clean, [21], *GROUPS[3])

    def stream(track):
        s = lift.StreamingLifter(lifter, 1000, 1000, fps=50.0, reframe=reframe)
        chunks = s.push(track) + s.finish()
        return (np.concatenate([c.kp2d for c in chunks]), np.concatenate([c.cam for c in chunks]),
                [c.window_kp2d for c in chunks])

    kp_clean, cam_clean, win_clean = stream(clean)
    kp_fixed, cam_fixed, win_fixed = stream(swapped)
    np.testing.assert_array_equal(kp_fixed, kp_clean)            # 2D and confidence both relabelled
    for a, b in zip(win_fixed, win_clean):
        np.testing.assert_array_equal(a, b)
    if not reframe:  # (reframing measures the window's median size, which the swapped frame nudges)
        np.testing.assert_allclose(cam_fixed, cam_clean, atol=1e-6)


def test_the_pipeline_result_and_stream_carry_the_2d_the_3d_was_lifted_from(tmp_path, tiny_checkpoint):
    """The 2D of a brief swap comes back relabelled in the streamed chunks and in the result (its
    overlay, JSON/CSV), and the 3D there is what the clean 2D gives, not pulled towards the swap."""
    from ml.pipeline import PipelineOptions, run_pipeline
    from ml.segments import Record
    from tests.conftest import write_video

    T, fps = 40, 10.0
    video = write_video(tmp_path / "blank.mp4", [np.zeros((480, 640, 3), np.uint8)] * T, fps=fps)
    px = (walking_track(T, fps=fps) * 0.5 + [0.0, 0.1] + 1.0) * 320.0     # a person-sized track in 640 x 480
    clean = np.concatenate([px, np.full((T, 17, 1), 0.9, np.float32)], -1).astype(np.float32)
    swapped = swap_labels(clean, [20], *GROUPS[3])

    def run(track):
        streamed = []
        result = run_pipeline(video, PipelineOptions(checkpoint=str(tiny_checkpoint), foot_lock=False),
                              records=[Record(i, i / fps, track[i], False) for i in range(T)],
                              on_frames=lambda s, kp2d, kp3d, **_: streamed.append(kp2d))
        return result, np.concatenate(streamed)

    ref, ref_streamed = run(clean)
    got, got_streamed = run(swapped)
    np.testing.assert_array_equal(got.keypoints_2d, ref.keypoints_2d)
    np.testing.assert_array_equal(got_streamed, got.keypoints_2d)
    np.testing.assert_array_equal(ref_streamed, ref.keypoints_2d)
    # metres; 16 cm at the swapped frame when the fit to the 2D still saw the swap. What is left
    # (~1 cm) is the swapped frame's nudge to the window's framing (canonical_view's median size)
    assert np.abs(got.keypoints_3d - ref.keypoints_3d).max() < 0.03
