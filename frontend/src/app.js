// The job viewer: wires the websocket, job state, three.js scene, video + 2D overlay and timeline.
import { JobModel } from './job.js';
import { JobConnection, websocketUrl } from './connection.js';
import { SkeletonScene, NullScene } from './scene.js';
import { KeypointOverlay } from './overlay.js';
import { PlaybackClock } from './clock.js';
import { timeToFrame, frameToSeekTime, frameToTime, formatTime, clamp } from './sync.js';
import { parseMomentHash, momentHash } from './hashlink.js';
import { progressText, progressFraction, stageLabel, isTerminal, humanMessage } from './progress.js';
import { poseBounds, unionBounds, estimateFloor, lerpPose, jointOpacities } from './coords.js';
import { cutPositions } from './timeline.js';
import { ROOT_JOINT } from './skeleton.js';
import { resultToMessages } from './result.js';
import { buildUI, setIcon, renderCutTicks, DOWNLOAD_LABELS } from './ui.js';
import { FigureSwitch } from './mannequin.js';

const FORBIDDEN = 4403; // websocket close code: not signed in / not your job (docs/websocket.md)
const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];

export class PoseViewerApp {
  constructor(root, { doc = document, win = window } = {}) {
    this.root = root;
    this.doc = doc;
    this.win = win;
    const ds = root.dataset;
    this.wsPath = ds.wsUrl || '';
    this.jobId = ds.jobId || '';
    this.videoUrl = ds.videoUrl || '';
    this.resultUrl = ds.resultUrl || '';
    this.downloads = parseJSON(ds.downloads) || null;

    this.statusEl = doc.getElementById('job-status');
    this.progressEl = doc.getElementById('job-progress');
    this.errorEl = doc.getElementById('job-error');

    const initialStatus =
      ds.status || (this.statusEl && this.statusEl.textContent.trim().toLowerCase()) || 'queued';
    this.job = new JobModel({ status: initialStatus });
    this.clock = new PlaybackClock({ fps: this.job.fps, speed: 1, loop: true });

    this.currentFrame = 0;
    this.displayedFrame = -1;
    this.playing = false;
    this.waiting = false;
    this.speed = 1;
    this.loop = true;
    this.userMovedCamera = false;
    this.pendingMoment = null;
    this.messageCount = 0;
    this.videoState = this.videoUrl ? 'loading' : 'none'; // none | loading | ready | error
    this._expectVideoPause = 0;
    this._lastTick = null;
    this._resultFetched = false;

    this.ui = buildUI(root, { hasVideo: !!this.videoUrl, speeds: SPEEDS });
    this._setupProgress();
    const q = new URLSearchParams(win.location.search).get('quality') || ds.quality || 'auto';
    try {
      this.scene = new SkeletonScene(this.ui.view3d, { parents: this.job.parents, quality: q });
    } catch (err) {
      this.ui.view3d.textContent = '';
      this.scene = new NullScene(this.ui.view3d, humanMessage(err && err.message).slice(0, 120));
    }
    this.scene.controls.addEventListener('start', () => {
      this.userMovedCamera = true;
    });
    // Skeleton | Mannequin (the job's GLB, once it has finished); redraw the frame on a switch
    this.figure = new FigureSwitch({ ui: this.ui, scene: this.scene, root, onChange: () => { this.displayedFrame = -1; } });
    this.overlay = new KeypointOverlay(this.ui.overlayCanvas);
    this.overlay.setParents(this.job.parents);
    this._setupVideo();
    this._bindControls();
    this._renderDownloads();

    const moment = parseMomentHash(win.location.hash);
    if (moment) this.pendingMoment = moment;
    else this.playing = true; // auto-play, following the live edge
    this.clock.playing = this.playing;
    win.addEventListener('hashchange', () => {
      const m = parseMomentHash(win.location.hash);
      if (m) {
        this.pendingMoment = m;
        this._applyPendingMoment();
      }
    });

    this._updateStatusUI();
    this._updateTimelineUI();
    this._loop = this._loop.bind(this);
    win.requestAnimationFrame(this._loop);
    this._connect();
  }

  // ---------------------------------------------------------------- connection

  _connect() {
    if (!this.wsPath) {
      this._fetchResultFallback();
      return;
    }
    this.connection = new JobConnection(websocketUrl(this.wsPath, this.win.location), {
      onMessage: (msg) => this.handleMessage(msg),
      onState: (state, info) => this._onConnectionState(state, info),
      resumeFrom: () => this.job.available,
      shouldReconnect: (ev) => {
        if (ev && ev.code === FORBIDDEN) {
          this.job.error = 'You cannot watch this job: sign in as its owner and reload the page.';
          this._updateStatusUI();
          this._fetchResultFallback();
          return false;
        }
        // a finished job's final status comes after the replay: reconnect until we have it
        return !this.job.finalStatus;
      },
    });
    this.connection.start();
  }

