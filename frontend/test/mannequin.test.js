// @vitest-environment happy-dom
// Skeleton | Mannequin: frame -> clip time, the toggle's rules, load errors, and the mixer being put
// on the viewer's frame (never free-running), on a stand-in for the GLB (no WebGL, no loader here).
import { describe, it, expect } from 'vitest';
import * as THREE from 'three';
import { clipTime, toggleState, loadErrorMessage, Mannequin, FigureSwitch, LOADING_TEXT } from '../src/view3d/mannequin.js';
import { buildUI } from '../src/ui/dom.js';

const FPS = 10;

/** What GLTFLoader gives for our GLB, reduced to one bone: Hips moving +x 0.1 m per frame, 5 keys. */
function fakeGltf(frames = 5) {
  const scene = new THREE.Group();
  const hips = new THREE.Bone();
  hips.name = 'Hips';
  scene.add(hips);
  const times = Array.from({ length: frames }, (_, i) => i / FPS);
  const values = times.flatMap((_, i) => [0.1 * i, 0.9, 0]);
  const clip = new THREE.AnimationClip('motion', -1, [new THREE.VectorKeyframeTrack('Hips.position', times, values)]);
  return { scene, animations: [clip], hips };
}

function httpError(status) {
  const err = new Error(`fetch for "/x.glb" responded with ${status}: Not Found`);
  err.response = { status };
  return err;
}

describe('clipTime', () => {
  it('is frame / fps, never below 0 or past the clip (no wrap to frame 0 at the end)', () => {
    expect(clipTime(0, 25)).toBe(0);
    expect(clipTime(50, 25)).toBe(2);
    expect(clipTime(12.5, 25)).toBeCloseTo(0.5);
    expect(clipTime(-3, 25)).toBe(0);
    expect(clipTime(119, 10, 11.9)).toBeCloseTo(11.9);
    expect(clipTime(500, 10, 11.9)).toBeCloseTo(11.9);
    expect(clipTime(5, 0)).toBe(0);
    expect(clipTime(NaN, 25)).toBe(0);
  });
});

describe('toggleState', () => {
  it('is enabled only for a succeeded job with a GLB URL, with a tooltip that says why not', () => {
    for (const status of ['queued', 'running', 'loading']) {
      const s = toggleState({ status, glbUrl: '/jobs/1/download/glb' });
      expect(s.enabled).toBe(false);
      expect(s.title).toBe('The mannequin is available when the job has finished.');
    }
    expect(toggleState({ status: 'failed', glbUrl: '/g' }).enabled).toBe(false);
    expect(toggleState({ status: 'succeeded', glbUrl: '' })).toEqual({ enabled: false, title: 'This job has no mannequin file.' });
    expect(toggleState({ status: 'succeeded', glbUrl: '/g', webgl: false }).title).toMatch(/WebGL/);
    expect(toggleState({ status: 'succeeded', glbUrl: '/g' }).enabled).toBe(true);
  });
});

describe('loadErrorMessage', () => {
  it('is one sentence for each kind of failure, never the error text itself', () => {
    expect(loadErrorMessage(httpError(404))).toBe(
      'The mannequin could not be loaded: the file was not found (jobs processed before the GLB export have none). Showing the skeleton.');
    expect(loadErrorMessage(httpError(500))).toMatch(/server answered 500\. Showing the skeleton\.$/);
    expect(loadErrorMessage(new SyntaxError('Unexpected token g in JSON at position 0'))).toMatch(/not a usable GLB/);
    expect(loadErrorMessage(new TypeError('Failed to fetch'))).toMatch(/download failed/);
    expect(loadErrorMessage(undefined)).toMatch(/^The mannequin could not be loaded/);
  });
});

