"""From the lifter's root-relative camera-space poses to clean world-space motion.

Per chunk of frames (so the web stream and the final result are the same numbers):
1. root trajectory: the camera-space root position that best explains the 2D keypoints under a
   pinhole camera with an assumed focal length (linear least squares, confidence-weighted);
2. camera → world (+Y up, right-handed), trajectory relative to the first frame;
3. optional smoothing: the pose by a centred Gaussian over the lifter's window around the chunk
   (zero lag: the window reaches far enough past every chunk frame), the root trajectory by a
   One-Euro filter (causal, so chunk by chunk gives the same result as all at once). Measured on the
   skater clip (shipped LSTM): One-Euro on every joint (the earlier "light") cut jitter 13.3 -> 5.9
   m/s^2 but its lag put the 3D 3.89 % of the body height off the 2D (2.99 unsmoothed); the centred
   Gaussian (sigma 0.04 s) gives 6.4 m/s^2 at 3.07 %;
4. fixed bone lengths (BoneLengths), a light fit to the 2D (fit_to_2d) and a rigid pelvis
   (square_hips): each pose is rebuilt from the root along the parents, keeping
   directions, with one skeleton for the whole clip: proportions from the frames where both ends
   of a bone are seen (median, left and right averaged), frozen once every bone has enough such
   frames; overall size from the person's height when given, else an adult prior (Human3.6M's mean
   skeleton): a single camera cannot see absolute size, and the lifter's own scale is a regression
   towards its training subjects;
4b. upright: the camera's pitch, from the person's mean head-over-ankles direction (a camera
   looking down makes a walker lean back and, walking away, climb), is turned out of the pose and
   of the trajectory's steps; frozen after a few seconds;
5. ground, foot contact and foot locking (ml.contact.FootLock): the ground at y = 0 under the
   soles, planted feet do not slide, jumps leave the ground (`foot_lock=False`: the lower ankle of
   each frame is put on the floor instead, the earlier behaviour).
At a scene cut (`new_shot`) the smoothing filter restarts and the root trajectory continues from
where the last shot left it; the camera tilt (4b) and the floor and foot contacts (5, ml.contact)
are found again from the new shot's own frames; the skeleton is the same person's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.contact import FootLock
from ml.skeleton import FLIP_PERM, L_ANKLE, L_HIP, PARENTS, R_ANKLE, R_HIP, SPINE

# Mean bone lengths (m) of Human3.6M's subjects S1, S5-S9 (median per subject over every 10th frame
# of the mocap, then the mean), indexed by the bone's child joint.
H36M_BONE_LENGTHS = np.array([0.0, 0.1336, 0.4551, 0.4506, 0.1336, 0.4551, 0.4506, 0.2440, 0.2547,
                              0.1176, 0.1150, 0.1560, 0.2844, 0.2498, 0.1560, 0.2844, 0.2498])
# Ankle-to-head of a standing person / stature: the ankle joint sits ~4 % of stature above the sole
# and H36M's head joint ~4 % below the crown. With it the prior is a 1.70 m adult (H36M's walking
# subjects measure 1.49-1.65 m ankle-to-head upright, mean 1.57).
ANKLE_TO_HEAD_OF_STATURE = 0.92
# Bones (child joints) whose lengths sum to ankle-to-head when standing straight: shin, thigh,
# pelvis-spine, spine-thorax, thorax-neck, neck-head (legs averaged left/right). Standing, the
# chain is not quite vertical: Human3.6M walking upright is 0.957 of it.
HEIGHT_CHAIN = [3, 2, 7, 8, 9, 10]
UPRIGHT_OF_CHAIN = 0.957
VISIBLE_CONF = 0.5   # a joint with 2D confidence below this (or outside the frame) is not seen
FREEZE_SAMPLES = 60  # frames in which a bone must be seen before its length is frozen ...
FREEZE_AFTER_S = 4.0  # ... or this much video, whichever comes first (the stream cannot wait for the end)
MIN_SAMPLES = 8      # fewer sightings than this: the prior's proportion is used for that bone
# An ankle the foot lock may stand on: seen, or inside the frame at least this confident (a wide
# shot's unsure ankle is near where it is drawn; only a close-up's, below the frame, is invented).
# With seen ankles only, the skater clip lost a contact and floated one more frame (1.6 -> 2.2 %).
FOOT_STAND_CONF = 0.2


def topological(parents) -> list[int]:
    """Joint indices with every parent before its children."""
    order, seen = [], set()
    while len(order) < len(parents):
        for j, p in enumerate(parents):
            if j not in seen and (p < 0 or p in seen):
                order.append(j)
                seen.add(j)
    return order


def bone_lengths(pose: np.ndarray, parents=PARENTS) -> np.ndarray:
    """(T,J,3) → (T,J) length of the bone from each joint to its parent (0 for the root)."""
    par = np.array([max(p, 0) for p in parents])
    return np.linalg.norm(pose - pose[:, par], axis=-1)


def with_bone_lengths(pose: np.ndarray, lengths: np.ndarray, parents=PARENTS, rest: dict | None = None) -> np.ndarray:
    """Rebuild (T,J,3) poses from the root with fixed per-bone `lengths` (J,), keeping directions.
    A bone of zero observed length keeps the previous frame's direction (in the first frame
    rest[j], else +Y). The one rebuild used by the world alignment and the BVH export."""
    T, J, _ = pose.shape
    assert lengths.shape == (J,) and len(parents) == J, (pose.shape, lengths.shape)
    out = np.empty_like(pose)
    for j in topological(parents):
        p = parents[j]
        if p < 0:
            out[:, j] = pose[:, j]
            continue
        d = pose[:, j] - pose[:, p]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        d = d / np.maximum(n, 1e-9)
        for t in np.nonzero(n[:, 0] < 1e-9)[0]:
            d[t] = d[t - 1] if t > 0 else (rest or {}).get(j, (0.0, 1.0, 0.0))
        out[:, j] = out[:, p] + d * lengths[j]
    return out


def square_hips(pose: np.ndarray) -> np.ndarray:
    """(T,17,3) -> the same poses with the pelvis as one rigid bone: the hips on a line through the
    pelvis (its midpoint) at right angles to pelvis -> spine, at their current mean distance; each
    leg moves with its hip (knee and ankle directions and lengths kept). A rig's hip bone has fixed
    offsets, so this is what lets the BVH/GLB exports reproduce the result exactly (the lifter's
    hip line leans off the perpendicular by a few degrees, ~mm at the hips)."""
    out = np.array(pose, np.float64, copy=True)
    up = out[:, SPINE] - out[:, 0]
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-9)
    side = out[:, L_HIP] - out[:, R_HIP]
    side -= np.sum(side * up, -1, keepdims=True) * up
    n = np.linalg.norm(side, axis=-1, keepdims=True)
    if (n < 1e-9).any():  # a degenerate hip line: leave those frames as they are
        side = np.where(n < 1e-9, out[:, L_HIP] - out[:, R_HIP], side)
        n = np.maximum(np.linalg.norm(side, axis=-1, keepdims=True), 1e-9)
    half = 0.5 * (np.linalg.norm(out[:, L_HIP] - out[:, 0], axis=-1)
                  + np.linalg.norm(out[:, R_HIP] - out[:, 0], axis=-1))[:, None]
    for hip, knee, ankle, sign in ((L_HIP, 5, 6, 1.0), (R_HIP, 2, 3, -1.0)):
        move = out[:, 0] + sign * half * side / n - out[:, hip]
        out[:, [hip, knee, ankle]] += move[:, None]
    return out.astype(pose.dtype)


FIT_2D_STRENGTH = 0.25  # how far each bone turns towards its 2D ray (x confidence; 0 for unseen joints)


CLOSEUP_FIT_STRENGTH = 0.8  # ... in a close-up (the pelvis outside the frame): see fit_strength


def fit_strength(kp2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T,) how far the bones turn towards the 2D per frame: FIT_2D_STRENGTH, or CLOSEUP_FIT_STRENGTH
    where the pelvis is outside the frame. A close-up's lower body is a guess (ml.unseen) and the
    lifter has seen no such framing, so its upper body drifts from what the picture shows (issue 28:
    elbows 20-40 px off in a head-and-shoulders shot 180 px tall); there the seen joints are the
    better evidence."""
    closeup = ~inside_frame(kp2d[:, :1, :2], width, height)[:, 0]
    return np.where(closeup, CLOSEUP_FIT_STRENGTH, FIT_2D_STRENGTH)


