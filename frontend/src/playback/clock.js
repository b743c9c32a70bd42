// Internal playback clock in frames, used when no playable video drives the timeline.
// It follows the live edge: while the job runs it waits at the last received frame
// instead of stopping; when the job is over it loops or stops at the end.

export class PlaybackClock {
  constructor({ fps = 25, speed = 1, loop = true } = {}) {
    this.fps = fps;
    this.speed = speed;
    this.loop = loop;
    this.position = 0; // fractional frame
    this.playing = false;
    this.waiting = false; // playing but held at the live edge
  }

  get frame() {
    return Math.floor(this.position + 1e-9);
  }

  seek(frame) {
    this.position = Math.max(0, frame);
  }

  /**
   * Advance by dt seconds. `available` = number of playable frames (0..available-1);
   * `finished` = no more frames will come. Returns the event: 'none' | 'wait' | 'ended' | 'looped'.
   */
  tick(dt, available, finished) {
    this.waiting = false;
    if (!this.playing || available <= 0) {
      if (this.playing && available <= 0) this.waiting = true;
      return 'none';
    }
    const last = available - 1;
    let p = this.position + dt * this.fps * this.speed;
    if (p >= last + 1 - 1e-9) {
      if (!finished) {
        // hold at the end of the newest frame (not its start): stays 'waiting' every tick,
        // and moves on as soon as the next frame arrives
        this.position = last + 0.999;
        this.waiting = true;
        return 'wait';
      }
      if (this.loop && available > 1) {
        this.position = (p - (last + 1)) % available;
        return 'looped';
      }
      this.position = last;
      this.playing = false;
      return 'ended';
    }
    this.position = p;
    return 'none';
  }
}
