// @vitest-environment happy-dom
// A several-people job in the whole viewer (no WebGL here: NullScene), driven by a fake websocket: the
// people list, focus, hide/show, live chunks and their replay. One-person jobs show no list.
import { describe, it, expect, vi } from 'vitest';
import { frame, mountViewer, useViewerFakes } from './viewerPage.js';
import { FakeSocket } from './fakeSocket.js';

const meta = (extra = {}) => ({ type: 'meta', fps: 10, width: 768, height: 576, frame_count: null, status: 'running', ...extra });
const run = (id, start, m) => ({
  id, start,
  kp2d: Array.from({ length: m }, (_, k) => Array.from({ length: 17 }, (_, j) => [100 * id + j, 200 + start + k, 0.9])),
  kp3d: Array.from({ length: m }, (_, k) => Array.from({ length: 17 }, (_, j) => [1.5 * id, 0.1 * j, 0.01 * (start + k)])),
  visible: Array.from({ length: m }, () => Array(17).fill(1)),
});
const chunk = (start, count, people) => ({ type: 'frames', start, count, cuts: [], people });

const page = (downloads = '{"json":"/jobs/7/download/json","glb":"/jobs/7/download/glb"}') => mountViewer({ downloads });
const chips = () => [...document.querySelectorAll('#viewer .pv-person')];
const chip = (id) => document.querySelector(`#viewer .pv-person[data-id="${id}"]`);

useViewerFakes();

describe('several people in the viewer', () => {
  it('before the first frame the counter says what the job is waiting for', () => {
    page();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    frame(16);
    expect(document.querySelector('#viewer .pv-frame').textContent).toBe('3D after ~1 s of video…');
    s.msg(meta({ people_mode: 'several' }));
    frame(32);
    expect(document.querySelector('#viewer .pv-frame').textContent).toMatch(/^Finding everyone and the ground/);
  });

  it('a one-person job (meta without people_mode) shows no people list', () => {
    page();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    s.msg({ type: 'frames', start: 0, kp2d: [run(1, 0, 1).kp2d[0]], kp3d: [run(1, 0, 1).kp3d[0]] });
    expect(window.poseViewer.peopleMode).toBe('one');
    expect(document.querySelector('#viewer .pv-people').hidden).toBe(true);
    expect(window.poseViewer.pose3d(0)[0]).toEqual([1.5, 0, 0]);
  });

  it('streams people live, lists them, and a replay after a drop adds nothing twice', () => {
    page();
    const pv = window.poseViewer;
    const s0 = FakeSocket.all[0];
    s0.open();
    s0.msg(meta({ people_mode: 'several' }));
    s0.msg(chunk(0, 5, [run(1, 0, 5), run(2, 2, 3)]));
    expect(pv.peopleMode).toBe('several');
    expect(document.querySelector('#viewer .pv-people').hidden).toBe(false);
    expect(chips().map((c) => c.dataset.id)).toEqual(['1', '2']);
    expect(pv.frameCount).toBe(5);
    expect(pv.peopleAt(1)).toEqual([1]);
    expect(pv.peopleAt(3)).toEqual([1, 2]);
    expect(pv.pose3d(3, 2)[0]).toEqual([3, 0, 0.03]);
    s0.msg(chunk(5, 5, [run(2, 5, 5), run(3, 7, 3)])); // person 1 has left, 3 enters
    expect(chips().map((c) => c.dataset.id)).toEqual(['1', '2', '3']);
    // the frame shown decides who reads as absent
    pv.pause();
    pv.seek(8);
    frame(0);
    expect(chip(1).classList.contains('pv-absent')).toBe(true);
    expect(chip(3).classList.contains('pv-absent')).toBe(false);
    expect(document.querySelector('#viewer .pv-people-count').textContent).toBe('2 of 3 in this frame');

    s0.close();
    vi.advanceTimersByTime(1000);
    const s1 = FakeSocket.all[1];
    s1.open();
    expect(s1.sent).toEqual([{ type: 'resume', from: 10 }]);
    s1.msg(meta({ people_mode: 'several' }));
    s1.msg(chunk(0, 5, [run(1, 0, 5), run(2, 2, 3)])); // the replay again
    s1.msg(chunk(5, 5, [run(2, 5, 5), run(3, 7, 3)]));
    expect(pv.frameCount).toBe(10);
    expect(pv.peopleDuplicatesIgnored).toBe(5 + 3 + 5 + 3);
    expect(pv.people).toEqual([1, 2, 3]);
  });

  it('focus from the list, hide and show, Everyone and Escape', () => {
    page();
    const pv = window.poseViewer;
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta({ people_mode: 'several' }));
    s.msg(chunk(0, 4, [run(1, 0, 4), run(2, 0, 4), run(3, 1, 3)]));
    frame(0);
    const all = document.querySelector('#viewer .pv-people-all');
    expect(all.getAttribute('aria-pressed')).toBe('true');
    chip(2).querySelector('.pv-person-focus').click();
    expect(pv.focusedPerson).toBe(2);
    expect(chip(2).querySelector('.pv-person-focus').getAttribute('aria-pressed')).toBe('true');
    expect(all.getAttribute('aria-pressed')).toBe('false');
    // the focused chip again: everyone
    chip(2).querySelector('.pv-person-focus').click();
    expect(pv.focusedPerson).toBe(null);
    // hide 3, then show again
    const hide3 = chip(3).querySelector('.pv-person-hide');
    expect(hide3.textContent).toBe('Hide');
    hide3.click();
    expect(pv.hiddenPeople).toEqual([3]);
    expect(hide3.textContent).toBe('Show');
    expect(chip(3).classList.contains('pv-hidden')).toBe(true);
    hide3.click();
    expect(pv.hiddenPeople).toEqual([]);
    // hiding the person followed: back to everyone
    pv.focusPerson(1);
    chip(1).querySelector('.pv-person-hide').click();
    expect([pv.focusedPerson, pv.hiddenPeople]).toEqual([null, [1]]);
    // focusing a hidden person shows them; Escape frames everyone
    pv.focusPerson(1);
    expect([pv.focusedPerson, pv.hiddenPeople]).toEqual([1, []]);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(pv.focusedPerson).toBe(null);
    all.click();
    expect(pv.focusedPerson).toBe(null);

    s.msg({ type: 'status', status: 'succeeded', message: '', frame_count: 4 });
    const mannequin = document.querySelector('#viewer .pv-figure input[value=mannequin]');
    expect(mannequin.disabled).toBe(true); // no WebGL here anyway: the sentence is tested in people.test.js
    // the per-person formats arrive as zips of one file per person: the links say so
    const labels = [...document.querySelectorAll('#viewer a.pv-dl')].map((a) => a.textContent);
    expect(labels).toEqual(['JSON', 'GLB (rig + mannequin), zip: one per person']);
  });
});
