// Coordinate helpers. The result/world frame is right-handed, Y up, metres, feet near y=0 —
// the same convention as three.js, so world -> scene is the identity (kept as one function so
// that a change of convention lives in one place).
import { FOOT_JOINTS } from '../model/skeleton.js';

/** World point [x,y,z] -> scene {x,y,z}; null for a missing/invalid point. */
export function worldToScene(p) {
  if (!Array.isArray(p) || p.length < 3) return null;
  const x = +p[0], y = +p[1], z = +p[2];
  if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) return null;
  return { x, y, z };
}

/** Axis-aligned bounds of a pose (array of [x,y,z]); null when no valid joint. */
export function poseBounds(pose) {
  if (!Array.isArray(pose)) return null;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  let n = 0;
  for (const p of pose) {
    const s = worldToScene(p);
    if (!s) continue;
    n++;
    const v = [s.x, s.y, s.z];
    for (let k = 0; k < 3; k++) {
      if (v[k] < min[k]) min[k] = v[k];
      if (v[k] > max[k]) max[k] = v[k];
    }
  }
  return n ? { min, max } : null;
}

export function unionBounds(a, b) {
  if (!a) return b;
  if (!b) return a;
  return {
    min: a.min.map((v, k) => Math.min(v, b.min[k])),
    max: a.max.map((v, k) => Math.max(v, b.max[k])),
  };
}

/**
 * Camera placement that frames bounds: target at the box centre, camera on a fixed
 * viewing direction at a distance that fits the box's bounding sphere in a vertical fov (deg)
 * for an aspect ratio. Returns {target:[x,y,z], position:[x,y,z], distance}.
 */
export function frameBounds(bounds, fovDeg = 45, aspect = 1, dir = [0.55, 0.35, 1.0], margin = 1.25) {
  const b = bounds || { min: [-0.5, 0, -0.5], max: [0.5, 1.8, 0.5] };
  const c = [0, 1, 2].map((k) => (b.min[k] + b.max[k]) / 2);
  const ext = [0, 1, 2].map((k) => Math.max(0, b.max[k] - b.min[k]));
  // never frame less than a person-sized box
  const radius = Math.max(0.9, 0.5 * Math.hypot(ext[0], ext[1], ext[2]));
  const vfov = (fovDeg * Math.PI) / 180;
  const hfov = 2 * Math.atan(Math.tan(vfov / 2) * Math.max(0.2, aspect));
  const fov = Math.min(vfov, hfov);
  const distance = (margin * radius) / Math.sin(fov / 2);
  const len = Math.hypot(dir[0], dir[1], dir[2]) || 1;
  const d = dir.map((v) => v / len);
  return {
    target: c,
    position: [c[0] + d[0] * distance, c[1] + d[1] * distance, c[2] + d[2] * distance],
    distance,
  };
}

/**
 * Camera placement that fits the box itself, not its bounding sphere: every corner inside the view
 * (vertical fov in degrees, aspect) with `margin` (1 = touching the edges), seen along `dir` (towards
 * the camera). For a group of people spread over a square (wide and deep, 1.8 m tall) the sphere
 * leaves most of the view empty and each person a few pixels tall (issue 33). Same return as frameBounds.
 */
export function frameBoxTight(bounds, fovDeg = 45, aspect = 1, dir = [0.25, 0.55, 1], margin = 1.1) {
  const b = bounds || { min: [-0.5, 0, -0.5], max: [0.5, 1.8, 0.5] };
  const c = [0, 1, 2].map((k) => (b.min[k] + b.max[k]) / 2);
  const len = Math.hypot(dir[0], dir[1], dir[2]) || 1;
  const f = dir.map((v) => v / len); // from the target towards the camera
  // camera axes: right = up × f (world up +Y), up = f × right
  let right = [f[2], 0, -f[0]];
  const rl = Math.hypot(right[0], right[2]) || 1;
  right = right.map((v) => v / rl);
  const up = [f[1] * right[2] - f[2] * right[1], f[2] * right[0] - f[0] * right[2], f[0] * right[1] - f[1] * right[0]];
  const tanV = Math.tan((fovDeg * Math.PI) / 360);
  const tanH = tanV * Math.max(0.2, aspect);
  let distance = 0;
  for (const x of [b.min[0], b.max[0]]) {
    for (const y of [b.min[1], b.max[1]]) {
      for (const z of [b.min[2], b.max[2]]) {
        const o = [x - c[0], y - c[1], z - c[2]];
        const dot = (a) => a[0] * o[0] + a[1] * o[1] + a[2] * o[2];
        // the corner's depth from the camera is distance - dot(f): it must see it within the fov
        distance = Math.max(distance, dot(f) + (margin * Math.abs(dot(right))) / tanH,
          dot(f) + (margin * Math.abs(dot(up))) / tanV);
      }
    }
  }
  distance = Math.max(distance, 1.5);
  return { target: c, position: c.map((v, k) => v + f[k] * distance), distance };
}

