"""Inference API: lift a 2D keypoint sequence of any length to 3D with a saved checkpoint.

    lifter = Lifter.load(DEFAULT_CHECKPOINT)        # path alone suffices
    pose3d = lifter.lift(kp2d, width, height, fps=25)  # (T,17,2) pixels -> (T,17,3) metres

Output frame: camera coordinates (x right, y down, z forward), metres, relative to the pelvis
(joint 0 is exactly 0). Deterministic for a given input (model in eval mode, no sampling), so
callers may lift overlapping slices with window_frames(fps) // 2 frames of context per side.

Frame rate: the lifters learn motion at Human3.6M's 50 Hz. Given the video's fps, each window of
`window_frames(fps)` video frames (the same time span as the model's window) is resampled to the
model's rate by linear interpolation, lifted, and resampled back (S9 filmed at 25 Hz, GT 2D, the
lstm_long model: P1 50.3 mm lifted as is vs 46.9 mm resampled, the same as at 50 Hz; ml/RESULTS.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import skeleton
from .cameras import normalize_screen
from .checkpoint import FORMAT as CHECKPOINT_FORMAT  # noqa: F401 (the name callers know)
from .checkpoint import load as load_checkpoint
from .models import build_model, takes_source
from .skeleton import PARENTS
from .swaps import relabel, relabelling
from .swaps import unswap as unswap_labels

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "weights" / "lifter_default.pt"
CHECKPOINT_FORMAT = "3dposenet-lifter/1"
H36M_FPS = 50.0
RATE_TOLERANCE = 0.1  # frame rates within 10 % of the model's are lifted as they are


def window_starts(T: int, F: int, hop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plan centred windows for a sequence of T frames.

    The sequence is edge-padded by F//2 frames on the left; window k starts at padded index
    k*hop and is centred on original frame k*hop. Each frame t is predicted by the window
    whose centre is nearest (k = round(t / hop)), at position t - k*hop + F//2 within it.
    Returns (starts (K,), window index per frame (T,), position in window per frame (T,)).
    """
    half = F // 2
    t = np.arange(T)
    k = np.floor(t / hop + 0.5).astype(np.int64)
    K = int(k.max()) + 1
    starts = np.arange(K) * hop
    pos = t - starts[k] + half
    assert (pos >= 0).all() and (pos < F).all()
    return starts, k, pos


def window_frames(receptive_field: int, rate: float = 1.0) -> int:
    """Input frames covering the model's window when the input runs at `rate` x the model's
    frame rate (rate = video fps / model fps): odd, >= 3; the receptive field itself when the
    rates are within RATE_TOLERANCE."""
    if abs(rate - 1.0) <= RATE_TOLERANCE + 1e-9:
        return receptive_field
    n = max(3, int(round((receptive_field - 1) * rate)) + 1)
    return n + 1 - n % 2


def resample_windows(w: torch.Tensor, frames: int) -> torch.Tensor:
    """(K, n, J, C) -> (K, frames, J, C): linear interpolation in time, first and last frames kept."""
    K, n, J, C = w.shape
    if n == frames:
        return w
    flat = w.permute(0, 2, 3, 1).reshape(K, J * C, n)
    out = torch.nn.functional.interpolate(flat, size=frames, mode="linear", align_corners=True)
    return out.reshape(K, J, C, frames).permute(0, 3, 1, 2)


def lift_windows(model: torch.nn.Module, w: torch.Tensor, flip: bool, source: int | None = None,
                 unswap: bool = True) -> torch.Tensor:
    """(K, n, J, 2) windows of n input frames -> (K, n, J, 3), resampled to and from the model's
    receptive field when n differs from it. flip: average with the mirrored input. source: the 2D
    source (ml.data.source_id) for a model with a source flag; None: the model's default.
    unswap: first undo the detector's left/right label swaps within each window (ml.swaps)."""
    n, F = w.shape[1], model.receptive_field
    if unswap:
        w = torch.from_numpy(unswap_labels(w.cpu().numpy())).to(w.device)
    wm = resample_windows(w, F)
    run = (lambda v: model(v, source)) if takes_source(model) else model
    if flip:  # both views in one batch
        y = run(torch.cat([wm, skeleton.flip_pose(wm)]))
        y = 0.5 * (y[:len(wm)] + skeleton.flip_pose(y[len(wm):]))
    else:
        y = run(wm)
    return resample_windows(y, n)


