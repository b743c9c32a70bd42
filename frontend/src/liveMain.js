// The Live page (issue 31): the camera preview with its 2D, the 3D skeleton beside it as you move, and
// Start/Stop recording a take that becomes an ordinary job. Wiring only: the detector (live/pose2d.js),
// the websocket (live/liveClient.js), the take (live/take.js), the figures (live/latency.js) and the 3D
// view (view3d/scene.js) are their own modules.
import { SkeletonScene } from './view3d/scene.js';
import { poseBounds } from './view3d/coords.js';
import { H36M_PARENTS } from './model/skeleton.js';
import { Pose2D, draw2d } from './live/pose2d.js';
import { LiveClient } from './live/liveClient.js';
import { TakeRecorder, postTake } from './live/take.js';
import { LiveStats } from './live/latency.js';
import { cameraErrorMessage, missingFeature } from './live/messages.js';

const root = document.getElementById('live');
const $ = (id) => document.getElementById(id);
const video = $('live-video');
const overlay = $('live-2d');
const recordButton = $('live-record');
const statusLine = $('live-status');
const errorLine = $('live-error');
const statsLine = $('live-stats');
const stats = new LiveStats();
window.__live = { stats, state: 'starting', jobs: [], errors: [] };

function say(text) {
  statusLine.textContent = text;
}
function fail(text) {
  errorLine.textContent = text;
  errorLine.hidden = !text;
  if (text) window.__live.errors.push(text);
}

async function main() {
  const missing = missingFeature(window);
  if (missing) {
    fail(missing);
    say('');
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    fail(cameraErrorMessage(err));
    say('');
    return;
  }
  video.srcObject = stream;
  await video.play();
  const width = video.videoWidth;
  const height = video.videoHeight;
  overlay.width = width;
  overlay.height = height;

  const scene = new SkeletonScene($('live-3d'), { parents: H36M_PARENTS });
  scene.resize();
  window.addEventListener('resize', () => scene.resize());
  let framed = false;
  let lastBounds = null;
  const loop = (now) => {
    scene.update(now);
    scene.renderIfNeeded();
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  for (const b of document.querySelectorAll('[data-live-view]')) {
    b.addEventListener('click', () => {
      const dir = { front: [0, 0.25, 1], side: [1, 0.25, 0], top: [0.01, 1, 0.01] }[b.dataset.liveView];
      if (lastBounds) scene.frame(lastBounds, { animate: true, direction: dir, keepDirection: false });
    });
  }
  const follow = $('live-follow');
  follow.addEventListener('change', () => scene.setFollowRoot(follow.checked));

  say('Loading the 2D detector…');
  let detector;
  try {
    // ?detector=lite|full: another BlazePose model (tools/bench_live.py measures each)
    const name = new URLSearchParams(window.location.search).get('detector');
    const complexity = { lite: 0, full: 1 }[name];
    detector = new Pose2D(root.dataset.poseBase, complexity === undefined ? {} : { complexity });
    await detector.init();
  } catch (err) {
    fail('The 2D detector could not start in this browser. Reload the page; if it goes on, try another browser.');
    say('');
    return;
  }

  let ready = false;
  const client = new LiveClient(root.dataset.wsUrl, {
    onState: (s) => {
      window.__live.state = s;
      if (s === 'waiting') say('Connection lost: reconnecting…');
      if (s === 'open' && !ready) say('Connecting to the 3D service…');
      if (s === 'open' && ready) say('Reconnected.');
    },
    onMessage: (m) => {
      if (m.type === 'ready') {
        ready = true;
        fail('');
        say(`Live · ${m.model} · 3D about ${Math.round(1000 * m.look_ahead_s)} ms behind the picture`);
        recordButton.disabled = false;
      } else if (m.type === 'pose3d') {
        scene.setPose(m.kp3d, null);
        stats.lifted(m.lift_ms);
        lastBounds = poseBounds(m.kp3d);
        if (!framed && lastBounds) {
          framed = true;
          scene.frame(lastBounds);
        }
        requestAnimationFrame((t) => stats.shown(m.i, t));
      } else if (m.type === 'busy') {
        stats.busy++;
        say(m.message);
      } else if (m.type === 'full' || m.type === 'error') {
        fail(m.message);
        say('');
      }
    },
  });
  client.connect();
  client.start(width, height);

  const take = new TakeRecorder();
  recordButton.addEventListener('click', async () => {
    if (!take.recording) {
      take.start(stream, { keepVideo: $('live-keep-video').checked, width, height });
      recordButton.textContent = 'Stop and make a job';
      say('Recording…');
      return;
    }
    recordButton.disabled = true;
    say('Saving the take…');
    try {
      const form = await take.stop();
      const job = await postTake(root.dataset.takeUrl, root.dataset.csrf, form);
      window.__live.jobs.push(job);
      const link = document.createElement('a');
      link.href = job.url;
      link.id = 'live-job-link';
      link.textContent = 'Your take is a job now: open it';
      statusLine.replaceChildren(link);
    } catch (err) {
      fail(err.message);
    } finally {
      recordButton.disabled = false;
      recordButton.textContent = 'Start recording';
    }
  });

  let i = 0;
  const step = async () => {
    if (video.readyState >= 2) {
      const t = performance.now();
      stats.capture(i, t);
      const kp = await detector.detect(video);
      stats.detected(performance.now(), performance.now() - t);
      draw2d(overlay.getContext('2d'), kp);
      if (kp) client.frame(i, t, kp);
      take.add(t, kp);
      i++;
      if (take.recording) say(`Recording… ${take.seconds.toFixed(1)} s`);
      if (i % 15 === 0) {
        const s = stats.summary();
        statsLine.textContent = `2D ${s.fps2d.toFixed(1)} frames/s · 3D latency ${s.latency_ms_median === null ? '–'
          : Math.round(s.latency_ms_median) + ' ms'} (median)`;
      }
    }
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

main().catch((err) => {
  fail('Live mode stopped unexpectedly. Reload the page to start again.');
  console.error(err);
});
