"""Foot contact, the ground, and foot locking: planted feet do not slide, jumps stay jumps.

World frame as in ml.postprocess (metres, +Y up). Frame by frame and causal, so the web stream and
the final result are the same numbers:

1. **Ground**: a robust straight-line fit, over the last GROUND_WINDOW_S seconds, of the height of
   the lower ankle against time, read at the current frame (a person stands or walks on one foot
   nearly all the time; outliers such as a short jump are trimmed; a trend, because a camera that
   looks down sees a person walking away climb in its upright frame: 3.5 m over 9 s on the
   pedestrians clip, where a running median lagged 0.5 m behind). The output puts the ground at
   y = 0 under the soles: an ankle joint in contact sits ANKLE_OF_STATURE × stature above it.
2. **Contact** per foot, from height and speed with hysteresis (robust to the lifter's jitter): a
   foot lands when its ankle is within `height_on` of its contact height and it is still; it lifts
   off above `height_off`, when it moves, or when it rises faster than `rise_off` (a take-off shows
   in the speed before the height). "Still" is measured in the 2D when the ankle is seen there (its
   image speed in body heights per second, `still2d_on/off`): the 3D's horizontal speed carries the
   root depth's noise (the pedestrians clip, 10 fps: 1.6 m/s median root speed frame to frame for
   people walking at about 1.3 m/s, where a planted ankle moves 0.02-0.3 body heights/s in the
   image and a swinging one 1-3). Otherwise (an unseen ankle) by the 3D speed, `speed_on/off`.
3. **Locking**: a landing foot gets an anchor, where it is (pulled 30 % of the way back towards where
   the lifter puts it, so corrections cannot pile up step after step). While feet are planted, the
   whole body moves by the mean of what keeps them on their anchors (a root correction), and each
   planted leg reaches its anchor exactly by two-bone IK (hip and bone lengths kept, the knee in its
   own bending plane); an anchor the leg cannot reach any more (the body moved on by more than a
   leg: a lifter or tracking glitch) is let go, and the foot lands again where it is. After a
   take-off (a foot rising faster than `rise_off`) the body keeps its vertical correction, fading
   within FLIGHT_FADE_S, and follows the lifter's height above the ground until a foot lands: a
   jump leaves the ground. A take-off needs the root rising too (`root_rise_off`: a step lifts a
   foot, a jump the body), no foot standing still in the image over PLANTED_2D_S (the 3D's height
   carries the root depth's noise: a man on one leg rose and fell 0.3 m in it; his standing foot
   stayed put in the video), and a foot that was down within TAKEOFF_AFTER_CONTACT_S (a jump
   pushes off the ground; a rise with no foot down before it is the lifter's or the 2D's, e.g. a
   zoom). A flight ends after MAX_FLIGHT_S even without a landing (a jump comes back: 1 s of
   flight is 1.2 m up). With no foot found down and no take-off (a walk whose contacts the 2D
   missed for a frame or two, a glide) the lower ankle settles back onto the ground within
   SETTLE_TAU_S: no floating.
4. Nothing goes below the ground: the body is lifted if an ankle would sink under its contact height.
5. Only feet that are seen stand (`seen`; the world alignment passes the 2D's visibility with
   unsure ankles inside the frame counted, ml.postprocess.FOOT_STAND_CONF): an ankle not seen
   (outside the frame) makes no contact and adds nothing to the ground line (a frame with no joint seen
   at all, a gap the pipeline filled, is carried on as before). A frame with neither ankle
   seen (a head-and-shoulders close-up) has no floor of its own: its legs are the lifter's guess,
   so the body is placed by its root instead, at the root's height above the floor over the last
   second of the shot in which a foot was seen, or, none seen yet in the shot, at a standing
   person's (`standing_root_h`: the skeleton's legs straight, the world alignment sets it; else
   STANDING_ROOT_OF_STATURE): a shot is placed the same whatever came before it (a cut may be to
   another moment). `legs_guessed` says which frames.

At a scene cut (`new_shot`) the ground, the contacts, a flight and the vertical correction start
afresh: the new shot's floor comes from its own frames (the horizontal correction carries on, so
the trajectory does). Measured on the in-the-wild bench (ml.bench quality; RESULTS.md): a take-off
held its vertical correction for the rest of the jump clip (the man 1.3-1.8 m above the floor
after jumping off the box; 31 % of its frames floating, 5.4 % now, all of them in the air in the
video).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ml.skeleton import L_ANKLE, L_HIP, L_KNEE, R_ANKLE, R_HIP, R_KNEE

FEET = ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE))  # (hip, knee, ankle): left, right
FOOT_NAMES = ("left", "right")
ANKLE_OF_STATURE = 0.04   # ankle joint above the sole, as a share of stature (ml.postprocess)
GROUND_WINDOW_S = 2.0
SETTLE_TAU_S = 0.1        # with no foot down and no take-off, the body sinks back this fast
ANCHOR_PULL = 0.3         # at landing, the anchor moves this share back towards the lifter's foot
TAKEOFF_AFTER_CONTACT_S = 0.25  # a take-off: a foot was down at most this long before
MAX_FLIGHT_S = 1.0        # a flight ends after this long, landed or not
FLIGHT_FADE_S = 0.2       # in the air, the vertical correction of the take-off fades this fast
PLANTED_2D_S = 0.2        # a foot that moved less than still2d_on over this long in the image: no take-off
ROOT_HISTORY_S = 1.0      # no ankle seen: the root kept at its median height over this much of the last seen frames
# a person standing straight: pelvis above the floor / stature (Human3.6M's mean skeleton at the
# 1.70 m prior: ankle 0.068 m up, thigh + shin 0.906 m at the upright chain's 0.957: 0.935 m)
STANDING_ROOT_OF_STATURE = 0.55


@dataclass
class ContactConfig:
    height_on: float = 0.12   # m above the other ankle: may land (the lifter's foot heights are
    height_off: float = 0.20  # m: lifts off                the least certain part of the pose)
    ground_on: float = 0.25   # m above the ground: may land (the root's height carries the root
    ground_off: float = 0.35  # m: lifts off                  depth's noise; a jump goes higher)
    still2d_on: float = 0.35  # body heights/s in the image: still enough to land
    still2d_off: float = 0.70 # body heights/s: moving
    speed_on: float = 0.45    # m/s horizontal: may land
    speed_off: float = 0.90   # m/s: lifts off (sliding that fast is walking, not standing)
    rise_off: float = 1.0     # m/s upwards: lifts off (a take-off, before the height shows it)
    root_rise_off: float = 0.5  # m/s upwards of the root too: a take-off (a jump lifts the body; a
                                # step lifts a foot)
    speed_tau_s: float = 0.04  # time constant of the speeds' smoothing (jitter at 25-60 fps; none at 10)


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, target: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """New (knee, ankle) (3,) with the thigh and shin lengths kept, the ankle on `target` (or as
    close as the leg reaches, along hip -> target), the knee bent in its current plane."""
    l1, l2 = np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee)
    to = target - hip
    d = float(np.linalg.norm(to))
    if d < 1e-9 or l1 < 1e-9 or l2 < 1e-9:
        return knee, ankle
    u = to / d
    d = float(np.clip(d, abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6))
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)  # along u, hip -> knee's foot point
    h = np.sqrt(max(l1 * l1 - a * a, 0.0))
    w = (knee - hip) - np.dot(knee - hip, u) * u  # where the knee points now, ⟂ the new leg line
    n = np.linalg.norm(w)
    if n < 1e-6:  # a straight leg: bend forward (+Z faces the camera; any ⟂ direction would do)
        w = np.cross(np.cross(u, [0.0, 0.0, 1.0]), u)
        n = np.linalg.norm(w)
        if n < 1e-6:
            return knee, hip + d * u
    return hip + a * u + h * w / n, hip + d * u


@dataclass
class FootLock:
    """Stateful per clip: `__call__(world)` for each chunk of frames, in order (see module doc)."""

    fps: float
    stature_m: float
    config: ContactConfig = field(default_factory=ContactConfig)

    def __post_init__(self):
        self.ankle_h = ANKLE_OF_STATURE * self.stature_m
        self._alpha = 1.0 - float(np.exp(-1.0 / (self.fps * self.config.speed_tau_s)))  # EMA weight
        self._settle = 1.0 - float(np.exp(-1.0 / (self.fps * SETTLE_TAU_S)))
        self._fade = 1.0 - float(np.exp(-1.0 / (self.fps * FLIGHT_FADE_S)))
        self._lows: deque = deque(maxlen=max(3, round(GROUND_WINDOW_S * self.fps)))
        self._corr = np.zeros(3)  # the body's correction (root shift), world metres
        self._t = 0               # frames seen
        self._takeoff_frames = max(1, round(TAKEOFF_AFTER_CONTACT_S * self.fps))
        self._max_flight = max(1, round(MAX_FLIGHT_S * self.fps))
        self._roots: deque = deque(maxlen=max(1, round(ROOT_HISTORY_S * self.fps)))  # root heights, feet seen
        self.standing_root_h = STANDING_ROOT_OF_STATURE * self.stature_m
        self.legs_guessed: list[bool] = []  # per frame: neither ankle seen, the body placed by its root
        self.new_shot()

    def new_shot(self) -> None:
        """A scene cut: the ground is found again from the new shot's frames; no contact, flight or
        vertical correction carries over (the horizontal correction does: the trajectory continues)."""
        self._lows.clear()
        self._roots.clear()
        self._corr[1] = 0.0
        self._airborne = False
        self._flight = 0         # frames since the take-off
        self._since_down = None  # frames since a foot was last down (None: not in this shot)
        self._contact = [False, False]
        self._anchor = [None, None]
        self._prev = [None, None]   # each ankle's raw position in the previous frame
        self._speed = [0.0, 0.0]
        self._rise = [0.0, 0.0]
        self._prev_root = None      # the root's raw height in the previous frame
        self._root_rise = 0.0
        self._prev2d = [None, None]
        self._speed2d = [0.0, 0.0]
        n = max(2, round(PLANTED_2D_S * self.fps)) + 1
        self._track2d = [deque(maxlen=n), deque(maxlen=n)]  # each ankle's recent 2D and body height

    def __call__(self, world: np.ndarray, kp2d: np.ndarray | None = None, seen: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """world (n,17,3) aligned poses (any floor), with their 2D kp2d (n,17,3) pixels + confidence
        and seen (n,17) if known -> (n,17,3) locked poses, ground at y = 0 under the soles, and
        contact (n,2) bool (left, right)."""
        assert world.ndim == 3 and world.shape[1:] == (17, 3), world.shape
        out = np.empty_like(world, dtype=np.float64)
        contact = np.zeros((len(world), 2), bool)
        for t, pose in enumerate(np.asarray(world, np.float64)):
            out[t], contact[t] = self._frame(pose, None if kp2d is None else np.asarray(kp2d[t], np.float64),
                                             None if seen is None else seen[t])
        return out.astype(np.float32), contact

    def _ground(self) -> float:
        """The ground's height (at the ankle) now: a line through the recent lower-ankle heights,
        refitted without the points more than 3 MADs off it (jumps, a lifter's stray frame)."""
        t, y = np.array(self._lows, np.float64).T
        if len(t) < 5:
            return float(np.median(y))
        keep = np.ones(len(t), bool)
        for _ in range(2):
            b, a = np.polyfit(t[keep], y[keep], 1)
            r = y - (a + b * t)
            mad = np.median(np.abs(r[keep])) + 1e-4
            keep = np.abs(r) <= 3 * mad
            if keep.sum() < 5:
                break
        return float(a + b * t[-1])

    def _reachable(self, p: np.ndarray, f: int) -> bool:
        hip, knee, ankle = FEET[f]
        leg = np.linalg.norm(p[knee] - p[hip]) + np.linalg.norm(p[ankle] - p[knee])
        return bool(np.linalg.norm(self._anchor[f] - p[hip]) <= leg * (1 + 1e-6))

    def _still_2d(self, f: int, kp: np.ndarray | None, seen: np.ndarray | None) -> bool | None:
        """Is foot f still in the image (None: its ankle is not seen, or no 2D)?"""
        if kp is None or seen is None or not seen[FEET[f][2]] or seen.sum() < 6:
            self._prev2d[f] = None
            self._track2d[f].clear()
            return None
        uv, body = kp[FEET[f][2], :2], float(np.ptp(kp[seen, 1]))
        prev, self._prev2d[f] = self._prev2d[f], uv.copy()
        self._track2d[f].append((uv.copy(), body))
        if prev is None or body < 1.0:
            return None
        v = float(np.linalg.norm(uv - prev)) * self.fps / body
        self._speed2d[f] += self._alpha * (v - self._speed2d[f])
        return self._speed2d[f] < (self.config.still2d_off if self._contact[f] else self.config.still2d_on)

    def _planted_in_image(self) -> bool:
        """Does a foot stand still in the image over the last PLANTED_2D_S (its net move, not its
        frame-to-frame speed: a small person's detected ankle jitters by pixels every frame)?"""
        for track in self._track2d:
            if len(track) == track.maxlen:
                (a, body_a), (b, body_b) = track[0], track[-1]
                body = max(body_a, body_b)
                if body >= 1.0 and (float(np.linalg.norm(b - a)) * self.fps / (len(track) - 1) / body
                                    < self.config.still2d_on):
                    return True
        return False

    def _unseen_feet(self, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A frame with neither ankle seen: no contact, no ground line; the root at its recent seen
        height above the floor (or a standing person's), the horizontal correction carried on."""
        self._contact, self._anchor = [False, False], [None, None]
        self._prev, self._prev_root, self._since_down = [None, None], None, None
        self._airborne = False
        for f in range(2):
            self._still_2d(f, None, None)
        root_h = float(np.median(self._roots)) if self._roots else self.standing_root_h
        p = pose + self._corr
        p[:, 1] += root_h - p[0, 1]
        sink = self.ankle_h - min(p[L_ANKLE, 1], p[R_ANKLE, 1])
        if sink > 0:  # the guessed legs not through the floor either
            p[:, 1] += sink
        self._corr[1] = 0.0
        return p, np.zeros(2, bool)

    def _frame(self, pose: np.ndarray, kp: np.ndarray | None, seen: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        self._t += 1
        # a frame with nothing seen is a gap the pipeline filled (no person found): carried on as before
        feet_seen = [True, True] if seen is None or not seen.any() else [bool(seen[a]) for _, _, a in FEET]
        self.legs_guessed.append(not any(feet_seen))
        if not any(feet_seen):
            return self._unseen_feet(pose)
        low = min(pose[a, 1] for (_, _, a), s in zip(FEET, feet_seen) if s)  # the lower seen ankle
        self._lows.append((self._t, low))
        ground = self._ground()
        p = pose.copy()
        p[:, 1] += self.ankle_h - ground          # raw, with a planted ankle at ankle_h
        low += self.ankle_h - ground
        if self._prev_root is not None:
            self._root_rise += self._alpha * ((p[0, 1] - self._prev_root) * self.fps - self._root_rise)
        self._prev_root = float(p[0, 1])
        for f, (_, _, ankle) in enumerate(FEET):  # contact state from the raw motion
            a = p[ankle]
            if self._prev[f] is not None:
                d = (a - self._prev[f]) * self.fps
                self._speed[f] += self._alpha * (float(np.hypot(d[0], d[2])) - self._speed[f])
                self._rise[f] += self._alpha * (float(d[1]) - self._rise[f])
            self._prev[f] = a.copy()
            h = a[1] - low
            g = a[1] - self.ankle_h
            still = self._still_2d(f, kp, seen)
            if not feet_seen[f]:  # an unseen foot is the lifter's guess: it does not stand
                self._contact[f], self._anchor[f] = False, None
                continue
            if self._contact[f]:
                if still is None:
                    still = self._speed[f] < cfg.speed_off
                self._contact[f] = (still and h < cfg.height_off and g < cfg.ground_off
                                    and self._rise[f] < cfg.rise_off)
            else:
                if still is None:
                    still = self._speed[f] < cfg.speed_on
                self._contact[f] = (still and h < cfg.height_on and g < cfg.ground_on
                                    and abs(self._rise[f]) < cfg.rise_off)
            if not self._contact[f]:
                self._anchor[f] = None
        down = [f for f in range(2) if self._contact[f]]
        for f in down:  # landing: anchor where the corrected foot is, pulled back towards the raw
            if self._anchor[f] is None:
                a = p[FEET[f][2]]
                anchor = a + (1 - ANCHOR_PULL) * self._corr
                anchor[1] = self.ankle_h
                self._anchor[f] = anchor
        while down:
            corr = np.mean([self._anchor[f] - p[FEET[f][2]] for f in down], axis=0)
            lost = [f for f in down if not self._reachable(p + corr, f)]
            if not lost:
                self._corr, self._airborne = corr, False
                break
            for f in lost:  # an anchor the leg cannot reach (the body moved on): a new step later
                self._contact[f], self._anchor[f] = False, None
            down = [f for f in down if f not in lost]
        if down:
            self._since_down = 0
        elif self._since_down is not None:
            self._since_down += 1
        planted_in_image = self._planted_in_image()
        if self._airborne:
            self._flight += 1
            if self._flight > self._max_flight:  # what goes up comes down: the flight is over
                self._airborne = False
        elif (not down and max(self._rise) > cfg.rise_off and self._root_rise > cfg.root_rise_off
              and not planted_in_image and self._since_down is not None
              and self._since_down <= self._takeoff_frames):
            self._airborne, self._flight = True, 0  # a take-off: the body may leave the ground
        if self._airborne:  # in the air the lifter's own height counts: what the correction was fades
            self._corr[1] *= 1.0 - self._fade
        p += self._corr
        if not down and not self._airborne:  # no foot found down, no take-off: settle back on the ground
            float_h = min(p[L_ANKLE, 1], p[R_ANKLE, 1]) - self.ankle_h
            if float_h > 0:
                p[:, 1] -= self._settle * float_h
                self._corr[1] -= self._settle * float_h
        for f in down:
            hip, knee, ankle = FEET[f]
            p[knee], p[ankle] = two_bone_ik(p[hip], p[knee], p[ankle], self._anchor[f])
        sink = self.ankle_h - min(p[L_ANKLE, 1], p[R_ANKLE, 1])
        if sink > 0:  # nothing below the ground (a landing after a held correction, IK limits)
            p[:, 1] += sink
            if not self._airborne:  # (in the air: this frame only, nothing to hold afterwards)
                self._corr[1] += sink
        self._roots.append(float(p[0, 1]))
        return p, np.array(self._contact)


def sliding_speed_cm_s(world: np.ndarray, contact: np.ndarray, fps: float) -> float:
    """Mean horizontal speed (cm/s) of the feet in the frames where they are in contact, measured
    frame to frame inside each contact run (the landing frame itself is not counted)."""
    speeds = []
    for f, (_, _, ankle) in enumerate(FEET):
        xz = world[:, ankle][:, [0, 2]]
        both = contact[1:, f] & contact[:-1, f]
        if both.any():
            speeds.append(np.linalg.norm(np.diff(xz, axis=0), axis=1)[both] * fps)
    return float(100.0 * np.concatenate(speeds).mean()) if speeds else float("nan")


def contacts_of(world: np.ndarray, fps: float, stature_m: float, kp2d: np.ndarray | None = None,
                seen: np.ndarray | None = None) -> np.ndarray:
    """(T,2) contact flags of an existing motion (e.g. an older result), by the same rules."""
    return FootLock(fps, stature_m)(world, kp2d, seen)[1]
