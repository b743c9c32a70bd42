"""Human3.6M 17-joint skeleton (VideoPose3D order) and the tables that map other
2D keypoint layouts (MediaPipe BlazePose-33, COCO-17, Stacked-Hourglass-16) into it.

Every source layout is described by a (17, J_src) weight matrix: H36M joint i is the
weighted sum of source joints (weights sum to 1; a negative weight means extrapolation).
A joint copied from the source has a single weight 1.0. Derived joints (pelvis, spine,
thorax, nose, head) combine several sources; their confidence (the last channel, when
C == 3) is the MIN of the confidences of the sources that place them (|weight| >= MINOR_WEIGHT),
never an average. A source with a smaller weight nudges the joint but does not decide whether it
is seen: the thorax is the shoulder midpoint pushed 12.7 % further from the pelvis (hip weights
-0.064), so a head-and-shoulders close-up, whose hips are outside the frame, still sees its thorax
and head top (before: they took the unseen hips' confidence, and the lifter got them held from
earlier frames by the low-confidence filling).

Geometric constants used below were measured on the Human3.6M 3D mocap (S1..S9, every
10th frame, medians):
  * pelvis  == midpoint of the hips (distance 0.0 mm).
  * thorax  lies 1.127 of the way from the pelvis to the shoulder midpoint (about 6 cm
            above the shoulder line, at the base of the neck).
  * spine   lies 0.476 of the way from pelvis to thorax (we use 0.5).
  * nose (H36M "neck/nose", joint 9) lies 0.514 of the way from thorax to head-top.
  * thorax->nose ~ 0.12 m, nose->head-top ~ 0.115 m.
"""
from __future__ import annotations

import numpy as np

# --- the joint set -------------------------------------------------------------------
JOINT_NAMES = [
    "pelvis",      # 0
    "r_hip",       # 1
    "r_knee",      # 2
    "r_ankle",     # 3
    "l_hip",       # 4
    "l_knee",      # 5
    "l_ankle",     # 6
    "spine",       # 7
    "thorax",      # 8
    "neck_nose",   # 9
    "head",        # 10 (top of the head)
    "l_shoulder",  # 11
    "l_elbow",     # 12
    "l_wrist",     # 13
    "r_shoulder",  # 14
    "r_elbow",     # 15
    "r_wrist",     # 16
]
NUM_JOINTS = 17
# Each joint's index by name, from the list above (the one place they are numbered; issue 29).
(PELVIS, R_HIP, R_KNEE, R_ANKLE, L_HIP, L_KNEE, L_ANKLE, SPINE, THORAX, NECK_NOSE, HEAD,
 L_SHOULDER, L_ELBOW, L_WRIST, R_SHOULDER, R_ELBOW, R_WRIST) = range(NUM_JOINTS)
PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
LEFT = [4, 5, 6, 11, 12, 13]    # joints on the subject's left side
RIGHT = [1, 2, 3, 14, 15, 16]   # their mirror images, same position in the list
ROOT = 0
# Permutation that swaps left and right joints (used by flip augmentation).
FLIP_PERM = list(range(NUM_JOINTS))
for _l, _r in zip(LEFT, RIGHT):
    FLIP_PERM[_l], FLIP_PERM[_r] = _r, _l
BONES = [(j, p) for j, p in enumerate(PARENTS) if p >= 0]  # (child, parent)

# --- source layouts --------------------------------------------------------------------
BLAZEPOSE33_NAMES = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
]
BLAZEPOSE_POINTS = len(BLAZEPOSE33_NAMES)  # 33: what a BlazePose detector gives per person (the live page's)
COCO17_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
SH16_NAMES = [
    "r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "spine", "thorax",
    "head", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist",
]
LAYOUT_NAMES = {"blazepose33": BLAZEPOSE33_NAMES, "coco17": COCO17_NAMES, "sh16": SH16_NAMES}

# Fitted constants (see module docstring).
THORAX_ABOVE_SHOULDERS = 0.127  # thorax = sh_mid + 0.127 * (sh_mid - pelvis)
SPINE_FRACTION = 0.5            # spine = pelvis + 0.5 * (thorax - pelvis)
NOSE_FRACTION = 0.5             # SH: nose = thorax + 0.5 * (head - thorax)
MINOR_WEIGHT = 0.1              # a derived joint's confidence ignores sources weighted less than this


