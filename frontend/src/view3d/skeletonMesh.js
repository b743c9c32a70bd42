// The stick skeleton: a sphere per joint, a cylinder per bone, coloured by side (ml/palette.py via
// generated/tables.js), or in one person's colours (several people). Confidence shows as opacity.
import * as THREE from 'three';
import { bonesFromParents, jointSide, HEAD_JOINT } from '../model/skeleton.js';
import { PALETTE } from '../generated/tables.js';
import { boneOpacity } from './coords.js';

const UP = new THREE.Vector3(0, 1, 0);

/**
 * Only doubtful joints go see-through: a fully opaque skeleton sorts and occludes correctly, and
 * most joints of a good detection are above 0.9.
 */
function setOpacity(material, op) {
  const solid = op >= 0.9;
  material.opacity = solid ? 1 : op;
  material.depthWrite = solid;
}

export class SkeletonMesh {
  /**
   * `colors`: {left, right, center} (0xRRGGBB), default the palette's sides; `thickness`: a factor on
   * the sticks' radius (a group of people is seen from further away than one person).
   */
  constructor(colors = null, thickness = 1) {
    this.colors = colors || { left: PALETTE.left, right: PALETTE.right, center: PALETTE.center };
    this.thickness = thickness;
    this.group = new THREE.Group();
    this.parents = [];
    this.bones = [];
    this.jointMeshes = [];
    this.boneMeshes = [];
  }

  setParents(parents) {
    for (const c of [...this.group.children]) {
      this.group.remove(c);
      c.geometry?.dispose();
      c.material?.dispose();
    }
    this.parents = parents.slice();
    this.bones = bonesFromParents(this.parents);
    const sphere = new THREE.SphereGeometry(0.035, 20, 14);
    const cyl = new THREE.CylinderGeometry(0.022, 0.022, 1, 12, 1);
    const mat = (side) =>
      new THREE.MeshStandardMaterial({ color: this.colors[side], roughness: 0.45, metalness: 0.05, transparent: true, opacity: 1 });
    this.jointMeshes = this.parents.map((_, j) => {
      const m = new THREE.Mesh(sphere, mat(jointSide(j)));
      m.castShadow = true;
      m.visible = false;
      m.scale.setScalar(this.thickness * (j === HEAD_JOINT ? 1.9 : 1));
      this.group.add(m);
      return m;
    });
    this.boneMeshes = this.bones.map(([c]) => {
      const m = new THREE.Mesh(cyl, mat(jointSide(c)));
      m.castShadow = true;
      m.visible = false;
      this.group.add(m);
      return m;
    });
  }

  /**
   * `pts`: scene-space joint positions (null = missing); `opacity`: per joint, null = all solid;
   * `dim`: a factor on every opacity (people other than the one followed).
   */
  setPose(pts, opacity, dim = 1) {
    this.jointMeshes.forEach((m, j) => {
      const p = pts[j];
      m.visible = !!p;
      if (p) m.position.set(p.x, p.y, p.z);
      setOpacity(m.material, (opacity ? opacity[j] ?? 1 : 1) * dim);
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
      m.scale.set(this.thickness, len, this.thickness);
      m.quaternion.setFromUnitVectors(UP, tmp.normalize());
      setOpacity(m.material, boneOpacity(opacity, c, p) * dim);
    });
  }

  /**
   * Joint under a pointer position (client coordinates), or -1: the nearest visible joint within a
   * few pixels on screen (spheres are small; an exact ray hit would be fiddly).
   */
  pick(camera, rect, clientX, clientY, maxPx = 14) {
    return this.pickWithDistance(camera, rect, clientX, clientY, maxPx).joint;
  }

  /** {joint, px}: the nearest visible joint within maxPx of the pointer and its distance (joint -1: none). */
  pickWithDistance(camera, rect, clientX, clientY, maxPx = 14) {
    const x = clientX - rect.left, y = clientY - rect.top;
    let best = -1, bestD = maxPx;
    const v = new THREE.Vector3();
    this.jointMeshes.forEach((m, j) => {
      if (!m.visible) return;
      v.copy(m.position).project(camera);
      if (v.z > 1) return;
      const sx = ((v.x + 1) / 2) * rect.width, sy = ((1 - v.y) / 2) * rect.height;
      const d = Math.hypot(sx - x, sy - y);
      if (d < bestD) { bestD = d; best = j; }
    });
    return { joint: best, px: bestD };
  }
}
