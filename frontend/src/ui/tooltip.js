// Hover a joint in the 3D view: its name, 2D confidence and 3D position.
export class JointTooltip {
  constructor({ win, ui, job, scene, frame }) {
    Object.assign(this, { win, ui, job, scene, currentFrame: frame });
    this.joint = -1;
    let pending = null, queued = false;
    ui.view3d.addEventListener('pointermove', (e) => {
      if (e.buttons) { ui.tip.hidden = true; return; }
      pending = e;
      if (queued) return;
      queued = true;
      win.requestAnimationFrame(() => {
        queued = false;
        this._hover(pending);
      });
    });
    ui.view3d.addEventListener('pointerleave', () => {
      this.joint = -1;
      ui.tip.hidden = true;
    });
  }

  _hover(e) {
    const j = e ? this.scene.pickJoint(e.clientX, e.clientY) : -1;
    this.joint = j;
    if (j < 0) this.ui.tip.hidden = true;
    else this.refresh(e);
  }

  /** Rewrite the tip for the frame shown (e: a pointer event to place it at; null = stay put). */
  refresh(e = null) {
    const j = this.joint;
    const tip = this.ui.tip;
    if (!(j >= 0)) return;
    const buf = this.job.buffer;
    const k = buf.nearest(this.currentFrame());
    const p3 = buf.kp3d(k)?.[j];
    const p2 = buf.kp2d(k)?.[j];
    const name = (this.job.jointNames[j] || `joint ${j}`).replace(/_/g, ' ');
    const parts = [name];
    if (Array.isArray(p2) && p2.length > 2 && p2[2] != null) parts.push(`confidence ${(+p2[2]).toFixed(2)}`);
    if (Array.isArray(p3)) parts.push(`(${p3.map((v) => (+v).toFixed(2)).join(', ')}) m`);
    if (buf.visible(k)?.[j] === 0) parts.push('not visible: 3D guessed');
    tip.textContent = parts.join(' · ');
    if (e) {
      const r = this.ui.panel3d.getBoundingClientRect();
      tip.style.left = `${Math.min(e.clientX - r.left + 12, r.width - 200)}px`;
      tip.style.top = `${Math.max(4, e.clientY - r.top - 30)}px`;
    }
    tip.hidden = false;
  }
}