def fit_to_2d(pose: np.ndarray, uv: np.ndarray, weight: np.ndarray, focal: float, cx: float, cy: float
              ) -> np.ndarray:
    """Camera-space poses (T,17,3, absolute, metres) with each bone turned part of the way towards
    the camera ray through its child's 2D point (uv (T,17,2) pixels) at the lifter's depth: bone
    lengths kept, the root fixed, weight (T,17) in [0, 1] the share of the turn. Measured on
    Human3.6M S9 (24 sequences, every 5th frame, the shipped model, true focal length): with SH
    detections, 0.25 keeps P1 (75.9 -> 75.8 mm) and cuts the reprojection error 3.05 -> 2.79 % of
    the body height (0.5: 77.9 mm, 2.57 %); with exact 2D, 0.25 helps the 3D too (54.2 -> 52.7 mm).
    The experiment: tools/fit2d_experiment.py."""
    out = np.array(pose, np.float64, copy=True)
    for j in topological(PARENTS):
        p = PARENTS[j]
        if p < 0:
            continue
        b = pose[:, j] - pose[:, p]
        L = np.linalg.norm(b, axis=-1, keepdims=True)
        z = out[:, p, 2:3] + b[:, 2:3]  # the lifter's depth for the child, from the moved parent
        ray = np.concatenate([(uv[:, j, :1] - cx) * z / focal, (uv[:, j, 1:2] - cy) * z / focal, z], -1)
        r = ray - out[:, p]
        w = weight[:, j:j + 1]
        d = ((1 - w) * b / np.maximum(L, 1e-9)
             + w * r / np.maximum(np.linalg.norm(r, axis=-1, keepdims=True), 1e-9))
        out[:, j] = out[:, p] + L * d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)
    return out.astype(pose.dtype)


