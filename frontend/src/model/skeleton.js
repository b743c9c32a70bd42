// The project's 17-joint skeleton (Human3.6M in VideoPose3D order). The tables live in Python
// (ml/skeleton.py) and reach the viewer through generated/tables.js; a job's meta message carries
// its own names and parents, which win over these defaults.
import { JOINT_NAMES, PARENTS, LEFT_JOINTS, RIGHT_JOINTS, ROOT_JOINT, HEAD_JOINT, FOOT_JOINTS } from '../generated/tables.js';

export const H36M_JOINT_NAMES = JOINT_NAMES;
export const H36M_PARENTS = PARENTS;
export { LEFT_JOINTS, RIGHT_JOINTS, ROOT_JOINT, HEAD_JOINT, FOOT_JOINTS };

/** 'left' | 'right' | 'center' for a joint index. */
export function jointSide(j) {
  if (LEFT_JOINTS.includes(j)) return 'left';
  if (RIGHT_JOINTS.includes(j)) return 'right';
  return 'center';
}

/**
 * Bones as [child, parent] pairs from a parents array; a bone takes the side of its child
 * (so the hip→knee bone is coloured like the knee).
 */
export function bonesFromParents(parents) {
  const bones = [];
  for (let j = 0; j < parents.length; j++) {
    const p = parents[j];
    if (Number.isInteger(p) && p >= 0 && p < parents.length && p !== j) bones.push([j, p]);
  }
  return bones;
}