  get socket() {
    return this.connection ? this.connection.socket : null;
  }

  _onConnectionState(state, info) {
    const el = this.ui.connBadge;
    let text = '';
    if (state === 'connecting') text = this.connection.connects ? 'Reconnecting…' : 'Connecting…';
    else if (state === 'open') text = this.job.finished ? '' : 'Live';
    else if (state === 'waiting') text = `Connection lost — retrying in ${Math.max(1, Math.round(info.delay / 1000))} s`;
    else if (state === 'closed') text = this.job.finalStatus ? '' : 'Disconnected';
    el.textContent = text;
    el.dataset.state = state;
    el.hidden = !text;
    if (state === 'waiting' && this.connection.failures >= 3 && this.job.buffer.size === 0) {
      this._fetchResultFallback();
    }
  }

  /** When the socket cannot be used, a finished job's result.json still shows everything. */
  async _fetchResultFallback() {
    if (!this.resultUrl || this._resultFetched) return;
    this._resultFetched = true;
    try {
      const res = await fetch(this.resultUrl, { credentials: 'same-origin' });
      if (!res.ok) {
        this._resultFetched = false;
        return;
      }
      const data = await res.json();
      for (const m of resultToMessages(data)) this.handleMessage(m);
      if (this.connection) this.connection.stop();
    } catch (_) {
      this._resultFetched = false;
    }
  }

  // ---------------------------------------------------------------- messages

  handleMessage(msg) {
    this.messageCount++;
    const prevParents = this.job.parents.join(',');
    const r = this.job.apply(msg);
    // The server makes a browser-playable copy of the upload while the job runs and says when it is ready.
    if (msg && ((msg.type === 'video' && msg.url) || (msg.type === 'meta' && msg.video_ready))) {
      this._reloadVideo(msg.url || this.videoUrl);
    }
    if (r.type === 'meta') {
      this.clock.fps = this.job.fps;
      if (this.job.parents.join(',') !== prevParents) {
        this.scene.setParents(this.job.parents);
        this.overlay.setParents(this.job.parents);
      }
      this.displayedFrame = -1;
      if (this.job.width > 0 && this.job.height > 0) {
        this.root.style.setProperty('--pv-video-aspect', `${this.job.width} / ${this.job.height}`);
      }
    } else if (r.type === 'frames' && r.added.length) {
      this._onFramesAdded(r.added);
    } else if (r.type === 'status') {
      if (this.job.finished) this._onFinished();
      this._renderDownloads();
    }
    this._updateStatusUI();
    this._updateTimelineUI();
  }

  _onFramesAdded(added) {
    for (const i of added) {
      const p = this.job.buffer.kp3d(i);
      if (Array.isArray(p) && Array.isArray(p[ROOT_JOINT])) this.scene.setTrailPoint(i, p[ROOT_JOINT]);
    }
    if (!this.scene.framedOnce) this._autoFrame(true);
    else this._maybeReframe();
    this._applyPendingMoment();
    // resume a video that waited at the live edge
    if (this.waiting && this.playing && this._videoDrives()) {
      const f = timeToFrame(this.ui.video.currentTime, this.job.fps);
      if (f < this.job.available) this._playVideo();
    }
    if (added.includes(this.currentFrame) || this.displayedFrame < 0) this.displayedFrame = -1;
  }

  _onFinished() {
    // the server closes the socket now; shouldReconnect() sees job.finalStatus and stays closed
    if (!this.userMovedCamera && !this.scene.followRoot) this._autoFrame(false);
    this._applyPendingMoment();
    if (this.waiting && this.playing && this._videoDrives()) this._playVideo();
  }

  // ---------------------------------------------------------------- camera

  /**
   * From (a sample of) every received pose: `bounds` of everything (the whole path walked),
   * `person` = the union of the poses relative to their root's floor position (a person-sized box
   * that still holds every pose), and the floor height they imply.
   */
  _allBounds() {
    const buf = this.job.buffer;
    const idx = buf.receivedIndices();
    let b = null, person = null;
    const poses = [];
    const step = Math.max(1, Math.floor(idx.length / 200));
    for (let k = 0; k < idx.length; k += step) {
      const p = buf.kp3d(idx[k]);
      poses.push(p);
      const pb = poseBounds(p);
      if (!pb) continue;
      b = unionBounds(b, pb);
      const r = rootXZ(p);
      person = unionBounds(person, {
        min: [pb.min[0] - r[0], pb.min[1], pb.min[2] - r[1]],
        max: [pb.max[0] - r[0], pb.max[1], pb.max[2] - r[1]],
      });
    }
    return { bounds: b, person, floor: estimateFloor(poses) };
  }

