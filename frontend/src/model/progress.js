// Human text for progress and status messages.

export const STAGE_LABELS = {
  queued: 'Waiting for a worker',
  decode: 'Decoding video',
  detect: 'Detecting 2D keypoints',
  lift: 'Lifting to 3D',
  save: 'Saving results',
};

export function stageLabel(stage) {
  return STAGE_LABELS[stage] || (stage ? String(stage).charAt(0).toUpperCase() + String(stage).slice(1) : 'Working');
}

/** "Detecting 2D keypoints — 120 / 185 frames" (or "— 120 frames" when the total is unknown). */
export function progressText(stage, done, total) {
  const label = stageLabel(stage);
  if (done == null) return label;
  if (total != null && total > 0) return `${label} — ${done} / ${total} frames`;
  return `${label} — ${done} frames`;
}

/** Fraction 0..1 or null (indeterminate). */
export function progressFraction(done, total) {
  if (done == null || !(total > 0)) return null;
  return Math.max(0, Math.min(1, done / total));
}

export const TERMINAL_STATUSES = ['succeeded', 'failed', 'cancelled'];

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
