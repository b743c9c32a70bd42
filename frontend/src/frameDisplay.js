// Puts a frame on screen: the 3D pose (faded where it is a guess), the mannequin, the trail and
// the 2D overlay; for a several-people job every person shown, in their colours. It redraws when the frame changes or something invalidated the picture (a
// layout change, a toggle, new data for the frame shown) — one flag instead of a magic frame -1.
import { jointOpacities, lerpPose } from './view3d/coords.js';

const NO_VIDEO_BACKGROUND = '#2a2f38'; // a touch lighter than the 3D view's background

/** Per-joint opacity of a pose from its 2D confidences and visibility flags (coords.js jointOpacities). */
function poseOpacities(kp2d, visible) {
  const conf = Array.isArray(kp2d) ? kp2d.map((p) => (Array.isArray(p) && p.length > 2 ? p[2] : null)) : null;
  return jointOpacities(conf, visible);
}

export class FrameDisplay {
  constructor({ job, scene, figure, overlay, video, onDrawn = () => {} }) {
    Object.assign(this, { job, scene, figure, overlay, video, onDrawn });
    this.shown = -1; // the frame on screen
    this.stale = true;
    this._opacity = null;
    this._people = null; // several people: who is drawn at the frame shown, with their opacities
    this._smoothed = false;
  }

  /** Something besides the frame number changed: redraw at the next animation frame. */
  invalidate() {
    this.stale = true;
  }

  /** Once per animation frame: draw frame f if needed, then blend the 3D pose towards f + fraction. */
  update(f, fraction) {
    if (f !== this.shown || this.stale) this.draw(f);
    this._smooth(f, fraction);
  }

  draw(f) {
    const buf = this.job.buffer;
    const k = buf.has(f) ? f : buf.nearest(f);
    this.shown = f;
    this.stale = false;
    if (k < 0) return;
    this._smoothed = false;
    // the path walked over the last 20 s (several people: the followed person's)
    const trail = () => this.scene.showTrailUpTo(k, k - Math.round(20 * this.job.fps));
    const v = this.video.el;
    const vw = this.job.width || (v && v.videoWidth) || 16;
    const vh = this.job.height || (v && v.videoHeight) || 9;
    const background = this.video.usable ? null : NO_VIDEO_BACKGROUND;
    if (this.job.several) {
      const people = this.job.people;
      this._people = people.shownAt(k).map((p) => ({ ...p, opacity: poseOpacities(p.kp2d, p.visible) }));
      this.scene.setPeople(this._people, people.focused);
      trail();
      this.overlay.drawPeople(this._people, vw, vh, { background });
      this.onDrawn(k);
      return;
    }
    const kp3d = buf.kp3d(k);
    const kp2d = buf.kp2d(k);
    const visible = buf.visible(k);
    this._opacity = poseOpacities(kp2d, visible); // joints whose 3D is a guess are faded
    this.scene.setPose(kp3d, this._opacity);
    this.figure.show(f, this.job.fps); // the GLB has one key per video frame: the frame shown, not k
    trail();
    this.overlay.draw(kp2d, vw, vh, { background, visible });
    this.onDrawn(k);
  }

  /**
   * While playing, draw the 3D pose between the current frame and the next one (where the clock
   * really is), so that slow motion and low-fps clips move smoothly. The frame number, the 2D
   * overlay and the video stay on whole frames. Only where whole frames would look choppy (under
   * ~20 updates a second, decided by the caller): no extra renders otherwise.
   */
  _smooth(f, fraction) {
    const frac = fraction > 0.02 && fraction < 1 ? fraction : 0;
    if (!frac && !this._smoothed) return;
    if (this.job.several) {
      this._smoothPeople(f, frac);
      return;
    }
    const buf = this.job.buffer;
    // never blend across a scene cut: the next frame is another shot
    const a = buf.kp3d(f), b = buf.isCut(f + 1) ? null : buf.kp3d(f + 1);
    if (!a) return;
    this.scene.setPose(frac && b ? lerpPose(a, b, frac) : a, this._opacity);
    this.figure.show(frac && b ? f + frac : f, this.job.fps);
    this._smoothed = !!(frac && b);
  }

  /** The same for each person drawn: towards their own next frame (not across a cut). */
  _smoothPeople(f, frac) {
    const buf = this.job.buffer, people = this.job.people;
    if (!this._people || !buf.has(f)) return;
    const cut = buf.isCut(f + 1);
    let blended = false;
    const list = this._people.map((p) => {
      const b = frac && !cut ? people.track(p.id).kp3d(f + 1) : null;
      if (!b) return p;
      blended = true;
      return { ...p, kp3d: lerpPose(p.kp3d, b, frac) };
    });
    this.scene.setPeople(list, people.focused);
    this._smoothed = blended;
  }
}
