"""Undo brief left/right label swaps in 2D keypoint tracks, by continuity in time.

2D detectors now and then label a person's left limbs as the right ones for a frame or two:
MediaPipe on the skater clip swaps the arms (and legs) in frames 82 and 84 of a spin, and on the
pedestrians clip the arms in frame 43; the Stacked Hourglass detections of Human3.6M S9 have 0.48 %
of frames swapped, in runs of 1 to 92 frames. A skeleton whose left and right labels are swapped is
the 2D of the mirror-image pose facing the other way, so the lifter turns the person round for
that frame: a flicker in the viewer, up to 0.5 m of error per joint.

unswap() runs on each lifting window (ml.lift.lift_windows, so ml.evaluate and the app do the
same); the app's streaming lifter applies the same relabelling() to the 2D and confidence it hands
on, so the fit to the 2D, the overlay and the exports see the labels the 3D has.

For each group of left/right joint pairs it finds the Viterbi path over "swapped or not" per frame that makes the joints' trajectories shortest, with a cost per swapped
frame and per switch so that nothing changes without a clear jump. Only short runs (MAX_RUN frames)
with unswapped frames on both sides are swapped back: inside one window a longer run cannot be told
from the correct labels (fixing every run made S9 worse, 68.7 -> 68.8 mm, and relabelled a spinning
skater's legs for six frames; ml/RESULTS.md). Projected ground truth of S9 comes back unchanged at
50, 25 and 10 fps.
"""
from __future__ import annotations

import numpy as np

from .skeleton import LEFT, RIGHT

# Left/right groups decided separately (a detector may swap the legs and not the arms): hips,
# knees + ankles, shoulders, elbows + wrists. Pairs of (left joints, their right mirror images).
GROUPS = (([4], [1]), ([5, 6], [2, 3]), ([11], [14]), ([12, 13], [15, 16]))
# Costs in normalised screen units (x / width * 2 - 1; 0.001 is 0.5 px of a 1000 px image): per
# swapped frame, and per switch between swapped and not. Without the switch cost, walking legs at
# 10 fps (S9 ground truth, every 5th frame) were "swapped back" in 51 frames; with it, in none.
SWAP_COST = 0.001
SWITCH_COST = 0.05
MAX_RUN = 3  # the longest run (frames) swapped back: detector flickers, not a long mislabelling

assert sorted(j for left, _ in GROUPS for j in left) == sorted(LEFT)
assert sorted(j for _, right in GROUPS for j in right) == sorted(RIGHT)


def swap_states(x: np.ndarray, left: list[int], right: list[int], cost: float = SWAP_COST,
                switch: float = SWITCH_COST, max_run: int = MAX_RUN) -> np.ndarray:
    """x (B, T, J, 2+) -> (B, T) bool: frames whose `left`/`right` labels should be swapped back."""
    B, T = x.shape[:2]
    both = left + right
    opts = np.stack([x[:, :, both, :2], x[:, :, right + left, :2]], 2)  # (B, T, 2 states, n, 2)
    # step[b, t, s_prev, s]: mean joint displacement from frame t (state s_prev) to t+1 (state s)
    step = np.linalg.norm(opts[:, 1:, None] - opts[:, :-1, :, None], axis=-1).mean(-1)  # (B, T-1, 2, 2)
    unary = np.array([0.0, cost])
    total = np.broadcast_to(unary, (B, 2)).copy()          # (B, 2) best cost ending in each state
    back = np.zeros((B, T, 2), dtype=np.int8)
    for t in range(1, T):
        cand = total[:, :, None] + step[:, t - 1] + switch * np.array([[0.0, 1.0], [1.0, 0.0]])  # (B, s_prev, s)
        back[:, t] = cand.argmin(1)
        total = cand.min(1) + unary
    state = np.zeros((B, T), dtype=np.int8)
    state[:, -1] = total.argmin(1)
    rows = np.arange(B)
    for t in range(T - 1, 0, -1):
        state[:, t - 1] = back[rows, t, state[:, t]]
    return short_inner_runs(state.astype(bool), max_run)


def short_inner_runs(mask: np.ndarray, max_run: int) -> np.ndarray:
    """(B, T) bool -> only its runs of at most `max_run` frames with a False frame on both sides."""
    B, T = mask.shape
    pad = np.zeros((B, 1), bool)
    edges = np.diff(np.concatenate([pad, mask, pad], 1).astype(np.int8), axis=1)   # (B, T+1)
    out = np.zeros_like(mask)
    for b, start in zip(*np.nonzero(edges == 1)):
        end = start + int(np.argmax(edges[b, start + 1:] == -1)) + 1               # first False after the run
        if start > 0 and end < T and end - start <= max_run:
            out[b, start:end] = True
    return out


def relabelling(x: np.ndarray, cost: float = SWAP_COST, switch: float = SWITCH_COST) -> np.ndarray:
    """x (..., T, 17, C) with C >= 2, normalised screen units -> (..., T, 17) int: per frame, the
    joint each label should take its values from (identity where nothing is swapped back). Apply it
    with relabel(); callers that carry other per-joint arrays (pixels, confidence) apply the same."""
    assert x.ndim >= 3 and x.shape[-2] == 17 and x.shape[-1] >= 2, x.shape
    lead, (T, J, C) = x.shape[:-3], x.shape[-3:]
    flat = np.asarray(x).reshape(-1, T, J, C)
    idx = np.broadcast_to(np.arange(J), (len(flat), T, J)).copy()
    if T >= 2:
        for left, right in GROUPS:
            b, t = np.nonzero(swap_states(flat, left, right, cost, switch))   # (B, T) -> frames
            idx[b[:, None], t[:, None], np.array(left + right)] = np.array(right + left)
    return idx.reshape(*lead, T, J)


def relabel(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """x (..., T, 17, C), idx (..., T, 17) from relabelling() -> x with each label's values moved."""
    assert idx.shape == x.shape[:-1], (idx.shape, x.shape)
    return np.take_along_axis(np.asarray(x), idx[..., None], axis=-2)


def unswap(x: np.ndarray, cost: float = SWAP_COST, switch: float = SWITCH_COST) -> np.ndarray:
    """x (..., T, 17, C) with C >= 2 (normalised; a confidence channel travels with its joint) ->
    a copy with the left/right labels swapped back where continuity says so."""
    return relabel(x, relabelling(x, cost, switch))
