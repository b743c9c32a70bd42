// The person colours (0xRRGGBB) of several-people jobs: ids cycle through them, in the viewer and in
// the overlay MP4. Their one home is meant to be ml/palette.py (written into generated/tables.js by
// tools/frontend_tables.py, on the multi-person backend's branch); until that lands this is the table,
// and then this module only re-exports the generated one.
export const PERSON_COLORS = Object.freeze([
  0x3d9bff, // blue
  0xff7a2f, // orange
  0x5ed36b, // green
  0xf2c14e, // yellow
  0xc77dff, // violet
  0x3fd0d4, // cyan
  0xff5c8a, // pink
  0xa3e048, // lime
  0xff9f80, // salmon
  0x9fa8ff, // lavender
]);
