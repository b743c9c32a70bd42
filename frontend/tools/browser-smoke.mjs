// Browser smoke test of the built viewer against the mock job server (not part of `npm test`;
// the project's end-to-end tests are the Python Playwright ones in tests/e2e).
//   npm run build && npm i --no-save playwright-core && node tools/browser-smoke.mjs [--video FILE]
// Uses Debian's chromium (CHROMIUM=/usr/bin/chromium by default).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (_) {
  console.error('needs playwright-core: npm i --no-save playwright-core');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const video = args.includes('--video') ? args[args.indexOf('--video') + 1] : '';
const port = 8090 + Math.floor(Math.random() * 500);
const server = spawn(process.execPath, [path.join(here, 'mock-server.mjs'), '--port', String(port), ...(video ? ['--video', video] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((res) => server.stdout.once('data', res));
const base = `http://127.0.0.1:${port}/jobs/42/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
const check = (cond, msg) => {
  console.log(cond ? 'PASS' : 'FAIL', msg);
  if (!cond) failures++;
};
async function open(url, viewport = { width: 1366, height: 900 }) {
  const page = await browser.newPage({ viewport });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.poseViewer);
  return page;
}
const ev = (page, f) => page.evaluate(f);

try {
  // live job: drop the socket mid-stream, expect every frame exactly once
  let page = await open(base + '?restart=1');
  await page.waitForFunction(() => window.poseViewer.frameCount > 20);
  await ev(page, () => window.poseViewer.socket.close());
  await page.waitForFunction(() => window.poseViewer.status === 'succeeded', null, { timeout: 30000 });
  const idx = await ev(page, () => window.poseViewer.receivedIndices());
  check(idx.length === 185 && idx.every((v, i) => v === i), `reconnect keeps frames 0..184 exactly once (${idx.length})`);
  check((await ev(page, () => window.poseViewer.reconnects)) >= 1, 'reconnected');

  await ev(page, () => { window.poseViewer.pause(); window.poseViewer.seek(100); });
  await page.waitForTimeout(400);
  let s = await ev(page, () => [window.poseViewer.currentFrame, window.poseViewer.videoFrame()]);
  check(s[0] === 100 && (s[1] == null || Math.abs(s[1] - 100) <= 1), `seek: 3D ${s[0]}, video ${s[1]}`);
  if (video) {
    await ev(page, () => { document.querySelector('video').currentTime = 2.0; });
    await page.waitForTimeout(400);
    s = await ev(page, () => window.poseViewer.currentFrame);
    check(s === 50, `scrubbing the video moves the 3D frame (${s})`);
  }
  const shot = () => ev(page, () => document.querySelector('#viewer canvas').toDataURL());
  const a = await shot();
  await ev(page, () => window.poseViewer.seek(20));
  await page.waitForTimeout(300);
  check(a !== (await shot()), 'another frame draws another picture');
  await page.keyboard.press('Space');
  await page.waitForTimeout(1000);
  s = await ev(page, () => [window.poseViewer.playing, window.poseViewer.currentFrame, window.poseViewer.videoFrame()]);
  check(s[0] && s[1] > 20 && (s[2] == null || Math.abs(s[1] - s[2]) <= 1), `space plays, video and 3D agree (${s})`);
  check(page.errors.length === 0, `no page errors ${page.errors}`);
  await page.close();

  // moment link on a finished job
  page = await open(base + '?done=1#t=2.02');
  await page.waitForFunction(() => window.poseViewer.status === 'succeeded' && window.poseViewer.frameCount === 185);
  await page.waitForTimeout(300);
  s = await ev(page, () => [window.poseViewer.currentFrame, window.poseViewer.playing]);
  check(s[0] === 50 && s[1] === false, `#t=2.02 opens frame 50, paused (${s})`);
  await page.close();

  // failed job
  page = await open(base + '?restart=1&fail=1');
  await page.waitForFunction(() => window.poseViewer.status === 'failed', null, { timeout: 20000 });
  s = await ev(page, () => [document.getElementById('job-error').textContent, document.getElementById('job-error').hidden]);
  check(s[0].startsWith('No person') && !s[1], `failed job shows its sentence (${s[0]})`);
  await page.close();

  // phone width
  page = await open(base + '?done=1&novideo=1', { width: 390, height: 844 });
  await page.waitForFunction(() => window.poseViewer.frameCount === 185);
  s = await ev(page, () => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
  check(s, 'phone width: no horizontal scrolling');
  await page.close();
} finally {
  await browser.close();
  server.kill();
}
process.exit(failures ? 1 : 0);