def chain_height(lengths: np.ndarray) -> float:
    """Ankle-to-head of a skeleton (17,) standing straight, metres."""
    return float(lengths[HEIGHT_CHAIN].sum() * UPRIGHT_OF_CHAIN)


DEFAULT_STATURE_M = round(chain_height(H36M_BONE_LENGTHS) / ANKLE_TO_HEAD_OF_STATURE, 2)  # the prior: 1.70 m


def inside_frame(kp: np.ndarray, width: int, height: int) -> np.ndarray:
    """(..., J, 2+) pixels -> (..., J) bool: inside the picture."""
    x, y = kp[..., 0], kp[..., 1]
    return (x >= 0) & (x < width) & (y >= 0) & (y < height)


def visible_joints(kp2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """(n,17,3) pixels + confidence -> (n,17) bool: seen (confidence >= VISIBLE_CONF) and inside the
    frame. Joints outside it (legs below a close-up) are the detector's guesses, as are gap frames.
    A joint made from others (ml.skeleton) is seen only where they are: the pelvis (the hips'
    midpoint) where both hips are, the spine (halfway from the pelvis to the thorax) where both
    are, the head top (extrapolated from the ears past the thorax) where the thorax is: a
    close-up's spine may lie inside the frame while the hips it comes from are below it."""
    seen = (kp2d[..., 2] >= VISIBLE_CONF) & inside_frame(kp2d, width, height)
    seen[..., 0] &= seen[..., 1] & seen[..., 4]
    seen[..., 7] &= seen[..., 0] & seen[..., 8]
    seen[..., 10] &= seen[..., 8]
    return seen


def mirror_mean(lengths: np.ndarray) -> np.ndarray:
    """Left and right bones averaged (a person's limbs match better than a lifter's guesses)."""
    return 0.5 * (lengths + lengths[FLIP_PERM])


def one_skeleton(pose: np.ndarray) -> np.ndarray:
    """(T,17,3) root-relative poses rebuilt with one skeleton: each bone at its median length over
    the clip, left and right averaged, directions kept. What BoneLengths gives the app's result,
    without the adult size prior (ml.evaluate --one-skeleton measures it on Human3.6M)."""
    lengths = mirror_mean(np.median(bone_lengths(pose), axis=0))
    lengths[0] = 0.0
    return with_bone_lengths(pose, lengths)


class BoneLengths:
    """One skeleton per clip, streaming: `update(poses, seen)` with each chunk's root-relative poses
    (n,17,3) and which joints were seen (n,17); `lengths` is the current (17,) estimate, frozen
    once every bone was seen in FREEZE_SAMPLES frames (or after `freeze_after_frames`). Proportions come from the seen frames
    (median), bones seen fewer than MIN_SAMPLES times take the prior's proportion, and the whole
    skeleton is scaled to `height_m` (the person's stature) or, unknown, to the prior's size."""

    def __init__(self, height_m: float | None = None, prior: np.ndarray = H36M_BONE_LENGTHS,
                 freeze_after_frames: int | None = None):
        self.prior = np.asarray(prior, np.float64)
        self.freeze_after = freeze_after_frames
        self.frames = 0
        self.target = (height_m * ANKLE_TO_HEAD_OF_STATURE if height_m else chain_height(self.prior))
        self.samples: list[list[float]] = [[] for _ in range(17)]
        self.frozen: np.ndarray | None = None
        self.lengths = self._estimate()

    def update(self, poses: np.ndarray, seen: np.ndarray | None = None, new_frames: int | None = None) -> np.ndarray:
        """new_frames: video frames this update advances by (default len(poses); fewer when `poses`
        is a lifter window overlapping the previous ones)."""
        if self.frozen is not None:
            return self.frozen
        seen = np.ones(poses.shape[:2], bool) if seen is None else np.asarray(seen, bool)
        L = bone_lengths(poses)
        self.frames += len(poses) if new_frames is None else new_frames
        for j, p in enumerate(PARENTS):
            if p >= 0:
                both = seen[:, j] & seen[:, p]
                self.samples[j].extend(L[both, j].tolist())
        self.lengths = self._estimate()
        if (all(len(self.samples[j]) >= FREEZE_SAMPLES for j, p in enumerate(PARENTS) if p >= 0)
                or self.freeze_after is not None and self.frames >= self.freeze_after):
            self.frozen = self.lengths
        return self.lengths

    def freeze(self) -> np.ndarray:
        """Freeze the current estimate (the clip ended before the skeleton settled by itself)."""
        if self.frozen is None:
            self.frozen = self.lengths
        return self.frozen

    def _estimate(self) -> np.ndarray:
        n = np.array([len(x) for x in self.samples])
        med = np.array([np.median(x) if len(x) else 0.0 for x in self.samples])
        known = (n >= MIN_SAMPLES) & (np.arange(17) > 0)
        if known.any():  # unseen bones: the prior, in the proportion of the seen ones
            ratio = np.median(med[known] / self.prior[known])
            med = np.where(known, med, self.prior * ratio)
        else:
            med = self.prior.copy()
        med = mirror_mean(med)
        med[0] = 0.0
        return med * (self.target / chain_height(med))


def root_translation(pose_cam: np.ndarray, kp2d: np.ndarray, conf: np.ndarray, width: int, height: int,
                     focal: float | None = None, ignore: np.ndarray | None = None) -> np.ndarray:
    """Camera-space root position per frame (T,3) from root-relative poses (T,17,3, camera frame, metres)
    and their 2D keypoints (T,17,2 pixels). Pinhole: u = f (X + tx) / (Z + tz) + cx, linear in t.
    Joints weigh sqrt(confidence) (at least 0.05's); ignore (T,17) bool: joints that weigh nothing
    (outside the frame: the detector's guesses), unless fewer than 3 others are left."""
    focal = focal or float(max(width, height))  # ~53° field of view: a typical camera
    cx, cy = width / 2.0, height / 2.0
    T = len(pose_cam)
    out = np.zeros((T, 3), np.float64)
    for t in range(T):
        w = np.sqrt(np.clip(conf[t], 0.05, 1.0))
        if ignore is not None and (~ignore[t]).sum() >= 3:
            w = np.where(ignore[t], 0.0, w)
        X, Y, Z = pose_cam[t, :, 0], pose_cam[t, :, 1], pose_cam[t, :, 2]
        du, dv = kp2d[t, :, 0] - cx, kp2d[t, :, 1] - cy
        zeros = np.zeros_like(du)
        A = np.concatenate([np.stack([np.full_like(du, focal), zeros, -du], 1),
                            np.stack([zeros, np.full_like(dv, focal), -dv], 1)])
        b = np.concatenate([du * Z - focal * X, dv * Z - focal * Y])
        ww = np.concatenate([w, w])
        sol, *_ = np.linalg.lstsq(A * ww[:, None], b * ww, rcond=None)
        out[t] = sol
    return out


class OneEuro:
    """One-Euro filter (Casiez et al. 2012) on arrays of any shape, applied frame after frame.

    min_cutoff (Hz): lower = smoother when still; beta: higher = less lag when moving fast."""

    def __init__(self, fps: float, min_cutoff: float = 1.5, beta: float = 0.3, d_cutoff: float = 1.0):
        self.fps, self.min_cutoff, self.beta, self.d_cutoff = fps, min_cutoff, beta, d_cutoff
        self.x = self.dx = None

    @staticmethod
    def _alpha(cutoff, fps):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau * fps)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.x is None:
            self.x, self.dx = x.copy(), np.zeros_like(x)
            return x.copy()
        dx = (x - self.x) * self.fps
        a_d = self._alpha(self.d_cutoff, self.fps)
        self.dx = a_d * dx + (1 - a_d) * self.dx
        cutoff = self.min_cutoff + self.beta * np.abs(self.dx)
        a = self._alpha(cutoff, self.fps)
        self.x = a * x + (1 - a) * self.x
        return self.x.copy()


