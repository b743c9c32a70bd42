// Where the 3D camera looks: the whole path walked, or the person when following the root; glides
// when the path outgrows the view (unless the user has taken the camera); camera presets. Several
// people: the person focused is framed and followed like the one person; nobody focused, the group
// nearest the video camera is framed (everyone is drawn).
import { poseBounds, unionBounds, estimateFloor } from './coords.js';
import { ROOT_JOINT } from '../model/skeleton.js';

// 'front' looks along the video camera's axis (the world's +Z points at the camera), 'side' from
// the person's right, 'top' from above; anything else ('free') leaves the camera alone.
const PRESETS = { front: [0, 0.12, 1], side: [1, 0.12, 0], top: [0, 1, 0.02] };

export const PRESET_GLIDE_MS = 350;
const GROUP_VIEW = [0.25, 0.55, 1]; // from in front of the group and above, a little to the side
const NEAR_GROUP_MAX = 3;       // people framed together by default (several people, nobody followed)
const NEAR_GROUP_RADIUS_M = 8;  // ... around the person nearest the video camera
const GROUP_MIN_SPAN_M = 3;     // a group of one is still framed with some floor around them
const GROUP_MARGIN = 1.3; // a group's box fills the view (frameBoxTight), with this much room around it

/** [x, z] of a pose's root joint (0, 0 when missing). */
function rootXZ(pose) {
  const r = Array.isArray(pose) ? pose[ROOT_JOINT] : null;
  return Array.isArray(r) && Number.isFinite(+r[0]) && Number.isFinite(+r[2]) ? [+r[0], +r[2]] : [0, 0];
}

export class CameraFraming {
  /** `frame()`: the frame on screen now. */
  constructor({ job, scene, frame }) {
    Object.assign(this, { job, scene, currentFrame: frame });
    this.userMovedCamera = false;
    this._framedBounds = null;
    scene.controls.addEventListener('start', () => {
      this.userMovedCamera = true;
    });
  }

  /**
   * From (a sample of) every received pose: `bounds` of everything (the whole path walked),
   * `person` = the union of the poses relative to their root's floor position (a person-sized box
   * that still holds every pose), and the floor height they imply.
   */
  _allBounds() {
    let b = null, person = null;
    const poses = [];
    for (const buf of this._tracks()) {
      const idx = buf.receivedIndices();
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
    }
    return { bounds: b, person, floor: estimateFloor(poses) };
  }

  /** The frame buffers to frame: the one person's, or the people's (people.js framingTracks). */
  _tracks() {
    return this.job.several ? this.job.people.framingTracks() : [this.job.buffer];
  }

  /** The camera follows a person: the one person, or the person focused among several. */
  _following() {
    return this.scene.followRoot && (!this.job.several || this.job.people.focused != null);
  }

  /** The person-sized box placed at the current frame's root (of the person followed). */
  _personBoundsNow(person) {
    if (!person) return null;
    const buf = this._tracks()[0];
    if (!buf) return null;
    const r = rootXZ(buf.kp3d(buf.nearest(this.currentFrame())));
    return { min: [person.min[0] + r[0], person.min[1], person.min[2] + r[1]], max: [person.max[0] + r[0], person.max[1], person.max[2] + r[1]] };
  }

  /**
   * What the camera should frame: the person when following the root, else the whole path; several
   * people with nobody followed: the group nearest the camera in the frame on screen (the paths of a crowd cover
   * a whole street, where each person would be a few pixels tall).
   */
  _target() {
    const all = this._allBounds();
    if (this._following()) return { ...all, target: this._personBoundsNow(all.person) };
    const now = this.job.several && this.job.people.focused == null ? this._groupNow() : null;
    // a group: its box fills the view (its bounding sphere is much larger than what it covers on screen)
    return { ...all, target: now || all.bounds, margin: now ? GROUP_MARGIN : undefined, tight: !!now };
  }

