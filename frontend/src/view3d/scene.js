// The 3D view: renderer, lights, orbit camera and its glides, composed of the floor (floor.js), the
// root's trail (trail.js) and the stick skeleton (skeletonMesh.js), or several people's skeletons
// (peopleMeshes.js). Renders on demand.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { ROOT_JOINT, FOOT_JOINTS } from '../model/skeleton.js';
import { PALETTE } from '../generated/tables.js';
import { worldToScene, frameBounds, frameBoxTight } from './coords.js';
import { Floor } from './floor.js';
import { Trail } from './trail.js';
import { SkeletonMesh } from './skeletonMesh.js';
import { PeopleMeshes } from './peopleMeshes.js';
import { detectSoftwareGL } from './quality.js';

export const COLORS = PALETTE; // ml/palette.py

export class SkeletonScene {
  constructor(container, { parents, onRender, quality = 'auto' } = {}) {
    this.container = container;
    this.onRender = onRender || (() => {});
    this.renderCount = 0;
    this.followRoot = true; // keep the person in view when they walk (a no-op without a root trajectory)
    this.showTrail = true;
    this.sticksVisible = true; // false while the mannequin stands in for the sticks (and the trail)
    this._needsRender = true;
    this._lastRoot = null;
    this._lastRootKey = null; // whose root _lastRoot is (null: the one person)
    this._framedOnce = false;

    this.quality = quality === 'auto' ? (detectSoftwareGL() ? 'low' : 'high') : quality;
    const high = this.quality !== 'low';
    const renderer = new THREE.WebGLRenderer({ antialias: high, preserveDrawingBuffer: true });
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, high ? 2 : 1));
    renderer.shadowMap.enabled = high;
    renderer.shadowMap.type = THREE.PCFShadowMap;
    renderer.setClearColor(PALETTE.background, 1);
    renderer.domElement.className = 'pv-canvas';
    renderer.domElement.setAttribute('aria-label', '3D skeleton');
    container.appendChild(renderer.domElement);
    this.renderer = renderer;

    const scene = new THREE.Scene();
    scene.fog = new THREE.Fog(PALETTE.background, 12, 40);
    this.scene = scene;

    this.camera = new THREE.PerspectiveCamera(45, 1, 0.05, 200);
    this.camera.position.set(2, 1.8, 4);
    this.controls = new OrbitControls(this.camera, renderer.domElement);
    this.controls.enableDamping = false;
    this.controls.target.set(0, 0.9, 0);
    this.controls.maxPolarAngle = Math.PI * 0.495;
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => this.cancelAnimation());
    this.controls.update();

    scene.add(new THREE.HemisphereLight(0xffffff, 0x303040, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(1.2, 6, 1.8);
    sun.castShadow = true;
    sun.shadow.mapSize.set(1024, 1024);
    sun.shadow.radius = 6;
    sun.shadow.blurSamples = 16;
    const sc = sun.shadow.camera;
    sc.left = -3; sc.right = 3; sc.top = 3; sc.bottom = -3; sc.near = 0.5; sc.far = 20;
    scene.add(sun);
    scene.add(sun.target);
    this.sun = sun;

    this.floor = new Floor(renderer, { shadowMaps: high });
    scene.add(this.floor.group);
    this.trail = new Trail(PALETTE.trail);
    scene.add(this.trail.line);
    this.sticks = new SkeletonMesh();
    this.skeleton = this.sticks.group;
    scene.add(this.skeleton);
    this.people = new PeopleMeshes(); // a several-people job's skeletons (the one skeleton stays hidden)
    scene.add(this.people.group);
    this.setParents(parents || []);

    this._resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.resize()) : null;
    if (this._resizeObserver) this._resizeObserver.observe(container);
    else window.addEventListener('resize', () => this.resize());
    this.resize();
  }

  setParents(parents) {
    this.sticks.setParents(parents);
    this.people.setParents(parents);
    this.requestRender();
  }

  /** Show a pose: kp3d = [[x,y,z]×J] (world metres); `opacity`: per joint (coords.js jointOpacities), null = all solid. */
  setPose(kp3d, opacity) {
    const pts = Array.isArray(kp3d) ? kp3d.map(worldToScene) : [];
    this.sticks.setPose(pts, opacity);
    const root = pts[ROOT_JOINT];
    if (root) this._follow(root, FOOT_JOINTS.map((j) => pts[j]));
    this.requestRender();
  }

  /**
   * Several people: `people` = [{id, kp3d, opacity}] of a frame, `focused` the id the camera follows
   * (null: none; the floor and the shadows then stay under the middle of the group).
   */
  setPeople(people, focused = null) {
    const list = people.map((p) => ({ id: p.id, opacity: p.opacity, pts: Array.isArray(p.kp3d) ? p.kp3d.map(worldToScene) : [] }));
    this.people.show(list, focused);
    const mine = list.find((p) => p.id === focused);
    const group = this.people.middle();
    if (mine && mine.pts[ROOT_JOINT]) {
      this._follow(mine.pts[ROOT_JOINT], FOOT_JOINTS.map((j) => mine.pts[j]), focused);
    } else if (group) {
      const { mid, spread } = group;
      this._lastRoot = null;
      this.floor.follow(mid, []);
      // the lit disc and the blob shadows are for the person followed
      this.floor.stage.visible = false;
      for (const b of this.floor.blobs) b.visible = false;
      this._shadowAt(mid, spread + 1.5);
    }
    this.requestRender();
  }

  /** Keep the camera (when following), the floor and the shadow camera on a root; `key`: whose root. */
  _follow(root, feet, key = null) {
    if (key !== this._lastRootKey) this._lastRoot = null; // another person: no jump by their distance
    this._lastRootKey = key;
    if (this.followRoot && this._lastRoot) {
      const dx = root.x - this._lastRoot.x, dz = root.z - this._lastRoot.z;
      this.controls.target.x += dx; this.controls.target.z += dz;
      this.camera.position.x += dx; this.camera.position.z += dz;
      this.controls.update();
    }
    this._lastRoot = root;
    this.floor.follow(root, feet);
    this.floor.stage.visible = true;
    this._shadowAt(root, 3);
  }

  /** The sun's shadow camera over a square of half-size `half` metres around p. */
  _shadowAt(p, half) {
    this.sun.position.set(p.x + 1.2, 6, p.z + 1.8);
    this.sun.target.position.set(p.x, 0, p.z);
    const sc = this.sun.shadow.camera;
    const h = Math.max(3, Math.min(15, half));
    if (sc.right !== h) {
      sc.left = -h; sc.right = h; sc.top = h; sc.bottom = -h;
      sc.updateProjectionMatrix();
    }
  }

  /** The person under a pointer position (client coordinates): {id, joint}, or null. */
  pickPerson(clientX, clientY, maxPx = 14) {
    return this.people.pick(this.camera, this.renderer.domElement.getBoundingClientRect(), clientX, clientY, maxPx);
  }

  /** Where a shown person's joint is on screen (client coordinates), or null. */
  personScreenPoint(id, joint = ROOT_JOINT) {
    return this.people.screenPoint(id, joint, this.camera, this.renderer.domElement.getBoundingClientRect());
  }

  /** Joint under a pointer position (client coordinates), or -1. */
  pickJoint(clientX, clientY, maxPx = 14) {
    return this.sticks.pick(this.camera, this.renderer.domElement.getBoundingClientRect(), clientX, clientY, maxPx);
  }

  setFloorY(y) {
    this.floor.y = y;
    this.trail.line.position.y = y;
    this.requestRender();
  }

  /** Record frame i's root position [x,y,z] (projected on the floor) for the trail. */
  setTrailPoint(i, p) {
    this.trail.setPoint(i, p);
  }

  /** Forget the trail (several people: the person followed changed). */
  clearTrail() {
    this.trail.clear();
    this.trail.line.visible = false;
    this.requestRender();
  }

  /** Show the trail for frames from..k (default: all frames up to k). */
  showTrailUpTo(k, from = 0) {
    const n = this.trail.showUpTo(k, from);
    this.trail.line.visible = this.showTrail && this.sticksVisible && n > 1;
    this.requestRender();
  }

  setTrailVisible(v) {
    this.showTrail = !!v;
    this.trail.line.visible = this.showTrail && this.sticksVisible && this.trail.count > 1;
    this.requestRender();
  }

  /** Show or hide the stick skeleton and its trail (the mannequin mode hides them). */
  setSticksVisible(v) {
    this.sticksVisible = !!v;
    this.skeleton.visible = this.sticksVisible;
    this.people.group.visible = this.sticksVisible;
    this.setTrailVisible(this.showTrail);
  }

  setFollowRoot(v) {
    this.followRoot = !!v;
  }

  /**
   * Point the camera so that bounds ({min,max}) fill the view, keeping the current viewing
   * direction once framed. With animate, the camera glides there (cancelled by user input).
   */
  frame(bounds, { animate = false, keepDirection = this._framedOnce, direction = null, duration = 600, margin = 1.25,
    tight = false } = {}) {
    const aspect = this.camera.aspect || 1;
    let dir = direction || undefined;
    if (!dir && keepDirection) {
      const d = this.camera.position.clone().sub(this.controls.target);
      if (d.lengthSq() > 1e-8) dir = [d.x, Math.max(0.15 * d.length(), d.y), d.z];
    }
    // tight: the box itself fills the view (a group of people), else its bounding sphere (one person turns)
    const f = (tight ? frameBoxTight : frameBounds)(bounds, this.camera.fov, aspect, dir, margin);
    const toTarget = new THREE.Vector3(...f.target);
    const toPos = new THREE.Vector3(...f.position);
    this.camera.near = Math.max(0.01, f.distance / 100);
    this.camera.far = Math.max(100, f.distance * 20);
    this.camera.updateProjectionMatrix();
    // a wide view (a group of people) would sink into the fog made for one person a few metres away
    this.scene.fog.near = Math.max(12, f.distance);
    this.scene.fog.far = Math.max(40, f.distance * 3);
    this._framedOnce = true;
    if (animate) {
      this._anim = {
        t0: null,
        dur: duration,
        fromTarget: this.controls.target.clone(),
        fromPos: this.camera.position.clone(),
        toTarget,
        toPos,
      };
    } else {
      this._anim = null;
      this.controls.target.copy(toTarget);
      this.camera.position.copy(toPos);
      this.controls.update();
    }
    this.requestRender();
  }

  cancelAnimation() {
    this._anim = null;
  }

  /** The camera is gliding (a preset, a re-frame). */
  get animating() {
    return !!this._anim;
  }

  /** Advance camera animation; call once per animation frame. */
  update(now) {
    const a = this._anim;
    if (!a) return;
    if (a.t0 == null) a.t0 = now;
    const u = Math.min(1, (now - a.t0) / a.dur);
    const e = u < 0.5 ? 2 * u * u : 1 - Math.pow(-2 * u + 2, 2) / 2; // ease in-out
    this.controls.target.lerpVectors(a.fromTarget, a.toTarget, e);
    this.camera.position.lerpVectors(a.fromPos, a.toPos, e);
    this.controls.update();
    if (u >= 1) this._anim = null;
    this.requestRender();
  }

  get framedOnce() {
    return this._framedOnce;
  }

  resize() {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    this._needsRender = true;
  }

  /** Render if something changed; returns whether it rendered. */
  renderIfNeeded() {
    if (!this._needsRender) return false;
    this._needsRender = false;
    this.renderer.render(this.scene, this.camera);
    this.renderCount++;
    this.onRender(this.renderCount);
    return true;
  }
}

export { NullScene } from './nullScene.js';
