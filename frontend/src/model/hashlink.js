// "#t=12.5" links to a moment; also accepts "#f=300" (frame) and "t=1m2.5s" style times.

/** Parse a location hash into {time} or {frame}; null when it names no moment. */
export function parseMomentHash(hash) {
  if (!hash) return null;
  const h = hash.replace(/^#/, '');
  const params = new URLSearchParams(h);
  const t = params.get('t');
  if (t != null && t !== '') {
    const secs = parseTimeSpec(t);
    if (secs != null) return { time: secs };
  }
  const f = params.get('f');
  if (f != null && /^\d+$/.test(f)) return { frame: parseInt(f, 10) };
  return null;
}

/** "12.5", "12.5s", "1m2.5s", "1:02.5" -> seconds; null when not a time. */
export function parseTimeSpec(s) {
  s = String(s).trim();
  if (/^\d+(\.\d+)?s?$/.test(s)) return parseFloat(s);
  let m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (m && (m[1] || m[2] || m[3])) {
    return (+(m[1] || 0)) * 3600 + (+(m[2] || 0)) * 60 + (+(m[3] || 0));
  }
  m = /^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(s);
  if (m) return (+(m[1] || 0)) * 3600 + (+m[2]) * 60 + parseFloat(m[3]);
  return null;
}

/** Hash naming the start of frame i: "#t=1.240" (3 decimals, never rounds into the previous frame). */
export function momentHash(frame, fps) {
  if (!(fps > 0)) return `#f=${frame}`;
  // middle of the frame so that parsing it back lands on the same frame
  const t = (frame + 0.5) / fps;
  return `#t=${(Math.floor(t * 1000) / 1000).toFixed(3)}`;
}
