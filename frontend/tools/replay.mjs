// The client side of the protocol contract: replay a list of server messages (JSON file) through
// the viewer's job model and print what it made of them (tests/web/test_protocol.py runs this on
// the server's real message builders). No DOM, no three.js.
//   node tools/replay.mjs messages.json
import fs from 'node:fs';
import { JobModel } from '../src/model/job.js';
import { progressText } from '../src/model/progress.js';

const messages = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const job = new JobModel({ status: 'queued' });
const handled = {};
const progress = [];
for (const m of messages) {
  const r = job.apply(m);
  handled[m.type] = r.type !== 'ignored';
  if (m.type === 'progress') progress.push(progressText(job.progress));
}
console.log(JSON.stringify({
  handled, progress, status: job.status, complete: job.complete, frames: job.buffer.size,
  fps: job.fps, jointNames: job.jointNames, videoUrl: job.videoUrl, error: job.error,
  // several people: who came, with which frames, and what a replayed chunk added again (nothing)
  peopleMode: job.peopleMode, cuts: job.buffer.cuts, duplicates: job.buffer.duplicates + job.people.duplicates,
  people: Object.fromEntries(job.people.ids.map((id) => [id, job.people.track(id).receivedIndices()])),
  firstPose: Object.fromEntries(job.people.ids.map((id) => [id, job.people.track(id).kp3d(job.people.range(id).start)])),
}));
