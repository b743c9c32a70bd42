import { describe, it, expect } from 'vitest';
import { cutPositions } from '../src/ui/timeline.js';

describe('scene cuts on the timeline', () => {
  it('puts each cut where the slider shows its frame (first frame 0 %, last 100 %)', () => {
    expect(cutPositions([50, 25], 101)).toEqual([
      { frame: 25, percent: 25 },
      { frame: 50, percent: 50 },
    ]);
    expect(cutPositions([100], 101)).toEqual([{ frame: 100, percent: 100 }]);
  });

  it('leaves out cuts at 0, beyond the timeline, repeated or not whole frames', () => {
    expect(cutPositions([0, 10, 10, 101, 200, -1, 2.5, 'x'], 101)).toEqual([{ frame: 10, percent: 10 }]);
  });

  it('no cuts or no timeline: nothing to mark', () => {
    expect(cutPositions([], 100)).toEqual([]);
    expect(cutPositions(null, 100)).toEqual([]);
    expect(cutPositions([5], 0)).toEqual([]);
    expect(cutPositions([5], 1)).toEqual([]);
  });
});
