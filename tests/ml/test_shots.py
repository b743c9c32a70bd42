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


def room(T, zoom=1.0, seed=5, light=1.0):
    """T frames of one room (the same colours everywhere: grey walls, a dark door, a lamp, a person-
    sized dark figure), seen whole or zoomed into its middle (a close-up cut), with sensor noise."""
    import cv2

    rng = np.random.default_rng(seed)
    base = np.full((240, 320, 3), 170.0)
    base[40:200, 30:80] = 70                     # a door
    base[20:60, 230:260] = 240                   # a lamp
    base[60:220, 140:180] = 40                   # a figure
    base[60:90, 145:175] = 120                   # its face
    if zoom != 1.0:
        h, w = int(240 / zoom), int(320 / zoom)
        y, x = 60, 160 - w // 2
        base = cv2.resize(base[y:y + h, x:x + w], (320, 240), interpolation=cv2.INTER_LINEAR)
    return [(base * light + rng.normal(0, 4, base.shape)).clip(0, 255).astype(np.uint8) for _ in range(T)]


def test_a_zoom_to_a_close_up_of_the_same_scene_is_a_cut():
    """Same colours, another framing: the colour histogram hardly changes, the layout does."""
    frames = room(30) + room(30, zoom=2.5) + room(30)
    assert cuts_of(frames) == [30, 60]
    dimmed = room(30) + room(30, light=0.6) + room(30, light=1.3)  # the light changes: no cut
    assert cuts_of(dimmed) == []
