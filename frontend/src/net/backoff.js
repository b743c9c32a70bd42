// Exponential reconnect backoff: base * factor^attempt, capped, with optional jitter.

export class Backoff {
  constructor({ base = 500, factor = 2, max = 10000, jitter = 0.2, random = Math.random } = {}) {
    this.base = base;
    this.factor = factor;
    this.max = max;
    this.jitter = jitter;
    this.random = random;
    this.attempt = 0;
  }

  /** Delay (ms) before the next attempt; advances the attempt counter. */
  next() {
    const raw = Math.min(this.max, this.base * Math.pow(this.factor, this.attempt));
    this.attempt++;
    const j = this.jitter > 0 ? 1 + (this.random() * 2 - 1) * this.jitter : 1;
    return Math.max(0, Math.round(Math.min(this.max, raw * j)));
  }

  reset() {
    this.attempt = 0;
  }
}
