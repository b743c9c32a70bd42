// The browser's 2D detector for live mode: MediaPipe BlazePose (@mediapipe/pose, Apache-2.0), served by
// the app itself from /static/mediapipe-pose/ (copied there by the build: vite.live.config.js), so the
// camera's pictures never leave the machine: only the keypoints go to the server.
import { BLAZEPOSE_NAMES } from '../generated/tables.js';

// 0 lite, 1 full, 2 heavy. Lite: the fastest of the three, measured with tools/bench_live.py (ml/RESULTS.md).
export const MODEL_COMPLEXITY = 0;

/** BlazePose landmarks ({x, y, visibility}, x and y as fractions of the picture) -> [[x px, y px, visibility]]. */
export function landmarksToPixels(landmarks, width, height) {
  if (!landmarks || landmarks.length !== BLAZEPOSE_NAMES.length) return null;
  return landmarks.map((p) => [round1(p.x * width), round1(p.y * height), round3(p.visibility ?? 0)]);
}

const round1 = (v) => Math.round(v * 10) / 10;
const round3 = (v) => Math.round(v * 1000) / 1000;

// What the preview draws: the limbs and the torso, by BlazePose's own point names.
const LIMBS = [
  ['left_shoulder', 'right_shoulder'], ['left_hip', 'right_hip'],
  ['left_shoulder', 'left_hip'], ['right_shoulder', 'right_hip'],
  ['left_shoulder', 'left_elbow'], ['left_elbow', 'left_wrist'],
  ['right_shoulder', 'right_elbow'], ['right_elbow', 'right_wrist'],
  ['left_hip', 'left_knee'], ['left_knee', 'left_ankle'],
  ['right_hip', 'right_knee'], ['right_knee', 'right_ankle'],
];
export const LIMB_PAIRS = LIMBS.map(([a, b]) => [BLAZEPOSE_NAMES.indexOf(a), BLAZEPOSE_NAMES.indexOf(b)]);

/** Draw the 2D keypoints (pixels of the camera picture) over a canvas of the same size. */
export function draw2d(ctx, kp, { minVisibility = 0.5, color = '#9be15d' } = {}) {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  if (!kp) return;
  ctx.lineWidth = Math.max(2, ctx.canvas.width / 320);
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  for (const [a, b] of LIMB_PAIRS) {
    const alpha = Math.min(kp[a][2], kp[b][2]);
    if (alpha < minVisibility) continue;
    ctx.globalAlpha = alpha;
    ctx.beginPath();
    ctx.moveTo(kp[a][0], kp[a][1]);
    ctx.lineTo(kp[b][0], kp[b][1]);
    ctx.stroke();
  }
  for (const [x, y, v] of kp) {
    if (v < minVisibility) continue;
    ctx.globalAlpha = v;
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth * 1.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** BlazePose in the page: `await init()`, then `await detect(video)` -> 33 pixel keypoints or null. */
export class Pose2D {
  constructor(baseUrl, { complexity = MODEL_COMPLEXITY, PoseImpl = globalThis.Pose } = {}) {
    if (typeof PoseImpl !== 'function') throw new Error('The 2D detector did not load.');
    this.pose = new PoseImpl({ locateFile: (file) => `${baseUrl}${file}` });
    this.pose.setOptions({ modelComplexity: complexity, smoothLandmarks: true, minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5 });
    this._last = null;
    this.pose.onResults((r) => { this._last = r.poseLandmarks || null; });
  }

  async init() {
    await this.pose.initialize();
  }

  async detect(video) {
    this._last = null;
    await this.pose.send({ image: video });
    return landmarksToPixels(this._last, video.videoWidth, video.videoHeight);
  }

  close() {
    try { this.pose.close(); } catch (_) { /* already closed */ }
  }
}
