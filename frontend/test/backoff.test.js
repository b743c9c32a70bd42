import { describe, it, expect } from 'vitest';
import { Backoff } from '../src/net/backoff.js';

describe('Backoff', () => {
  it('grows exponentially up to the cap and resets', () => {
    const b = new Backoff({ base: 500, factor: 2, max: 4000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 4000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('applies bounded jitter', () => {
    const lo = new Backoff({ base: 1000, jitter: 0.2, random: () => 0 });
    const hi = new Backoff({ base: 1000, jitter: 0.2, random: () => 0.999999, max: 100000 });
    expect(lo.next()).toBe(800);
    expect(hi.next()).toBe(1200);
    const capped = new Backoff({ base: 1000, max: 1000, jitter: 0.5, random: () => 1 });
    expect(capped.next()).toBeLessThanOrEqual(1000);
  });
});