describe('Mannequin', () => {
  it('loads once, adds the scene hidden, and poses the rig at frame / fps whenever asked', async () => {
    const parent = new THREE.Scene();
    const g = fakeGltf();
    let loads = 0;
    const m = new Mannequin(parent, { load: async (url) => { loads++; expect(url).toBe('/g.glb'); return g; } });
    await Promise.all([m.load('/g.glb'), m.load('/g.glb')]);
    await m.load('/g.glb');
    expect(loads).toBe(1);
    expect(g.scene.parent).toBe(parent);
    expect(g.scene.visible).toBe(false);
    m.setFrame(3, FPS);
    expect(g.hips.position.x).toBeCloseTo(0.3);
    m.setFrame(1.5, FPS); // between keys (slow motion): interpolated
    expect(g.hips.position.x).toBeCloseTo(0.15);
    m.setFrame(4, FPS); // the last key exactly (a looping mixer would wrap this to frame 0)
    expect(g.hips.position.x).toBeCloseTo(0.4);
    m.setFrame(0, FPS);
    expect(g.hips.position.x).toBeCloseTo(0);
    // nothing advances by itself: a second evaluation at the same frame gives the same pose
    m.mixer.update(0);
    expect(g.hips.position.x).toBeCloseTo(0);
  });

  it('a failed load leaves nothing behind and can be tried again; a file without animation is an error', async () => {
    const parent = new THREE.Scene();
    let fail = true;
    const m = new Mannequin(parent, { load: async () => { if (fail) throw httpError(404); return fakeGltf(); } });
    await expect(m.load('/g')).rejects.toThrow(/404/);
    expect(m.ready).toBe(false);
    expect(parent.children.length).toBe(0);
    fail = false;
    await m.load('/g');
    expect(m.ready).toBe(true);
    const bad = new Mannequin(parent, { load: async () => ({ scene: new THREE.Group(), animations: [] }) });
    await expect(bad.load('/g')).rejects.toThrow(/no animation/);
  });
});

describe('FigureSwitch', () => {
  function setup(load) {
    const root = document.createElement('div');
    const ui = buildUI(root, { hasVideo: false, speeds: [1] });
    const three = new THREE.Scene();
    const calls = [];
    const scene = { scene: three, setSticksVisible: (v) => calls.push(v), requestRender() {} };
    const sw = new FigureSwitch({ ui, scene, root, mannequin: new Mannequin(three, { load }) });
    return { root, ui, sw, calls };
  }

  it('disabled with a tooltip while the job runs; Mannequin hides the sticks, Skeleton shows them', async () => {
    const g = fakeGltf();
    const { root, ui, sw, calls } = setup(async () => g);
    sw.refresh({ status: 'running', glbUrl: '/g' });
    expect(ui.figureInputs.mannequin.disabled).toBe(true);
    expect(ui.figure.title).toBe('The mannequin is available when the job has finished.');
    expect(await sw.setMode('mannequin')).toBe('skeleton');

    sw.refresh({ status: 'succeeded', glbUrl: '/g' });
    expect(ui.figureInputs.mannequin.disabled).toBe(false);
    const p = sw.setMode('mannequin');
    expect(root.dataset.figure).toBe('loading');
    expect(ui.figureNote.textContent).toBe(LOADING_TEXT);
    expect(await p).toBe('mannequin');
    expect(root.dataset.figure).toBe('mannequin');
    expect(ui.figureNote.hidden).toBe(true);
    expect(ui.figureInputs.mannequin.checked).toBe(true);
    expect(g.scene.visible).toBe(true);
    expect(calls.at(-1)).toBe(false);
    sw.show(2, FPS);
    expect(g.hips.position.x).toBeCloseTo(0.2);

    ui.figureInputs.skeleton.checked = true; // the user picks Skeleton (click or arrow key)
    ui.figureInputs.skeleton.dispatchEvent(new Event('change'));
    expect(root.dataset.figure).toBe('skeleton');
    expect(g.scene.visible).toBe(false);
    expect(calls.at(-1)).toBe(true);
    sw.show(4, FPS); // not shown: not posed
    expect(g.hips.position.x).toBeCloseTo(0.2);
  });

  it('a failed load says so in one sentence and falls back to Skeleton', async () => {
    const { root, ui, sw } = setup(async () => { throw httpError(404); });
    sw.refresh({ status: 'succeeded', glbUrl: '/g' });
    expect(await sw.setMode('mannequin')).toBe('skeleton');
    expect(root.dataset.figure).toBe('skeleton');
    expect(ui.figureInputs.skeleton.checked).toBe(true);
    expect(ui.figureNote.hidden).toBe(false);
    expect(ui.figureNote.dataset.kind).toBe('error');
    expect(ui.figureNote.textContent).toMatch(/^The mannequin could not be loaded: the file was not found/);
    expect(sw.error).toBe(ui.figureNote.textContent);
  });
});
