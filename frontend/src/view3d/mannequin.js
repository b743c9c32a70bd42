// "Skeleton | Mannequin": the job's own GLB export (ml/export/glb.py: a skinned mannequin on a
// Mixamo-named rig, animation "motion" with one key per video frame at i / fps) in the 3D scene.
// The viewer's clock stays the only clock: the mixer never free-runs, it is put on the viewer's
// frame (action.time = frame / fps, mixer.update(0)) whenever that frame is shown.
import { AnimationMixer, LoopOnce } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';

export const FIGURES = ['skeleton', 'mannequin'];
export const LOADING_TEXT = 'Loading mannequin…';

/** Clip time (s) of a viewer frame: frame / fps, kept inside [0, duration] (no wrap at the end). */
export function clipTime(frame, fps, duration = Infinity) {
  const f = Number(frame), r = Number(fps);
  if (!Number.isFinite(f) || !(r > 0) || f <= 0) return 0;
  const d = Number.isFinite(duration) && duration >= 0 ? duration : Infinity;
  return Math.min(f / r, d);
}

/**
 * Whether the toggle can be used, and its tooltip. The GLB exists only once the job has
 * succeeded; before that (live streaming) the toggle is disabled and says so.
 */
export function toggleState({ status, glbUrl, webgl = true, several = false }) {
  if (!webgl) return { enabled: false, title: 'The mannequin needs WebGL, which this browser did not provide.' };
  if (several) return { enabled: false, title: 'The mannequin shows one person; this job has several.' };
  if (status === 'failed' || status === 'cancelled') {
    return { enabled: false, title: 'The mannequin is made only for jobs that finished successfully.' };
  }
  if (status !== 'succeeded') return { enabled: false, title: 'The mannequin is available when the job has finished.' };
  if (!glbUrl) return { enabled: false, title: 'This job has no mannequin file.' };
  return { enabled: true, title: 'Show the stick skeleton or the skinned mannequin (the GLB download)' };
}

/** One sentence for a failed load (HTTP error, not a GLB, no animation); never a stack trace. */
export function loadErrorMessage(err) {
  const status = err && err.response && err.response.status;
  let why;
  if (status === 404) why = 'the file was not found (jobs processed before the GLB export have none)';
  else if (status === 401 || status === 403) why = 'you are not allowed to download it (sign in again?)';
  else if (status) why = `the server answered ${status}`;
  else if (err && err.name === 'TypeError' && /fetch|network/i.test(String(err.message))) why = 'the download failed';
  else why = 'the file is not a usable GLB';
  return `The mannequin could not be loaded: ${why}. Showing the skeleton.`;
}

const loadGLB = (url) => new GLTFLoader().loadAsync(url);

/** The GLB's scene + its "motion" clip, driven to a given frame. */
export class Mannequin {
  /** `parent`: the THREE.Object3D to add the GLB's scene to (the scene the stick skeleton is in). */
  constructor(parent, { load = loadGLB } = {}) {
    this.parent = parent;
    this._load = load;
    this._pending = null;
    this.root = null;
    this.mixer = null;
    this.action = null;
    this.frame = -1;
  }

  get ready() {
    return !!this.action;
  }

  /** Load once; a failed load can be tried again. Resolves when the mannequin is in the scene. */
  load(url) {
    if (this.ready) return Promise.resolve(this);
    if (!this._pending) {
      this._pending = Promise.resolve()
        .then(() => this._load(url))
        .then((gltf) => this._attach(gltf))
        .finally(() => {
          this._pending = null;
        });
    }
    return this._pending;
  }

