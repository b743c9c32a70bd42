// Playback as one state machine: idle | playing | waiting (playing, held at the live edge until
// the worker catches up) | ended (stopped at the end, loop off). The clock is the <video> while it
// can play (video.js), else the internal PlaybackClock (clock.js); either way `frame` is the frame
// on screen and `onChange` is called when it, the state, the speed or the loop changes.
import { PlaybackClock } from './clock.js';
import { clamp } from './sync.js';

export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];

export class Playback {
  constructor({ job, video, onChange = () => {} }) {
    this.job = job;
    this.video = video;
    this.onChange = onChange;
    this.clock = new PlaybackClock({ fps: job.fps, speed: 1, loop: true });
    this.state = 'idle';
    this.frame = 0;
    this.speed = 1;
    this.loop = true;
  }

  get playing() {
    return this.state === 'playing' || this.state === 'waiting';
  }

  get waiting() {
    return this.state === 'waiting';
  }

  /** Which clock drives the timeline now: 'video' | 'clock'. */
  get driver() {
    return this.video.drives ? 'video' : 'clock';
  }

  _setState(s) {
    this.state = s;
    this.clock.playing = this.playing;
  }

  /** Show frame f; the video follows unless it is what is driving. */
  setFrame(f, { syncVideo = true } = {}) {
    this.frame = f;
    if (syncVideo && !(this.playing && this.video.drives)) this.video.showFrame(this.frame);
    this.onChange();
  }

  play() {
    const job = this.job;
    if (job.complete && job.available > 0 && this.frame >= job.available - 1) this.setFrame(0);
    this._setState('playing');
    this.clock.seek(this.frame);
    this.video.retryAfterGesture();
    if (this.video.drives) {
      if (this.video.frame !== this.frame) this.video.seekToFrame(this.frame);
      this._playVideo();
    }
    this.onChange();
  }

  pause() {
    this._setState('idle');
    this.video.pause();
    this.video.showFrame(this.frame);
    this.onChange();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Show frame i (clamped to the frames received so far). */
  seek(i) {
    const n = this.job.available || this.job.buffer.maxIndex + 1;
    const f = clamp(Math.round(Number(i) || 0), 0, Math.max(0, n - 1));
    this.clock.seek(f);
    this.setFrame(f);
    if (this.playing && this.video.drives) this.video.seekToFrame(f);
  }

  /** Jump to the newest frame and keep playing from there. */
  goLive() {
    this.seek(Math.max(0, this.job.available - 1));
    if (!this.playing) this.play();
  }

  step(delta) {
    if (this.playing) this.pause();
    this.seek(this.frame + delta);
  }

  /** Returns the speed set (clamped to 0.25..2). */
  setSpeed(s) {
    const v = clamp(Number(s) || 1, 0.25, 2);
    this.speed = v;
    this.clock.speed = v;
    this.video.setRate(v);
    return v;
  }

  setLoop(on) {
    this.loop = !!on;
    this.clock.loop = this.loop;
  }

  _playVideo() {
    if (this.state === 'waiting') this._setState('playing');
    this.video.play(this.speed);
  }

  /** Advance by dt seconds (one animation frame). */
  tick(dt) {
    if (!this.playing) return;
    if (this.video.drives) {
      this.syncFromVideo();
      return;
    }
    this.clock.fps = this.job.fps;
    this.clock.tick(dt, this.job.available, this.job.complete);
    if (!this.clock.playing) {
      this._setState('ended');
      this.onChange();
    } else {
      this._setState(this.clock.waiting ? 'waiting' : 'playing');
    }
    const f = this.clock.frame;
    if (f !== this.frame) this.setFrame(f);
  }

  /**
   * While the video plays it is the clock: put the 3D frame on the video's frame, holding the
   * video at the live edge while the job runs and looping/stopping at the end when it is over.
   */
  syncFromVideo() {
    if (!(this.playing && this.video.drives)) return this.frame;
    const v = this.video;
    const avail = this.job.available;
    let f = v.frame;
    if (v.ended || f >= avail) {
      if (!this.job.complete) {
        // live edge: hold the video until the worker catches up
        if (!v.paused) v.pause();
        this._setState('waiting');
        f = Math.max(0, avail - 1);
      } else if (avail > 0) {
        if (this.loop) {
          v.seekToFrame(0);
          if (v.paused) this._playVideo();
          f = 0;
        } else {
          f = avail - 1;
          this.pause();
          this.state = 'ended';
        }
      }
    } else if (this.waiting || v.paused) {
      this._playVideo();
    }
    if (f !== this.frame) this.setFrame(f, { syncVideo: false });
    return this.frame;
  }

  /** Where the clock is between this frame and the next (0..1) while playing, else 0. */
  get fraction() {
    if (this.state !== 'playing') return 0;
    return this.video.drives ? this.video.fraction : this.clock.position - this.clock.frame;
  }

  // ------------------------------------------------------------ events from the job and the video

  /** New frames: a video held at the live edge goes on. */
  framesArrived() {
    if (this.waiting && this.video.drives && this.video.frame < this.job.available) this._playVideo();
  }

  jobFinished() {
    if (this.waiting && this.video.drives) this._playVideo();
  }

  videoReady() {
    this.video.showFrame(this.frame, true);
  }

  /** The video failed (or was refused): the internal clock takes over from this frame. */
  videoFailed() {
    this.clock.seek(this.frame);
    if (this.state === 'waiting') this._setState('playing');
  }

  userPlayed() {
    if (!this.playing) this.play();
  }

  userPaused() {
    if (this.state === 'playing') this.pause();
  }

  userSeeked(f) {
    if (this.playing && !this.video.paused) return;
    if (f !== this.frame) this.setFrame(f, { syncVideo: false });
  }

  userRate(r) {
    if (Math.abs(r - this.speed) > 1e-3 && r > 0) return this.setSpeed(r);
    return null;
  }
}
