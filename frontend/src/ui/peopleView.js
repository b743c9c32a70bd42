// The people list of a several-people job: "Everyone", then one chip per person (colour, name) to
// focus and follow them, and a Hide / Show button each. People not in the frame shown are dimmed.
import { personColor } from '../model/people.js';

const css = (hex) => `#${hex.toString(16).padStart(6, '0')}`;
// update() runs on every frame shown: touch the DOM only where something changed
const setText = (el, t) => { if (el.textContent !== t) el.textContent = t; };
const setAttr = (el, k, v) => { if (el.getAttribute(k) !== v) el.setAttribute(k, v); };

export class PeopleView {
  /** `on`: {focus(id | null), hide(id, hidden)}. */
  constructor({ doc, ui, job, on }) {
    Object.assign(this, { doc, ui, job, on });
    this._ids = '';
    this._chips = new Map(); // id -> {box, focus, hide}
    ui.peopleAll.addEventListener('click', () => on.focus(null));
    ui.peopleList.addEventListener('click', (e) => {
      const b = e.target && e.target.closest ? e.target.closest('button') : null;
      const box = b && b.closest('.pv-person');
      if (!box) return;
      const id = Number(box.dataset.id);
      // the focused person's chip again: back to everyone
      if (b.classList.contains('pv-person-focus')) on.focus(this.job.people.focused === id ? null : id);
      else if (b.classList.contains('pv-person-hide')) on.hide(id, !this.job.people.isHidden(id));
    });
  }

  _rebuild(ids) {
    const { doc, ui } = this;
    ui.peopleList.textContent = '';
    this._chips.clear();
    for (const id of ids) {
      const box = doc.createElement('span');
      box.className = 'pv-person';
      box.dataset.id = String(id);
      box.style.setProperty('--pv-person', css(personColor(id)));
      const focus = doc.createElement('button');
      focus.type = 'button';
      focus.className = 'pv-btn pv-person-focus';
      focus.title = `Follow person ${id} with the camera`;
      const swatch = doc.createElement('span');
      swatch.className = 'pv-swatch';
      swatch.setAttribute('aria-hidden', 'true');
      focus.append(swatch, doc.createTextNode(`Person ${id}`));
      const hide = doc.createElement('button');
      hide.type = 'button';
      hide.className = 'pv-btn pv-person-hide';
      box.append(focus, hide);
      ui.peopleList.appendChild(box);
      this._chips.set(id, { box, focus, hide });
    }
  }

  /** Bring the list up to date with the job's people and the frame shown (f). */
  update(f) {
    const job = this.job;
    this.ui.people.hidden = !job.several;
    if (!job.several) return;
    const people = job.people;
    const ids = people.ids;
    if (ids.join(',') !== this._ids) {
      this._ids = ids.join(',');
      this._rebuild(ids);
    }
    const here = new Set(people.presentAt(f));
    setAttr(this.ui.peopleAll, 'aria-pressed', String(people.focused == null));
    for (const [id, c] of this._chips) {
      const hidden = people.isHidden(id);
      if (c.box.classList.contains('pv-absent') === here.has(id)) c.box.classList.toggle('pv-absent', !here.has(id));
      if (c.box.classList.contains('pv-hidden') !== hidden) c.box.classList.toggle('pv-hidden', hidden);
      setAttr(c.focus, 'aria-pressed', String(people.focused === id));
      const action = hidden ? 'Show' : 'Hide';
      setText(c.hide, action);
      setAttr(c.hide, 'title', `${action} person ${id}`);
      setAttr(c.hide, 'aria-label', `${action} person ${id}`);
    }
    setText(this.ui.peopleCount, `${here.size} of ${ids.length} in this frame`);
  }
}
