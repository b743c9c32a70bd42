// The scrub bar and the transport: slider, buffered and played bars, frame counter, time, the
// play button's icon, the "live" button and the scene-cut ticks; the speed select.
import { formatTime, frameToTime } from '../playback/sync.js';
import { cutPositions } from './timeline.js';
import { setIcon, renderCutTicks } from './dom.js';

export class TimelineView {
  constructor({ doc, ui, job, playback }) {
    Object.assign(this, { doc, ui, job, playback });
    this._cutsKey = null;
  }

  update() {
    const { ui, job } = this;
    const f = this.playback.frame;
    const playing = this.playback.playing;
    const len = job.timelineLength;
    const fps = job.fps;
    const max = Math.max(0, len - 1);
    ui.slider.max = String(max);
    ui.slider.disabled = job.buffer.size === 0;
    if (Number(ui.slider.value) !== f) ui.slider.value = String(f);
    ui.slider.setAttribute('aria-valuetext', `Frame ${f + 1} of ${len}, ${formatTime(frameToTime(f, fps))}`);
    const pct = len > 0 ? (100 * job.available) / len : 0;
    ui.buffer.style.width = `${Math.min(100, pct)}%`;
    const playPct = len > 1 ? (100 * f) / max : 0;
    ui.played.style.width = `${Math.min(100, playPct)}%`;
    const shownTotal = job.complete ? job.buffer.size : len || job.buffer.size;
    ui.frameCounter.textContent = job.buffer.size
      ? `Frame ${f + 1} / ${shownTotal}${job.complete ? '' : '…'}`
      : waitingText(job);
    ui.time.textContent = `${formatTime(frameToTime(f, fps))} / ${formatTime(len / fps)}`;
    const icon = playing ? 'pause' : 'play';
    if (ui.playBtn.dataset.icon !== icon) setIcon(ui.playBtn, icon, this.doc);
    ui.playBtn.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    ui.playBtn.title = playing ? 'Pause (space)' : 'Play (space)';
    ui.root.classList.toggle('pv-playing', playing);
    ui.liveBtn.hidden = job.complete || job.available - 1 - f < Math.max(10, 2 * fps);
    const cuts = job.buffer.cuts;
    const cutsKey = `${len}|${cuts.join(',')}`;
    if (cutsKey !== this._cutsKey) {
      this._cutsKey = cutsKey;
      renderCutTicks(ui.cuts, cutPositions(cuts, len), this.doc);
    }
  }

  /** Show speed v in the select (adding it when it is not one of the listed speeds). */
  showSpeed(v) {
    const sel = this.ui.speed;
    sel.value = String(v);
    if (sel.value !== String(v)) {
      const o = this.doc.createElement('option');
      o.value = String(v);
      o.textContent = `${v}×`;
      sel.appendChild(o);
      sel.value = String(v);
    }
  }

  showLoop(on) {
    this.ui.loopBtn.setAttribute('aria-pressed', String(on));
  }
}

/**
 * What the frame counter says before the first frame: why nothing is drawn yet. The lifter needs about a
 * second of video around a frame; several people wait once for the scene (who is there, where the ground
 * is: ml/pipeline_people.py), about 4 s of video.
 */
export function waitingText(job) {
  if (job.status === 'queued') return 'Waiting for a worker…';
  if (job.status !== 'running') return 'No frames';
  return job.several ? 'Finding everyone and the ground: skeletons after ~4 s of video…' : '3D after ~1 s of video…';
}
