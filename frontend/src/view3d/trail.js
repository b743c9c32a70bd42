// The root's path on the floor: one slot per frame index (frames arrive out of order and twice),
// drawn as a line over a window of frames.
import * as THREE from 'three';

export class Trail {
  constructor(color) {
    this.geometry = new THREE.BufferGeometry();
    this._capacity = 0;
    this._filled = []; // slot i holds frame i's root
    this._last = -1; // the highest slot filled
    this._grow(4096);
    this.geometry.setDrawRange(0, 0);
    this.line = new THREE.Line(this.geometry, new THREE.LineBasicMaterial({ color, transparent: true, opacity: 0.85 }));
    this.line.frustumCulled = false;
  }

  _grow(min) {
    let cap = Math.max(this._capacity, 1024);
    while (cap < min) cap *= 2;
    if (cap === this._capacity) return;
    const arr = new Float32Array(cap * 3);
    const old = this.geometry.getAttribute('position');
    if (old) arr.set(old.array);
    const attr = new THREE.BufferAttribute(arr, 3);
    attr.setUsage(THREE.DynamicDrawUsage);
    this.geometry.setAttribute('position', attr);
    this._capacity = cap;
  }

  /** Record frame i's root position [x,y,z] (projected on the floor). */
  setPoint(i, p) {
    if (!Array.isArray(p) || !(i >= 0)) return;
    this._grow(i + 1);
    const a = this.geometry.getAttribute('position');
    const put = (k) => {
      a.array[3 * k] = +p[0];
      a.array[3 * k + 1] = 0.004;
      a.array[3 * k + 2] = +p[2];
    };
    put(i);
    this._filled[i] = true;
    if (i > this._last) this._last = i;
    // a gap before i (frames not here yet): hold this point so that the line never jumps to 0,0
    for (let k = i - 1; k >= 0 && !this._filled[k]; k--) put(k);
    a.needsUpdate = true;
  }

  /** Forget every point (several people: another person is followed). */
  clear() {
    this._filled = [];
    this._last = -1;
    this.geometry.setDrawRange(0, 0);
  }

  /** Draw frames from..k (never past the last point: a person who has left); returns how many points are drawn. */
  showUpTo(k, from = 0) {
    const end = Math.max(0, Math.min(k + 1, this._capacity, this._last + 1));
    const start = Math.max(0, Math.min(from, end));
    const n = end - start;
    const r = this.geometry.drawRange;
    if (r.start !== start || r.count !== n) this.geometry.setDrawRange(start, n);
    return n;
  }

  get count() {
    return this.geometry.drawRange.count;
  }
}
