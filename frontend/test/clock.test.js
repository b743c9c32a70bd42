import { describe, it, expect } from 'vitest';
import { PlaybackClock } from '../src/playback/clock.js';

describe('PlaybackClock', () => {
  it('advances at fps × speed', () => {
    const c = new PlaybackClock({ fps: 25 });
    c.playing = true;
    c.tick(1, 100, true);
    expect(c.frame).toBe(25);
    c.speed = 0.5;
    c.tick(1, 100, true);
    expect(c.frame).toBe(37);
  });

  it('waits at the live edge while the job runs', () => {
    const c = new PlaybackClock({ fps: 25 });
    c.playing = true;
    expect(c.tick(1, 10, false)).toBe('wait');
    expect(c.frame).toBe(9);
    expect(c.waiting).toBe(true);
    expect(c.playing).toBe(true);
    // still waiting on the next (short) ticks: no flicker between waiting and playing
    expect(c.tick(0.016, 10, false)).toBe('wait');
    expect(c.waiting).toBe(true);
    expect(c.frame).toBe(9);
    c.tick(0.04, 20, false);
    expect(c.frame).toBe(10);
    expect(c.waiting).toBe(false);
  });

  it('loops or stops at the end of a finished job', () => {
    const c = new PlaybackClock({ fps: 10, loop: true });
    c.playing = true;
    c.seek(8);
    expect(c.tick(0.3, 10, true)).toBe('looped');
    expect(c.frame).toBe(1);
    c.loop = false;
    c.seek(8);
    expect(c.tick(0.3, 10, true)).toBe('ended');
    expect(c.frame).toBe(9);
    expect(c.playing).toBe(false);
  });

  it('does nothing when paused or empty', () => {
    const c = new PlaybackClock({ fps: 10 });
    c.tick(1, 10, true);
    expect(c.frame).toBe(0);
    c.playing = true;
    c.tick(1, 0, false);
    expect(c.waiting).toBe(true);
  });
});
