// Marks on the scrub bar (pure: no DOM).

/**
 * Where scene cuts sit on a timeline of `frameCount` frames: [{frame, percent}], sorted, one per
 * cut. The percentage follows the slider (frame 0 at 0 %, the last frame at 100 %); cuts at 0,
 * outside the timeline or not whole frame numbers are left out.
 */
export function cutPositions(cuts, frameCount) {
  const n = Math.floor(Number(frameCount));
  if (!Array.isArray(cuts) || !(n > 1)) return [];
  const frames = [...new Set(cuts.map(Number))].filter((c) => Number.isInteger(c) && c > 0 && c < n);
  frames.sort((a, b) => a - b);
  return frames.map((frame) => ({ frame, percent: (100 * frame) / (n - 1) }));
}
