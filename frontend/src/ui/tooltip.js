// Hover a joint in the 3D view: its name, 2D confidence and 3D position (several people: whose).
export class JointTooltip {
  constructor({ win, ui, job, scene, frame }) {
    Object.assign(this, { win, ui, job, scene, currentFrame: frame });
    this.joint = -1;
    this.person = null; // several people: the id of the joint's person
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
    if (this.job.several) {
      const hit = e ? this.scene.pickPerson(e.clientX, e.clientY) : null;
      this.person = hit ? hit.id : null;
      this.joint = hit ? hit.joint : -1;
      this.ui.view3d.classList.toggle('pv-over-person', !!hit); // a click follows them
    } else {
      this.joint = e ? this.scene.pickJoint(e.clientX, e.clientY) : -1;
    }
    if (this.joint < 0) this.ui.tip.hidden = true;
    else this.refresh(e);
  }

  /** Rewrite the tip for the frame shown (e: a pointer event to place it at; null = stay put). */
  refresh(e = null) {
    const j = this.joint;
    const tip = this.ui.tip;
    if (!(j >= 0)) return;
    const several = this.job.several;
    const buf = several ? this.job.people.track(this.person) : this.job.buffer;
    if (!buf) return;
    const k = this.job.buffer.nearest(this.currentFrame());
    const p3 = buf.kp3d(k)?.[j];
    const p2 = buf.kp2d(k)?.[j];
    const name = (this.job.jointNames[j] || `joint ${j}`).replace(/_/g, ' ');
    const parts = several ? [`Person ${this.person}`, name] : [name];
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
