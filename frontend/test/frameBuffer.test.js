import { describe, it, expect } from 'vitest';
import { FrameBuffer } from '../src/frameBuffer.js';

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
