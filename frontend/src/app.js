// The job viewer's composition root: builds the parts and routes the job's messages and the
// animation frames between them. The parts:
//   model/     the job (JobModel, FrameBuffer), its skeleton and progress texts
//   net/       where messages come from (websocket with backoff, result.json fallback)
//   playback/  one state machine (idle / playing / waiting / ended) on the video's or its own clock
//   view3d/    renderer, skeleton mesh, trail, floor, camera framing, mannequin
//   overlay/   the 2D keypoints over the video
//   ui/        DOM, timeline, status, downloads, controls + keyboard, tooltip, moment links
import { JobModel } from './model/job.js';
import { humanMessage } from './model/progress.js';
import { ROOT_JOINT } from './model/skeleton.js';
import { PALETTE } from './generated/tables.js';
import { JobFeed } from './net/jobFeed.js';
import { Playback, SPEEDS } from './playback/playback.js';
import { VideoSource } from './playback/video.js';
import { SkeletonScene, NullScene } from './view3d/scene.js';
import { CameraFraming } from './view3d/framing.js';
import { FigureSwitch } from './view3d/mannequin.js';
import { KeypointOverlay } from './overlay/overlay.js';
import { FrameDisplay } from './frameDisplay.js';
import { buildUI } from './ui/dom.js';
import { StatusView } from './ui/statusView.js';
import { TimelineView } from './ui/timelineView.js';
import { renderDownloads } from './ui/downloads.js';
import { JointTooltip } from './ui/tooltip.js';
import { MomentLinks } from './ui/momentLinks.js';
import { bindControls } from './ui/controls.js';
import { PeopleView } from './ui/peopleView.js';

export class PoseViewerApp {
  constructor(root, { doc = document, win = window } = {}) {
    Object.assign(this, { root, doc, win });
    const ds = root.dataset;
    this.resultUrl = ds.resultUrl || '';
    this.downloads = parseJSON(ds.downloads) || null;
    const statusEl = doc.getElementById('job-status');
    const initialStatus = ds.status || (statusEl && statusEl.textContent.trim().toLowerCase()) || 'queued';
    // a failed job's sentence and kind, as the server rendered them: shown even if the websocket never connects
    this.job = new JobModel({ status: initialStatus, error: ds.error || '', errorRepeats: ds.repeats === 'true' });
    this.messageCount = 0;
    this._lastTick = null;

    const ui = (this.ui = buildUI(root, { hasVideo: !!ds.videoUrl, speeds: SPEEDS }));
    // the skeleton's colours theme the page too (style.css has the same values as fallbacks)
    const css = (hex) => `#${hex.toString(16).padStart(6, '0')}`;
    for (const [name, key] of [['--pv-panel', 'background'], ['--pv-accent', 'left'], ['--pv-right', 'right']]) {
      root.style.setProperty(name, css(PALETTE[key]));
    }
    this.status = new StatusView({ doc, root, ui, job: this.job });
    const quality = new URLSearchParams(win.location.search).get('quality') || ds.quality || 'auto';
    try {
      this.scene = new SkeletonScene(ui.view3d, { parents: this.job.parents, quality });
    } catch (err) {
      ui.view3d.textContent = '';
      this.scene = new NullScene(ui.view3d, humanMessage(err && err.message).slice(0, 120));
    }
    const frame = () => this.playback.frame;
    this.framing = new CameraFraming({ job: this.job, scene: this.scene, frame });
    // Skeleton | Mannequin (the job's GLB, once it has finished); redraw the frame on a switch
    this.figure = new FigureSwitch({ ui, scene: this.scene, root, onChange: () => this.display.invalidate() });
    this.overlay = new KeypointOverlay(ui.overlayCanvas);
    this.overlay.setParents(this.job.parents);
    // A browser copy that does not exist yet is not asked for (a 404 in the console, issue 33): the
    // `video` message (or a meta saying it is ready) loads it.
    const copyPending = ds.videoReady === 'false';
    this.videoUrl = ds.videoUrl || '';
    this.video = new VideoSource(ui.video, copyPending ? '' : this.videoUrl, () => this.job.fps, {
      ready: () => { this.display.invalidate(); this.playback.videoReady(); },
      error: () => { this.playback.videoFailed(); this.status.videoNote('error'); this.display.invalidate(); },
      refused: () => this.playback.videoFailed(),
      userPlay: () => this.playback.userPlayed(),
      userPause: () => this.playback.userPaused(),
      userSeek: (f) => this.playback.userSeeked(f),
      rate: (r) => { const v = this.playback.userRate(r); if (v != null) this.timeline.showSpeed(v); },
    });
    this.playback = new Playback({ job: this.job, video: this.video, onChange: () => this.timeline.update() });
    this.timeline = new TimelineView({ doc, ui, job: this.job, playback: this.playback });
    this.tooltip = new JointTooltip({ win, ui, job: this.job, scene: this.scene, frame });
    this.peopleView = new PeopleView({ doc, ui, job: this.job, on: {
      focus: (id) => this.focusPerson(id),
      hide: (id, hidden) => this.setPersonHidden(id, hidden),
    } });
    this.display = new FrameDisplay({ job: this.job, scene: this.scene, figure: this.figure, overlay: this.overlay,
      video: this.video, onDrawn: (k) => this._drawn(k) });
    if (copyPending && ui.video) this.status.videoNote('error'); // "Preparing a browser copy…" until it comes
    this.moments = new MomentLinks({ win, ui, job: this.job, frame, onArrive: (f) => this._showMoment(f) });
    bindControls(this);
    this.setLoop(true);
    this.setSpeed(1);
    this._renderDownloads();
    if (!this.moments.pending) this.playback.play(); // auto-play, following the live edge

    this._update();
    this._loop = this._loop.bind(this);
    win.requestAnimationFrame(this._loop);
    this.feed = new JobFeed({
      wsPath: ds.wsUrl || '', resultUrl: this.resultUrl, job: this.job, win,
      on: {
        message: (msg) => this.handleMessage(msg),
        state: (state, info) => this.status.connection(state, info),
        forbidden: () => {
          this.job.error = 'You cannot watch this job: sign in as its owner and reload the page.';
          this._update();
        },
      },
    });
    this.feed.start();
  }

