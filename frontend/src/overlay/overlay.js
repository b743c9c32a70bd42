// 2D keypoints drawn on a canvas laid over the <video> (object-fit: contain).
import { bonesFromParents, jointSide } from '../model/skeleton.js';
import { containFit, videoToBox, jointOpacities, boneOpacity } from '../view3d/coords.js';

import { PALETTE } from '../generated/tables.js';
import { personColor, personSides } from '../model/people.js';

// 'r,g,b' per side from the palette (ml/palette.py), for rgba() with a per-joint alpha
const rgbOf = (hex) => [(hex >> 16) & 255, (hex >> 8) & 255, hex & 255].join(',');
const CSS = { left: rgbOf(PALETTE.left), right: rgbOf(PALETTE.right), center: rgbOf(PALETTE.center) };

export class KeypointOverlay {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext ? canvas.getContext('2d') : null; // null: nothing to draw on
    this.parents = [];
    this.bones = [];
    this.visible = true;
    this.drawCount = 0;
  }

  setParents(parents) {
    this.parents = parents.slice();
    this.bones = bonesFromParents(parents);
  }

  /** Match the canvas backing store to its CSS box. Returns {w,h} in CSS pixels. */
  _fit() {
    const c = this.canvas;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, c.clientWidth), h = Math.max(1, c.clientHeight);
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { w, h };
  }

  /**
   * Clear the canvas for a video of size vw×vh; `background` fills the letterboxed video area (used
   * when there is no video element). Returns the video → canvas mapping, or null when nothing is drawn.
   */
  _begin(vw, vh, background) {
    if (!this.ctx) return null;
    const { w, h } = this._fit();
    const ctx = this.ctx;
    ctx.clearRect(0, 0, w, h);
    this.drawCount++;
    const fit = containFit(vw, vh, w, h);
    if (background) {
      ctx.fillStyle = background;
      ctx.fillRect(fit.offsetX, fit.offsetY, vw * fit.scale, vh * fit.scale);
    }
    return this.visible ? fit : null;
  }

  /**
   * Draw kp2d ([[x,y,conf]×J] in video pixels) for a video of size vw×vh.
   * `background` fills the letterboxed video area (used when there is no video element);
   * `visible` (J of 0/1, null = all) fades the joints whose position is a guess.
   */
  draw(kp2d, vw, vh, { background = null, visible = null } = {}) {
    const fit = this._begin(vw, vh, background);
    if (fit && Array.isArray(kp2d)) this._inPicture(fit, vw, vh, () => this._skeleton(kp2d, visible, fit, CSS));
  }

  /**
   * Draw inside the video's picture only: a close-up's unsure joints lie below it, and their lines
   * went over the letterbox and the video's own controls (issue 33).
   */
  _inPicture(fit, vw, vh, drawing) {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(fit.offsetX, fit.offsetY, vw * fit.scale, vh * fit.scale);
    ctx.clip();
    try {
      return drawing();
    } finally {
      ctx.restore();
    }
  }

  /**
   * Several people: [{id, kp2d, visible}] each in their colour (people.js personColor) with their
   * id over the head.
   */
  drawPeople(people, vw, vh, { background = null } = {}) {
    const fit = this._begin(vw, vh, background);
    if (!fit) return;
    const labels = [];
    this._inPicture(fit, vw, vh, () => {
      for (const p of people) {
        if (!Array.isArray(p.kp2d)) continue;
        const sides = personSides(p.id);
        const css = { left: rgbOf(sides.left), right: rgbOf(sides.right), center: rgbOf(sides.center) };
        labels.push([p.id, this._skeleton(p.kp2d, p.visible, fit, css, true)]);
      }
    });
    const placed = [];
    for (const [id, pts] of labels) this._label(id, personColor(id), pts, placed); // over every skeleton
  }

  /**
   * The id in a tag of the person's colour, centred over their highest keypoint; moved up past the
   * tags already `placed` (people side by side) so that every id stays readable.
   */
  _label(id, color, pts, placed = []) {
    const shown = pts.filter(Boolean);
    if (!shown.length) return;
    const ctx = this.ctx;
    const top = shown.reduce((a, b) => (b[1] < a[1] ? b : a));
    const x = shown.reduce((s, p) => s + p[0], 0) / shown.length;
    const text = String(id);
    ctx.font = 'bold 12px system-ui, sans-serif';
    const w = Math.max(18, ctx.measureText(text).width + 10), h = 16;
    let y = Math.max(1, top[1] - h - 8);
    const hits = (r) => Math.abs(r.x - x) < (r.w + w) / 2 + 1 && Math.abs(r.y - y) < h + 1;
    for (let k = 0; k < placed.length && placed.some(hits); k++) y -= h + 2;
    placed.push({ x, y, w });
    ctx.fillStyle = `rgb(${rgbOf(color)})`;
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(x - w / 2, y, w, h, 4);
    else ctx.rect(x - w / 2, y, w, h);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#10131a';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, x, y + h / 2 + 0.5);
  }

  /**
   * One skeleton; `css`: 'r,g,b' per side; `small`: size the lines and dots by the skeleton's height
   * on screen (people far from the camera would be hidden under dots made for one person up close).
   * Returns the joints' canvas points (null: missing).
   */
  _skeleton(kp2d, visible, fit, css, small = false) {
    const ctx = this.ctx;
    const pts = kp2d.map((p) =>
      Array.isArray(p) && Number.isFinite(+p[0]) && Number.isFinite(+p[1]) ? videoToBox(p, fit) : null,
    );
    const conf = kp2d.map((p) => (Array.isArray(p) && p.length > 2 ? p[2] : null));
    const opacity = jointOpacities(conf, visible);
    let lw = Math.max(1.5, Math.min(4, fit.scale * 4));
    if (small) {
      const ys = pts.filter(Boolean).map((p) => p[1]);
      const tall = ys.length ? Math.max(...ys) - Math.min(...ys) : 0;
      lw = Math.max(1.5, Math.min(lw, tall / 25));
    }
    ctx.lineCap = 'round';
    ctx.lineWidth = lw;
    for (const [c, p] of this.bones) {
      const a = pts[c], b = pts[p];
      if (!a || !b) continue;
      const op = boneOpacity(opacity, c, p);
      ctx.strokeStyle = `rgba(${css[jointSide(c)]},${op.toFixed(3)})`;
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
    }
    const r = small ? lw : Math.max(2, lw * 1.1);
    pts.forEach((p, j) => {
      if (!p) return;
      const op = opacity ? opacity[j] ?? 1 : 1;
      ctx.fillStyle = `rgba(${css[jointSide(j)]},${op.toFixed(3)})`;
      ctx.strokeStyle = `rgba(0,0,0,${(op * 0.7).toFixed(3)})`;
      ctx.lineWidth = small ? 0.5 : 1;
      ctx.beginPath();
      ctx.arc(p[0], p[1], r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    });
    return pts;
  }
}
