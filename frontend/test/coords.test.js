import { describe, it, expect } from 'vitest';
import {
  worldToScene, poseBounds, unionBounds, frameBounds, frameBoxTight, estimateFloor, containFit, videoToBox, confidenceToOpacity,
  jointOpacities, boneOpacity, INVISIBLE_OPACITY,
} from '../src/view3d/coords.js';

describe('coordinates', () => {
  it('world (Y up, metres) maps to the scene unchanged and rejects bad points', () => {
    expect(worldToScene([1, 2, 3])).toEqual({ x: 1, y: 2, z: 3 });
    expect(worldToScene([1, NaN, 3])).toBeNull();
    expect(worldToScene(null)).toBeNull();
    expect(worldToScene([1, 2])).toBeNull();
  });

  it('bounds of poses', () => {
    const b = poseBounds([[0, 0, 0], [1, 2, -1], null]);
    expect(b).toEqual({ min: [0, 0, -1], max: [1, 2, 0] });
    expect(poseBounds([])).toBeNull();
    expect(unionBounds(b, { min: [-1, 0, 0], max: [0, 3, 0] })).toEqual({ min: [-1, 0, -1], max: [1, 3, 0] });
    expect(unionBounds(null, b)).toBe(b);
  });

  it('frames a group by its box: every corner in view, much closer than its bounding sphere', () => {
    const b = { min: [-8, 0, -6], max: [8, 1.8, 6] }; // people spread over a square, 1.8 m tall
    const dir = [0.25, 0.55, 1];
    const f = frameBoxTight(b, 45, 4 / 3, dir, 1.0);
    expect(f.distance).toBeLessThan(0.8 * frameBounds(b, 45, 4 / 3, dir, 1.0).distance);
    // project each corner into the view: inside the fov (within a whisker), one of them on its edge
    const len = Math.hypot(...dir);
    const fw = dir.map((v) => v / len);
    const right = [fw[2], 0, -fw[0]].map((v) => v / Math.hypot(fw[2], fw[0]));
    const up = [fw[1] * right[2] - fw[2] * right[1], fw[2] * right[0] - fw[0] * right[2], fw[0] * right[1] - fw[1] * right[0]];
    const tanV = Math.tan((22.5 * Math.PI) / 180), tanH = tanV * (4 / 3);
    let worst = 0;
    for (const x of [-8, 8]) for (const y of [0, 1.8]) for (const z of [-6, 6]) {
      const o = [x, y, z].map((v, k) => v - f.position[k]);
      const dot = (a) => a[0] * o[0] + a[1] * o[1] + a[2] * o[2];
      const depth = -dot(fw);
      worst = Math.max(worst, Math.abs(dot(right)) / (depth * tanH), Math.abs(dot(up)) / (depth * tanV));
    }
    expect(worst).toBeLessThanOrEqual(1 + 1e-9);
    expect(worst).toBeGreaterThan(0.99);
  });

  it('frames a person so the whole box fits the view', () => {
    const b = { min: [-0.3, 0, -0.3], max: [0.3, 1.8, 0.3] };
    const f = frameBounds(b, 45, 16 / 9);
    expect(f.target).toEqual([0, 0.9, 0]);
    const d = Math.hypot(...f.position.map((v, k) => v - f.target[k]));
    expect(d).toBeCloseTo(f.distance, 6);
    const r = 0.5 * Math.hypot(0.6, 1.8, 0.6);
    expect(Math.atan(r / f.distance)).toBeLessThan((22.5 * Math.PI) / 180);
    // a narrow (phone) aspect moves the camera further away
    expect(frameBounds(b, 45, 0.5).distance).toBeGreaterThan(f.distance);
    // camera above the floor
    expect(f.position[1]).toBeGreaterThan(0);
  });

  it('estimates the floor from the feet', () => {
    const pose = (y) => Array.from({ length: 17 }, (_, j) => [0, j === 3 || j === 6 ? y : 1, 0]);
    expect(estimateFloor([pose(0.02), pose(0.01), pose(0.03)])).toBeCloseTo(0.01);
    expect(estimateFloor([])).toBe(0);
  });

  it('maps video pixels into a letterboxed box', () => {
    const fit = containFit(1280, 720, 640, 640);
    expect(fit.scale).toBe(0.5);
    expect(fit.offsetX).toBe(0);
    expect(fit.offsetY).toBe(140);
    expect(videoToBox([1280, 720], fit)).toEqual([640, 500]);
    const tall = containFit(720, 1280, 640, 360);
    expect(videoToBox([0, 0], tall)[0]).toBeCloseTo((640 - 720 * (360 / 1280)) / 2);
    expect(containFit(0, 0, 10, 10).scale).toBe(1);
  });

  it('confidence to opacity', () => {
    expect(confidenceToOpacity(1)).toBe(1);
    expect(confidenceToOpacity(0)).toBeCloseTo(0.15);
    expect(confidenceToOpacity(undefined)).toBe(1);
    expect(confidenceToOpacity(5)).toBe(1);
  });
});

import { lerpPose } from '../src/view3d/coords.js';

describe('lerpPose', () => {
  it('blends joint by joint and keeps what it cannot blend', () => {
    const a = [[0, 0, 0], [1, 1, 1], null];
    const b = [[2, 4, 6], null, [5, 5, 5]];
    expect(lerpPose(a, b, 0.5)).toEqual([[1, 2, 3], [1, 1, 1], null]);
    expect(lerpPose(a, b, 0)).toBe(a);
    expect(lerpPose(a, null, 0.5)).toBe(a);
    expect(lerpPose(a, [[0, 0, 0]], 0.5)).toBe(a);
    expect(lerpPose(a, b, 3)[0]).toEqual([2, 4, 6]);
  });
});

describe('opacity of joints whose 3D is a guess', () => {
  it('invisible joints are faded to at most INVISIBLE_OPACITY, visible ones follow the confidence', () => {
    expect(INVISIBLE_OPACITY).toBe(0.25);
    const op = jointOpacities([1, 1, 0.5, 0], [1, 0, 1, 0]);
    expect(op[0]).toBe(1);
    expect(op[1]).toBe(0.25);
    expect(op[2]).toBeCloseTo(confidenceToOpacity(0.5));
    expect(op[3]).toBeCloseTo(confidenceToOpacity(0)); // already fainter than the cap
    expect(jointOpacities([1, 1], [true, false])).toEqual([1, 0.25]);
  });

  it('missing data: no visibility means all visible; nothing at all means solid (null)', () => {
    expect(jointOpacities([1, 0.5], null)).toEqual([1, confidenceToOpacity(0.5)]);
    expect(jointOpacities(null, [1, 0])).toEqual([1, 0.25]);
    expect(jointOpacities(null, null)).toBeNull();
  });

  it('a bone is as faded as its more faded end', () => {
    const op = jointOpacities([1, 1, 1], [1, 0, 1]);
    expect(boneOpacity(op, 0, 1)).toBe(0.25);
    expect(boneOpacity(op, 0, 2)).toBe(1);
    expect(boneOpacity(null, 0, 1)).toBe(1);
  });
});
