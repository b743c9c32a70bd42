"""Facing from the image: turn the lifted 3D to face the way the person's face says, over time.

The lifter sees 17 labelled 2D points and nothing else. Which way a torso turns is the weakest
thing it knows: a side-on torso has both shoulders at one spot in 2D, and the depth-mirrored pose
(z -> -z about the root) projects to nearly the same 2D. The detector sees more: BlazePose's face
points (nose, eyes, ears). Their 2D layout alone gives the head's yaw: the ears' left-right
order and spread say front or back (cos), the nose and eyes ahead of the ears say which side
(sin). With a head about 15 cm between the ears and the nose and eyes about 10 cm ahead of
them (HEAD_RATIO = 1.5 from those two), in the camera frame of ml.quality.shoulder_yaw (0: facing
the camera, left shoulder on the image's right):

    yaw_face = atan2(HEAD_RATIO * (face_x - ear_mid_x), left_ear_x - right_ear_x)

face_x the mean of the nose and the eyes' midpoint. The head may turn against the torso, so this
is soft evidence, weighted by the points' visibility and by how large the face is against the
torso (a face a few pixels wide, or ears on top of each other with the nose over them, says little).

Fusion, per shot of the video (FacingTracker, chunk by chunk as the streaming lifter hands them
on): the candidates for each frame are the lifter's pose and its depth mirror, each turned about
the camera's vertical axis through the root by one of ANGLES (15° apart): 48 states. A Viterbi
over frames picks one state per frame with
  unary   FACE_WEIGHT * weight * (1 - cos(candidate shoulder yaw - yaw_face)) / 2
          + REPROJECTION_WEIGHT * (its reprojection error - the lifter's own, % of body height, if worse)
          + a small prior for the lifter's own pose (TURN_PRIOR, MIRROR_PRIOR)
  switch  TURN_SWITCH * (1 - cos(change of turn)) / 2 + MIRROR_SWITCH if the mirror changes,
so the figure turns only where the face keeps saying so and the turned pose still fits the 2D
(the reprojection is the pinhole fit ml.quality measures: perspective, focal = the larger image
side, root placed by least squares). A face counts only where the detector sees at least MIN_SEEN
body joints (a detector that has lost the person still draws a face, anywhere). The tracker decides
each chunk's frames with a look-ahead to the end of the lifted window around it (a fixed-lag
Viterbi starting from the last decided state), so the stream and the final result are the same
numbers; the chosen turns are spread over a Gaussian of SMOOTH_S seconds, so a change of state is
a short turn rather than a jump.

MediaPipe's own 3D (world landmarks) is NOT used: the bench's facing figure compares against it.
Costs are per 1/REF_FPS s of video, so a 5 fps clip weighs its evidence as a 25 fps one does.
Measured on the shared clips: ml/RESULTS.md.
"""
from __future__ import annotations

import numpy as np

from .quality import shoulder_yaw
from .skeleton import L_HIP, L_SHOULDER, LAYOUT_NAMES, R_HIP, R_SHOULDER

FACE_POINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
NOSE, L_EYE, R_EYE, L_EAR, R_EAR = range(5)

HEAD_RATIO = 1.5          # ear-to-ear width / how far nose and eyes sit ahead of the ears
FACE_SIZE = 0.15          # face extent (hypot of the two terms) / 2D torso length giving full weight
ANGLES = np.radians(np.arange(-180, 180, 15))
FACE_WEIGHT = 1.0
REPROJECTION_WEIGHT = 0.15  # per % of body height worse than the lifter's own pose
TURN_PRIOR = 0.05         # * (1 - cos(turn)) / 2: stay with the lifter unless told
MIRROR_PRIOR = 0.02       # the depth mirror fits the 2D as well: only a slight preference
TURN_SWITCH = 0.5         # * (1 - cos(change of turn)) / 2 between consecutive frames
MIRROR_SWITCH = 1.0
REF_FPS = 25.0
SMOOTH_S = 0.1            # seconds: the Gaussian (sigma) a change of state is spread over
VISIBLE_CONF = 0.5        # 2D joints at least this confident count in the reprojection (as ml.quality)
MIN_SEEN = 6              # fewer seen joints: no reprojection figure, and the face is not trusted

