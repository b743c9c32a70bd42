// Dev harness: a stand-in for the Django job page + websocket, for trying the viewer by hand.
//   node tools/mock-server.mjs [--port 8077] [--frames 185] [--fps 25] [--rate 40] [--video FILE]
//                              [--result result.json]   (stream a real result instead of synthetic frames)
//                              [--people N]   (a several-people job: N synthetic walkers entering and leaving)
// Page: http://127.0.0.1:8077/jobs/42/  (?done=1 for a finished job, ?novideo=1 without video)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { pose2d, pose3d, NAMES, PARENTS } from './synthetic.mjs';
import { build, EXPORT_STEPS } from './protocol.mjs'; // the server's message shapes

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', 'dist');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, k, arr) => (a.startsWith('--') ? [...acc, [a.slice(2), arr[k + 1]]] : acc), []),
);
const PORT = +(args.port || 8077);
let FRAMES = +(args.frames || 185);
let FPS = +(args.fps || 25);
const RATE = +(args.rate || 40); // frames produced per second by the fake worker
const CHUNK = +(args.chunk || 8);
const VIDEO = args.video && fs.existsSync(args.video) ? args.video : '';
if (args.video && !VIDEO) console.warn(`no such video: ${args.video} (serving the page without one)`);
let W = +(args.width || 1280), H = +(args.height || 720);
// --result FILE: stream a real result.json (docs/result-format.md) instead of synthetic frames
const REAL = args.result ? JSON.parse(fs.readFileSync(args.result, 'utf8')) : null;
if (REAL) {
  FRAMES = REAL.frame_count ?? REAL.keypoints_3d.length;
  FPS = REAL.fps;
  [W, H] = REAL.video_size;
}

// one fake job: frames are "computed" over time from server start (or instantly with ?done=1)
let t0 = Date.now();
const computed = () => Math.min(FRAMES, Math.floor(((Date.now() - t0) / 1000) * RATE));

