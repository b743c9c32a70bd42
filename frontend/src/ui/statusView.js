// The job's state in words: the status chip, the progress line and bar, the error, the connection
// and waiting badges, the note over a video that cannot play (yet), and the page's job actions
// (Cancel while it runs; Retry where it can help, and Delete, once it has ended).
import { TRY_AGAIN_LATER } from '../net/connection.js';
import { progressText, progressFraction, stageLabel, isTerminal, humanMessage } from '../model/progress.js';

export class StatusView {
  constructor({ doc, root, ui, job }) {
    Object.assign(this, { doc, root, ui, job });
    this.statusEl = doc.getElementById('job-status');
    this.progressEl = doc.getElementById('job-progress');
    this.errorEl = doc.getElementById('job-error');
    if (!this.progressEl) {
      this.progressEl = doc.createElement('div');
      this.progressEl.id = 'job-progress';
      ui.header.appendChild(this.progressEl);
    }
    this.progressEl.textContent = '';
    this.progressText = doc.createElement('span');
    this.progressText.className = 'pv-progress-text';
    this.progressBar = doc.createElement('progress');
    this.progressBar.className = 'pv-progress-bar';
    this.progressBar.max = 1;
    this.progressEl.append(this.progressText, this.progressBar);
    if (!this.errorEl) {
      this.errorEl = doc.createElement('div');
      this.errorEl.id = 'job-error';
      ui.header.appendChild(this.errorEl);
    }
  }

  update() {
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
      text = progressText(job.progress);
      frac = progressFraction(job.progress.done, job.progress.total);
    } else if (job.status === 'queued') {
      // back in the queue after its worker stopped: the server's sentence says it will start over
      text = job.message ? `Queued — ${job.message}` : 'Queued — waiting for a worker';
      frac = null;
    } else {
      text = stageLabel(null) + '…';
      frac = null;
    }
    this.progressText.textContent = text;
    // a stopped job's bar would read as "complete" (e.g. detection had finished before "no person")
    this.progressBar.hidden = job.status === 'failed' || job.status === 'cancelled';
    if (frac == null) this.progressBar.removeAttribute('value');
    else this.progressBar.value = frac;
    this.progressEl.dataset.stage = job.progress ? job.progress.stage || '' : '';
    this.progressEl.dataset.step = job.progress ? job.progress.step || '' : '';
    // a cancellation is what the user asked for, not an error: the progress line says "Cancelled"
    const err = job.status === 'cancelled' ? '' : job.error || '';
    this.errorEl.textContent = humanMessage(err);
    this.errorEl.hidden = !err;
    // a job that ended without a single frame has nothing to show: no empty stage, grid and timeline
    const empty = isTerminal(job.status) && job.status !== 'succeeded' && job.buffer.size === 0;
    if (empty) this.root.dataset.empty = 'true';
    else delete this.root.dataset.empty;
    if (isTerminal(job.status) && this.ui.connBadge) this.ui.connBadge.hidden = true;
    this._updateActions();
    this._updateExpiry();
    // the page's queue line (job.html polls it every 15 s) is over once the job has left the queue
    const queueEl = this.doc.getElementById('job-queue');
    if (queueEl && job.status !== 'queued') queueEl.hidden = true;
  }

  /** The server's retention sentence (poseapp/retention.py expiry_parts), as the page renders it. */
  _updateExpiry() {
    const el = this.doc.getElementById('job-expiry');
    const e = this.job.expiry;
    if (!el || !e || e === this._expiryShown) return;
    this._expiryShown = e;
    const parts = [String(e.before || '')];
    if (e.at) {
      const time = this.doc.createElement('time');
      time.dateTime = String(e.at);
      time.dataset.local = '';  // base.html shows it in the reader's time zone
      time.textContent = String(e.at_text || e.at);
      parts.push(time, String(e.after || ''));
    }
    el.replaceChildren(...parts);
  }

  /**
   * The page rendered its buttons for the status it had; follow the job from there. Retry makes a
   * new job from the same upload, which can only help a job that did not succeed for a reason other
   * than the video itself; for those, "Upload another video" takes its place.
   */
  _updateActions() {
    // the job page's server-rendered forms (poseapp/templates/poseapp/job.html), when present
    const cancelForm = this.doc.getElementById('cancel-form');
    const retryForm = this.doc.getElementById('retry-form');
    const ended = isTerminal(this.job.status);
    if (cancelForm) cancelForm.hidden = ended;
    const repeats = ended && this.job.errorRepeats;
    // an upload that was not a usable video is not kept (data-can-retry="false"): nothing to retry
    if (retryForm) {
      retryForm.hidden = !(ended && retryForm.dataset.canRetry !== 'false' && this.job.status !== 'succeeded' && !repeats);
    }
    const another = this.doc.getElementById('upload-another');
    if (another) another.hidden = !repeats;
  }

  connection(state, { connects = 0, delay = 0, code } = {}) {
    const el = this.ui.connBadge;
    let text = '';
    const retry = `retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
    if (state === 'connecting') text = connects ? 'Reconnecting…' : 'Connecting…';
    else if (state === 'open') text = this.job.finished ? '' : 'Live';
    else if (state === 'waiting' && code === TRY_AGAIN_LATER) text = `The server is restarting — ${retry}`;
    else if (state === 'waiting') text = `Connection lost — ${retry}`;
    else if (state === 'closed') text = this.job.finalStatus ? '' : 'Disconnected';
    el.textContent = text;
    el.dataset.state = state;
    el.hidden = !text;
  }

  /** The "waiting for frames" badge over the 3D view while playback is held at the live edge. */
  waiting(on) {
    this.ui.root.classList.toggle('pv-waiting', on);
    if (!on) return;
    const p = this.job.progress;
    const text = this.job.buffer.size
      ? 'Waiting for the next frames…'
      : `Waiting for the first frames${p ? ` — ${progressText(p)}` : '…'}`;
    if (this.ui.waitBadge.textContent !== text) this.ui.waitBadge.textContent = text;
  }

  /**
   * The video panel's note. A video that fails to load while the job runs is (most likely) the
   * browser copy still being made: say so, and the `video` message brings it in. Once the job has
   * ended without one, or a ready copy fails, it cannot be played here.
   */
  videoNote(state) {
    const note = this.ui.videoNote;
    const panel = this.ui.videoPanel;
    if (!note || !panel) return;
    if (state === 'error') {
      const preparing = !this.job.finished && !this.job.videoReady;
      const stopped = this.job.finished && (this.job.status === 'cancelled' || this.job.status === 'failed');
      note.textContent = preparing
        ? 'Preparing a browser copy of the video… showing the 2D keypoints meanwhile.'
        : stopped
          ? `No browser copy of the video: the job ${this.job.status === 'cancelled' ? 'was cancelled' : 'stopped'} before it was made.`
          : 'This video cannot be played in the browser; showing the 2D keypoints only.';
      note.dataset.kind = preparing ? 'preparing' : 'error';
      note.hidden = false;
      panel.classList.add('pv-novideo');
    } else if (state === 'loading' || state === 'ready') {
      note.hidden = true;
      panel.classList.remove('pv-novideo');
    }
  }
}
