// The browser's 2D detector for live mode: MediaPipe BlazePose through @mediapipe/tasks-vision's
// PoseLandmarker (Apache-2.0) on its CPU delegate (XNNPACK in wasm: no WebGL, so as fast on a machine
// without a GPU), served by the app itself from /static/mediapipe-tasks/ (vite.live.config.js copies the
// wasm, tools/pose_task.py writes the models), so the camera's pictures never leave the machine: only the
// keypoints go to the server.
import { FilesetResolver, PoseLandmarker } from '@mediapipe/tasks-vision';
import { BLAZEPOSE_NAMES } from '../generated/tables.js';

// 0 lite, 1 full. Lite: the faster, measured with tools/bench_live.py (ml/RESULTS.md).
export const MODEL_COMPLEXITY = 0;
const MODELS = ['lite', 'full'];

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
  constructor(baseUrl, { complexity = MODEL_COMPLEXITY } = {}) {
    this.baseUrl = baseUrl;
    this.model = MODELS[complexity] || MODELS[MODEL_COMPLEXITY];
    this.landmarker = null;
    this._t = 0;
  }

  async init() {
    const files = await FilesetResolver.forVisionTasks(`${this.baseUrl}wasm`);
    this.landmarker = await PoseLandmarker.createFromOptions(files, {
      baseOptions: { modelAssetPath: `${this.baseUrl}pose_landmarker_${this.model}.task`, delegate: 'CPU' },
      runningMode: 'VIDEO', numPoses: 1, minPoseDetectionConfidence: 0.5, minTrackingConfidence: 0.5,
    });
  }

  async detect(video) {
    this._t = Math.max(this._t + 1, performance.now()); // the video mode wants increasing times
    const result = this.landmarker.detectForVideo(video, this._t);
    const person = result && result.landmarks && result.landmarks[0];
    return landmarksToPixels(person || null, video.videoWidth, video.videoHeight);
  }

  close() {
    try { if (this.landmarker) this.landmarker.close(); } catch (_) { /* already closed */ }
  }
}
