// three.js scene: skeleton (spheres + cylinders), floor grid + soft shadow, orbit camera,
// auto-framing, follow-root, trajectory trail. Renders on demand.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { bonesFromParents, jointSide, ROOT_JOINT } from './skeleton.js';
import { worldToScene, frameBounds, boneOpacity } from './coords.js';

export const COLORS = {
  left: 0x3d9bff,
  right: 0xff7a2f,
  center: 0xe8e8e8,
  background: 0x1b1e24,
  trail: 0x9be15d,
};

const UP = new THREE.Vector3(0, 1, 0);

/**
 * Whether WebGL runs on a software rasterizer (SwiftShader, llvmpipe): shadow maps and MSAA
 * then cost most of the frame, so the scene uses a blob shadow and no antialiasing.
 */
export function detectSoftwareGL() {
  try {
    const c = document.createElement('canvas');
    const gl = c.getContext('webgl2') || c.getContext('webgl');
    if (!gl) return true;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    const lose = gl.getExtension('WEBGL_lose_context');
    if (lose) lose.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
  } catch (_) {
    return false;
  }
}

function radialTexture(stops) {
  const c = document.createElement('canvas');
  c.width = c.height = 128;
  const g = c.getContext('2d');
  const grad = g.createRadialGradient(64, 64, 0, 64, 64, 64);
  for (const [at, color] of stops) grad.addColorStop(at, color);
  g.fillStyle = grad;
  g.fillRect(0, 0, 128, 128);
  const t = new THREE.CanvasTexture(c);
  t.colorSpace = THREE.SRGBColorSpace;
  return t;
}

function blobTexture() {
  const c = document.createElement('canvas');
  c.width = c.height = 64;
  const g = c.getContext('2d');
  const grad = g.createRadialGradient(32, 32, 0, 32, 32, 32);
  grad.addColorStop(0, 'rgba(0,0,0,0.55)');
  grad.addColorStop(0.5, 'rgba(0,0,0,0.3)');
  grad.addColorStop(1, 'rgba(0,0,0,0)');
  g.fillStyle = grad;
  g.fillRect(0, 0, 64, 64);
  const t = new THREE.CanvasTexture(c);
  t.colorSpace = THREE.SRGBColorSpace;
  return t;
}

/**
 * Confidence shows as opacity, but only doubtful joints go see-through: a fully opaque skeleton
 * sorts and occludes correctly, and most joints of a good detection are above 0.9.
 */
function setOpacity(material, op) {
  const solid = op >= 0.9;
  material.opacity = solid ? 1 : op;
  material.depthWrite = solid;
}

/**
 * The floor grid as a textured plane (1 m tiles, 0.5 m minor lines) that fades out with distance.
 * A plane rather than GL lines: software rasterizers drop line segments that cross the near plane,
 * which left the floor under the camera empty.
 */