# level -> (pose Gaussian sigma: seconds, at least this many frames (low frame rates have the most
# frame-to-frame noise per second), root One-Euro (min_cutoff Hz, beta)); None: no smoothing
SMOOTHING = {"none": None, "light": (0.04, 1.0, (1.5, 0.3)), "strong": (0.08, 2.0, (0.6, 0.15))}


def gaussian_smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Centred Gaussian over axis 0 of (T, ...) with edge padding; sigma in frames (<= 0.3: unchanged)."""
    if sigma_frames <= 0.3 or len(x) < 2:
        return x
    r = max(1, int(3 * sigma_frames + 0.5))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    k /= k.sum()
    pad = np.concatenate([np.repeat(x[:1], r, 0), x, np.repeat(x[-1:], r, 0)]).astype(np.float64)
    return sum(w * pad[i:i + len(x)] for i, w in enumerate(k)).astype(x.dtype)


def jitter(pose: np.ndarray, fps: float) -> float:
    """Mean joint acceleration magnitude (m/s²) over (T,17,3): lower is smoother."""
    if len(pose) < 3:
        return 0.0
    acc = (pose[2:] - 2 * pose[1:-1] + pose[:-2]) * fps * fps
    return float(np.linalg.norm(acc, axis=-1).mean())


def bone_length_std_mm(pose: np.ndarray) -> float:
    """Mean over bones of the std over time of the bone length, in millimetres."""
    return float(bone_lengths(pose)[:, 1:].std(axis=0).mean() * 1000.0)


@dataclass
class WorldAligner:
    """Stateful chunk-by-chunk conversion of lifter output to the world frame (see module docstring)."""

    fps: float
    width: int
    height: int
    smoothing: str = "light"
    height_m: float | None = None  # the person's stature if known (else the adult prior)
    foot_lock: bool = True  # ml.contact: ground from the contacts, planted feet locked
    fit_2d: bool = True     # bones turned a little towards the 2D rays (fit_to_2d)
    root_from_inside: bool = True  # the root placed from the joints inside the frame (a close-up's legs
                                   # below it are the detector's guesses)
    raw: list = field(default_factory=list)  # the lifter's root-relative poses, for quality figures
    contacts: list = field(default_factory=list)  # (n,2) bool per chunk: left, right foot in contact
    _origin: np.ndarray | None = None
    _filter: OneEuro | None = None
    _last_root: np.ndarray | None = None
    _prev_traj: np.ndarray | None = None  # last frame's trajectory point before turning upright
    _pos: np.ndarray | None = None        # ... and after (the root's output position)
    _up_sum: np.ndarray = field(default_factory=lambda: np.zeros(3))
    _up_n: int = 0
    tilt: np.ndarray = field(default_factory=lambda: np.eye(3))  # the upright rotation now in use
    bones: BoneLengths | None = None
    feet: FootLock | None = None

    def __post_init__(self):
        if self.smoothing not in SMOOTHING:
            raise ValueError(f"smoothing must be one of {sorted(SMOOTHING)}, got {self.smoothing!r}")
        self.bones = BoneLengths(self.height_m, freeze_after_frames=max(1, round(FREEZE_AFTER_S * self.fps)))
        self.feet = FootLock(self.fps, self.height_m or DEFAULT_STATURE_M)
        self.new_shot()

    def _upright(self, body: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """The camera-pitch correction: from the mean direction stance ankle -> head over the frames where
        they are seen (a standing or walking person is upright on average; a camera looking down
        makes them lean back, and a walk away from it climb), frozen after UPRIGHT_FREEZE_S. The
        first call of a shot passes the whole lifted window, so the estimate starts from seconds
        of motion, not from one chunk (it then barely moves, and the pose does not wobble)."""
        if self._up_n < UPRIGHT_FREEZE_S * self.fps:
            ok = seen[:, [L_ANKLE, R_ANKLE, 10]].all(1)
            v = body[ok, 10] - stance_ankle(body[ok])
            n = np.linalg.norm(v, axis=1, keepdims=True)
            self._up_sum = self._up_sum + (v / np.maximum(n, 1e-9)).sum(0)
            self._up_n += int(ok.sum())
        return upright_rotation(self._up_sum) if self._up_n >= UPRIGHT_MIN_SAMPLES else np.eye(3)

    def _fitted(self, poses: np.ndarray, kp2d: np.ndarray, seen: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Root-relative poses at the skeleton's lengths, turned a little towards the 2D (fit_2d)."""
        poses = with_bone_lengths(poses, lengths)
        if not self.fit_2d:
            return poses
        root = root_translation(poses, kp2d[..., :2], kp2d[..., 2], self.width, self.height,
                                ignore=self._outside(kp2d))
        weight = fit_strength(kp2d, self.width, self.height)[:, None] * np.where(seen, np.clip(kp2d[..., 2], 0.0, 1.0), 0.0)
        return fit_to_2d(poses + root[:, None], kp2d[..., :2], weight, float(max(self.width, self.height)),
                         self.width / 2.0, self.height / 2.0) - root[:, None]

    def _outside(self, kp2d: np.ndarray) -> np.ndarray | None:
        """(n,17) joints outside the frame: the root is placed from the others (root_translation)."""
        if not self.root_from_inside:
            return None
        return ~inside_frame(kp2d, self.width, self.height)

    def measure_bones(self, window: np.ndarray, window_seen: np.ndarray, new_frames: int) -> bool:
        """Measure the skeleton on a chunk's lifted window ahead of aligning it; True once frozen
        (the pipeline holds chunks back until then, so every frame it sends has the final skeleton)."""
        self.bones.update(window, window_seen, new_frames=new_frames)
        return self.bones.frozen is not None

    def new_shot(self) -> None:
        """A scene cut: restart the smoothing, and continue the root trajectory from where it was
        (a new shot may be another camera: its tilt is estimated again)."""
        self._up_sum, self._up_n = np.zeros(3), 0
        params = SMOOTHING[self.smoothing]
        self._filter = OneEuro(self.fps, *params[2]) if params else None
        self._origin = None
        self.feet.new_shot()

    def __call__(self, pose_cam: np.ndarray, kp2d: np.ndarray, window: np.ndarray | None = None,
                 seen: np.ndarray | None = None, window_seen: np.ndarray | None = None,
                 offset: int | None = None, measure: bool = True, window_kp2d: np.ndarray | None = None
                 ) -> np.ndarray:
        """pose_cam (n,17,3) root-relative camera frame; kp2d (n,17,3) pixels + confidence → (n,17,3) world.
        seen (n,17): joints seen in the 2D (default: confidence >= VISIBLE_CONF); bone lengths are
        measured on them only. window (F,17,3) with window_seen (F,17): the whole lifted window around
        the chunk, if known: more frames to measure bones on, so the skeleton settles sooner; with
        `offset` (the chunk's first frame in the window) the pose is smoothed over it, centred (and
        with window_kp2d (F,17,3) the fit to the 2D is done on the window before smoothing, so the
        2D's jitter is smoothed too). measure=False: the bones were already measured on this chunk
        (`measure_bones`), use them."""
        self.raw.append(pose_cam)
        params = SMOOTHING[self.smoothing]
        n = len(pose_cam)
        if seen is None:
            seen = kp2d[..., 2] >= VISIBLE_CONF
        if not measure:
            lengths = self.bones.lengths
        elif window is not None and window_seen is not None:
            lengths = self.bones.update(window, window_seen, new_frames=n)
        else:
            lengths = self.bones.update(pose_cam, seen)
        smooth = bool(params) and window is not None and offset is not None
        sigma = max(params[0] * self.fps, params[1]) if params else 0.0
        if smooth and window_kp2d is not None:
            w_seen = window_seen if window_seen is not None else window_kp2d[..., 2] >= VISIBLE_CONF
            pose_cam = gaussian_smooth(self._fitted(window, window_kp2d, w_seen, lengths), sigma)[offset:offset + n]
        else:
            if smooth:
                pose_cam = gaussian_smooth(window, sigma)[offset:offset + n]
            pose_cam = self._fitted(pose_cam, kp2d, seen, lengths)
        pose_cam = square_hips(with_bone_lengths(pose_cam, lengths))  # at the final size, so depth matches it
        root = root_translation(pose_cam, kp2d[..., :2], kp2d[..., 2], self.width, self.height,
                                ignore=self._outside(kp2d))
        if self._origin is None:  # first frame of a shot: it continues where the last one ended
            self._origin = root[0] - (self._last_root if self._last_root is not None else 0.0)
        rel = root - self._origin
        if self._filter is not None:
            rel = np.stack([self._filter(r) for r in rel])
        self._last_root = rel[-1].copy()
        flip = np.array([1.0, -1.0, -1.0])  # camera -> world: 180° about X
        body, traj = pose_cam * flip, rel * flip
        if self._up_n == 0 and window is not None and window_seen is not None:
            R = self.tilt = self._upright(window * flip, window_seen)
        else:
            R = self.tilt = self._upright(body, seen)
        # The trajectory's steps are turned upright (not its positions), so a tilt estimate that is
        # still settling never makes the root jump.
        prev = self._prev_traj if self._prev_traj is not None else traj[0]
        steps = np.diff(np.concatenate([prev[None], traj]), axis=0) @ R.T
        start = self._pos if self._pos is not None else R @ traj[0]
        pos = start + np.cumsum(steps, axis=0)
        self._prev_traj, self._pos = traj[-1].copy(), pos[-1].copy()
        world = body @ R.T + pos[:, None, :]
        if self.foot_lock:  # a frame with no foot seen stands at the skeleton's standing height
            self.feet.standing_root_h = self.feet.ankle_h + (lengths[2] + lengths[3]) * UPRIGHT_OF_CHAIN
            stand = seen.copy()  # feet the foot lock may stand on: seen, or unsure but inside the frame
            inside = ~self._outside(kp2d) if self.root_from_inside else np.ones_like(seen)
            for a in (L_ANKLE, R_ANKLE):
                stand[:, a] |= inside[:, a] & (kp2d[:, a, 2] >= FOOT_STAND_CONF)
            world, contact = self.feet(world, kp2d, stand)
        else:
            world[:, :, 1] -= np.minimum(world[:, L_ANKLE, 1], world[:, R_ANKLE, 1])[:, None]
            contact = np.zeros((len(world), 2), bool)
        self.contacts.append(contact)
        return world.astype(np.float32)


