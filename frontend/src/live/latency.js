// Live mode's figures, measured in the page: the 2D frame rate, and the latency from a camera frame
// (the moment it went to the detector) to its 3D on screen. Read by tools/bench_live.py and the tests
// (window.__live), and shown under the preview.

export function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))));
  return s[k];
}

export class LiveStats {
  constructor({ keep = 2000 } = {}) {
    this.keep = keep;
    this.captured = new Map(); // frame number -> capture time (ms)
    this.latencies = [];        // ms, camera frame -> its 3D drawn
    this.frames2d = 0;
    this.detectMs = [];
    this.liftMs = [];           // the server's lifting time per frame (its pose3d messages)
    this.poses = 0;
    this.busy = 0;
    this._t0 = null;
    this._tLast = null;
  }

  capture(i, t) {
    this.captured.set(i, t);
    if (this.captured.size > this.keep) this.captured.delete(this.captured.keys().next().value);
  }

  detected(t, ms) {
    this.frames2d++;
    if (this._t0 === null) this._t0 = t;
    this._tLast = t;
    this.detectMs.push(ms);
    if (this.detectMs.length > this.keep) this.detectMs.shift();
  }

  lifted(ms) {
    if (typeof ms !== 'number') return;
    this.liftMs.push(ms);
    if (this.liftMs.length > this.keep) this.liftMs.shift();
  }

  shown(i, t) {
    this.poses++;
    const c = this.captured.get(i);
    if (c === undefined) return;
    this.latencies.push(t - c);
    if (this.latencies.length > this.keep) this.latencies.shift();
  }

  /** 2D frames per second since the first one. */
  fps2d() {
    if (this.frames2d < 2 || this._tLast === this._t0) return 0;
    return (1000 * (this.frames2d - 1)) / (this._tLast - this._t0);
  }

  summary() {
    return { frames2d: this.frames2d, fps2d: this.fps2d(), poses: this.poses, busy: this.busy,
      detect_ms_median: percentile(this.detectMs, 50), lift_ms_median: percentile(this.liftMs, 50),
      latency_ms_median: percentile(this.latencies, 50), latency_ms_p95: percentile(this.latencies, 95) };
  }
}