  _attach(gltf) {
    const clips = (gltf && gltf.animations) || [];
    const clip = clips.find((c) => c.name === 'motion') || clips[0];
    if (!gltf || !gltf.scene || !clip) throw new Error('no scene or no animation in the GLB');
    const root = gltf.scene;
    // The GLB is in result.json's world frame, which is also the scene's (coords.js worldToScene is
    // the identity and the stick skeleton's group is not transformed): no transform on the root.
    root.traverse((o) => {
      if (o.isMesh) {
        o.castShadow = true;
        o.frustumCulled = false; // skinned: the rest-pose bounds say nothing about where it walked
      }
    });
    root.visible = false;
    this.mixer = new AnimationMixer(root);
    const action = this.mixer.clipAction(clip);
    action.setLoop(LoopOnce, 1);
    action.clampWhenFinished = true;
    action.play();
    this.clip = clip;
    this.action = action;
    this.root = root;
    this.parent.add(root);
    return this;
  }

  /** Pose the mannequin as at viewer frame `frame` (may be fractional while playing slowly). */
  setFrame(frame, fps) {
    if (!this.action) return false;
    this.frame = frame;
    this.action.time = clipTime(frame, fps, this.clip.duration);
    this.mixer.update(0); // evaluate at action.time; time does not advance
    return true;
  }

  setVisible(v) {
    if (this.root) this.root.visible = !!v;
  }
}

/**
 * The toggle's behaviour: mode (skeleton | loading | mannequin), enabled state and tooltip, the
 * "Loading mannequin…" / error note, the scene's sticks. `scene`: SkeletonScene (or NullScene).
 */
export class FigureSwitch {
  constructor({ ui, scene, root, mannequin = null, onChange = () => {} }) {
    this.ui = ui; // { figure (group), figureInputs: {skeleton, mannequin}, figureNote }
    this.scene = scene;
    this.root = root;
    this.mannequin = mannequin || (scene && scene.scene ? new Mannequin(scene.scene) : null);
    this.onChange = onChange;
    this.mode = 'skeleton';
    this.error = '';
    this.url = '';
    this.enabled = false;
    for (const [mode, input] of Object.entries(ui.figureInputs)) {
      input.addEventListener('change', () => {
        if (input.checked) this.setMode(mode);
      });
    }
    this._render();
  }

  /** Called on every status change: enable the toggle once the job has succeeded with a GLB. */
  refresh({ status, glbUrl, several = false }) {
    const s = toggleState({ status, glbUrl, webgl: !!this.mannequin, several });
    this.url = glbUrl || '';
    this.enabled = s.enabled;
    this.ui.figure.title = s.title;
    for (const input of Object.values(this.ui.figureInputs)) input.disabled = !s.enabled;
    this.ui.figure.setAttribute('aria-disabled', String(!s.enabled));
    if (!s.enabled && this.mode !== 'skeleton') this.setMode('skeleton');
  }

  async setMode(mode) {
    if (mode !== 'mannequin' || !this.enabled) mode = 'skeleton';
    this.error = '';
    if (mode === 'skeleton') {
      this._set('skeleton');
      return this.mode;
    }
    if (!this.mannequin.ready) {
      this._set('loading');
      try {
        await this.mannequin.load(this.url);
      } catch (err) {
        this.error = loadErrorMessage(err);
        this._set('skeleton');
        return this.mode;
      }
      if (this.mode !== 'loading') return this.mode; // switched back to Skeleton meanwhile
    }
    this._set('mannequin');
    return this.mode;
  }

  /** Put the mannequin on the viewer's frame (no-op unless it is shown). */
  show(frame, fps) {
    if (this.mode === 'mannequin' && this.mannequin.setFrame(frame, fps)) this.scene.requestRender();
  }

  _set(mode) {
    this.mode = mode;
    this._render();
    this.onChange(mode);
  }

  _render() {
    const on = this.mode === 'mannequin';
    if (this.mannequin) this.mannequin.setVisible(on);
    if (this.scene.setSticksVisible) this.scene.setSticksVisible(!on);
    const checked = this.mode === 'skeleton' ? 'skeleton' : 'mannequin';
    for (const [m, input] of Object.entries(this.ui.figureInputs)) input.checked = m === checked;
    this.root.dataset.figure = this.mode;
    const note = this.ui.figureNote;
    note.textContent = this.mode === 'loading' ? LOADING_TEXT : this.error;
    note.dataset.kind = this.error ? 'error' : 'info';
    note.hidden = !note.textContent;
  }
}
