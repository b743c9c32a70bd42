// Links to a moment (#t=12.5 or #f=300): open the page there, and copy one for the frame shown.
import { parseMomentHash, momentHash } from '../model/hashlink.js';
import { timeToFrame } from '../playback/sync.js';

export class MomentLinks {
  /** `onArrive(frame)`: the pending moment's frame has arrived; show it. */
  constructor({ win, ui, job, frame, onArrive }) {
    Object.assign(this, { win, ui, job, currentFrame: frame, onArrive });
    this.pending = parseMomentHash(win.location.hash);
    win.addEventListener('hashchange', () => {
      const m = parseMomentHash(win.location.hash);
      if (m) {
        this.pending = m;
        this.apply();
      }
    });
  }

  /** Go to the pending moment once its frame is here (or the job is over). */
  apply() {
    const m = this.pending;
    if (!m) return;
    const f = m.frame != null ? m.frame : timeToFrame(m.time, this.job.fps);
    if (f < this.job.available || (this.job.complete && this.job.available > 0)) {
      this.pending = null;
      this.onArrive(f);
    }
  }

  link() {
    const h = momentHash(this.currentFrame(), this.job.fps);
    const loc = this.win.location;
    return `${loc.origin}${loc.pathname}${loc.search}${h}`;
  }

  copy() {
    const url = this.link();
    const h = url.slice(url.indexOf('#'));
    try {
      this.win.history.replaceState(null, '', h);
    } catch (_) {
      /* ignore */
    }
    const note = (text) => {
      this.ui.linkNote.textContent = text;
      this.ui.linkNote.hidden = false;
    };
    const done = () => {
      this.ui.linkBtn.dataset.copied = 'true';
      note('Link copied');
      setTimeout(() => {
        this.ui.linkNote.hidden = true;
      }, 1800);
    };
    if (this.win.navigator.clipboard && this.win.isSecureContext) {
      this.win.navigator.clipboard.writeText(url).then(done, () => note('Link in the address bar'));
    } else {
      note('Link in the address bar');
    }
    return url;
  }
}
