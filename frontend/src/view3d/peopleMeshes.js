// Several people in the 3D scene: one stick skeleton per person id in that person's colour, with the id
// on a label over the head; picking a person under the pointer.
import * as THREE from 'three';
import { HEAD_JOINT, ROOT_JOINT } from '../model/skeleton.js';
import { personColor, personSides } from '../model/people.js';
import { SkeletonMesh } from './skeletonMesh.js';

const DIMMED = 0.4; // opacity factor of the others while one person is followed
const THICKNESS = 1.8; // sticks a group is seen from further away than one person

/** A label sprite: the id, white on the person's colour (readable from any side). */
function labelSprite(id, color) {
  const c = document.createElement('canvas');
  c.width = 128;
  c.height = 64;
  const g = c.getContext('2d');
  g.fillStyle = `#${color.toString(16).padStart(6, '0')}`;
  g.beginPath();
  if (g.roundRect) g.roundRect(4, 4, 120, 56, 14);
  else g.rect(4, 4, 120, 56);
  g.fill();
  g.fillStyle = '#10131a';
  g.font = 'bold 40px system-ui, sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(String(id), 64, 35);
  const tex = new THREE.CanvasTexture(c);
  tex.colorSpace = THREE.SRGBColorSpace;
  // the same size on screen at any distance: readable in a view of the whole group too
  const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: tex, depthTest: false, transparent: true, sizeAttenuation: false }));
  sprite.scale.set(0.045, 0.0225, 1);
  sprite.center.set(0.5, 0); // anchored at its bottom edge, over the head
  sprite.renderOrder = 10;
  return sprite;
}

export class PeopleMeshes {
  constructor() {
    this.group = new THREE.Group();
    this.parents = [];
    this._people = new Map(); // id -> {mesh: SkeletonMesh, label: Sprite, root}
  }

  setParents(parents) {
    this.parents = parents.slice();
    for (const p of this._people.values()) p.mesh.setParents(this.parents);
  }

  _person(id) {
    let p = this._people.get(id);
    if (!p) {
      const c = personColor(id);
      const mesh = new SkeletonMesh(personSides(id), THICKNESS);
      mesh.setParents(this.parents);
      const label = labelSprite(id, c);
      this.group.add(mesh.group, label);
      p = { mesh, label, root: null };
      this._people.set(id, p);
    }
    return p;
  }

  /**
   * Show the people of a frame: [{id, pts (scene points), opacity}]; everyone else is hidden.
   * `focused`: the id followed (the others are dimmed), null for none.
   */
  show(list, focused = null) {
    const seen = new Set();
    for (const { id, pts, opacity } of list) {
      const p = this._person(id);
      seen.add(id);
      p.mesh.group.visible = true;
      p.mesh.setPose(pts, opacity, focused == null || focused === id ? 1 : DIMMED);
      p.root = pts[ROOT_JOINT] || null;
      const head = pts[HEAD_JOINT] || p.root;
      p.label.visible = !!head;
      if (head) p.label.position.set(head.x, head.y + 0.15, head.z);
      p.label.material.opacity = focused == null || focused === id ? 1 : 0.6;
    }
    for (const [id, p] of this._people) {
      if (seen.has(id)) continue;
      p.mesh.group.visible = false;
      p.label.visible = false;
      p.root = null;
    }
  }

  /** Scene position of a shown person's root (null when not shown). */
  root(id) {
    const p = this._people.get(id);
    return p && p.mesh.group.visible ? p.root : null;
  }

  /** The middle of the roots shown ({x, y, z}) and how far the furthest is from it (m), or null. */
  middle() {
    const roots = [...this._people.values()].filter((p) => p.mesh.group.visible && p.root).map((p) => p.root);
    if (!roots.length) return null;
    const mean = (k) => roots.reduce((a, r) => a + r[k], 0) / roots.length;
    const mid = { x: mean('x'), y: mean('y'), z: mean('z') };
    return { mid, spread: Math.max(...roots.map((r) => Math.hypot(r.x - mid.x, r.z - mid.z))) };
  }

  /** Ids shown now. */
  get shownIds() {
    return [...this._people].filter(([, p]) => p.mesh.group.visible).map(([id]) => id);
  }

  /** The person (and joint) nearest the pointer within maxPx on screen: {id, joint}, or null. */
  pick(camera, rect, clientX, clientY, maxPx = 14) {
    let best = null, bestD = maxPx;
    for (const [id, p] of this._people) {
      if (!p.mesh.group.visible) continue;
      const { joint, px } = p.mesh.pickWithDistance(camera, rect, clientX, clientY, bestD);
      if (joint >= 0 && px < bestD) {
        bestD = px;
        best = { id, joint };
      }
    }
    return best;
  }

  /** Where a person's joint is on screen (client coordinates), or null: for tests and the list. */
  screenPoint(id, joint, camera, rect) {
    const p = this._people.get(id);
    const m = p && p.mesh.group.visible ? p.mesh.jointMeshes[joint] : null;
    if (!m || !m.visible) return null;
    const v = m.position.clone().project(camera);
    if (v.z > 1) return null;
    return { x: rect.left + ((v.x + 1) / 2) * rect.width, y: rect.top + ((1 - v.y) / 2) * rect.height };
  }
}