@torch.no_grad()
def predict_normalized(model: torch.nn.Module, x: np.ndarray, flip: bool = True, hop: int | None = None,
                       batch_size: int = 256, device="cpu", rate: float = 1.0, source: int | None = None,
                       unswap: bool = True) -> np.ndarray:
    """x (T, J, 2) normalised screen coordinates -> (T, J, 3) root-relative 3D.
    rate: input frame rate / the model's (0.5 for 25 fps input to a 50 Hz model); source, unswap:
    see lift_windows."""
    assert x.ndim == 3 and x.shape[-1] == 2, x.shape
    F = window_frames(model.receptive_field, rate)
    hop = hop or max(1, F // 3)
    T = len(x)
    starts, k, pos = window_starts(T, F, hop)
    half = F // 2
    need = int(starts[-1]) + F
    idx = np.clip(np.arange(need) - half, 0, T - 1)           # edge padding
    xp = torch.from_numpy(np.ascontiguousarray(x[idx], dtype=np.float32))
    wins = torch.stack([xp[s:s + F] for s in starts])          # (K, F, J, 2)
    outs = []
    for b in range(0, len(wins), batch_size):
        outs.append(lift_windows(model, wins[b:b + batch_size].to(device), flip, source, unswap).float().cpu())
    y = torch.cat(outs).numpy()                                # (K, F, J, 3)
    return y[k, pos]


@torch.no_grad()
def predict_live(model: torch.nn.Module, x: np.ndarray, look_ahead: int, every: int = 1, flip: bool = True,
                 batch_size: int = 256, device="cpu", source: int | None = None, unswap: bool = True) -> np.ndarray:
    """Frames 0, every, 2*every, ... of x (T, J, 2) normalised screen coordinates, each as a live lifter
    sees it (ml.live): read at position F-1-look_ahead of the window of F frames that ends `look_ahead`
    frames after it (edge-padded before the first frame, as a take's first second is) -> (K, J, 3)."""
    assert x.ndim == 3 and x.shape[-1] == 2, x.shape
    F, T = model.receptive_field, len(x)
    assert 0 <= look_ahead < F, (look_ahead, F)
    t = np.arange(0, T, every)
    idx = np.clip(t[:, None] + look_ahead - (F - 1) + np.arange(F)[None], 0, T - 1)   # (K, F)
    xp = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    outs = []
    for b in range(0, len(idx), batch_size):
        w = xp[torch.from_numpy(idx[b:b + batch_size])]                                 # (k, F, J, 2)
        y = lift_windows(model, w.to(device), flip, source, unswap).float().cpu()     # (k, F, J, 3)
        outs.append(y[:, F - 1 - look_ahead])
    return torch.cat(outs).numpy()


class Lifter:
    """A loaded lifting model plus its input normalisation."""

    def __init__(self, model: torch.nn.Module, meta: dict, device="cpu"):
        self.model = model.eval().to(device)
        self.meta = meta
        self.device = device
        self.receptive_field: int = int(model.receptive_field)
        self.model_fps: float = float(meta.get("data", {}).get("fps", H36M_FPS))
        assert self.model_fps > 0, self.model_fps
        self.name: str = meta.get("name") or f"{type(model).__name__} {self.receptive_field}f"
        norm = meta.get("normalization", {"type": "screen"})
        assert norm["type"] == "screen", norm

    @classmethod
    def load(cls, path=DEFAULT_CHECKPOINT, device="cpu") -> "Lifter":
        ckpt = load_checkpoint(path, device)
        model = build_model(ckpt["arch"], ckpt["model_config"])
        model.load_state_dict(ckpt["model"])
        meta = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "scheduler")}
        return cls(model, meta, device)

    def lift(self, kp2d: np.ndarray, width: int, height: int, conf: np.ndarray | None = None,
             flip: bool = True, fps: float | None = None) -> np.ndarray:
        """kp2d (T,17,2) pixels, H36M-17 order, any T >= 1 -> (T,17,3) float32 metres, camera
        frame (x right, y down, z forward), pelvis at the origin. fps: the video's frame rate
        (None: assume the model's own).

        conf (T,17) optional: joints with confidence < 0.3 are replaced by linear interpolation
        in time from the nearest confident frames of the same joint (kept as given when a
        joint is never confident). flip: average with the mirrored input (test-time aug)."""
        kp = np.asarray(kp2d, np.float32)
        assert kp.ndim == 3 and kp.shape[1:] == (17, 2) and len(kp) >= 1, kp.shape
        if conf is not None:
            kp = fill_low_confidence(kp, np.asarray(conf, np.float32))
        x = normalize_screen(kp, float(width), float(height))
        y = predict_normalized(self.model, x, flip=flip, device=self.device, rate=self._rate(fps))
        y[:, 0] = 0.0
        return y.astype(np.float32)

    def _rate(self, fps: float | None) -> float:
        """Input rate / model rate; 1 (lift the frames as they are) when fps is unknown or unusable."""
        if fps is None or not np.isfinite(fps) or fps <= 0:
            return 1.0
        return float(fps) / self.model_fps

    def window_frames(self, fps: float | None = None) -> int:
        """Video frames in one lifting window at this frame rate (the receptive field's time span)."""
        return window_frames(self.receptive_field, self._rate(fps))

    def hop_for(self, fps: float | None = None) -> int:
        """Window spacing used by lift(): each window predicts the `hop` frames nearest its centre."""
        return max(1, self.window_frames(fps) // 3)

    @property
    def hop(self) -> int:
        return self.hop_for(None)

    @torch.no_grad()
    def lift_window(self, kp2d: np.ndarray, width: int, height: int, conf: np.ndarray | None = None,
                    flip: bool = True, fps: float | None = None, unswap: bool = True) -> np.ndarray:
        """Exactly one window, for streaming: kp2d (F,17,2) pixels with F == window_frames(fps) ->
        (F,17,3) like lift(). A streaming caller keeps the `hop_for(fps)` frames nearest the centre,
        which is what lift() does with its overlapping windows, at 1/3 of the cost per frame.
        unswap: see lift_windows (False: the caller has relabelled the window itself)."""
        kp = np.asarray(kp2d, np.float32)
        F = self.window_frames(fps)
        assert kp.shape == (F, 17, 2), (kp.shape, F)
        if conf is not None:
            kp = fill_low_confidence(kp, np.asarray(conf, np.float32))
        w = torch.from_numpy(normalize_screen(kp, float(width), float(height)).astype(np.float32))[None]
        y = lift_windows(self.model, w.to(self.device), flip, unswap=unswap)
        y = y[0].float().cpu().numpy()
        y[:, 0] = 0.0
        return y.astype(np.float32)


# Human3.6M framing of a person, measured on its ground-truth 2D (S1, S9, every 20th frame) in
# normalised screen coordinates (x / w * 2 - 1): the median sum of the 16 2D bone lengths, and the
# median root position. The lifter has only ever seen people framed like this.
H36M_SKELETON_SIZE = 1.63
H36M_ROOT = np.array([0.045, -0.188])
CANONICAL_SIDE = 1000  # pixels of the virtual square image the lifter is shown
_PARENTS_OR_SELF = np.array([max(p, 0) for p in PARENTS])


def canonical_view(window: np.ndarray, width: int, height: int) -> np.ndarray:
    """Re-frame a window of 2D keypoints (F,17,2+, pixels) as Human3.6M would have filmed the person:
    scaled about the root so the median 2D skeleton size matches, root moved to H36M's median spot,
    in a 1000×1000 virtual image. A person 80 px tall in a wide shot and one filling a phone's
    portrait frame then look alike to the lifter; the 3D it returns is root-relative anyway."""
    xy = window[..., :2].astype(np.float64)
    norm = np.stack([xy[..., 0] / width * 2 - 1, xy[..., 1] / width * 2 - height / width], -1)
    size = np.median(np.linalg.norm(norm - norm[:, _PARENTS_OR_SELF], axis=-1).sum(-1))
    root = np.median(norm[:, 0], axis=0)
    scale = H36M_SKELETON_SIZE / size if size > 1e-6 else 1.0
    canon = (norm - root) * scale + H36M_ROOT
    return ((canon + 1.0) * CANONICAL_SIDE / 2).astype(np.float32)  # square image: both axes alike



@dataclass
class Chunk:
    """Finished frames of a StreamingLifter: [start, start + len(kp2d)) of its sequence."""
    start: int
    kp2d: np.ndarray    # (n, 17, 3) pixels + confidence, as pushed, brief left/right swaps undone
    cam: np.ndarray     # (n, 17, 3) metres, camera frame, root-relative (Lifter.lift's output)
    window: np.ndarray  # (F, 17, 3) the whole lifted window around them (more frames for bone lengths)
    window_kp2d: np.ndarray  # (F, 17, 3) its 2D (edge-padded at the ends of the sequence)
    offset: int = 0          # where the chunk's first frame sits in the window


class StreamingLifter:
    """Lift a growing 2D sequence window by window, as the frames arrive (one shot of a video).

        stream = StreamingLifter(lifter, width, height, fps)
        for kp in frames: chunks = stream.push(kp[None])   # (n,17,3) pixels + confidence
        chunks += stream.finish()                           # the rest, edge-padded

    The plan is Lifter.lift's (window_starts): window k is centred on frame k*hop and its chunk holds
    the `hop` frames nearest that centre, so the chunks of a stream equal one offline lift() of the
    same frames (with reframe=False) while each chunk leaves as soon as its window's last frame is
    pushed. No window reaches outside the pushed frames: the sequence is edge-padded at both ends
    (the pipeline starts a new stream at each scene cut). reframe: show the lifter each window as
    Human3.6M films a person (canonical_view), the pipeline's choice for video of any framing.
    standing_legs: knees and ankles outside the frame (a close-up's) are shown to the lifter as a
    person standing straight would have them (ml.unseen), not as the detector's far-off guesses.
    """

    def __init__(self, lifter: "Lifter", width: int, height: int, fps: float | None = None,
                 flip: bool = True, reframe: bool = True, standing_legs: bool = True):
        self.lifter, self.width, self.height, self.fps = lifter, width, height, fps
        self.flip, self.reframe, self.standing_legs = flip, reframe, standing_legs
        self.F, self.hop = lifter.window_frames(fps), lifter.hop_for(fps)
        self.frames: list[np.ndarray] = []
        self.next_centre = 0
        self.finished = False

    def __len__(self) -> int:
        return len(self.frames)

    def push(self, kp: np.ndarray) -> list[Chunk]:
        """Append frames (n,17,3); return the chunks that became final."""
        assert not self.finished and kp.ndim == 3 and kp.shape[1:] == (17, 3), kp.shape
        self.frames.extend(np.asarray(kp, np.float32))
        return self._ready(final=False)

    def finish(self) -> list[Chunk]:
        """No more frames: lift every remaining chunk (the last windows edge-padded)."""
        self.finished = True
        return self._ready(final=True) if self.frames else []

    def preview(self) -> list[Chunk]:
        """The frames pushed but not yet in a final chunk, lifted as if the stream ended now (the last
        windows edge-padded, as finish() would): a provisional look with a short look-ahead, for the
        first seconds of a job. The stream is left as it was; push() later gives the final chunks."""
        centre = self.next_centre
        try:
            return self._ready(final=True) if self.frames else []
        finally:
            self.next_centre = centre

    def _ready(self, final: bool) -> list[Chunk]:
        F, hop, n, out = self.F, self.hop, len(self.frames), []
        while True:
            c = self.next_centre
            lo, hi = max(0, c - hop // 2), min(c - hop // 2 + hop, n) if final else c - hop // 2 + hop
            first = c - F // 2  # the window is [first, first + F)
            if lo >= hi or (not final and first + F > n):
                return out
            window = np.stack([self.frames[i] for i in np.clip(np.arange(first, first + F), 0, n - 1)])
            window, cam = self._lift(window)
            out.append(Chunk(lo, window[lo - first:hi - first], cam[lo - first:hi - first], cam, window, lo - first))
            self.next_centre += hop

    def _lift(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return lift_shown_window(self.lifter, window, self.width, self.height, self.fps, self.flip,
                                 self.reframe, self.standing_legs)


def lift_shown_window(lifter: "Lifter", window: np.ndarray, width: int, height: int, fps: float | None,
                      flip: bool = True, reframe: bool = True, standing_legs: bool = True
                      ) -> tuple[np.ndarray, np.ndarray]:
    """window (F,17,3) pixels + confidence, F = lifter.window_frames(fps) -> (the window relabelled as
    the lifter saw it, its 3D (F,17,3)): the video pipeline's way of showing a window to the lifter
    (StreamingLifter's, and the live lifter's, ml.live). The left/right relabelling (ml.swaps) is
    decided here rather than inside the lifter so that the 2D handed on (fit to the 2D, root,
    visibility, overlay, exports) has the 3D's labels; it is decided on what lift_window would have
    seen, so the 3D is the same either way."""
    shown, conf = window, window[..., 2]
    if standing_legs:
        from ml.unseen import standing_legs as guess_legs

        xy, conf = guess_legs(window, width, height)
        shown = np.concatenate([xy, conf[..., None]], -1)
    if reframe:
        xy, w, h = canonical_view(shown, width, height), CANONICAL_SIDE, CANONICAL_SIDE
    else:
        xy, w, h = shown[..., :2], width, height
    filled = fill_low_confidence(xy, conf)
    idx = relabelling(normalize_screen(filled, float(w), float(h)))          # (F, 17)
    cam = lifter.lift_window(relabel(filled, idx), w, h, flip=flip, fps=fps, unswap=False)
    return relabel(window, idx), cam


def fill_low_confidence(kp: np.ndarray, conf: np.ndarray, thr: float = 0.3) -> np.ndarray:
    """Per joint, replace frames with conf < thr by interpolation over confident frames."""
    assert conf.shape == kp.shape[:2], (conf.shape, kp.shape)
    out = kp.copy()
    t = np.arange(len(kp))
    for j in range(kp.shape[1]):
        good = conf[:, j] >= thr
        if good.all() or not good.any():
            continue
        for c in range(kp.shape[2]):
            out[~good, j, c] = np.interp(t[~good], t[good], kp[good, j, c])
    return out
