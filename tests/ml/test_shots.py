"""Scene cuts: found on the frame where the picture changes at once, not in pans or noise."""
import numpy as np

from ml.shots import ShotDetector


def scene(T, colour, seed, pan=0.0):
    """T frames of a textured scene in `colour` (BGR), panning `pan` px per frame, with sensor noise."""
    rng = np.random.default_rng(seed)
    base = (rng.random((240, 640, 3)) * 60 + np.array(colour)).clip(0, 255)
    frames = []
    for t in range(T):
        f = np.roll(base, int(t * pan), axis=1) + rng.normal(0, 4, base.shape)
        frames.append(f.clip(0, 255).astype(np.uint8)[:, :320])
    return frames


def cuts_of(frames, fps=25.0):
    det = ShotDetector(fps)
    return [i for i, f in enumerate(frames) if det(f)]


def test_a_cut_is_found_on_its_frame():
    frames = scene(30, (40, 120, 30), 0, pan=3) + scene(30, (160, 40, 150), 1) + scene(30, (20, 60, 200), 2)
    assert cuts_of(frames) == [30, 60]


def test_pans_and_noise_are_not_cuts():
    assert cuts_of(scene(60, (90, 90, 90), 3, pan=8)) == []


def test_flashes_shorter_than_a_shot_are_not_split_off():
    frames = scene(30, (40, 120, 30), 0) + scene(3, (160, 40, 150), 1) + scene(30, (40, 120, 30), 0)
    assert cuts_of(frames) == [30]  # the flash starts a shot; its end is too soon to be another
