// The whole viewer mounted in a happy-dom page for DOM tests: a fake websocket, a refused fetch, no
// WebGL (the viewer runs on its NullScene), animation frames run by hand and fake timers.
import { beforeEach, afterEach, vi } from 'vitest';
import { mount } from '../src/main.js';
import { FakeSocket } from './fakeSocket.js';

let rafQueue = [];

/** Run the animation frames queued so far at time `now` (ms). */
export function frame(now) {
  const q = rafQueue;
  rafQueue = [];
  q.forEach((cb) => cb(now));
}

/** The job page's markup with the viewer mounted in it. */
export function mountViewer({ status = 'running', progress = '', hash = '', video = '',
  downloads = '{"json":"/jobs/7/download/json"}', error = '', repeats = false, before = '' } = {}) {
  // as poseapp/templates/poseapp/job.html renders it; `before`: more of the page (e.g. its action forms)
  document.body.innerHTML = `${before}
    <strong id="job-status" class="status-${status}">${status}</strong>
    <div id="job-progress">${progress}</div><div id="job-error"${error ? '' : ' hidden'}>${error}</div>
    <div id="viewer" data-ws-url="/ws/jobs/7/" data-job-id="7" data-video-url="${video}" data-result-url="/jobs/7/result.json"
      data-downloads='${downloads}' data-status="${status}" data-error="${error}" data-repeats="${repeats}"></div>`;
  window.location.hash = hash;
  return mount(document.getElementById('viewer'));
}

/** Install the fakes before each test of the file and take them away after it. */
export function useViewerFakes() {
  beforeEach(() => {
    FakeSocket.all = [];
    rafQueue = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve({ ok: false, status: 403 })));
    vi.spyOn(console, 'error').mockImplementation(() => {}); // three.js: no WebGL in happy-dom
    vi.spyOn(window, 'requestAnimationFrame').mockImplementation((cb) => rafQueue.push(cb));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });
}