/**
 * Floor height estimate: the 5th percentile of the foot joints' y over some poses. Data should
 * already have feet near y=0; this only guards against data that does not.
 */
export function estimateFloor(poses, footJoints = FOOT_JOINTS) {
  const ys = [];
  for (const pose of poses) {
    if (!Array.isArray(pose)) continue;
    for (const j of footJoints) {
      const s = worldToScene(pose[j]);
      if (s) ys.push(s.y);
    }
  }
  if (!ys.length) return 0;
  ys.sort((a, b) => a - b);
  return ys[Math.floor(0.05 * (ys.length - 1))];
}

/**
 * Mapping from video pixels to a box of size (boxW, boxH) showing a video of (vw, vh) with
 * object-fit: contain. Returns {scale, offsetX, offsetY}; x_box = offsetX + x_px * scale.
 */
export function containFit(vw, vh, boxW, boxH) {
  if (!(vw > 0 && vh > 0 && boxW > 0 && boxH > 0)) return { scale: 1, offsetX: 0, offsetY: 0 };
  const scale = Math.min(boxW / vw, boxH / vh);
  return { scale, offsetX: (boxW - vw * scale) / 2, offsetY: (boxH - vh * scale) / 2 };
}

/** Video pixel [x,y] -> box coordinates under a containFit mapping. */
export function videoToBox(p, fit) {
  return [fit.offsetX + p[0] * fit.scale, fit.offsetY + p[1] * fit.scale];
}

/** Confidence (0..1, may be missing) -> opacity, never fully invisible. */
export function confidenceToOpacity(c, minOpacity = 0.15) {
  if (c == null || !Number.isFinite(+c)) return 1;
  const v = Math.max(0, Math.min(1, +c));
  return minOpacity + (1 - minOpacity) * v;
}

/** Opacity of a joint whose 3D is a guess (outside the frame or unsure: `visible` 0), and of its bones. */
export const INVISIBLE_OPACITY = 0.25;

/**
 * Per-joint opacity from 2D confidences and visibility flags (either may be missing): the
 * confidence rule, capped at INVISIBLE_OPACITY where visible is 0. Null when both are missing
 * (everything solid).
 */
export function jointOpacities(conf, visible, invisibleOpacity = INVISIBLE_OPACITY) {
  const c = Array.isArray(conf) ? conf : null;
  const v = Array.isArray(visible) ? visible : null;
  if (!c && !v) return null;
  const n = Math.max(c ? c.length : 0, v ? v.length : 0);
  return Array.from({ length: n }, (_, j) => {
    const op = confidenceToOpacity(c ? c[j] : null);
    return v && (v[j] === 0 || v[j] === false) ? Math.min(op, invisibleOpacity) : op;
  });
}

/** A bone is as faded as the more faded of its two joints. */
export function boneOpacity(opacities, a, b) {
  if (!Array.isArray(opacities)) return 1;
  return Math.min(opacities[a] ?? 1, opacities[b] ?? 1);
}

/**
 * Pose between two frames (t in [0, 1]) for smooth playback; joints missing in either frame come
 * from `a`. Returns `a` itself when t is 0 or `b` is unusable.
 */
export function lerpPose(a, b, t) {
  if (!(t > 0) || !Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return a;
  const u = Math.min(1, t);
  return a.map((p, j) => {
    const q = b[j];
    if (!Array.isArray(p) || !Array.isArray(q)) return p;
    return [p[0] + (q[0] - p[0]) * u, p[1] + (q[1] - p[1]) * u, p[2] + (q[2] - p[2]) * u];
  });
}