  /** The person-sized box placed at the current frame's root. */
  _personBoundsNow(person) {
    if (!person) return null;
    const buf = this.job.buffer;
    const r = rootXZ(buf.kp3d(buf.nearest(this.currentFrame)));
    return { min: [person.min[0] + r[0], person.min[1], person.min[2] + r[1]], max: [person.max[0] + r[0], person.max[1], person.max[2] + r[1]] };
  }

  /** What the camera should frame: the person when following the root, else the whole path. */
  _frameTarget() {
    const all = this._allBounds();
    return { ...all, target: this.scene.followRoot ? this._personBoundsNow(all.person) : all.bounds };
  }

  /**
   * Frame the person (following) or everything so far (not following).
   * `initial`: first framing (jump); otherwise glide, and only if the user has not taken over.
   */
  _autoFrame(initial) {
    const { bounds, floor, target } = this._frameTarget();
    if (!bounds) return;
    this.scene.setFloorY(Math.abs(floor) > 0.15 ? floor : 0);
    if (initial || !this.userMovedCamera) {
      this.scene.frame(target, { animate: !initial });
      this._framedBounds = bounds;
    }
  }

  /** While the job runs and the camera is not following, re-frame when the path outgrows the view. */
  _maybeReframe() {
    if (this.userMovedCamera || this.scene.followRoot || !this._framedBounds) return;
    const { bounds } = this._allBounds();
    if (!bounds) return;
    const fb = this._framedBounds;
    const grow = [0, 1, 2].some((k) => bounds.min[k] < fb.min[k] - 0.3 || bounds.max[k] > fb.max[k] + 0.3);
    if (grow) this._autoFrame(false);
  }

  /**
   * Camera presets: 'front' looks along the video camera's axis (the world's +Z points at the
   * camera), 'side' from the person's right, 'top' from above; 'free' leaves the camera alone.
   */
  setView(name) {
    const dirs = { front: [0, 0.12, 1], side: [1, 0.12, 0], top: [0, 1, 0.02] };
    const dir = dirs[name];
    this.ui.viewSelect.value = dir ? name : 'free';
    if (!dir) return;
    const { person } = this._allBounds();
    this.scene.frame(this._personBoundsNow(person), { animate: true, direction: dir });
    this.userMovedCamera = true; // keep this view while frames arrive
  }

  resetView() {
    this.ui.viewSelect.value = 'free';
    this.userMovedCamera = false;
    if (!this.job.buffer.size) {
      this.scene.frame(null, { animate: true, keepDirection: false });
      return;
    }
    const { bounds, target } = this._frameTarget();
    this.scene.frame(target, { animate: true, keepDirection: false });
    this._framedBounds = bounds;
  }

  // ---------------------------------------------------------------- video

  _setupVideo() {
    const v = this.ui.video;
    if (!v) return;
    v.muted = true;
    v.playsInline = true;
    v.preload = 'auto';
    v.controls = true;
    v.addEventListener('loadedmetadata', () => {
      this.videoState = 'ready';
      this.displayedFrame = -1;
      this._syncVideoToFrame(true);
    });
    v.addEventListener('error', () => {
      this.videoState = 'error';
      this.clock.seek(this.currentFrame); // the internal clock takes over from here
      this.waiting = false;
      this.ui.videoNote.textContent = 'This video cannot be played in the browser; showing the 2D keypoints only.';
      this.ui.videoNote.hidden = false;
      this.ui.videoPanel.classList.add('pv-novideo');
      this.displayedFrame = -1;
    });
    v.addEventListener('play', () => {
      if (!this.playing) this.play();
    });
    v.addEventListener('pause', () => {
      if (this._expectVideoPause > 0) {
        this._expectVideoPause--;
        return;
      }
      if (v.ended) return; // handled by the loop
      if (this.playing && !this.waiting) this.pause();
    });
    const fromVideo = () => {
      if (this.playing && !v.paused) return;
      const f = timeToFrame(v.currentTime, this.job.fps);
      if (f !== this.currentFrame) this._setFrame(f, { syncVideo: false });
    };
    v.addEventListener('seeked', fromVideo);
    v.addEventListener('timeupdate', fromVideo);
    v.addEventListener('ratechange', () => {
      if (Math.abs(v.playbackRate - this.speed) > 1e-3 && v.playbackRate > 0) this.setSpeed(v.playbackRate);
    });
    if (this.videoUrl) v.src = this.videoUrl;
  }

