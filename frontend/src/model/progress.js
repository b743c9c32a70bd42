// Human text for progress and status messages. The stage names and statuses come from the server
// (poseapp/stream.py via generated/tables.js); every stage needs a label here (test/contract.test.js).
import { STAGES, TERMINAL_STATUSES } from '../generated/tables.js';

export const STAGE_LABELS = {
  queued: 'Waiting for a worker',
  decode: 'Decoding video',
  detect: 'Detecting 2D keypoints',
  lift: 'Lifting to 3D',
  export: 'Writing the results',
};
export { STAGES };

// export's steps: the format being written ("Writing BVH…"); formats are ml.export.FORMATS
const STEP_NAMES = { json: 'JSON', csv: 'CSV', npz: 'NPZ', bvh: 'BVH', glb: 'GLB', mp4: 'the overlay video' };
// other named steps: decode's 'warmup' while the worker is still loading its models (poseapp/warmup.py)
const STEP_TEXTS = { decode: { warmup: 'Loading the models…' } };

export function stageLabel(stage) {
  return STAGE_LABELS[stage] || (stage ? String(stage).charAt(0).toUpperCase() + String(stage).slice(1) : 'Working');
}

/**
 * A progress message {stage, done, total, step?} as a line: "Detecting 2D keypoints — 120 / 185
 * frames" ("— 120 frames" when the total is unknown); a named step says what it does: "Writing BVH…".
 * (Also callable as progressText(stage, done, total).)
 */
export function progressText(progress, done, total) {
  const p = progress && typeof progress === 'object' ? progress : { stage: progress, done, total };
  if (p.stage === 'export' && p.step) return `Writing ${STEP_NAMES[p.step] || String(p.step).toUpperCase()}…`;
  const stepText = p.step && STEP_TEXTS[p.stage] && STEP_TEXTS[p.stage][p.step];
  if (stepText) return stepText;
  const label = stageLabel(p.stage);
  if (p.done == null) return label;
  if (p.stage === 'export') return `${label}…`; // steps, not frames
  if (p.total != null && p.total > 0) return `${label} — ${p.done} / ${p.total} frames`;
  return `${label} — ${p.done} frames`;
}

/** Fraction 0..1 or null (indeterminate). */
export function progressFraction(done, total) {
  if (done == null || !(total > 0)) return null;
  return Math.max(0, Math.min(1, done / total));
}

export { TERMINAL_STATUSES };

export function isTerminal(status) {
  return TERMINAL_STATUSES.includes(status);
}

export const STATUS_LABELS = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * Strip anything that looks like a stack trace from a server message, keeping the human sentence.
 */
export function humanMessage(msg) {
  if (msg == null) return '';
  let s = String(msg);
  const cut = s.search(/Traceback \(most recent call last\)|\n\s+at\s|\n\s*File "/);
  if (cut >= 0) s = s.slice(0, cut);
  s = s.trim();
  if (s.length > 500) s = s.slice(0, 497) + '…';
  return s;
}
