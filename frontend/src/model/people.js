// The people of a several-people job (docs/websocket.md, result format version 2): one FrameBuffer
// per person id (so a chunk that comes twice is de-duplicated by person and frame, as frames are),
// and what the viewer does with them: which person the camera follows (focus) and who is hidden.
// No DOM, no three.js.
import { FrameBuffer } from './frameBuffer.js';
import { PERSON_COLORS } from './personPalette.js';

/** A person's colour (0xRRGGBB): ids (1-based, stable over the job) cycle through the one palette. */
export function personColor(id, palette = PERSON_COLORS) {
  const n = palette.length;
  const k = Math.round(Number(id)) - 1;
  return palette[((k % n) + n) % n];
}

/** The colour moved towards white (t > 0) or black (t < 0). */
export function shade(hex, t) {
  const ch = (s) => {
    const v = (hex >> s) & 255;
    return Math.round(t >= 0 ? v + (255 - v) * t : v * (1 + t));
  };
  return (ch(16) << 16) | (ch(8) << 8) | ch(0);
}

/** A person's skeleton colours by side: their colour, lighter on the left, darker on the right. */
export function personSides(id) {
  const c = personColor(id);
  return { left: shade(c, 0.35), right: shade(c, -0.3), center: c };
}

export class People {
  constructor() {
    this.clear();
  }

  clear() {
    this._tracks = new Map(); // id -> FrameBuffer of that person's frames
    this._ids = null; // sorted cache
    this.hidden = new Set();
    this.focused = null; // the id the camera follows, null = everyone in view
  }

  /** Person ids seen so far, ascending (ids are numbered in order of first appearance). */
  get ids() {
    if (!this._ids) this._ids = [...this._tracks.keys()].sort((a, b) => a - b);
    return this._ids.slice();
  }

  get size() {
    return this._tracks.size;
  }

  /** Frames received again for a person and ignored (a chunk replayed). */
  get duplicates() {
    let n = 0;
    for (const t of this._tracks.values()) n += t.duplicates;
    return n;
  }

  /** A person's frames (FrameBuffer), or null for an id never seen. */
  track(id) {
    return this._tracks.get(Number(id)) || null;
  }

  /**
   * Add a chunk's `people` list: [{id, start, kp2d, kp3d, visible}], `start` being the first frame of
   * that person's run within the chunk. Entries without a usable id or start are skipped. Returns
   * [{id, added: frame indices new for that person}] for the people that got new frames.
   */
  addChunk(people, provisional = false) {
    const out = [];
    if (!Array.isArray(people)) return out;
    for (const p of people) {
      const id = Number(p && p.id), start = Number(p && p.start);
      if (!Number.isInteger(id) || !Number.isInteger(start) || start < 0) continue;
      let t = this._tracks.get(id);
      if (!t) {
        t = new FrameBuffer();
        this._tracks.set(id, t);
        this._ids = null;
      }
      const added = t.addChunk(start, p.kp2d, p.kp3d, p.visible, null, 0, provisional);
      if (added.length) out.push({ id, added });
    }
    return out;
  }

  /** Ids of the people in frame i (hidden ones included). */
  presentAt(i) {
    return this.ids.filter((id) => this._tracks.get(id).has(i));
  }

  /** The people drawn at frame i: [{id, kp2d, kp3d, visible}] of those present and not hidden. */
  shownAt(i) {
    const out = [];
    for (const id of this.ids) {
      if (this.hidden.has(id)) continue;
      const f = this._tracks.get(id).get(i);
      if (f) out.push({ id, kp2d: f.kp2d, kp3d: f.kp3d, visible: f.visible });
    }
    return out;
  }

  /** First and one-past-last frame received for a person ({start, end}), or null. */
  range(id) {
    const t = this.track(id);
    if (!t || !t.size) return null;
    return { start: t.nearest(0), end: t.maxIndex + 1 };
  }

  isHidden(id) {
    return this.hidden.has(Number(id));
  }

  /** Hide or show a person. Hiding the focused person lets the camera take in everyone again. */
  setHidden(id, hidden) {
    const k = Number(id);
    if (hidden) {
      this.hidden.add(k);
      if (this.focused === k) this.focused = null;
    } else {
      this.hidden.delete(k);
    }
  }

  /** Follow one person (null: everyone). A hidden person who is focused is shown. Returns the focus. */
  focus(id) {
    const k = id == null ? null : Number(id);
    if (k == null || !this._tracks.has(k)) {
      this.focused = null;
    } else {
      this.focused = k;
      this.hidden.delete(k);
    }
    return this.focused;
  }

  /** The buffers the camera should frame: the focused person's, else everyone shown (all when all are hidden). */
  framingTracks() {
    if (this.focused != null) return [this._tracks.get(this.focused)];
    const shown = this.ids.filter((id) => !this.hidden.has(id));
    return (shown.length ? shown : this.ids).map((id) => this._tracks.get(id));
  }
}