  _reloadVideo(url) {
    const v = this.ui.video;
    if (!v || !url || this.videoState === 'ready') return;
    this.videoUrl = url;
    this.videoState = 'loading';
    this.ui.videoNote.hidden = true;
    this.ui.videoPanel.classList.remove('pv-novideo');
    v.src = url;
    v.load();
  }

  _videoDrives() {
    return this.videoState === 'ready' && !!this.ui.video;
  }

  _playVideo() {
    const v = this.ui.video;
    v.playbackRate = this.speed;
    this.waiting = false;
    const p = v.play();
    if (p && p.catch) {
      p.catch((err) => {
        // a pause() while play() was pending rejects with AbortError: nothing to do
        if (err && err.name === 'AbortError') return;
        // autoplay refused or source unusable: the internal clock drives the timeline
        if (this.videoState === 'ready') this.videoState = 'noplay';
        this.clock.seek(this.currentFrame);
      });
    }
  }

  _pauseVideo() {
    const v = this.ui.video;
    if (v && !v.paused) {
      this._expectVideoPause++;
      v.pause();
    }
  }

  /** Put the video on the current frame (when paused or not driving). */
  _syncVideoToFrame(force = false) {
    const v = this.ui.video;
    if (!v || this.videoState === 'error' || this.videoState === 'none' || v.readyState < 1) return;
    const f = timeToFrame(v.currentTime, this.job.fps);
    if (force || f !== this.currentFrame) {
      v.currentTime = frameToSeekTime(this.currentFrame, this.job.fps);
    }
  }

  videoTime() {
    const v = this.ui.video;
    return v && this.videoState !== 'error' && this.videoState !== 'none' ? v.currentTime : null;
  }

  // ---------------------------------------------------------------- playback

  play() {
    if (this.job.complete && this.job.available > 0 && this.currentFrame >= this.job.available - 1) {
      this._setFrame(0);
    }
    this.playing = true;
    this.clock.playing = true;
    this.clock.seek(this.currentFrame);
    // a click is a user gesture: a video whose autoplay was refused may play now
    if (this.videoState === 'noplay' && this.ui.video.readyState >= 1) this.videoState = 'ready';
    if (this._videoDrives()) {
      const f = timeToFrame(this.ui.video.currentTime, this.job.fps);
      if (f !== this.currentFrame) this.ui.video.currentTime = frameToSeekTime(this.currentFrame, this.job.fps);
      this._playVideo();
    }
    this._updateTimelineUI();
  }