  /**
   * Several people, nobody followed: bounds of the group nearest the video camera in the frame on
   * screen, or null. Everyone is drawn, but a crowd spread over a street framed whole leaves each
   * person a few pixels tall (issue 33); the people nearest the camera (the largest in the video:
   * the scene's camera stands above x = z = 0) are the ones whose poses can be seen. A click on
   * anyone else follows them.
   */
  _groupNow() {
    const k = this.job.buffer.nearest(this.currentFrame());
    const shown = this.job.people.shownAt(k).map((p) => ({ p, r: rootXZ(p.kp3d) }));
    if (!shown.length) return null;
    shown.sort((a, b) => Math.hypot(...a.r) - Math.hypot(...b.r));
    const near = shown[0].r;
    let b = null;
    for (const { p, r } of shown.filter((q) => Math.hypot(q.r[0] - near[0], q.r[1] - near[1]) <= NEAR_GROUP_RADIUS_M)
      .slice(0, NEAR_GROUP_MAX)) b = unionBounds(b, poseBounds(p.kp3d));
    if (!b) return null;
    for (const k of [0, 2]) {
      const pad = Math.max(0, GROUP_MIN_SPAN_M - (b.max[k] - b.min[k])) / 2;
      b = { min: b.min.map((v, i) => (i === k ? v - pad : v)), max: b.max.map((v, i) => (i === k ? v + pad : v)) };
    }
    return b;
  }

  /**
   * Frame the person (following) or everything so far (not following).
   * `initial`: first framing (jump); otherwise glide, and only if the user has not taken over.
   */
  autoFrame(initial) {
    const { bounds, floor, target, margin, tight } = this._target();
    if (!bounds) return;
    this.scene.setFloorY(Math.abs(floor) > 0.15 ? floor : 0);
    if (initial || !this.userMovedCamera) {
      // several people: first seen from the video camera's side, so that left and right match the video
      const direction = initial && this.job.several && !this.scene.framedOnce ? GROUP_VIEW : null;
      this.scene.frame(target, { animate: !initial, direction, margin, tight });
      this._framedBounds = margin ? target : bounds; // a group: what was framed is the group of that frame
    }
  }

  /** Frames arrived: the first framing, or a glide when the path outgrows the view (not following). */
  framesArrived() {
    if (!this.scene.framedOnce) {
      this.autoFrame(true);
      return;
    }
    // several people, nobody followed: framed on the people of a frame (Everyone / Reset view re-frame)
    if (this.userMovedCamera || this._following() || this.job.several || !this._framedBounds) return;
    const { bounds } = this._allBounds();
    if (!bounds) return;
    const fb = this._framedBounds;
    const grow = [0, 1, 2].some((k) => bounds.min[k] < fb.min[k] - 0.3 || bounds.max[k] > fb.max[k] + 0.3);
    if (grow) this.autoFrame(false);
  }

  /**
   * A frame was drawn. Several people with nobody followed: when the people of this frame have walked
   * (or come) out of the box last framed, glide to take them all in again, unless the user has the camera.
   */
  frameShown() {
    if (!this.job.several || this.job.people.focused != null || this.userMovedCamera || this.scene.animating) return;
    const now = this._groupNow(), fb = this._framedBounds;
    if (!now || !fb) return;
    if ([0, 2].some((k) => now.min[k] < fb.min[k] - 0.5 || now.max[k] > fb.max[k] + 0.5)) this.autoFrame(false);
  }

  jobFinished() {
    if (!this.userMovedCamera && !this._following()) this.autoFrame(false);
  }

  /**
   * Several people: the focus changed (or who is shown): glide to the person now followed, or to
   * the group nearest the camera. The user asked for it, so it also takes the camera back from them.
   */
  focusChanged() {
    this.userMovedCamera = false;
    if (this.job.buffer.size) this.autoFrame(false);
  }

  /** A camera preset; returns the name the view select should show ('free' for none). */
  setView(name) {
    const dir = PRESETS[name];
    if (!dir) return 'free';
    const all = this._allBounds();
    const now = this.job.several && this.job.people.focused == null ? this._groupNow() : null;
    const target = now || this._personBoundsNow(all.person);
    // a preset is asked for: glide, but be there well within half a second (PRESET_GLIDE_MS)
    this.scene.frame(target, { animate: true, direction: dir, duration: PRESET_GLIDE_MS, margin: now ? GROUP_MARGIN : undefined,
      tight: !!now });
    this.userMovedCamera = true; // keep this view while frames arrive
    return name;
  }

  resetView() {
    this.userMovedCamera = false;
    if (!this.job.buffer.size) {
      this.scene.frame(null, { animate: true, keepDirection: false });
      return;
    }
    const { bounds, target, margin, tight } = this._target();
    this.scene.frame(target, { animate: true, keepDirection: false, margin, tight });
    this._framedBounds = margin ? target : bounds;
  }
}
