import { describe, it, expect } from 'vitest';
import { progressText, progressFraction, stageLabel, humanMessage, isTerminal } from '../src/model/progress.js';

describe('progress text', () => {
  it('writes a human sentence per stage', () => {
    expect(progressText('detect', 120, 185)).toBe('Detecting 2D keypoints — 120 / 185 frames');
    expect(progressText('decode', 10, null)).toBe('Decoding video — 10 frames');
    expect(progressText('lift', null, null)).toBe('Lifting to 3D');
    expect(stageLabel('weird')).toBe('Weird');
    expect(progressFraction(50, 200)).toBe(0.25);
    expect(progressFraction(5, 0)).toBeNull();
    expect(isTerminal('succeeded')).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });

  it('never shows a stack trace', () => {
    const m = humanMessage('No person was found in the video.\nTraceback (most recent call last):\n  File "x.py", line 1');
    expect(m).toBe('No person was found in the video.');
    expect(humanMessage(null)).toBe('');
    expect(humanMessage('x'.repeat(900)).length).toBe(498);
  });
});