def stance_ankle(body: np.ndarray) -> np.ndarray:
    """(n,17,3) poses -> (n,3) per frame the ankle of the straighter leg (hip to ankle the longer): the
    leg the person stands on. The midpoint of both ankles when the legs are within STANCE_EVEN_M of
    each other (standing). A foot swung up behind or lifted forward moves the ankles' midpoint from
    under the head, and the camera tilt estimated from it by tens of degrees (issue 28: a walker
    towards the camera leaned 30° forward)."""
    reach_l = np.linalg.norm(body[:, L_ANKLE] - body[:, L_HIP], axis=-1)
    reach_r = np.linalg.norm(body[:, R_ANKLE] - body[:, R_HIP], axis=-1)
    mid = 0.5 * (body[:, L_ANKLE] + body[:, R_ANKLE])
    straighter = np.where((reach_l > reach_r)[:, None], body[:, L_ANKLE], body[:, R_ANKLE])
    return np.where((np.abs(reach_l - reach_r) < STANCE_EVEN_M)[:, None], mid, straighter)


STANCE_EVEN_M = 0.03     # legs whose hip-to-ankle reaches differ less than this: both stand
UPRIGHT_MAX_DEG = 30.0   # a camera tilted more than this (or a lying person): no correction
UPRIGHT_MIN_SAMPLES = 10  # frames with head and ankles seen before a tilt is estimated
UPRIGHT_FREEZE_S = 3.0   # ... and seconds of such frames after which it is frozen


