// The person colours (0xRRGGBB) of several-people jobs: ids cycle through them, in the viewer and in
// the overlay MP4 alike. Their one home is ml/palette.py PEOPLE (generated/tables.js PEOPLE_COLOURS).
export { PEOPLE_COLOURS as PERSON_COLORS } from '../generated/tables.js';