  pause() {
    this.playing = false;
    this.waiting = false;
    this.clock.playing = false;
    this._pauseVideo();
    this._syncVideoToFrame();
    this._updateTimelineUI();
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Show frame i (clamped to the frames received so far). */
  seek(i) {
    const n = this.job.available || this.job.buffer.maxIndex + 1;
    const f = clamp(Math.round(Number(i) || 0), 0, Math.max(0, n - 1));
    this.clock.seek(f);
    this._setFrame(f);
    if (this.playing && this._videoDrives()) {
      this.ui.video.currentTime = frameToSeekTime(f, this.job.fps);
    }
  }

  /** Jump to the newest frame and keep playing from there. */
  goLive() {
    this.seek(Math.max(0, this.job.available - 1));
    if (!this.playing) this.play();
  }

  step(delta) {
    if (this.playing) this.pause();
    this.seek(this.currentFrame + delta);
  }

  setSpeed(s) {
    const v = clamp(Number(s) || 1, 0.25, 2);
    this.speed = v;
    this.clock.speed = v;
    if (this.ui.video && this.videoState !== 'none') this.ui.video.playbackRate = v;
    this.ui.speed.value = String(v);
    if (this.ui.speed.value !== String(v)) {
      // not one of the listed speeds: add it
      const o = this.doc.createElement('option');
      o.value = String(v);
      o.textContent = `${v}×`;
      this.ui.speed.appendChild(o);
      this.ui.speed.value = String(v);
    }
  }

  setLoop(on) {
    this.loop = !!on;
    this.clock.loop = this.loop;
    this.ui.loopBtn.setAttribute('aria-pressed', String(this.loop));
  }

  _applyPendingMoment() {
    const m = this.pendingMoment;
    if (!m) return;
    const f = m.frame != null ? m.frame : timeToFrame(m.time, this.job.fps);
    if (f < this.job.available || (this.job.complete && this.job.available > 0)) {
      this.pendingMoment = null;
      this.pause();
      this.seek(f);
      this._syncVideoToFrame(true);
      // Frame the person where the moment shows them: framing happened at the first frames received,
      // and a person who has moved since would be out of view (or behind the camera).
      if (!this.userMovedCamera) this._autoFrame(true);
    }
  }

  _setFrame(f, { syncVideo = true } = {}) {
    this.currentFrame = f;
    if (syncVideo && !(this.playing && this._videoDrives())) this._syncVideoToFrame();
    this._updateTimelineUI();
  }

  _loop(now) {
    this.win.requestAnimationFrame(this._loop);
    const dt = this._lastTick == null ? 0 : Math.min(0.25, Math.max(0, (now - this._lastTick) / 1000));
    this._lastTick = now;
    const avail = this.job.available;
    const finished = this.job.complete;

    if (this.playing) {
      if (this._videoDrives()) {
        this.syncFromVideo();
      } else {
        this.clock.fps = this.job.fps;
        this.clock.tick(dt, avail, finished);
        this.waiting = this.clock.waiting;
        if (!this.clock.playing) {
          this.playing = false;
          this._updateTimelineUI();
        }
        const f = this.clock.frame;
        if (f !== this.currentFrame) this._setFrame(f);
      }
    }
    if (this.currentFrame !== this.displayedFrame) this._display(this.currentFrame);
    this._smooth3d();
    const waitingNow = this.playing && this.waiting && !finished;
    this.ui.root.classList.toggle('pv-waiting', waitingNow);
    if (waitingNow) {
      const p = this.job.progress;
      const text = this.job.buffer.size
        ? 'Waiting for the next frames…'
        : `Waiting for the first frames${p ? ` — ${progressText(p.stage, p.done, p.total)}` : '…'}`;
      if (this.ui.waitBadge.textContent !== text) this.ui.waitBadge.textContent = text;
    }
    this.scene.update(now);
    this.scene.renderIfNeeded();
  }

  /**
   * While the video plays it is the clock: put the 3D frame on the video's frame, holding the
   * video at the live edge while the job runs and looping/stopping at the end when it is over.
   */
  syncFromVideo() {
    if (!(this.playing && this._videoDrives())) return this.currentFrame;
    const v = this.ui.video;
    const avail = this.job.available;
    let f = timeToFrame(v.currentTime, this.job.fps);
    const atEnd = v.ended || f >= avail;
    if (atEnd) {
      if (!this.job.complete) {
        // live edge: hold the video until the worker catches up
        if (!v.paused) this._pauseVideo();
        this.waiting = true;
        f = Math.max(0, avail - 1);
      } else if (avail > 0) {
        if (this.loop) {
          v.currentTime = frameToSeekTime(0, this.job.fps);
          if (v.paused) this._playVideo();
          f = 0;
        } else {
          f = avail - 1;
          this.pause();
        }
      }
    } else if (this.waiting || v.paused) {
      this._playVideo();
    }
    if (f !== this.currentFrame) this._setFrame(f, { syncVideo: false });
    return this.currentFrame;
  }

  /**
   * While playing, draw the 3D pose between the current frame and the next one (where the clock
   * really is), so that slow motion and low-fps clips move smoothly. The frame number, the 2D
   * overlay and the video stay on whole frames.
   */
  _smooth3d() {
    let frac = 0;
    // only where whole frames would look choppy (under ~20 updates a second): no extra renders otherwise
    if (this.playing && !this.waiting && this.job.fps * this.speed < 20) {
      if (this._videoDrives()) frac = this.ui.video.currentTime * this.job.fps - this.currentFrame;
      else frac = this.clock.position - this.clock.frame;
    }
    frac = frac > 0.02 && frac < 1 ? frac : 0;
    if (!frac && !this._smoothed) return;
    const buf = this.job.buffer;
    const f = this.currentFrame;
    // never blend across a scene cut: the next frame is another shot
    const a = buf.kp3d(f), b = buf.isCut(f + 1) ? null : buf.kp3d(f + 1);
    if (!a) return;
    this.scene.setPose(frac && b ? lerpPose(a, b, frac) : a, this._opacity);
    this.figure.show(frac && b ? f + frac : f, this.job.fps);
    this._smoothed = !!(frac && b);
  }

  _display(f) {
    const buf = this.job.buffer;
    const k = buf.has(f) ? f : buf.nearest(f);
    this.displayedFrame = f;
    if (k < 0) return;
    const kp3d = buf.kp3d(k);
    const kp2d = buf.kp2d(k);
    const conf = Array.isArray(kp2d) ? kp2d.map((p) => (Array.isArray(p) && p.length > 2 ? p[2] : null)) : null;
    const visible = buf.visible(k);
    this._opacity = jointOpacities(conf, visible); // joints whose 3D is a guess are faded
    this._smoothed = false;
    this.scene.setPose(kp3d, this._opacity);
    this.figure.show(f, this.job.fps); // the GLB has one key per video frame: the frame shown, not k
    // the path walked over the last 20 s
    this.scene.showTrailUpTo(k, k - Math.round(20 * this.job.fps));
    if (this._hoverJointIndex >= 0) this._updateTip(null);
    const v = this.ui.video;
    const vw = this.job.width || (v && v.videoWidth) || 16;
    const vh = this.job.height || (v && v.videoHeight) || 9;
    const noVideo = this.videoState === 'none' || this.videoState === 'error';
    this.overlay.draw(kp2d, vw, vh, { background: noVideo ? '#2a2f38' : null, visible });
  }

  // ---------------------------------------------------------------- UI

  _setupProgress() {
    if (!this.progressEl) {
      this.progressEl = this.doc.createElement('div');
      this.progressEl.id = 'job-progress';
      this.ui.header.appendChild(this.progressEl);
    }
    this.progressEl.textContent = '';
    this.progressText = this.doc.createElement('span');
    this.progressText.className = 'pv-progress-text';
    this.progressBar = this.doc.createElement('progress');
    this.progressBar.className = 'pv-progress-bar';
    this.progressBar.max = 1;
    this.progressEl.append(this.progressText, this.progressBar);
    if (!this.errorEl) {
      this.errorEl = this.doc.createElement('div');
      this.errorEl.id = 'job-error';
      this.ui.header.appendChild(this.errorEl);
    }
  }

  _updateStatusUI() {
    const job = this.job;
    if (this.statusEl) {
      if (this.statusEl.textContent !== job.status) this.statusEl.textContent = job.status;
      this.statusEl.dataset.status = job.status;
      for (const c of [...this.statusEl.classList]) if (c.startsWith('status-')) this.statusEl.classList.remove(c);
      this.statusEl.classList.add(`status-${job.status}`);
    }
    this.root.dataset.status = job.status;
    let text, frac;
    if (job.status === 'succeeded') {
      text = `Done — ${job.buffer.size} frames`;
      frac = 1;
    } else if (job.status === 'failed' || job.status === 'cancelled') {
      text = job.status === 'failed' ? 'Stopped: the job failed' : 'Cancelled';
      frac = job.progress ? progressFraction(job.progress.done, job.progress.total) : 0;
    } else if (job.progress) {
      text = progressText(job.progress.stage, job.progress.done, job.progress.total);
      frac = progressFraction(job.progress.done, job.progress.total);
    } else if (job.status === 'queued') {
      text = 'Queued — waiting for a worker';
      frac = null;
    } else {
      text = stageLabel(null) + '…';
      frac = null;
    }
    this.progressText.textContent = text;
    if (frac == null) this.progressBar.removeAttribute('value');
    else this.progressBar.value = frac;
    this.progressEl.dataset.stage = job.progress ? job.progress.stage || '' : '';
    const err = job.error || '';
    if (this.errorEl) {
      this.errorEl.textContent = humanMessage(err);
      this.errorEl.hidden = !err;
    }
    if (isTerminal(job.status) && this.ui.connBadge) this.ui.connBadge.hidden = true;
    this.figure.refresh({ status: job.status, glbUrl: this.downloads && this.downloads.glb });
  }

  _updateTimelineUI() {
    const ui = this.ui;
    const job = this.job;
    const len = job.timelineLength;
    const fps = job.fps;
    const max = Math.max(0, len - 1);
    ui.slider.max = String(max);
    ui.slider.disabled = job.buffer.size === 0;
    if (Number(ui.slider.value) !== this.currentFrame && this.doc.activeElement !== ui.slider) {
      ui.slider.value = String(this.currentFrame);
    } else if (Number(ui.slider.value) !== this.currentFrame) {
      ui.slider.value = String(this.currentFrame);
    }
    ui.slider.setAttribute('aria-valuetext', `Frame ${this.currentFrame + 1} of ${len}, ${formatTime(frameToTime(this.currentFrame, fps))}`);
    const pct = len > 0 ? (100 * job.available) / len : 0;
    ui.buffer.style.width = `${Math.min(100, pct)}%`;
    const playPct = len > 1 ? (100 * this.currentFrame) / max : 0;
    ui.played.style.width = `${Math.min(100, playPct)}%`;
    const shownTotal = job.complete ? job.buffer.size : len || job.buffer.size;
    ui.frameCounter.textContent = job.buffer.size
      ? `Frame ${this.currentFrame + 1} / ${shownTotal}${job.complete ? '' : '…'}`
      : 'No frames yet';
    ui.time.textContent = `${formatTime(frameToTime(this.currentFrame, fps))} / ${formatTime(len / fps)}`;
    const icon = this.playing ? 'pause' : 'play';
    if (ui.playBtn.dataset.icon !== icon) setIcon(ui.playBtn, icon, this.doc);
    ui.playBtn.setAttribute('aria-label', this.playing ? 'Pause' : 'Play');
    ui.playBtn.title = this.playing ? 'Pause (space)' : 'Play (space)';
    ui.root.classList.toggle('pv-playing', this.playing);
    ui.liveBtn.hidden = job.complete || job.available - 1 - this.currentFrame < Math.max(10, 2 * fps);
    const cuts = job.buffer.cuts;
    const cutsKey = `${len}|${cuts.join(',')}`;
    if (cutsKey !== this._cutsKey) {
      this._cutsKey = cutsKey;
      renderCutTicks(ui.cuts, cutPositions(cuts, len), this.doc);
    }
  }

  _renderDownloads() {
    const d = this.downloads || (this.resultUrl ? { json: this.resultUrl } : null);
    const box = this.ui.downloads;
    box.textContent = '';
    // Results exist only once the job has succeeded: no links that would answer 404 before that.
    if (!d || typeof d !== 'object' || this.job.status !== 'succeeded') {
      box.hidden = true;
      return;
    }
    const label = this.doc.createElement('span');
    label.className = 'pv-dl-label';
    label.textContent = 'Download';
    box.appendChild(label);
    for (const [fmt, url] of Object.entries(d)) {
      if (!url) continue;
      const a = this.doc.createElement('a');
      a.className = 'pv-btn pv-dl';
      a.href = url;
      a.setAttribute('download', '');
      a.dataset.format = fmt;
      a.textContent = DOWNLOAD_LABELS[fmt] || fmt.toUpperCase();
      box.appendChild(a);
    }
    box.hidden = false;
  }

  _bindControls() {
    const ui = this.ui;
    ui.playBtn.addEventListener('click', () => this.togglePlay());
    ui.prevBtn.addEventListener('click', () => this.step(-1));
    ui.nextBtn.addEventListener('click', () => this.step(1));
    ui.loopBtn.addEventListener('click', () => this.setLoop(!this.loop));
    ui.speed.addEventListener('change', () => this.setSpeed(parseFloat(ui.speed.value)));
    ui.slider.addEventListener('input', () => {
      if (this.playing) this.pause();
      this.seek(Number(ui.slider.value));
    });
    ui.cuts.addEventListener('click', (e) => {
      const tick = e.target && e.target.closest ? e.target.closest('.pv-cut') : null;
      if (!tick) return;
      if (this.playing) this.pause();
      this.seek(Number(tick.dataset.frame));
    });
    ui.resetBtn.addEventListener('click', () => this.resetView());
    ui.viewSelect.addEventListener('change', () => this.setView(ui.viewSelect.value));
    // hover a joint: its name, 2D confidence and 3D position
    let pending = null;
    ui.view3d.addEventListener('pointermove', (e) => {
      if (e.buttons) { ui.tip.hidden = true; return; }
      pending = e;
      if (this._tipQueued) return;
      this._tipQueued = true;
      this.win.requestAnimationFrame(() => {
        this._tipQueued = false;
        this._hoverJoint(pending);
      });
    });
    ui.view3d.addEventListener('pointerleave', () => {
      this._hoverJointIndex = -1;
      ui.tip.hidden = true;
    });
    this.scene.controls.addEventListener('start', () => {
      ui.viewSelect.value = 'free';
    });
    ui.fullBtn.addEventListener('click', () => {
      const el = ui.panel3d;
      if (this.doc.fullscreenElement) this.doc.exitFullscreen();
      else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
    });
    ui.followBtn.setAttribute('aria-pressed', String(this.scene.followRoot));
    ui.followBtn.addEventListener('click', () => {
      const on = !this.scene.followRoot;
      this.scene.setFollowRoot(on);
      ui.followBtn.setAttribute('aria-pressed', String(on));
      if (on) this.resetView();
    });
    ui.trailBtn.addEventListener('click', () => {
      const on = !this.scene.showTrail;
      this.scene.setTrailVisible(on);
      ui.trailBtn.setAttribute('aria-pressed', String(on));
      this.displayedFrame = -1;
    });
    ui.overlayBtn.addEventListener('click', () => {
      this.overlay.visible = !this.overlay.visible;
      ui.overlayBtn.setAttribute('aria-pressed', String(this.overlay.visible));
      this.displayedFrame = -1;
    });
    ui.linkBtn.addEventListener('click', () => this.copyMomentLink());
    ui.liveBtn.addEventListener('click', () => this.goLive());
    this.setLoop(true);
    this.setSpeed(1);
    this.win.addEventListener('keydown', (e) => this._onKey(e));
    // a focused button would also "click" on the space key's keyup: space is play/pause here
    this.root.addEventListener('keyup', (e) => {
      if (e.key === ' ' && e.target && e.target.tagName === 'BUTTON') e.preventDefault();
    });
    this.win.addEventListener('resize', () => {
      this.displayedFrame = -1;
    });
    // the 2D overlay's box changes with layout too (video metadata, full screen, panels)
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        this.displayedFrame = -1;
      }).observe(ui.overlayCanvas);
    }
  }

  _hoverJoint(e) {
    const tip = this.ui.tip;
    const j = e ? this.scene.pickJoint(e.clientX, e.clientY) : -1;
    this._hoverJointIndex = j;
    if (j < 0) {
      tip.hidden = true;
      return;
    }
    this._updateTip(e);
  }

  _updateTip(e) {
    const j = this._hoverJointIndex;
    const tip = this.ui.tip;
    if (!(j >= 0)) return;
    const buf = this.job.buffer;
    const k = buf.nearest(this.currentFrame);
    const p3 = buf.kp3d(k)?.[j];
    const p2 = buf.kp2d(k)?.[j];
    const name = (this.job.jointNames[j] || `joint ${j}`).replace(/_/g, ' ');
    const parts = [name];
    if (Array.isArray(p2) && p2.length > 2 && p2[2] != null) parts.push(`confidence ${(+p2[2]).toFixed(2)}`);
    if (Array.isArray(p3)) parts.push(`(${p3.map((v) => (+v).toFixed(2)).join(', ')}) m`);
    if (buf.visible(k)?.[j] === 0) parts.push('not visible: 3D guessed');
    tip.textContent = parts.join(' · ');
    if (e) {
      const r = this.ui.panel3d.getBoundingClientRect();
      tip.style.left = `${Math.min(e.clientX - r.left + 12, r.width - 200)}px`;
      tip.style.top = `${Math.max(4, e.clientY - r.top - 30)}px`;
    }
    tip.hidden = false;
  }

  momentLink() {
    const h = momentHash(this.currentFrame, this.job.fps);
    const loc = this.win.location;
    return `${loc.origin}${loc.pathname}${loc.search}${h}`;
  }

  copyMomentLink() {
    const url = this.momentLink();
    const h = url.slice(url.indexOf('#'));
    try {
      this.win.history.replaceState(null, '', h);
    } catch (_) {
      /* ignore */
    }
    const done = () => {
      this.ui.linkBtn.dataset.copied = 'true';
      this.ui.linkNote.textContent = 'Link copied';
      this.ui.linkNote.hidden = false;
      setTimeout(() => {
        this.ui.linkNote.hidden = true;
      }, 1800);
    };
    if (this.win.navigator.clipboard && this.win.isSecureContext) {
      this.win.navigator.clipboard.writeText(url).then(done, () => {
        this.ui.linkNote.textContent = 'Link in the address bar';
        this.ui.linkNote.hidden = false;
      });
    } else {
      this.ui.linkNote.textContent = 'Link in the address bar';
      this.ui.linkNote.hidden = false;
    }
    return url;
  }

  _onKey(e) {
    const t = e.target;
    const tag = t && t.tagName ? t.tagName.toLowerCase() : '';
    if (tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
    if (tag === 'input' && t.type !== 'range' && t.type !== 'button' && t.type !== 'checkbox') return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    let handled = true;
    switch (e.key) {
      case ' ':
      case 'k':
        if (tag === 'button' && !this.root.contains(t)) return;
        this.togglePlay();
        break;
      case 'ArrowLeft':
        this.step(e.shiftKey ? -10 : -1);
        break;
      case 'ArrowRight':
        this.step(e.shiftKey ? 10 : 1);
        break;
      case 'Home':
        this.step(-this.currentFrame);
        break;
      case 'End':
        this.step(this.job.available);
        break;
      case 'f':
        this.ui.followBtn.click();
        break;
      case 'r':
        this.resetView();
        break;
      case 'l':
        this.setLoop(!this.loop);
        break;
      case 'm':
        this.figure.setMode(this.figure.mode === 'skeleton' ? 'mannequin' : 'skeleton');
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }
}

/** [x, z] of a pose's root joint (0, 0 when missing). */
function rootXZ(pose) {
  const r = Array.isArray(pose) ? pose[ROOT_JOINT] : null;
  return Array.isArray(r) && Number.isFinite(+r[0]) && Number.isFinite(+r[2]) ? [+r[0], +r[2]] : [0, 0];
}

function parseJSON(s) {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch (_) {
    return null;
  }
}