N_STATES = 2 * len(ANGLES)
STATE_MIRROR = np.repeat([False, True], len(ANGLES))    # (S,)
STATE_TURN = np.tile(ANGLES, 2)                          # (S,) radians
IDENTITY = int(np.flatnonzero(~STATE_MIRROR & (np.abs(STATE_TURN) < 1e-9))[0])


def face_points(keypoints: np.ndarray, layout: str) -> np.ndarray | None:
    """A detector's keypoints (J, 3+) in `layout` -> (5, 3) FACE_POINTS (x, y px, confidence), or None
    for a layout without a face."""
    names = LAYOUT_NAMES.get(layout)
    if names is None or not all(n in names for n in FACE_POINTS):
        return None
    kp = np.asarray(keypoints, np.float32)
    assert kp.ndim == 2 and kp.shape[0] == len(names) and kp.shape[1] >= 3, kp.shape
    return kp[[names.index(n) for n in FACE_POINTS]][:, [0, 1, -1]].copy()


def face_yaw(face: np.ndarray, kp2d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """face (T,5,3) FACE_POINTS in pixels + confidence (NaN rows: no face), kp2d (T,17,2+) H36M-17
    pixels -> (yaw (T,) radians in shoulder_yaw's convention, weight (T,) in [0, 1])."""
    face = np.asarray(face, np.float64)
    assert face.ndim == 3 and face.shape[1:] == (5, 3) and kp2d.shape[:2] == (len(face), 17), (face.shape, kp2d.shape)
    x = face[..., 0]
    ear_mid = 0.5 * (x[:, L_EAR] + x[:, R_EAR])
    ahead = 0.5 * (x[:, NOSE] + 0.5 * (x[:, L_EYE] + x[:, R_EYE])) - ear_mid
    across = x[:, L_EAR] - x[:, R_EAR]
    yaw = np.arctan2(HEAD_RATIO * ahead, across)
    xy = np.asarray(kp2d, np.float64)[..., :2]
    torso = np.linalg.norm(0.5 * (xy[:, L_SHOULDER] + xy[:, R_SHOULDER]) - 0.5 * (xy[:, L_HIP] + xy[:, R_HIP]), axis=-1)
    size = np.hypot(HEAD_RATIO * ahead, across) / np.maximum(torso, 1e-6)
    weight = np.clip(face[..., 2], 0, 1).min(1) * np.clip(size / FACE_SIZE, 0.0, 1.0)
    ok = np.isfinite(yaw) & np.isfinite(weight) & (torso > 1.0)
    if kp2d.shape[-1] >= 3:  # a body the detector is unsure of (it lost the person): its face is no evidence
        ok &= (np.asarray(kp2d)[..., 2] >= VISIBLE_CONF).sum(1) >= MIN_SEEN
    return np.where(ok, yaw, 0.0), np.where(ok, weight, 0.0)


def transform(pose: np.ndarray, states: np.ndarray) -> np.ndarray:
    """pose (T,17,3) root-relative camera frame, states (T,) -> each frame mirrored in depth if its
    state says so, then turned about the camera's vertical (y) axis through the root. (Turning
    about the body's own mean pelvis-thorax axis instead, for a camera that looks down, measured
    no better: ml/RESULTS.md.)"""
    assert pose.ndim == 3 and pose.shape[1:] == (17, 3) and states.shape == (len(pose),), (pose.shape, states.shape)
    M = state_matrices(states)
    return np.einsum("tij,tkj->tki", M, np.asarray(pose, np.float64)).astype(np.asarray(pose).dtype)


def state_matrices(states: np.ndarray) -> np.ndarray:
    """(T,) states -> (T,3,3) the linear maps transform() applies (pose @ M.T): the depth mirror
    (z -> -z) if the state says so, then the turn about the camera's y axis."""
    c, s = np.cos(STATE_TURN[states]), np.sin(STATE_TURN[states])
    m = np.where(STATE_MIRROR[states], -1.0, 1.0)
    M = np.zeros((len(states), 3, 3))
    M[:, 0, 0], M[:, 0, 2] = c, s * m
    M[:, 1, 1] = 1.0
    M[:, 2, 0], M[:, 2, 2] = -s, c * m
    return M


def smoothed_matrices(states: np.ndarray, fps: float | None) -> np.ndarray:
    """(T,) states -> (T,3,3) their maps averaged over a centred Gaussian of SMOOTH_S seconds, so a
    change of state is a short turn, not a jump (a mirror change passes through a flat pose, whose
    bones the world alignment gives back their lengths)."""
    from .postprocess import gaussian_smooth

    rate = fps if fps and np.isfinite(fps) and fps > 0 else REF_FPS
    return gaussian_smooth(state_matrices(states), SMOOTH_S * rate)


def candidates(pose: np.ndarray) -> np.ndarray:
    """(T,17,3) -> (T, N_STATES, 17, 3): every state's pose of every frame."""
    M = state_matrices(np.arange(N_STATES))                                # (S,3,3)
    return np.einsum("sij,tkj->tski", M, np.asarray(pose, np.float64))


def reprojection_pct(poses: np.ndarray, kp2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """poses (T,C,17,3) root-relative camera frame, kp2d (T,17,3) px + confidence -> (T,C): mean pixel
    distance of the seen joints (conf >= VISIBLE_CONF) from the pose projected at its best root
    position (ml.postprocess.root_translation's pinhole, solved for all C at once), % of the 2D
    body height; NaN where fewer than 6 joints are seen (ml.quality.reprojection_per_frame_pct)."""
    T, C = poses.shape[:2]
    assert poses.shape[2:] == (17, 3) and kp2d.shape == (T, 17, 3), (poses.shape, kp2d.shape)
    f = float(max(width, height))
    du, dv = kp2d[..., 0] - width / 2.0, kp2d[..., 1] - height / 2.0           # (T,17)
    conf = kp2d[..., 2]
    w2 = np.clip(conf, 0.05, 1.0)                                               # squared weights
    X, Y, Z = poses[..., 0], poses[..., 1], poses[..., 2]                       # (T,C,17)
    # Normal equations of [f 0 -du; 0 f -dv] t = [du Z - f X; dv Z - f Y], weighted per joint.
    M = np.zeros((T, 3, 3))
    M[:, 0, 0] = M[:, 1, 1] = f * f * w2.sum(1)
    M[:, 0, 2] = M[:, 2, 0] = -f * (w2 * du).sum(1)
    M[:, 1, 2] = M[:, 2, 1] = -f * (w2 * dv).sum(1)
    M[:, 2, 2] = (w2 * (du * du + dv * dv)).sum(1)
    bx, by = du[:, None] * Z - f * X, dv[:, None] * Z - f * Y                   # (T,C,17)
    w = w2[:, None]
    rhs = np.stack([f * (w * bx).sum(-1), f * (w * by).sum(-1),
                    -(w * (du[:, None] * bx + dv[:, None] * by)).sum(-1)], -1)  # (T,C,3)
    M = M + 1e-9 * np.eye(3)
    t = np.linalg.solve(M[:, None], rhs[..., None])[..., 0]                     # (T,C,3)
    z = np.maximum(Z + t[..., 2:3], 1e-3)
    u = f * (X + t[..., 0:1]) / z + width / 2.0
    v = f * (Y + t[..., 1:2]) / z + height / 2.0
    dist = np.hypot(u - kp2d[:, None, :, 0], v - kp2d[:, None, :, 1])          # (T,C,17)
    seen = conf >= VISIBLE_CONF
    n = seen.sum(1)
    body = np.where(seen, kp2d[..., 1], -np.inf).max(1) - np.where(seen, kp2d[..., 1], np.inf).min(1)
    ok = (n >= MIN_SEEN) & (body >= 1.0)
    err = 100.0 * (dist * seen[:, None]).sum(-1) / np.maximum(n, 1)[:, None] / np.where(ok, body, 1.0)[:, None]
    return np.where(ok[:, None], err, np.nan)


def unary_costs(pose: np.ndarray, kp2d: np.ndarray, face: np.ndarray, width: int, height: int,
                fps: float | None = None) -> np.ndarray:
    """(T,17,3) lifted poses, (T,17,3) their 2D (px + confidence), (T,5,3) face points -> (T, N_STATES)."""
    T = len(pose)
    assert pose.shape == (T, 17, 3) and kp2d.shape == (T, 17, 3) and face.shape == (T, 5, 3)
    cand = candidates(np.asarray(pose, np.float64))
    yaw, weight = face_yaw(face, kp2d)
    agree = (1.0 - np.cos(shoulder_yaw(cand) - yaw[:, None])) / 2.0             # (T,S) in [0, 1]
    rep = reprojection_pct(cand, np.asarray(kp2d, np.float64), width, height)
    worse = np.nan_to_num(np.maximum(rep - rep[:, IDENTITY:IDENTITY + 1], 0.0), nan=0.0)
    prior = TURN_PRIOR * (1.0 - np.cos(STATE_TURN)) / 2.0 + MIRROR_PRIOR * STATE_MIRROR
    u = FACE_WEIGHT * weight[:, None] * agree + REPROJECTION_WEIGHT * worse + prior[None]
    return u * time_scale(fps)


def time_scale(fps: float | None) -> float:
    """Unary costs count per 1/REF_FPS s of video (switch costs are per change)."""
    if not fps or not np.isfinite(fps) or fps <= 0:
        return 1.0
    return float(np.clip(REF_FPS / fps, 0.2, 5.0))


_DTURN = STATE_TURN[:, None] - STATE_TURN[None]
SWITCH = TURN_SWITCH * (1.0 - np.cos(_DTURN)) / 2.0 + MIRROR_SWITCH * (STATE_MIRROR[:, None] != STATE_MIRROR[None])


def viterbi(unary: np.ndarray, start: int | None = None) -> np.ndarray:
    """unary (T, N_STATES) -> (T,) int: the states minimising unary + SWITCH along the path; `start`:
    the state of the frame before the first (its switch cost counts), None: free."""
    T, S = unary.shape
    assert S == N_STATES and T >= 1, unary.shape
    total = unary[0] + (SWITCH[start] if start is not None else 0.0)
    back = np.zeros((T, S), np.int64)
    for t in range(1, T):
        cand = total[:, None] + SWITCH                   # (prev, next)
        back[t] = cand.argmin(0)
        total = cand.min(0) + unary[t]
    states = np.zeros(T, np.int64)
    states[-1] = int(total.argmin())
    for t in range(T - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states


def choose(pose: np.ndarray, kp2d: np.ndarray, face: np.ndarray, width: int, height: int,
           fps: float | None = None, start: int | None = None) -> np.ndarray:
    """One pass over a whole sequence: (T,) states (see the module docstring)."""
    return viterbi(unary_costs(pose, kp2d, face, width, height, fps), start)


class FacingTracker:
    """One shot's facing decisions, chunk by chunk (ml.lift.Chunk from a StreamingLifter).

        tracker = FacingTracker(width, height, fps)
        chunk = tracker.fix(chunk, faces, n_pushed)   # faces: (5,3) or None per frame of the shot

    Each chunk's frames are decided by a Viterbi over its lifted window from the chunk's first frame
    to the window's end, starting from the state of the frame before; the chunk's 3D and its window
    (frames before the chunk with their decided states, after it with the tentative ones) are
    turned accordingly. Frames without a face have no facing evidence."""

    def __init__(self, width: int, height: int, fps: float | None = None):
        self.width, self.height, self.fps = width, height, fps
        self.states: list[int] = []   # decided state of every frame of the shot so far

    def fix(self, chunk, faces: list, n_pushed: int):
        from dataclasses import replace

        F, n = len(chunk.window), len(chunk.cam)
        first = chunk.start - chunk.offset
        assert chunk.start == len(self.states), (chunk.start, len(self.states))
        idx = np.clip(np.arange(first, first + F), 0, n_pushed - 1)   # the stream's edge padding
        face = np.stack([_face_or_nan(faces[i] if i < len(faces) else None) for i in idx])
        o = chunk.offset
        unary = unary_costs(chunk.window[o:], chunk.window_kp2d[o:], face[o:], self.width, self.height, self.fps)
        path = viterbi(unary, self.states[-1] if self.states else None)
        self.states.extend(int(s) for s in path[:n])
        before = np.array([self.states[i] if 0 <= i < chunk.start else path[0] for i in idx[:o]], np.int64)
        window_states = np.concatenate([before, path])
        assert window_states.shape == (F,)
        if (window_states == IDENTITY).all():
            return chunk
        M = smoothed_matrices(window_states, self.fps)
        window = np.einsum("fij,fkj->fki", M, chunk.window.astype(np.float64)).astype(chunk.window.dtype)
        return replace(chunk, window=window, cam=window[o:o + n].copy())


_NO_FACE = np.full((5, 3), np.nan, np.float32)


def _face_or_nan(face) -> np.ndarray:
    if face is None:
        return _NO_FACE
    face = np.asarray(face, np.float32)
    assert face.shape == (5, 3), face.shape
    return face