function makeGridFloor(renderer, size = 30) {
  const px = 256;
  const c = document.createElement('canvas');
  c.width = c.height = px;
  const g = c.getContext('2d');
  g.clearRect(0, 0, px, px);
  g.fillStyle = 'rgba(150,160,180,0.55)'; // major lines (every metre), on the tile border
  g.fillRect(0, 0, px, 3);
  g.fillRect(0, 0, 3, px);
  g.fillStyle = 'rgba(150,160,180,0.28)'; // minor lines (half metre)
  g.fillRect(0, px / 2 - 1, px, 2);
  g.fillRect(px / 2 - 1, 0, 2, px);
  const tex = new THREE.CanvasTexture(c);
  tex.wrapS = tex.wrapT = THREE.RepeatWrapping;
  tex.repeat.set(size, size);
  tex.anisotropy = renderer.capabilities.getMaxAnisotropy();
  tex.colorSpace = THREE.SRGBColorSpace;
  const fade = radialTexture([[0, 'rgba(255,255,255,1)'], [0.45, 'rgba(255,255,255,0.8)'], [1, 'rgba(255,255,255,0)']]);
  const mesh = new THREE.Mesh(
    new THREE.PlaneGeometry(size, size),
    new THREE.MeshBasicMaterial({ map: tex, alphaMap: fade, transparent: true, depthWrite: false }),
  );
  mesh.rotation.x = -Math.PI / 2;
  mesh.position.y = 0.0005;
  mesh.renderOrder = -1;
  return mesh;
}

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
    this._framedOnce = false;

    this.quality = quality === 'auto' ? (detectSoftwareGL() ? 'low' : 'high') : quality;
    const high = this.quality !== 'low';
    const renderer = new THREE.WebGLRenderer({ antialias: high, preserveDrawingBuffer: true });
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, high ? 2 : 1));
    renderer.shadowMap.enabled = high;
    renderer.shadowMap.type = THREE.PCFShadowMap;
    renderer.setClearColor(COLORS.background, 1);
    renderer.domElement.className = 'pv-canvas';
    renderer.domElement.setAttribute('aria-label', '3D skeleton');
    container.appendChild(renderer.domElement);
    this.renderer = renderer;

    const scene = new THREE.Scene();
    scene.fog = new THREE.Fog(COLORS.background, 12, 40);
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

    // floor: a lit disc under the person (so that shadows read on a dark theme), grid, shadow catcher
    this.floor = new THREE.Group();
    this.stage = new THREE.Mesh(
      new THREE.CircleGeometry(2.4, 48),
      new THREE.MeshBasicMaterial({
        map: radialTexture([[0, 'rgba(120,130,150,0.55)'], [0.55, 'rgba(90,100,120,0.3)'], [1, 'rgba(60,66,80,0)']]),
        transparent: true,
        depthWrite: false,
      }),
    );
    this.stage.rotation.x = -Math.PI / 2;
    this.stage.position.y = -0.002;
    this.floor.add(this.stage);
    const grid = makeGridFloor(renderer);
    this.grid = grid;
    this.floor.add(grid);
    const shadowPlane = new THREE.Mesh(
      new THREE.PlaneGeometry(40, 40),
      new THREE.ShadowMaterial({ opacity: 0.5 }),
    );
    shadowPlane.rotation.x = -Math.PI / 2;
    shadowPlane.position.y = 0.001;
    shadowPlane.receiveShadow = true;
    this.shadowPlane = shadowPlane;
    shadowPlane.visible = high;
    this.floor.add(shadowPlane);
    scene.add(this.floor);

    // soft blob shadows (feet + body) where shadow maps are too expensive
    this.blobs = [];
    if (!high) {
      const tex = blobTexture();
      for (const size of [0.75, 0.28, 0.28]) {
        const m = new THREE.Mesh(
          new THREE.PlaneGeometry(size, size),
          new THREE.MeshBasicMaterial({ map: tex, transparent: true, depthWrite: false }),
        );
        m.rotation.x = -Math.PI / 2;
        m.renderOrder = 1;
        m.visible = false;
        this.floor.add(m);
        this.blobs.push(m);
      }
    }

    // trajectory trail on the floor
    this.trailGeom = new THREE.BufferGeometry();
    this._trailCapacity = 0;
    this._trailFilled = []; // slot i holds frame i's root
    this._growTrail(4096);
    this.trailGeom.setDrawRange(0, 0);
    this.trail = new THREE.Line(this.trailGeom, new THREE.LineBasicMaterial({ color: COLORS.trail, transparent: true, opacity: 0.85 }));
    this.trail.frustumCulled = false;
    scene.add(this.trail);

    this.skeleton = new THREE.Group();
    scene.add(this.skeleton);
    this.setParents(parents || []);

    this._resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.resize()) : null;
    if (this._resizeObserver) this._resizeObserver.observe(container);
    else window.addEventListener('resize', () => this.resize());
    this.resize();
  }

  setParents(parents) {
    for (const c of [...this.skeleton.children]) {
      this.skeleton.remove(c);
      c.geometry?.dispose();
      c.material?.dispose();
    }
    this.parents = parents.slice();
    this.bones = bonesFromParents(this.parents);
    const sphere = new THREE.SphereGeometry(0.035, 20, 14);
    const cyl = new THREE.CylinderGeometry(0.022, 0.022, 1, 12, 1);
    const mat = (side) =>
      new THREE.MeshStandardMaterial({ color: COLORS[side], roughness: 0.45, metalness: 0.05, transparent: true, opacity: 1 });
    this.jointMeshes = this.parents.map((_, j) => {
      const m = new THREE.Mesh(sphere, mat(jointSide(j)));
      m.castShadow = true;
      m.visible = false;
      if (j === 10) m.scale.setScalar(1.9); // head
      this.skeleton.add(m);
      return m;
    });
    this.boneMeshes = this.bones.map(([c]) => {
      const m = new THREE.Mesh(cyl, mat(jointSide(c)));
      m.castShadow = true;
      m.visible = false;
      this.skeleton.add(m);
      return m;
    });
    this.requestRender();
  }

  /** Show a pose: kp3d = [[x,y,z]×J] (world metres), conf = per-joint confidence (optional). */
  /** `opacity`: per-joint opacities (coords.js jointOpacities), null = all solid; bones take the lower of their ends. */
  setPose(kp3d, opacity) {
    const pts = Array.isArray(kp3d) ? kp3d.map(worldToScene) : [];
    this.jointMeshes.forEach((m, j) => {
      const p = pts[j];
      m.visible = !!p;
      if (p) m.position.set(p.x, p.y, p.z);
      setOpacity(m.material, opacity ? opacity[j] ?? 1 : 1);
    });
    const tmp = new THREE.Vector3();
    this.bones.forEach(([c, p], k) => {
      const m = this.boneMeshes[k];
      const a = pts[c], b = pts[p];
      if (!a || !b) { m.visible = false; return; }
      tmp.set(a.x - b.x, a.y - b.y, a.z - b.z);
      const len = tmp.length();
      if (len < 1e-6) { m.visible = false; return; }
      m.visible = true;
      m.position.set((a.x + b.x) / 2, (a.y + b.y) / 2, (a.z + b.z) / 2);
      m.scale.set(1, len, 1);
      m.quaternion.setFromUnitVectors(UP, tmp.normalize());
      setOpacity(m.material, boneOpacity(opacity, c, p));
    });
    const root = pts[ROOT_JOINT];
    if (root) {
      if (this.followRoot && this._lastRoot) {
        const dx = root.x - this._lastRoot.x, dz = root.z - this._lastRoot.z;
        this.controls.target.x += dx; this.controls.target.z += dz;
        this.camera.position.x += dx; this.camera.position.z += dz;
        this.controls.update();
      }
      this._lastRoot = root;
      // the lit disc stays under the person; the grid moves in whole cells (looks endless, stays put)
      this.stage.position.x = root.x;
      this.stage.position.z = root.z;
      const cell = 1; // one texture tile
      const gx = Math.round(root.x / cell) * cell, gz = Math.round(root.z / cell) * cell;
      this.grid.position.x = gx;
      this.grid.position.z = gz;
      this.shadowPlane.position.x = gx;
      this.shadowPlane.position.z = gz;
      if (this.blobs.length) {
        const fy = this.floor.position.y;
        const spots = [root, pts[3], pts[6]];
        this.blobs.forEach((b, k) => {
          const p = spots[k];
          b.visible = !!p;
          if (!p) return;
          b.position.set(p.x, 0.002 + k * 0.0005, p.z);
          // fainter and wider the higher the joint is above the floor
          const h = Math.max(0, p.y - fy);
          const s = k === 0 ? 1 : 1 + h * 1.5;
          b.scale.set(s, s, 1);
          b.material.opacity = k === 0 ? 1 : Math.max(0.2, 1 - h * 2);
        });
      }
      // keep the shadow camera on the person
      this.sun.position.set(root.x + 1.2, 6, root.z + 1.8);
      this.sun.target.position.set(root.x, 0, root.z);
    }
    this.requestRender();
  }

  /**
   * Joint under a pointer position (client coordinates), or -1. Picks the nearest visible joint
   * within a few pixels on screen (spheres are small; an exact ray hit would be fiddly).
   */
  pickJoint(clientX, clientY, maxPx = 14) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const x = clientX - rect.left, y = clientY - rect.top;
    let best = -1, bestD = maxPx;
    const v = new THREE.Vector3();
    this.jointMeshes.forEach((m, j) => {
      if (!m.visible) return;
      v.copy(m.position).project(this.camera);
      if (v.z > 1) return;
      const sx = ((v.x + 1) / 2) * rect.width, sy = ((1 - v.y) / 2) * rect.height;
      const d = Math.hypot(sx - x, sy - y);
      if (d < bestD) { bestD = d; best = j; }
    });
    return best;
  }

  setFloorY(y) {
    this.floor.position.y = y;
    this.trail.position.y = y;
    this.requestRender();
  }

  _growTrail(min) {
    let cap = Math.max(this._trailCapacity, 1024);
    while (cap < min) cap *= 2;
    if (cap === this._trailCapacity) return;
    const arr = new Float32Array(cap * 3);
    const old = this.trailGeom.getAttribute('position');
    if (old) arr.set(old.array);
    const attr = new THREE.BufferAttribute(arr, 3);
    attr.setUsage(THREE.DynamicDrawUsage);
    this.trailGeom.setAttribute('position', attr);
    this._trailCapacity = cap;
  }

  /** Record frame i's root position [x,y,z] (projected on the floor) for the trail. */
  setTrailPoint(i, p) {
    if (!Array.isArray(p) || !(i >= 0)) return;
    this._growTrail(i + 1);
    const a = this.trailGeom.getAttribute('position');
    const put = (k) => {
      a.array[3 * k] = +p[0];
      a.array[3 * k + 1] = 0.004;
      a.array[3 * k + 2] = +p[2];
    };
    put(i);
    this._trailFilled[i] = true;
    // a gap before i (frames not here yet): hold this point so that the line never jumps to 0,0
    for (let k = i - 1; k >= 0 && !this._trailFilled[k]; k--) put(k);
    a.needsUpdate = true;
  }

  /** Show the trail for frames from..k (default: all frames up to k). */
  showTrailUpTo(k, from = 0) {
    const end = Math.max(0, Math.min(k + 1, this._trailCapacity));
    const start = Math.max(0, Math.min(from, end));
    const n = end - start;
    const r = this.trailGeom.drawRange;
    if (r.start !== start || r.count !== n) this.trailGeom.setDrawRange(start, n);
    this.trail.visible = this.showTrail && this.sticksVisible && n > 1;
    this.requestRender();
  }

  setTrailVisible(v) {
    this.showTrail = !!v;
    this.trail.visible = this.showTrail && this.sticksVisible && this.trailGeom.drawRange.count > 1;
    this.requestRender();
  }

  /** Show or hide the stick skeleton and its trail (the mannequin mode hides them). */
  setSticksVisible(v) {
    this.sticksVisible = !!v;
    this.skeleton.visible = this.sticksVisible;
    this.setTrailVisible(this.showTrail);
  }

  setFollowRoot(v) {
    this.followRoot = !!v;
  }

  /**
   * Point the camera so that bounds ({min,max}) fill the view, keeping the current viewing
   * direction once framed. With animate, the camera glides there (cancelled by user input).
   */
  frame(bounds, { animate = false, keepDirection = this._framedOnce, direction = null } = {}) {
    const aspect = this.camera.aspect || 1;
    let dir = direction || undefined;
    if (!dir && keepDirection) {
      const d = this.camera.position.clone().sub(this.controls.target);
      if (d.lengthSq() > 1e-8) dir = [d.x, Math.max(0.15 * d.length(), d.y), d.z];
    }
    const f = frameBounds(bounds, this.camera.fov, aspect, dir);
    const toTarget = new THREE.Vector3(...f.target);
    const toPos = new THREE.Vector3(...f.position);
    this.camera.near = Math.max(0.01, f.distance / 100);
    this.camera.far = Math.max(100, f.distance * 20);
    this.camera.updateProjectionMatrix();
    this._framedOnce = true;
    if (animate) {
      this._anim = {
        t0: null,
        dur: 600,
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

/**
 * Stand-in when WebGL is unavailable: same API, draws nothing, says why. The timeline, the video
 * and the 2D overlay keep working.
 */
export class NullScene {
  constructor(container, reason) {
    this.renderCount = 0;
    this.followRoot = true;
    this.showTrail = false;
    this.framedOnce = false;
    this.quality = 'none';
    this.controls = { addEventListener() {} };
    const note = document.createElement('div');
    note.className = 'pv-nogl';
    note.textContent = `The 3D view needs WebGL, which this browser did not provide${reason ? ` (${reason})` : ''}.`;
    container.appendChild(note);
  }
  setParents() {}
  pickJoint() { return -1; }
  setPose() {}
  setFloorY() {}
  setTrailPoint() {}
  showTrailUpTo() {}
  setTrailVisible() {}
  setSticksVisible() {}
  setFollowRoot(v) { this.followRoot = !!v; }
  frame() { this.framedOnce = true; }
  cancelAnimation() {}
  update() {}
  resize() {}
  requestRender() {}
  renderIfNeeded() { return false; }
}
