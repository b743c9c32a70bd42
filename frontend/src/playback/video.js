// The <video> as a clock: its state (none | loading | ready | noplay | error), play/pause that tell
// our own pauses from the user's, and the frame it shows. Playback (playback.js) decides what to do.
import { timeToFrame, frameToSeekTime } from './sync.js';

export class VideoSource {
  /**
   * `on`: {ready(), error(), userPlay(), userPause(), userSeek(frame), rate(r), refused()} — the
   * user* events come from the native controls, never from our own play()/pause().
   */
  constructor(el, url, fps, on = {}) {
    this.el = el || null;
    this.url = url || '';
    this.fps = fps; // () => the job's fps
    this.on = on;
    this.state = this.el && this.url ? 'loading' : 'none';
    this._ownPauses = 0; // pause events we caused (pause() and the browser's own pause at the end)
    if (!this.el) return;
    const v = this.el;
    v.muted = true;
    v.playsInline = true;
    v.preload = 'auto';
    v.controls = true;
    v.addEventListener('loadedmetadata', () => {
      this.state = 'ready';
      this._emit('ready');
    });
    v.addEventListener('error', () => {
      this.state = 'error';
      this._emit('error');
    });
    v.addEventListener('play', () => this._emit('userPlay'));
    v.addEventListener('pause', () => {
      if (this._ownPauses > 0) {
        this._ownPauses--;
        return;
      }
      if (v.ended) return; // the end is handled by the playback loop
      this._emit('userPause');
    });
    const moved = () => this._emit('userSeek', this.frame);
    v.addEventListener('seeked', moved);
    v.addEventListener('timeupdate', moved);
    v.addEventListener('ratechange', () => this._emit('rate', v.playbackRate));
    this._watchPresentedFrames();
    if (this.url) v.src = this.url;
  }

  /**
   * The media time of the frame the browser is compositing now (requestVideoFrameCallback runs in
   * the same rendering step as the animation frame, before it). currentTime can trail it by a
   * frame; with it, the 3D is drawn with the very video frame that appears (measured in
   * tests/e2e/test_viewer.py::test_playback_stays_in_step).
   */
  _watchPresentedFrames() {
    const v = this.el;
    this._presented = null;
    if (!v.requestVideoFrameCallback) return;
    const onFrame = (_now, meta) => {
      this._presented = { mediaTime: meta.mediaTime, currentTime: v.currentTime };
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  /** The video's time for the frame on screen: the presented frame's, while it plays ahead of currentTime. */
  get _screenTime() {
    const v = this.el;
    const t = v.currentTime;
    const p = this._presented;
    // only while playing, and only if no seek happened since (the pair is from the same moment)
    if (p && !v.paused && p.mediaTime > t && p.mediaTime - t < 0.25 && Math.abs(p.currentTime - t) < 0.25) return p.mediaTime;
    return t;
  }

  _emit(name, arg) {
    const f = this.on[name];
    if (f) f(arg);
  }

  /** The video is the clock: it has loaded and the browser lets it play. */
  get drives() {
    return this.state === 'ready' && !!this.el;
  }

  /** There is a picture to show (loading, ready or held back by autoplay rules). */
  get usable() {
    return !!this.el && this.state !== 'none' && this.state !== 'error';
  }

  get paused() {
    return !this.el || this.el.paused;
  }

  get ended() {
    return !!this.el && this.el.ended;
  }

  get time() {
    return this.usable ? this.el.currentTime : null;
  }

  /** The frame the video shows now. */
  get frame() {
    return this.el ? timeToFrame(this._screenTime, this.fps()) : 0;
  }

  /** Where the video is between its frame and the next (0..1), for smooth slow motion. */
  get fraction() {
    return this.el ? this._screenTime * this.fps() - this.frame : 0;
  }

  /** Load another source (the browser copy, once the server says it is ready). No-op once ready. */
  reload(url) {
    if (!this.el || !url || this.state === 'ready') return false;
    this.url = url;
    this.state = 'loading';
    this.el.src = url;
    this.el.load();
    return true;
  }

  seekToFrame(f) {
    this._presented = null;
    if (this.el) this.el.currentTime = frameToSeekTime(f, this.fps());
  }

  setRate(r) {
    if (this.el && this.state !== 'none') this.el.playbackRate = r;
  }

  play(rate) {
    const v = this.el;
    v.playbackRate = rate;
    const p = v.play();
    if (p && p.catch) {
      p.catch((err) => {
        // a pause() while play() was pending rejects with AbortError: nothing to do
        if (err && err.name === 'AbortError') return;
        // autoplay refused or source unusable: the internal clock drives the timeline
        if (this.state === 'ready') this.state = 'noplay';
        this._emit('refused');
      });
    }
  }

  pause() {
    const v = this.el;
    if (v && !v.paused) {
      this._ownPauses++;
      v.pause();
    }
  }

  /** A click is a user gesture: a video whose autoplay was refused may play now. */
  retryAfterGesture() {
    if (this.state === 'noplay' && this.el.readyState >= 1) this.state = 'ready';
  }

  /** Put the video on frame f when it shows another one (or always, with force). */
  showFrame(f, force = false) {
    const v = this.el;
    if (!v || this.state === 'error' || this.state === 'none' || v.readyState < 1) return;
    if (force || this.frame !== f) this.seekToFrame(f);
  }
}
