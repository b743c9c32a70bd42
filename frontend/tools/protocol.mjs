// The mock server's messages, built from the server's own: test/fixtures/stream.json is what
// poseapp/stream.py's builders send for a whole job (tests/web/test_protocol.py keeps it current).
// build(type, fields) starts from that type's real message and refuses fields the server never sends.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SERVER_MESSAGES = JSON.parse(fs.readFileSync(path.join(here, '..', 'test', 'fixtures', 'stream.json'), 'utf8'));

const templates = {};
const fields = {};
for (const m of SERVER_MESSAGES) {
  templates[m.type] ||= m;
  fields[m.type] = new Set([...(fields[m.type] || []), ...Object.keys(m)]);
}

export const MESSAGE_TYPES = Object.keys(templates);
/** The stages in the order the server runs them, and export's steps (the formats). */
export const STAGES = [...new Set(SERVER_MESSAGES.filter((m) => m.type === 'progress').map((m) => m.stage))];
export const EXPORT_STEPS = SERVER_MESSAGES.filter((m) => m.type === 'progress' && m.stage === 'export' && m.step).map((m) => m.step);

export function build(type, values = {}) {
  const t = templates[type];
  if (!t) throw new Error(`the server sends no '${type}' message`);
  for (const k of Object.keys(values)) {
    if (!fields[type].has(k)) throw new Error(`the server's '${type}' message has no '${k}'`);
  }
  const m = { ...t, ...values };
  if (type === 'progress' && !values.step) delete m.step;
  return m;
}
