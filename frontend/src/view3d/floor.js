// The floor under the person: a lit disc (so that shadows read on a dark theme), an endless-looking
// 1 m grid, a shadow catcher (shadow maps) or soft blob shadows (software GL, where shadow maps
// cost most of the frame). It follows the root in whole grid cells.
import * as THREE from 'three';

export function radialTexture(stops) {
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
  return radialTexture([[0, 'rgba(0,0,0,0.55)'], [0.5, 'rgba(0,0,0,0.3)'], [1, 'rgba(0,0,0,0)']]);
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

export class Floor {
  /** `shadowMaps`: the renderer casts real shadows; otherwise blob shadows under body and feet. */
  constructor(renderer, { shadowMaps }) {
    this.group = new THREE.Group();
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
    this.group.add(this.stage);
    this.grid = makeGridFloor(renderer);
    this.group.add(this.grid);
    const shadowPlane = new THREE.Mesh(new THREE.PlaneGeometry(40, 40), new THREE.ShadowMaterial({ opacity: 0.5 }));
    shadowPlane.rotation.x = -Math.PI / 2;
    shadowPlane.position.y = 0.001;
    shadowPlane.receiveShadow = true;
    shadowPlane.visible = shadowMaps;
    this.shadowPlane = shadowPlane;
    this.group.add(shadowPlane);

    this.blobs = [];
    if (!shadowMaps) {
      const tex = blobTexture();
      for (const size of [0.75, 0.28, 0.28]) {
        const m = new THREE.Mesh(
          new THREE.PlaneGeometry(size, size),
          new THREE.MeshBasicMaterial({ map: tex, transparent: true, depthWrite: false }),
        );
        m.rotation.x = -Math.PI / 2;
        m.renderOrder = 1;
        m.visible = false;
        this.group.add(m);
        this.blobs.push(m);
      }
    }
  }

  get y() {
    return this.group.position.y;
  }

  set y(v) {
    this.group.position.y = v;
  }

  /** Keep the floor under `root` (scene coordinates); `feet`: the ankles, for the blob shadows. */
  follow(root, feet) {
    // the lit disc stays under the person; the grid moves in whole cells (looks endless, stays put)
    this.stage.position.x = root.x;
    this.stage.position.z = root.z;
    const cell = 1; // one texture tile
    const gx = Math.round(root.x / cell) * cell, gz = Math.round(root.z / cell) * cell;
    this.grid.position.x = gx;
    this.grid.position.z = gz;
    this.shadowPlane.position.x = gx;
    this.shadowPlane.position.z = gz;
    if (!this.blobs.length) return;
    const fy = this.y;
    const spots = [root, ...feet];
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
}