def _face_layout_table(names: list[str]) -> np.ndarray:
    """Weights for layouts with a face (COCO-17, BlazePose-33): same body joint names."""
    J = len(names)
    ix = {n: i for i, n in enumerate(names)}

    def one(name):
        v = np.zeros(J)
        v[ix[name]] = 1.0
        return v

    W = np.zeros((NUM_JOINTS, J))
    copy = {1: "right_hip", 2: "right_knee", 3: "right_ankle", 4: "left_hip", 5: "left_knee",
            6: "left_ankle", 11: "left_shoulder", 12: "left_elbow", 13: "left_wrist",
            14: "right_shoulder", 15: "right_elbow", 16: "right_wrist"}
    for j, n in copy.items():
        W[j] = one(n)
    # 0 pelvis = midpoint of the two hips.
    W[0] = 0.5 * (one("left_hip") + one("right_hip"))
    # 8 thorax = shoulder midpoint pushed 12.7 % further away from the pelvis (H36M thorax
    #   sits at the base of the neck, ~6 cm above the shoulder line).
    sh_mid = 0.5 * (one("left_shoulder") + one("right_shoulder"))
    W[8] = sh_mid + THORAX_ABOVE_SHOULDERS * (sh_mid - W[0])
    # 7 spine = halfway between pelvis and thorax.
    W[7] = W[0] + SPINE_FRACTION * (W[8] - W[0])
    # 9 neck/nose: the H36M joint sits inside the head, between the face and the ears, so
    #   we take the midpoint of the nose tip and the ear midpoint.
    ear_mid = 0.5 * (one("left_ear") + one("right_ear"))
    W[9] = 0.5 * (one("nose") + ear_mid)
    # 10 head (top of the head): the ear midpoint lies about halfway between thorax and
    #   head-top along the neck/head axis, so extrapolate: head = ear_mid + (ear_mid - thorax).
    W[10] = ear_mid + (ear_mid - W[8])
    return W


def _sh16_table() -> np.ndarray:
    W = np.zeros((NUM_JOINTS, 16))
    copy = {0: 6, 1: 2, 2: 1, 3: 0, 4: 3, 5: 4, 6: 5, 8: 8, 10: 9,
            11: 13, 12: 14, 13: 15, 14: 12, 15: 11, 16: 10}
    for j, s in copy.items():
        W[j, s] = 1.0
    # 7 spine: SH joint 7 is MPII's "thorax" (upper chest, just below the neck), not H36M's
    #   mid-torso spine (on S9 it sits ~45 px above it, while SH joint 8 matches H36M's thorax
    #   within ~6 px). So, as for the other layouts, spine = midpoint(pelvis, thorax).
    W[7, 6] = 1.0 - SPINE_FRACTION
    W[7, 8] = SPINE_FRACTION
    # 9 neck/nose: SH-16 has no face joint; H36M's joint 9 lies halfway between thorax and
    #   head-top (0.514 measured), so nose = midpoint(thorax, head).
    W[9, 8] = 1.0 - NOSE_FRACTION
    W[9, 9] = NOSE_FRACTION
    return W


LAYOUT_TABLES = {
    "blazepose33": _face_layout_table(BLAZEPOSE33_NAMES),
    "coco17": _face_layout_table(COCO17_NAMES),
    "sh16": _sh16_table(),
}
for _name, _W in LAYOUT_TABLES.items():
    assert _W.shape == (NUM_JOINTS, len(LAYOUT_NAMES[_name]))
    assert np.allclose(_W.sum(1), 1.0), _name  # affine combinations only


def to_h36m(keypoints: np.ndarray, layout: str) -> np.ndarray:
    """Map keypoints (T, J, C) in `layout` to H36M-17 (T, 17, C).

    layout: "blazepose33" | "coco17" | "sh16" | "h36m17" (identity).
    C >= 2. When C == 3 the last channel is a confidence: derived joints get the MIN
    confidence of their sources; channels other than the confidence are mapped linearly
    (C == 4 e.g. x, y, z, visibility also treats the last channel as confidence).
    """
    kp = np.asarray(keypoints)
    if kp.ndim == 2:
        return to_h36m(kp[None], layout)[0]
    assert kp.ndim == 3, f"expected (T, J, C), got {kp.shape}"
    if layout == "h36m17":
        assert kp.shape[1] == NUM_JOINTS
        return kp.copy()
    if layout not in LAYOUT_TABLES:
        raise ValueError(f"unknown layout {layout!r}; choose from {sorted(LAYOUT_TABLES)}")
    W = LAYOUT_TABLES[layout]
    T, J, C = kp.shape
    assert J == W.shape[1], f"layout {layout} has {W.shape[1]} joints, got {J}"
    dtype = kp.dtype if np.issubdtype(kp.dtype, np.floating) else np.float32
    has_conf = C >= 3
    ncoord = C - 1 if has_conf else C
    out = np.empty((T, NUM_JOINTS, C), dtype=dtype)
    out[..., :ncoord] = np.einsum("ij,tjc->tic", W, kp[..., :ncoord].astype(np.float64))
    if has_conf:
        conf = kp[..., -1]
        for i in range(NUM_JOINTS):
            src = np.nonzero(np.abs(W[i]) >= MINOR_WEIGHT)[0]
            out[:, i, -1] = conf[:, src].min(axis=1)
    return out


def flip_pose(x: np.ndarray | "torch.Tensor", x_axis: int = 0):
    """Mirror a pose array (..., 17, C): negate coordinate `x_axis` and swap left/right.
    Works on numpy arrays and torch tensors; returns a new array."""
    y = x[..., FLIP_PERM, :]
    y = y.clone() if hasattr(y, "clone") else y.copy()
    y[..., x_axis] *= -1
    return y
