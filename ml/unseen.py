"""Joints the camera does not see: what the lifter is shown for them (issue 28, part 5).

A head-and-shoulders close-up has its legs outside the frame. MediaPipe still places them, far
below the picture, at a confidence of ~0.01-0.3, and in no pose a person stands in (knees above the
hips, ankles wandering by hundreds of pixels from frame to frame); the low-confidence filling
(ml.lift.fill_low_confidence) has no confident frame to fill them from, so the lifter was shown
those guesses and bent the whole body to fit them. Here a leg joint (knee, ankle) that is outside
the frame is put where a person standing straight would have it instead: below its hip, along the
torso's own down direction (thorax -> pelvis in the image), the thigh and shin at Human3.6M's
proportions of the 2D torso. The result marks those joints not visible and the world alignment
does not stand on them (ml.contact); this is only the lifter's input. Joints inside the frame,
confident or not, are left to the detector and the filling (a wide shot's unsure ankle is usually
near where it is drawn). Measured on the in-the-wild bench: ml/RESULTS.md.
"""
from __future__ import annotations

import numpy as np

from ml.postprocess import H36M_BONE_LENGTHS, inside_frame
from ml.skeleton import (L_ANKLE, L_HIP, L_KNEE, L_SHOULDER, PELVIS, R_ANKLE, R_HIP, R_KNEE, R_SHOULDER,
                         THORAX)

LEGS = ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE))  # (hip, knee, ankle): left, right
# thigh and shin of a standing person / the torso (pelvis -> spine -> thorax), Human3.6M's means
THIGH_OF_TORSO = H36M_BONE_LENGTHS[2] / (H36M_BONE_LENGTHS[7] + H36M_BONE_LENGTHS[8])
SHIN_OF_TORSO = H36M_BONE_LENGTHS[3] / (H36M_BONE_LENGTHS[7] + H36M_BONE_LENGTHS[8])
# torso / shoulder width (thorax -> shoulder, both sides), for a degenerate torso line
TORSO_OF_SHOULDERS = (H36M_BONE_LENGTHS[7] + H36M_BONE_LENGTHS[8]) / (2 * H36M_BONE_LENGTHS[11])


def standing_legs(kp: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """kp (F,17,3) pixels + confidence -> (xy (F,17,2), conf (F,17)) for the lifter: knees and ankles
    outside the frame placed as a person standing straight would have them (module doc), at
    confidence 1 so the low-confidence filling keeps them; everything else as given."""
    xy = np.array(kp[..., :2], np.float64, copy=True)
    conf = np.array(kp[..., 2], np.float32, copy=True)
    out = ~inside_frame(kp, width, height)
    frames = np.nonzero(out[:, [k for _, k, _ in LEGS] + [a for _, _, a in LEGS]].any(1))[0]
    for t in frames:
        axis = xy[t, PELVIS] - xy[t, THORAX]
        torso = float(np.linalg.norm(axis))
        shoulders = float(np.linalg.norm(xy[t, L_SHOULDER] - xy[t, R_SHOULDER]))
        if torso < 1e-6 or axis[1] <= 0:  # no usable torso line (or upside down): straight down the image
            axis, torso = np.array([0.0, 1.0]), max(torso, shoulders * TORSO_OF_SHOULDERS)
        if torso < 1e-6:
            continue
        down = axis / np.linalg.norm(axis)
        for hip, knee, ankle in LEGS:
            if out[t, knee]:
                xy[t, knee] = xy[t, hip] + down * torso * THIGH_OF_TORSO
                conf[t, knee] = 1.0
            if out[t, ankle] or out[t, knee]:
                xy[t, ankle] = xy[t, knee] + down * torso * SHIN_OF_TORSO
                conf[t, ankle] = 1.0
    return xy.astype(kp.dtype), conf
