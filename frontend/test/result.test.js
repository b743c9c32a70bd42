import { describe, it, expect } from 'vitest';
import { resultToMessages } from '../src/net/result.js';
import { JobModel } from '../src/model/job.js';

const frames = (n) => Array.from({ length: n }, (_, i) => [[i, 0, 1]]);

describe('result.json fallback', () => {
  it('carries visible and cuts into the frame messages, each cut in its chunk', () => {
    const visible = frames(5).map((_, i) => [i === 3 ? 0 : 1]);
    const msgs = resultToMessages({ keypoints_2d: frames(5), keypoints_3d: frames(5), visible, cuts: [2, 4] }, 3);
    const chunks = msgs.filter((m) => m.type === 'frames');
    expect(chunks.map((m) => [m.start, m.cuts])).toEqual([[0, [2]], [3, [4]]]);
    expect(chunks[1].visible).toEqual([[0], [1]]);
    const job = new JobModel();
    msgs.forEach((m) => job.apply(m));
    expect(job.buffer.cuts).toEqual([2, 4]);
    expect(job.buffer.visible(3)).toEqual([0]);
    expect(job.buffer.visible(2)).toBeNull();
  });

  it('an older file without visible or cuts gives messages without them (all visible, no cuts)', () => {
    const msgs = resultToMessages({ keypoints_2d: frames(2), keypoints_3d: frames(2) });
    const chunk = msgs.find((m) => m.type === 'frames');
    expect('visible' in chunk || 'cuts' in chunk).toBe(false);
    const job = new JobModel();
    msgs.forEach((m) => job.apply(m));
    expect(job.buffer.visible(0)).toBeNull();
    expect(job.buffer.cuts).toEqual([]);
  });
});
