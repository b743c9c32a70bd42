import { describe, it, expect } from 'vitest';
import { timeToFrame, frameToTime, frameToSeekTime, inSync, formatTime, clamp } from '../src/playback/sync.js';

describe('time <-> frame', () => {
  it('maps times to the frame being shown', () => {
    expect(timeToFrame(0, 25)).toBe(0);
    expect(timeToFrame(0.039, 25)).toBe(0);
    expect(timeToFrame(0.04, 25)).toBe(1);
    expect(timeToFrame(4.8, 25)).toBe(120);
    expect(timeToFrame(-1, 25)).toBe(0);
    expect(timeToFrame(100, 25, 185)).toBe(184);
    expect(timeToFrame(NaN, 25)).toBe(0);
    expect(timeToFrame(1, 0)).toBe(0);
  });

  it('round-trips every frame through its start and seek times (float-safe)', () => {
    for (const fps of [10, 24, 25, 29.97, 30, 50, 59.94, 60]) {
      for (let i = 0; i < 2000; i++) {
        expect(timeToFrame(frameToTime(i, fps), fps)).toBe(i);
        expect(timeToFrame(frameToSeekTime(i, fps), fps)).toBe(i);
      }
    }
  });

  it('checks sync within a tolerance', () => {
    expect(inSync(frameToSeekTime(10, 25), 10, 25)).toBe(true);
    expect(inSync(frameToSeekTime(11, 25), 10, 25)).toBe(true);
    expect(inSync(frameToSeekTime(12, 25), 10, 25)).toBe(false);
  });

  it('formats times', () => {
    expect(formatTime(0)).toBe('0:00.00');
    expect(formatTime(7.4)).toBe('0:07.40');
    expect(formatTime(65.25)).toBe('1:05.25');
    expect(formatTime(3725)).toBe('1:02:05.00');
    expect(formatTime(-3)).toBe('0:00.00');
    expect(clamp(5, 0, 3)).toBe(3);
  });
});