def camera_tilt(R: np.ndarray) -> dict:
    """A result's camera fields for one upright rotation (WorldAligner.tilt, the scene camera's pitch)."""
    return {"world_from_camera": np.round(R, 6).tolist(),
            "tilt_deg": round(float(np.degrees(np.arccos(np.clip(R[1, 1], -1, 1)))), 2)}


def upright_rotation(mean_up: np.ndarray) -> np.ndarray:
    """(3,3) the rotation about the camera's x axis (pitch only) taking the body's mean
    head-over-ankles direction, seen from the side, onto +Y; identity past UPRIGHT_MAX_DEG. Pitch
    only: a camera looking down is common, a rolled one rare, and a lean in the image plane (a
    skater filmed from the side leans into the glide) is the person's, not the camera's."""
    y, z = float(mean_up[1]), float(mean_up[2])
    n = np.hypot(y, z)
    if n < 1e-9:
        return np.eye(3)
    a = np.arctan2(z, y)  # the lean towards the camera (+) or away from it (-)
    if np.degrees(abs(a)) > UPRIGHT_MAX_DEG:
        return np.eye(3)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def quality(raw_root_relative: np.ndarray, world: np.ndarray, fps: float) -> dict:
    """Jitter (m/s²) and bone-length std (mm) of the lifter's raw output and of the final motion,
    both root-relative so the root trajectory does not count as jitter."""
    final = world - world[:, :1]
    return {"jitter_raw": round(jitter(raw_root_relative, fps), 3), "jitter": round(jitter(final, fps), 3),
            "bone_length_std_mm_raw": round(bone_length_std_mm(raw_root_relative), 3),
            "bone_length_std_mm": round(bone_length_std_mm(final), 3)}
