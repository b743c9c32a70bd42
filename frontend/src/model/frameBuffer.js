// Frames received over the websocket, by frame index, each kept exactly once, with each frame's
// joint visibility and the scene cuts (shot starts) the chunks announced.

export class FrameBuffer {
  constructor() {
    this.clear();
  }

  clear() {
    this._kp2d = [];
    this._kp3d = [];
    this._visible = []; // per frame: 17 of 0/1, or null = every joint visible (older streams)
    this._has = [];
    this._provisional = []; // frames from a `provisional` chunk: the final chunk for them replaces them
    this._cuts = new Set();
    this._cutsCache = null;
    this._size = 0;
    this._contiguous = 0; // frames 0 .. contiguous-1 are all present
    this._maxIndex = -1;
    this._sortedCache = null;
    this.duplicates = 0; // frames received again and ignored
  }

  /** Number of distinct frames received. */
  get size() {
    return this._size;
  }

  /** Length of the gap-free run starting at frame 0 (the next frame a resume should ask for). */
  get contiguousEnd() {
    return this._contiguous;
  }

  /** Highest frame index received, -1 when empty. */
  get maxIndex() {
    return this._maxIndex;
  }

  has(i) {
    return this._has[i] === true;
  }

  /** Frame i is a provisional first look, not yet replaced by its final frame. */
  isProvisional(i) {
    return this.has(i) && this._provisional[i] === true;
  }

  get(i) {
    if (!this.has(i)) return null;
    return { index: i, kp2d: this._kp2d[i], kp3d: this._kp3d[i], visible: this._visible[i] };
  }

  /** Frame i's per-joint visibility (0/1), or null when every joint is visible (or i is missing). */
  visible(i) {
    return this.has(i) ? this._visible[i] : null;
  }

  /** Sorted frame indices where a new shot starts (never 0). */
  get cuts() {
    if (!this._cutsCache) this._cutsCache = [...this._cuts].sort((a, b) => a - b);
    return this._cutsCache.slice();
  }

  isCut(i) {
    return this._cuts.has(i);
  }

  /** Record scene cuts; invalid entries and 0 (the first shot's start is no cut) are ignored. Returns the new ones. */
  addCuts(cuts) {
    const added = [];
    if (!Array.isArray(cuts)) return added;
    for (const c of cuts) {
      const i = Number(c);
      if (!Number.isInteger(i) || i <= 0 || this._cuts.has(i)) continue;
      this._cuts.add(i);
      added.push(i);
    }
    if (added.length) this._cutsCache = null;
    return added;
  }

  kp3d(i) {
    return this.has(i) ? this._kp3d[i] : null;
  }

  kp2d(i) {
    return this.has(i) ? this._kp2d[i] : null;
  }

  /**
   * Add a run of consecutive frames starting at `start`. Either array may be missing (null);
   * a frame counts as received when at least one of them covers it. Frames already present are
   * ignored (first copy wins). `visible` (n × 17 of 0/1) and `cuts` (frame indices) may be missing:
   * older messages mean every joint visible and no cuts. `count`: the chunk's length where no array
   * gives it (a several-people chunk: its frames are received even where nobody is in them).
   * `provisional`: a first look sent before the final frames (docs/websocket.md); a later chunk
   * (final, or a newer provisional one) replaces such frames, and a provisional chunk never replaces
   * a final frame. Returns the indices newly added or replaced.
   */
  addChunk(start, kp2d, kp3d, visible = null, cuts = null, count = 0, provisional = false) {
    const s = Number(start);
    if (!Number.isInteger(s) || s < 0) throw new Error(`bad chunk start: ${start}`);
    const a2 = Array.isArray(kp2d) ? kp2d : [];
    const a3 = Array.isArray(kp3d) ? kp3d : [];
    const vis = Array.isArray(visible) ? visible : [];
    this.addCuts(cuts);
    const n = Math.max(a2.length, a3.length, Number(count) > 0 ? Math.floor(Number(count)) : 0);
    const added = [];
    for (let k = 0; k < n; k++) {
      const i = s + k;
      const replaces = this._has[i] && this._provisional[i];
      if (this._has[i] && !replaces) {
        if (!provisional) this.duplicates++;
        continue;
      }
      this._kp2d[i] = a2[k] ?? null;
      this._kp3d[i] = a3[k] ?? null;
      this._visible[i] = normaliseVisible(vis[k]);
      this._provisional[i] = Boolean(provisional);
      added.push(i);
      if (replaces) continue;
      this._has[i] = true;
      this._size++;
      if (i > this._maxIndex) this._maxIndex = i;
    }
    if (added.length) {
      this._sortedCache = null;
      while (this._has[this._contiguous]) this._contiguous++;
    }
    return added;
  }

  /** Sorted array of every distinct frame index received. */
  receivedIndices() {
    if (!this._sortedCache) {
      const out = [];
      for (let i = 0; i <= this._maxIndex; i++) if (this._has[i]) out.push(i);
      this._sortedCache = out;
    }
    return this._sortedCache.slice();
  }

  /** Nearest received frame at or before i (or after, if none before); -1 when empty. */
  nearest(i) {
    if (this._size === 0) return -1;
    const c = Math.max(0, Math.min(Math.round(i), this._maxIndex));
    for (let k = c; k >= 0; k--) if (this._has[k]) return k;
    for (let k = c + 1; k <= this._maxIndex; k++) if (this._has[k]) return k;
    return -1;
  }
}

/** A frame's visibility as 0/1 per joint, or null when there is none or every joint is visible. */
function normaliseVisible(v) {
  if (!Array.isArray(v)) return null;
  const out = v.map((x) => (x === 0 || x === false ? 0 : 1));
  return out.includes(0) ? out : null;
}
