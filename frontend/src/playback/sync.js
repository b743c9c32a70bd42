// Time <-> frame conversion shared by the 3D timeline and the <video>.
// Frame i is shown during [i/fps, (i+1)/fps).

const EPS = 1e-6;

export function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Frame index shown at media time t (seconds). count (optional) clamps to [0, count-1]. */
export function timeToFrame(t, fps, count = null) {
  if (!(fps > 0) || !Number.isFinite(t)) return 0;
  let f = Math.floor(t * fps + EPS);
  if (f < 0) f = 0;
  if (count != null && count > 0 && f > count - 1) f = count - 1;
  return f;
}

/** Start time (seconds) of frame i. */
export function frameToTime(i, fps) {
  if (!(fps > 0)) return 0;
  return i / fps;
}

/** Time to seek a video to so that it lands inside frame i (its middle), robust to rounding. */
export function frameToSeekTime(i, fps) {
  if (!(fps > 0)) return 0;
  return (i + 0.5) / fps;
}

/** Whether a video time and a frame index agree within `tolerance` frames. */
export function inSync(videoTime, frame, fps, tolerance = 1) {
  return Math.abs(timeToFrame(videoTime, fps) - frame) <= tolerance;
}

/** "m:ss.cc" (or "h:mm:ss.cc") for a time in seconds. */
export function formatTime(t) {
  if (!Number.isFinite(t) || t < 0) t = 0;
  const cs = Math.floor(t * 100 + EPS) % 100;
  const total = Math.floor(t + EPS);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const pad = (v) => String(v).padStart(2, '0');
  return (h > 0 ? `${h}:${pad(m)}` : `${m}`) + `:${pad(s)}.${pad(cs)}`;
}