  // ---------------------------------------------------------------- messages

  handleMessage(msg) {
    this.messageCount++;
    const prevParents = this.job.parents.join(',');
    const r = this.job.apply(msg);
    if (r.type === 'meta') {
      this.playback.clock.fps = this.job.fps;
      if (this.job.parents.join(',') !== prevParents) {
        this.scene.setParents(this.job.parents);
        this.overlay.setParents(this.job.parents);
      }
      this.display.invalidate();
      if (this.job.width > 0 && this.job.height > 0) {
        this.root.style.setProperty('--pv-video-aspect', `${this.job.width} / ${this.job.height}`);
      }
      if (this.job.videoReady) this._loadBrowserCopy(this.videoUrl);
    } else if (r.type === 'video') {
      // the browser-playable copy of the upload is made while the job runs; now it can be played
      this._loadBrowserCopy(this.job.videoUrl || this.videoUrl);
    } else if (r.type === 'frames' && (r.added.length || (r.people && r.people.length))) {
      this._framesAdded(r.added, r.people);
    } else if (r.type === 'status') {
      if (this.job.finished) this._finished();
      this._renderDownloads();
    }
    this._update();
  }

  /** Frame k is on screen: the tooltip, the people list and (several people) the group's framing follow. */
  _drawn(k) {
    this.tooltip.refresh();
    this.peopleView.update(k);
    if (this.job.several) this.framing.frameShown();
  }

  _loadBrowserCopy(url) {
    if (this.video.reload(url)) this.status.videoNote('loading');
  }

  /** `people`: several people's [{id, added}] (job.js); the trail is the followed person's. */
  _framesAdded(added, people = null) {
    const focused = people && people.find((p) => p.id === this.job.people.focused);
    const [buf, trailFrames] = people ? [this.job.people.track(this.job.people.focused), focused ? focused.added : []]
      : [this.job.buffer, added];
    this._addTrail(buf, trailFrames);
    this.framing.framesArrived();
    this.moments.apply();
    this.playback.framesArrived();
    const f = this.playback.frame;
    const showsNew = added.includes(f) || (people && people.some((p) => p.added.includes(f)));
    if (showsNew || this.display.shown < 0) this.display.invalidate();
    else if (people) this.peopleView.update(this.job.buffer.nearest(f)); // new people in the list
  }

