// Human3.6M 17-joint skeleton in VideoPose3D order (the project's joint set).

export const H36M_JOINT_NAMES = [
  'pelvis', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee', 'l_ankle',
  'spine', 'thorax', 'neck', 'head',
  'l_shoulder', 'l_elbow', 'l_wrist', 'r_shoulder', 'r_elbow', 'r_wrist',
];

export const H36M_PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15];

export const LEFT_JOINTS = [4, 5, 6, 11, 12, 13];
export const RIGHT_JOINTS = [1, 2, 3, 14, 15, 16];

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

/** Indices of the feet/ankles used to estimate the floor. */
export const FOOT_JOINTS = [3, 6];
export const ROOT_JOINT = 0;
