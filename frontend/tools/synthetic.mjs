// Synthetic H36M-17 walking motion for the dev harness and tests (not real data).
// the project's joints (ml/skeleton.py, via the generated tables)
import { JOINT_NAMES, PARENTS } from '../src/generated/tables.js';

export { PARENTS };
export const NAMES = JOINT_NAMES;

/** 3D pose (metres, Y up) of a person walking around a circle, at frame i. */
export function pose3d(i, fps = 25) {
  const t = i / fps;
  const ph = t * 2 * Math.PI * 0.9; // stride phase
  const ang = t * 0.35; // position on a circle of radius 1.2 m
  const R = 1.2;
  const cx = R * Math.sin(ang), cz = R * Math.cos(ang) - R;
  const fwd = [Math.cos(ang), 0, -Math.sin(ang)]; // walking direction
  const side = [Math.sin(ang), 0, Math.cos(ang)]; // to the person's right... roughly
  const P = (f, u, s) => [cx + fwd[0] * f + side[0] * s, u, cz + fwd[2] * f + side[2] * s];
  const sw = Math.sin(ph) * 0.28, swb = Math.sin(ph + Math.PI) * 0.28;
  const lift = (x) => Math.max(0, x) * 0.12;
  const pelvisY = 0.95 + 0.02 * Math.cos(2 * ph);
  return [
    P(0, pelvisY, 0), // pelvis
    P(0, pelvisY, 0.13), // r_hip
    P(sw * 0.6, 0.5 + lift(Math.sin(ph)), 0.14), // r_knee
    P(sw, 0.08 + lift(Math.sin(ph)) * 0.5, 0.14), // r_ankle
    P(0, pelvisY, -0.13), // l_hip
    P(swb * 0.6, 0.5 + lift(-Math.sin(ph)), -0.14), // l_knee
    P(swb, 0.08 + lift(-Math.sin(ph)) * 0.5, -0.14), // l_ankle
    P(0.01, pelvisY + 0.23, 0), // spine
    P(0.02, pelvisY + 0.48, 0), // thorax
    P(0.04, pelvisY + 0.58, 0), // neck/nose
    P(0.03, pelvisY + 0.7, 0), // head
    P(0.02, pelvisY + 0.46, -0.19), // l_shoulder
    P(-sw * 0.5, pelvisY + 0.2, -0.22), // l_elbow
    P(-sw * 0.8, pelvisY - 0.03, -0.22), // l_wrist
    P(0.02, pelvisY + 0.46, 0.19), // r_shoulder
    P(-swb * 0.5, pelvisY + 0.2, 0.22), // r_elbow
    P(-swb * 0.8, pelvisY - 0.03, 0.22), // r_wrist
  ].map((p) => p.map((v) => Math.round(v * 1e4) / 1e4));
}

/** 2D keypoints (pixels, conf) for frame i in a w×h video: a simple projection of pose3d. */
export function pose2d(i, fps = 25, w = 1280, h = 720) {
  const s = h / 2.6;
  return pose3d(i, fps).map((p, j) => [
    Math.round((w / 2 + p[0] * s + p[2] * 0.3 * s) * 10) / 10,
    Math.round((h * 0.9 - p[1] * s) * 10) / 10,
    j === 13 || j === 16 ? 0.45 + 0.4 * Math.abs(Math.sin(i / 7)) : 0.95,
  ]);
}
