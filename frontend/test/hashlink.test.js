import { describe, it, expect } from 'vitest';
import { parseMomentHash, parseTimeSpec, momentHash } from '../src/model/hashlink.js';
import { timeToFrame } from '../src/playback/sync.js';

describe('moment links', () => {
  it('parses #t= and #f=', () => {
    expect(parseMomentHash('#t=12.5')).toEqual({ time: 12.5 });
    expect(parseMomentHash('#t=1m2.5s')).toEqual({ time: 62.5 });
    expect(parseMomentHash('#t=1:02.5')).toEqual({ time: 62.5 });
    expect(parseMomentHash('#f=300')).toEqual({ frame: 300 });
    expect(parseMomentHash('#x=1&t=3')).toEqual({ time: 3 });
    expect(parseMomentHash('')).toBeNull();
    expect(parseMomentHash('#t=abc')).toBeNull();
    expect(parseMomentHash('#section')).toBeNull();
  });

  it('time specs', () => {
    expect(parseTimeSpec('4s')).toBe(4);
    expect(parseTimeSpec('1h')).toBe(3600);
    expect(parseTimeSpec('nope')).toBeNull();
  });

  it('a link to frame i opens frame i', () => {
    for (const fps of [10, 25, 29.97, 60]) {
      for (let i = 0; i < 3000; i += 7) {
        const m = parseMomentHash(momentHash(i, fps));
        expect(timeToFrame(m.time, fps)).toBe(i);
      }
    }
    expect(momentHash(5, 0)).toBe('#f=5');
  });
});