function page(q) {
  const video = q.get('novideo') || !VIDEO ? '' : '/jobs/42/video.mp4';
  const done = q.get('done') ? '1' : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Job 42 — 3DPoseNet (mock)</title>
<link rel="stylesheet" href="/static/viewer.css">
<style>body{margin:0;background:#0e1013;color:#ddd;font-family:system-ui}main{max-width:1280px;margin:0 auto;padding:12px}</style>
</head><body><main>
<h1>Job 42</h1>
<p>Status: <span id="job-status">${done ? 'succeeded' : 'running'}</span></p>
<div id="job-progress"></div><div id="job-error"></div>
<div id="viewer" data-ws-url="/ws/jobs/42/${done ? '?done=1' : q.get('fail') ? '?fail=1' : ''}" data-job-id="42" data-video-url="${video}"
 data-result-url="/jobs/42/result.json"
 data-downloads='{"json":"/jobs/42/download/json","csv":"/jobs/42/download/csv","bvh":"/jobs/42/download/bvh"}'></div>
</main><script type="module" src="/static/viewer.js"></script></body></html>`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/jobs/42/' || url.pathname === '/') {
    if (url.searchParams.get('restart')) t0 = Date.now();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(page(url.searchParams));
  }
  if (url.pathname.startsWith('/static/')) {
    const f = path.join(dist, path.normalize(url.pathname.slice(8)));
    if (!f.startsWith(dist) || !fs.existsSync(f)) { res.writeHead(404); return res.end(); }
    const type = f.endsWith('.js') ? 'text/javascript' : f.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    return fs.createReadStream(f).pipe(res);
  }
  if (url.pathname === '/jobs/42/video.mp4' && VIDEO) {
    const size = fs.statSync(VIDEO).size;
    const range = /bytes=(\d*)-(\d*)/.exec(req.headers.range || '');
    if (range) {
      const start = range[1] ? +range[1] : 0;
      const end = range[2] ? +range[2] : size - 1;
      res.writeHead(206, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
      return fs.createReadStream(VIDEO, { start, end }).pipe(res);
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': size });
    return fs.createReadStream(VIDEO).pipe(res);
  }
  if (url.pathname === '/jobs/42/result.json' && REAL) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(REAL));
  }
  if (url.pathname === '/jobs/42/result.json') {
    const kp2d = [], kp3d = [];
    for (let i = 0; i < FRAMES; i++) { kp2d.push(p2(i)); kp3d.push(p3(i)); }
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ format: '3dposenet-result', version: 1, fps: FPS, frame_count: FRAMES, video_size: [W, H], joint_names: NAMES, parents: PARENTS, keypoints_2d: kp2d, keypoints_3d: kp3d, visible: Array.from({ length: FRAMES }, (_, i) => vis(i)), cuts: CUTS }));
  }
  res.writeHead(404);
  res.end('not found');
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  const url = new URL(req.url, 'http://x');
  if (!url.pathname.startsWith('/ws/jobs/42/')) return sock.destroy();
  wss.handleUpgrade(req, sock, head, (ws) => serve(ws, url.searchParams.get('done') === '1', url.searchParams.get('fail') === '1'));
});

const p2 = (i) => (REAL ? REAL.keypoints_2d[i] : pose2d(i, FPS, W, H));
const p3 = (i) => (REAL ? REAL.keypoints_3d[i] : pose3d(i, FPS));

// visibility and scene cuts as the worker sends them (docs/websocket.md): a real result's, else
// synthetic ones (the wrists unseen every 10th frame, a cut at 60 % of the clip)
const CUTS = REAL ? REAL.cuts || [] : [Math.floor(FRAMES * 0.6)];
const vis = (i) => (REAL ? (REAL.visible || [])[i] || NAMES.map(() => 1) : NAMES.map((_, j) => (i % 10 === 0 && (j === 13 || j === 16) ? 0 : 1)));

// --people N: person k walks the same circle 1.6 m further along x, enters at frame 8(k-1), leaves
// 6(k-1) frames before the end (docs/websocket.md's several-people `frames`)
const PEOPLE = +(args.people || 0);
const span = (k) => [8 * (k - 1), FRAMES - 6 * (k - 1)];
const shift3 = (pose, k) => pose.map(([x, y, z]) => [x + 1.6 * (k - 1), y, z]);
const shift2 = (pose, k) => pose.map(([x, y, c]) => [x + (k - 1) * W / (PEOPLE + 1), y, c]);
function peopleChunk(start, n) {
  const people = [];
  for (let k = 1; k <= PEOPLE; k++) {
    const [a, b] = span(k);
    const s = Math.max(a, start), e = Math.min(b, start + n);
    if (e <= s) continue;
    const kp2d = [], kp3d = [], visible = [];
    for (let i = s; i < e; i++) { kp2d.push(shift2(p2(i), k)); kp3d.push(shift3(p3(i), k)); visible.push(vis(i)); }
    people.push({ id: k, start: s, kp2d, kp3d, visible });
  }
  return { type: 'frames', start, count: n, cuts: CUTS.filter((c) => c >= start && c < start + n), people };
}

// a real several-people result (version 2): each person's run inside the chunk
function realPeopleChunk(start, n) {
  const people = [];
  for (const p of REAL.people) {
    const s = Math.max(p.start, start), e = Math.min(p.end, start + n);
    if (e <= s) continue;
    const cut = (a) => a.slice(s - p.start, e - p.start);
    people.push({ id: p.id, start: s, kp2d: cut(p.keypoints_2d), kp3d: cut(p.keypoints_3d), visible: cut(p.visible) });
  }
  return { type: 'frames', start, count: n, cuts: CUTS.filter((c) => c >= start && c < start + n), people };
}

function chunk(start, n) {
  if (REAL && REAL.people) return realPeopleChunk(start, n);
  if (PEOPLE) return peopleChunk(start, n);
  const kp2d = [], kp3d = [], visible = [];
  for (let i = start; i < start + n; i++) { kp2d.push(p2(i)); kp3d.push(p3(i)); visible.push(vis(i)); }
  return build('frames', { start, kp2d, kp3d, visible, cuts: CUTS.filter((c) => c >= start && c < start + n) });
}

function serve(ws, done, fail) {
  const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));
  const avail = () => (done ? FRAMES : computed());
  const meta = build('meta', { job_id: 42, fps: FPS, width: W, height: H, frame_count: FRAMES + 22, joint_names: NAMES, parents: PARENTS,
    status: avail() >= FRAMES ? 'succeeded' : 'running', video_ready: !!VIDEO });
  send(PEOPLE || (REAL && REAL.people) ? { ...meta, people_mode: 'several' } : meta);
  // replay what exists (in big chunks), overlapping one frame on purpose to exercise dedupe
  let sent = 0;
  const upto = avail();
  for (let s = 0; s < upto; s += 60) { send(chunk(Math.max(0, s - 1), Math.min(60, upto - s) + (s ? 1 : 0))); }
  sent = upto;
  const timer = setInterval(() => {
    const a = avail();
    if (a < FRAMES) send(build('progress', { stage: 'lift', done: a, total: FRAMES }));
    while (sent + CHUNK <= a || (a >= FRAMES && sent < FRAMES)) {
      const n = Math.min(CHUNK, FRAMES - sent);
      send(chunk(sent, n));
      sent += n;
    }
    if (fail && sent >= 40) {
      send(build('status', { status: 'failed', message: 'No person was found after frame 40 of this video.', frame_count: null }));
      clearInterval(timer);
      setTimeout(() => ws.close(), 100);
      return;
    }
    if (sent >= FRAMES) {
      // the export, one named step per file, as the task reports it
      EXPORT_STEPS.forEach((step, i) => send(build('progress', { stage: 'export', done: i, total: EXPORT_STEPS.length, step })));
      send(build('status', { status: 'succeeded', message: '', frame_count: FRAMES }));
      clearInterval(timer);
      setTimeout(() => ws.close(), 100);
    }
  }, 100);
  ws.on('message', (m) => { try { const x = JSON.parse(m); if (x.type === 'resume') console.log('resume from', x.from); } catch (_) {} });
  ws.on('close', () => clearInterval(timer));
}

server.listen(PORT, '127.0.0.1', () => console.log(`mock job page: http://127.0.0.1:${PORT}/jobs/42/`));