  _addTrail(buf, frames) {
    for (const i of frames) {
      const p = buf.kp3d(i);
      if (Array.isArray(p) && Array.isArray(p[ROOT_JOINT])) this.scene.setTrailPoint(i, p[ROOT_JOINT]);
    }
  }

  // ---------------------------------------------------------------- several people

  /** Follow one person with the camera (null: frame everyone); their trail replaces the last one. */
  focusPerson(id) {
    const people = this.job.people;
    if (!this.job.several) return null;
    const before = people.focused;
    const now = people.focus(id);
    if (now !== before) this._focusChanged();
    this.peopleView.update(this.job.buffer.nearest(this.playback.frame));
    return now;
  }

  setPersonHidden(id, hidden) {
    const people = this.job.people;
    const before = people.focused;
    people.setHidden(id, hidden);
    if (people.focused !== before) this._focusChanged();
    this.display.invalidate();
    this.peopleView.update(this.job.buffer.nearest(this.playback.frame));
  }

  _focusChanged() {
    const people = this.job.people;
    this.scene.clearTrail();
    const buf = people.track(people.focused);
    if (buf) this._addTrail(buf, buf.receivedIndices());
    this.framing.focusChanged();
    this.display.invalidate();
  }

  _finished() {
    // the server closes the socket now; the feed sees job.finalStatus and stays closed
    this.framing.jobFinished();
    this.moments.apply();
    this.playback.jobFinished();
    if (this.video.state === 'error' || this.video.state === 'none') this.status.videoNote('error'); // no copy is coming any more
  }

  _showMoment(f) {
    this.pause();
    this.seek(f);
    this.video.showFrame(f, true);
    // Frame the person where the moment shows them: framing happened at the first frames received,
    // and a person who has moved since would be out of view (or behind the camera).
    if (!this.framing.userMovedCamera) this.framing.autoFrame(true);
  }

  _update() {
    this.status.update();
    this.peopleView.update(this.job.buffer.nearest(this.playback.frame));
    this.figure.refresh({ status: this.job.status, glbUrl: this.downloads && this.downloads.glb, several: this.job.several });
    this.timeline.update();
  }

  _renderDownloads() {
    const urls = this.downloads || (this.resultUrl ? { json: this.resultUrl } : null);
    renderDownloads(this.ui.downloads, urls, this.job.status, this.doc, { several: this.job.several });
  }

  // ---------------------------------------------------------------- the animation frame

  _loop(now) {
    this.win.requestAnimationFrame(this._loop);
    const dt = this._lastTick == null ? 0 : Math.min(0.25, Math.max(0, (now - this._lastTick) / 1000));
    this._lastTick = now;
    const pb = this.playback;
    pb.tick(dt);
    // blend between frames only where whole frames would look choppy (under ~20 a second)
    const smooth = this.job.fps * pb.speed < 20 ? pb.fraction : 0;
    this.display.update(pb.frame, smooth);
    this.status.waiting(pb.waiting && !this.job.complete);
    this.scene.update(now);
    this.scene.renderIfNeeded();
  }

  // ---------------------------------------------------------------- actions (controls, window.poseViewer)

  get currentFrame() { return this.playback.frame; }
  get playing() { return this.playback.playing; }
  get waiting() { return this.playback.waiting; }
  get speed() { return this.playback.speed; }
  get loop() { return this.playback.loop; }
  get videoState() { return this.video.state; }
  get connection() { return this.feed ? this.feed.connection : null; }
  get socket() { return this.feed ? this.feed.socket : null; }

  play() { this.playback.play(); }
  pause() { this.playback.pause(); }
  togglePlay() { this.playback.toggle(); }
  seek(i) { this.playback.seek(i); }
  step(d) { this.playback.step(d); }
  goLive() { this.playback.goLive(); }
  setSpeed(s) { this.timeline.showSpeed(this.playback.setSpeed(s)); }
  setLoop(on) { this.playback.setLoop(on); this.timeline.showLoop(this.playback.loop); }
  syncFromVideo() { return this.playback.syncFromVideo(); }
  videoTime() { return this.video.time; }
  setView(name) { this.ui.viewSelect.value = this.framing.setView(name); }
  resetView() { this.ui.viewSelect.value = 'free'; this.framing.resetView(); }
  momentLink() { return this.moments.link(); }
  copyMomentLink() { return this.moments.copy(); }
}

function parseJSON(s) {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch (_) {
    return null;
  }
}
