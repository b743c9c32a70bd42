import { describe, it, expect } from 'vitest';
import { FrameBuffer } from '../src/model/frameBuffer.js';

const pose = (i) => [[i, 0, 0]];
const run = (start, n) => Array.from({ length: n }, (_, k) => pose(start + k));

describe('FrameBuffer', () => {
  it('stores a chunk and tracks the contiguous run', () => {
    const b = new FrameBuffer();
    const added = b.addChunk(0, run(0, 5), run(0, 5));
    expect(added).toEqual([0, 1, 2, 3, 4]);
    expect(b.size).toBe(5);
    expect(b.contiguousEnd).toBe(5);
    expect(b.maxIndex).toBe(4);
    expect(b.kp3d(3)).toEqual([[3, 0, 0]]);
    expect(b.get(9)).toBeNull();
  });

  it('keeps every frame exactly once when chunks overlap (replay after reconnect)', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 10), run(0, 10));
    const added = b.addChunk(5, run(5, 10), run(5, 10));
    expect(added).toEqual([10, 11, 12, 13, 14]);
    expect(b.addChunk(0, run(0, 15), run(0, 15))).toEqual([]);
    expect(b.size).toBe(15);
    expect(b.duplicates).toBe(5 + 15);
    expect(b.receivedIndices()).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it('provisional frames play at once and are replaced by their final frames, never the other way', () => {
    const b = new FrameBuffer();
    const shifted = (start, n, dx) => run(start, n).map((p) => [[p[0][0] + dx, 0, 0]]);
    expect(b.addChunk(0, null, shifted(0, 8, 0.5), null, null, 0, true)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(b.size).toBe(8);
    expect(b.contiguousEnd).toBe(8); // playable now
    expect(b.isProvisional(3)).toBe(true);
    // a newer provisional look over more frames replaces and extends the first
    expect(b.addChunk(0, null, shifted(0, 12, 0.25), null, null, 0, true)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(b.kp3d(3)).toEqual([[3.25, 0, 0]]);
    // the final frames replace them (returned: they changed), counted once, no duplicates
    expect(b.addChunk(0, null, run(0, 7))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(b.kp3d(3)).toEqual([[3, 0, 0]]);
    expect(b.isProvisional(3)).toBe(false);
    expect(b.isProvisional(9)).toBe(true);
    expect(b.size).toBe(12);
    expect(b.duplicates).toBe(0);
    // a late provisional copy never replaces a final frame
    expect(b.addChunk(0, null, shifted(0, 7, 9), null, null, 0, true)).toEqual([]);
    expect(b.kp3d(3)).toEqual([[3, 0, 0]]);
    expect(b.addChunk(7, null, run(7, 6))).toEqual([7, 8, 9, 10, 11, 12]);
    expect(b.size).toBe(13);
    expect([...Array(13).keys()].some((i) => b.isProvisional(i))).toBe(false);
  });

  it('first copy wins', () => {
    const b = new FrameBuffer();
    b.addChunk(2, [[[1, 1, 1]]], [[[1, 1, 1]]]);
    b.addChunk(2, [[[9, 9, 9]]], [[[9, 9, 9]]]);
    expect(b.kp2d(2)).toEqual([[1, 1, 1]]);
  });

  it('handles gaps: contiguity stops at the first hole and resumes when it is filled', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 3), run(0, 3));
    b.addChunk(6, run(6, 3), run(6, 3));
    expect(b.contiguousEnd).toBe(3);
    expect(b.size).toBe(6);
    expect(b.receivedIndices()).toEqual([0, 1, 2, 6, 7, 8]);
    expect(b.nearest(4)).toBe(2);
    expect(b.nearest(100)).toBe(8);
    b.addChunk(3, run(3, 3), run(3, 3));
    expect(b.contiguousEnd).toBe(9);
  });

  it('accepts a chunk with only 3D or only 2D', () => {
    const b = new FrameBuffer();
    b.addChunk(0, null, run(0, 2));
    expect(b.size).toBe(2);
    expect(b.kp2d(1)).toBeNull();
    expect(b.kp3d(1)).toEqual([[1, 0, 0]]);
  });

  it('rejects a bad start and returns copies of the index list', () => {
    const b = new FrameBuffer();
    expect(() => b.addChunk(-1, [], [])).toThrow();
    expect(() => b.addChunk('x', [], [])).toThrow();
    b.addChunk(0, run(0, 2), run(0, 2));
    const idx = b.receivedIndices();
    idx.push(99);
    expect(b.receivedIndices()).toEqual([0, 1]);
    expect(new FrameBuffer().nearest(3)).toBe(-1);
  });
});

describe('FrameBuffer visibility and scene cuts', () => {
  const allVisible = Array(17).fill(1);
  const hidden = (...joints) => allVisible.map((v, j) => (joints.includes(j) ? 0 : 1));

  it('stores each frame\'s visibility (null when every joint is visible) and collects cuts', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 3), run(0, 3), [allVisible, hidden(3, 16), allVisible], [2]);
    expect(b.visible(0)).toBeNull();
    expect(b.visible(1)).toEqual(hidden(3, 16));
    expect(b.get(1).visible).toEqual(hidden(3, 16));
    expect(b.visible(2)).toBeNull();
    expect(b.visible(9)).toBeNull();
    b.addChunk(3, run(3, 3), run(3, 3), null, [5, 4]);
    expect(b.cuts).toEqual([2, 4, 5]);
    expect(b.isCut(4)).toBe(true);
    expect(b.isCut(3)).toBe(false);
  });

  it('old messages without visible or cuts mean all visible and no cuts', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 2), run(0, 2));
    expect(b.visible(0)).toBeNull();
    expect(b.visible(1)).toBeNull();
    expect(b.cuts).toEqual([]);
  });

  it('first copy of a frame keeps its visibility; cuts are de-duplicated; 0 and junk are no cuts', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 2), run(0, 2), [hidden(1), hidden(2)], [0, 1, 'x', 1.5, -3]);
    b.addChunk(0, run(0, 2), run(0, 2), [allVisible, allVisible], [1]);
    expect(b.visible(0)).toEqual(hidden(1));
    expect(b.cuts).toEqual([1]);
    expect(b.addCuts([1, 7])).toEqual([7]);
    b.clear();
    expect(b.cuts).toEqual([]);
    expect(b.visible(0)).toBeNull();
  });

  it('accepts booleans as visibility too', () => {
    const b = new FrameBuffer();
    b.addChunk(0, run(0, 1), run(0, 1), [[true, false, true]]);
    expect(b.visible(0)).toEqual([1, 0, 1]);
  });
});
