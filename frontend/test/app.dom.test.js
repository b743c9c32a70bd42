// @vitest-environment happy-dom
// The whole viewer in a DOM (no WebGL here: it runs on its NullScene), driven by a fake websocket.
import { describe, it, expect, vi } from 'vitest';
import { frame, mountViewer, useViewerFakes } from './viewerPage.js';
import { FakeSocket } from './fakeSocket.js';


const chunk = (start, n) => ({
  type: 'frames', start,
  kp2d: Array.from({ length: n }, (_, k) => Array.from({ length: 17 }, (_, j) => [100 + j, 200 + start + k, 0.9])),
  kp3d: Array.from({ length: n }, (_, k) => Array.from({ length: 17 }, (_, j) => [0.01 * (start + k), 0.1 * j, 0])),
});
const meta = (status = 'running') => ({
  type: 'meta', fps: 25, width: 640, height: 480, frame_count: null, status,
  joint_names: Array.from({ length: 17 }, (_, j) => `j${j}`), parents: [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15],
});

const page = ({ downloads = '{"json":"/jobs/7/download/json","bvh":"/jobs/7/download/bvh"}', ...rest } = {}) =>
  mountViewer({ progress: 'detect 1 / 2', downloads, ...rest });

useViewerFakes();

describe('viewer page', () => {
  it('streams a live job: status, progress, playback at the live edge, reconnect without loss or duplicates', () => {
    page();
    const pv = window.poseViewer;
    const s0 = FakeSocket.all[0];
    expect(s0.url).toMatch(/^ws:\/\/[^/]+\/ws\/jobs\/7\/$/);
    s0.open();
    s0.msg(meta());
    s0.msg({ type: 'progress', stage: 'detect', done: 60, total: 100 });
    s0.msg(chunk(0, 50));
    expect(document.getElementById('job-status').textContent).toBe('running');
    expect(document.querySelector('#job-progress .pv-progress-text').textContent).toBe('Detecting 2D keypoints — 60 / 100 frames');
    expect(document.querySelector('#job-progress progress').value).toBeCloseTo(0.6);
    expect(pv.frameCount).toBe(50);
    expect(pv.playing).toBe(true);
    expect(pv.totalFrames).toBe(100);

    // plays at 25 fps, then waits at the newest frame
    for (let t = 0; t <= 1000; t += 40) frame(t);
    expect(pv.currentFrame).toBe(25);
    for (let t = 1100; t <= 3000; t += 100) frame(t);
    expect(pv.currentFrame).toBe(49);
    expect(pv.waiting).toBe(true);
    expect(document.getElementById('viewer').classList.contains('pv-waiting')).toBe(true);

    // the connection drops; it comes back after the backoff and resumes
    s0.close();
    expect(pv.connectionState).toBe('waiting');
    vi.advanceTimersByTime(1000);
    const s1 = FakeSocket.all[1];
    expect(pv.socket).toBe(s1);
    s1.open();
    expect(s1.sent).toEqual([{ type: 'resume', from: 50 }]);
    s1.msg(meta());
    s1.msg(chunk(0, 40)); // replay, in pieces, overlapping
    s1.msg(chunk(40, 40));
    s1.msg(chunk(75, 25)); // live tail overlapping the replay
    expect(pv.receivedIndices()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(pv.duplicatesIgnored).toBe(50 + 5);
    frame(3100);
    frame(3140);
    expect(pv.currentFrame).toBeGreaterThan(49);

    s1.msg({ type: 'status', status: 'succeeded', message: '', frame_count: 100 });
    s1.close(1000);
    vi.advanceTimersByTime(20000);
    expect(FakeSocket.all.length).toBe(2);
    const st = document.getElementById('job-status');
    expect(st.textContent).toBe('succeeded');
    expect(st.classList.contains('status-succeeded')).toBe(true);
    expect(st.classList.contains('status-running')).toBe(false);
    expect(document.querySelector('#job-progress .pv-progress-text').textContent).toBe('Done — 100 frames');
    expect(document.getElementById('job-error').hidden).toBe(true);
    expect(pv.totalFrames).toBe(100);
  });

  it('timeline controls, keyboard and the frame readout', () => {
    page({ status: 'succeeded' });
    const pv = window.poseViewer;
    const s = FakeSocket.all[0];
    // a finished job replays: it reads 'loading' until the final status follows the frames
    expect(pv.status).toBe('loading');
    s.open();
    s.msg(meta('succeeded'));
    s.msg(chunk(0, 30));
    expect(pv.status).toBe('loading');
    expect(pv.jobStatus).toBe('succeeded');
    expect(document.getElementById('job-status').textContent).toBe('succeeded');
    s.msg(chunk(30, 30));
    s.msg({ type: 'status', status: 'succeeded', message: '' });
    expect(pv.status).toBe('succeeded');
    expect(pv.complete).toBe(true);
    pv.pause();
    pv.seek(30);
    expect(pv.currentFrame).toBe(30);
    frame(0);
    expect(document.querySelector('.pv-frame').textContent).toBe('Frame 31 / 60');
    expect(document.querySelector('.pv-time').textContent).toBe('0:01.20 / 0:02.40');
    expect(document.querySelector('.pv-slider').value).toBe('30');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    expect(pv.currentFrame).toBe(31);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', shiftKey: true }));
    expect(pv.currentFrame).toBe(21);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: ' ' }));
    expect(pv.playing).toBe(true);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: ' ' }));
    expect(pv.playing).toBe(false);
    document.querySelector('.pv-next').click();
    expect(pv.currentFrame).toBe(22);
    const slider = document.querySelector('.pv-slider');
    slider.value = '55';
    slider.dispatchEvent(new Event('input'));
    expect(pv.currentFrame).toBe(55);
    // scrubbing while playing holds playback during the drag and resumes it on release (issue 33)
    pv.play();
    slider.value = '40';
    slider.dispatchEvent(new Event('input'));
    expect(pv.playing).toBe(false);
    expect(pv.currentFrame).toBe(40);
    slider.dispatchEvent(new Event('change'));
    expect(pv.playing).toBe(true);
    pv.pause();
    slider.value = '45';
    slider.dispatchEvent(new Event('input'));
    slider.dispatchEvent(new Event('change'));
    expect(pv.playing).toBe(false); // paused before: stays paused
    pv.seek(1000);
    expect(pv.currentFrame).toBe(59);
    pv.setSpeed(0.5);
    expect(document.querySelector('.pv-speed').value).toBe('0.5');
    pv.setSpeed(9);
    expect(pv.speed).toBe(2);
    // play from the end of a finished job starts over; loop wraps around
    pv.play();
    expect(pv.currentFrame).toBe(0);
    for (let t = 10000; t <= 10000 + 2400 + 200; t += 40) frame(t);
    expect(pv.playing).toBe(true);
    expect(pv.currentFrame).toBeLessThan(59);
    expect(pv.momentLink()).toMatch(/#t=\d+\.\d{3}$/);
    // camera presets and toggles work without WebGL too
    pv.setView('front');
    expect(document.querySelector('.pv-view').value).toBe('front');
    pv.resetView();
    expect(document.querySelector('.pv-view').value).toBe('free');
    document.querySelector('.pv-follow').click();
    expect(document.querySelector('.pv-follow').getAttribute('aria-pressed')).toBe('false');
    document.querySelector('.pv-trail').click();
    document.querySelector('.pv-overlay-btn').click();
    document.querySelector('.pv-loop').click();
    expect(pv.loop).toBe(false);
  });

  it('scene cuts are ticks on the timeline titled "Scene cut"; clicking one seeks there', () => {
    page({ status: 'succeeded' });
    const pv = window.poseViewer;
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta('succeeded'));
    s.msg(chunk(0, 30)); // an old-format chunk: no visible, no cuts
    expect(document.querySelectorAll('.pv-cut').length).toBe(0);
    s.msg({ ...chunk(30, 31), visible: Array.from({ length: 31 }, () => Array(17).fill(1)), cuts: [45] });
    s.msg({ type: 'status', status: 'succeeded', message: '' });
    const ticks = [...document.querySelectorAll('.pv-cut')];
    expect(ticks.map((t) => [t.title, t.dataset.frame, t.style.left])).toEqual([['Scene cut', '45', '75%']]);
    pv.pause();
    ticks[0].click();
    expect(pv.currentFrame).toBe(45);
  });

  it('a failed job shows the sentence, never a stack trace', () => {
    page();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    s.msg({ type: 'status', status: 'failed', message: 'This file is not a video we can read.\nTraceback (most recent call last):\n  File "x"' });
    const err = document.getElementById('job-error');
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe('This file is not a video we can read.');
    expect(window.poseViewer.status).toBe('failed');
  });

  it('a job that ends before its first frame shows no empty viewer; a cancel is not an error', () => {
    page();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    const root = document.getElementById('viewer');
    expect(root.dataset.empty).toBeUndefined();
    s.msg({ type: 'status', status: 'cancelled', message: 'The job was cancelled.' });
    frame(16);
    expect(root.dataset.empty).toBe('true');
    expect(document.querySelector('.pv-progress-text').textContent).toBe('Cancelled');
    expect(document.getElementById('job-error').hidden).toBe(true);
  });

  it('a job that fails after some frames keeps them on show', () => {
    page();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    s.msg(chunk(0, 10));
    s.msg({ type: 'status', status: 'failed', message: 'The worker stopped.' });
    frame(16);
    expect(document.getElementById('viewer').dataset.empty).toBeUndefined();
    expect(document.getElementById('job-error').textContent).toBe('The worker stopped.');
  });

  it('a forbidden socket stops reconnecting and says so', () => {
    page();
    FakeSocket.all[0].close(4403);
    vi.advanceTimersByTime(30000);
    expect(FakeSocket.all.length).toBe(1);
    expect(document.getElementById('job-error').textContent).toMatch(/sign in/);
    expect(fetch).toHaveBeenCalledWith('/jobs/7/result.json', { credentials: 'same-origin' });
    expect(window.poseViewer.quality).toBe('none');
    // no WebGL, no mannequin: the Skeleton | Mannequin toggle stays disabled and says why
    expect(document.querySelector('.pv-figure').title).toMatch(/needs WebGL/);
    expect(document.querySelector('.pv-figure input[value=mannequin]').disabled).toBe(true);
    expect(window.poseViewer.figure).toBe('skeleton');
  });

  it('a socket closed with 1013 (the server\'s Redis is away) says the server is restarting and retries', () => {
    page();
    FakeSocket.all[0].close(1013);
    const badge = document.querySelector('[data-state="waiting"]');
    expect(badge && badge.textContent).toMatch(/^The server is restarting — retrying in \d+ s$/);
    vi.advanceTimersByTime(30000);
    expect(FakeSocket.all.length).toBeGreaterThan(1);
    FakeSocket.all[1].close(1006);
    expect(document.querySelector('[data-state="waiting"]').textContent).toMatch(/^Connection lost/);
  });

  it('download buttons and a link to a moment', () => {
    page({ status: 'succeeded', hash: '#t=1.02' });
    const links = [...document.querySelectorAll('a.pv-dl')].map((a) => [a.dataset.format, a.getAttribute('href'), a.textContent]);
    expect(links).toEqual([
      ['json', '/jobs/7/download/json', 'JSON'],
      ['bvh', '/jobs/7/download/bvh', 'BVH (rig)'],
    ]);
    const pv = window.poseViewer;
    expect(pv.playing).toBe(false);
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta('succeeded'));
    s.msg(chunk(0, 20));
    expect(pv.currentFrame).toBe(0); // frame 25 not there yet
    s.msg(chunk(20, 20));
    expect(pv.currentFrame).toBe(25);
    expect(pv.playing).toBe(false);
  });

  it('a moment link frames the person where the moment shows them, not where they started', () => {
    page({ status: 'succeeded', hash: '#f=35' });
    const scene = window.__poseViewerApp.scene;
    const targets = [];
    scene.frame = (target) => { targets.push(target); scene.framedOnce = true; };
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta('succeeded'));
    s.msg(chunk(0, 20));                     // the person walks along x: 0.01 m per frame
    s.msg(chunk(20, 20));
    expect(window.poseViewer.currentFrame).toBe(35);
    const last = targets[targets.length - 1];
    const cx = (last.min[0] + last.max[0]) / 2;
    expect(cx).toBeGreaterThan(0.3);         // around frame 35's root (x 0.35), not frame 0's (x 0)
  });

  it('a page without a video URL shows 2D only until the server announces a browser copy', () => {
    page({ status: 'running' });
    const pv = window.poseViewer;
    expect(pv.videoState).toBe('none');
    expect(pv.videoTime()).toBeNull();
    expect(document.querySelector('.pv-panelvideo').classList.contains('pv-novideo')).toBe(true);
    const s = FakeSocket.all[0];
    s.open();
    s.msg({ ...meta(), video_ready: true });
    expect(pv.videoState).toBe('none'); // meta.video_ready with no URL to load: stays 2D
    s.msg({ type: 'video', url: '/jobs/7/video.mp4' });
    expect(pv.videoState).toBe('loading');
    expect(document.querySelector('video.pv-video').getAttribute('src')).toBe('/jobs/7/video.mp4');
    expect(document.querySelector('.pv-panelvideo').classList.contains('pv-novideo')).toBe(false);
  });

  it('downloads appear once the job succeeds; a browser copy that becomes ready is loaded', () => {
    page({ status: 'running', video: '/jobs/7/video.mp4' });
    const pv = window.poseViewer;
    const video = document.querySelector('video.pv-video');
    expect(video).not.toBeNull();
    video.dispatchEvent(new Event('error')); // no browser copy yet (404)
    expect(pv.videoState).toBe('error');
    expect(document.querySelector('.pv-video-note').hidden).toBe(false);
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    expect(document.querySelector('.pv-downloads').hidden).toBe(true);
    s.msg({ type: 'video', url: '/jobs/7/video.mp4' });
    expect(pv.videoState).toBe('loading');
    expect(document.querySelector('.pv-video-note').hidden).toBe(true);
    s.msg(chunk(0, 10));
    s.msg({ type: 'status', status: 'succeeded', message: '' });
    expect(document.querySelector('.pv-downloads').hidden).toBe(false);
    expect(document.querySelectorAll('a.pv-dl').length).toBe(2);
  });
});

describe('the page follows the job', () => {
  const withActions = (status) => {
    const app = page({ status, video: '/jobs/7/video.mp4' });
    return app;
  };
  const actions = () => {
    const mk = (id, extra = '') => `<form id="${id}" ${extra}><button>${id}</button></form>`;
    document.body.insertAdjacentHTML('afterbegin', mk('cancel-form') + mk('retry-form', 'hidden data-can-retry="true"'));
  };

  it('Cancel gives way to Retry and Delete when the job fails; a 404 video reads as being prepared', () => {
    document.body.innerHTML = '';
    withActions('running');
    actions();
    const pv = window.poseViewer;
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    document.querySelector('video.pv-video').dispatchEvent(new Event('error'));
    const note = document.querySelector('.pv-video-note');
    expect(note.textContent).toMatch(/^Preparing a browser copy/);
    s.msg({ type: 'progress', stage: 'export', done: 3, total: 6, step: 'bvh' });
    frame(16);
    expect(document.querySelector('.pv-progress-text').textContent).toBe('Writing BVH…');
    s.msg({ type: 'status', status: 'failed', message: 'The job failed.' });
    expect(document.querySelector('.pv-progress-bar').hidden).toBe(true); // not a full bar that reads as "done"
    expect(document.getElementById('cancel-form').hidden).toBe(true);
    expect(document.getElementById('retry-form').hidden).toBe(false);
    expect(note.textContent).toBe('No browser copy of the video: the job stopped before it was made.'); // none is coming now
    expect(pv.jobStatus).toBe('failed');
  });

  it('no Retry after a success, nor for an upload that was not kept', () => {
    withActions('running');
    actions();
    const s = FakeSocket.all[0];
    s.open();
    s.msg(meta());
    s.msg({ type: 'status', status: 'succeeded', message: '' });
    expect(document.getElementById('cancel-form').hidden).toBe(true);
    expect(document.getElementById('retry-form').hidden).toBe(true);
    document.getElementById('retry-form').dataset.canRetry = 'false';
    s.msg({ type: 'status', status: 'failed', message: 'Not a video.' });
    expect(document.getElementById('retry-form').hidden).toBe(true);
  });

  it('a failed page keeps its sentence and actions as rendered, before (or without) the websocket', () => {
    const forms = '<form id="retry-form" hidden data-can-retry="true"></form><a id="upload-another" href="/">Upload another video</a>';
    mountViewer({ status: 'failed', error: 'No person was found in any frame of this video.', repeats: true, before: forms });
    expect(document.getElementById('job-error').hidden).toBe(false);
    expect(document.getElementById('job-error').textContent).toBe('No person was found in any frame of this video.');
    expect(document.getElementById('retry-form').hidden).toBe(true);
    expect(document.getElementById('upload-another').hidden).toBe(false);
  });

  it('a failure that is the video\'s own offers another upload instead of Retry', () => {
    document.body.innerHTML = '';
    withActions('running');
    actions();
    document.body.insertAdjacentHTML('afterbegin', '<a id="upload-another" href="/" hidden>Upload another video</a>');
    const s = FakeSocket.all[FakeSocket.all.length - 1];
    s.open();
    s.msg(meta());
    s.msg({ type: 'status', status: 'failed', message: 'No person was found in any frame of this video.', repeats: true });
    expect(document.getElementById('retry-form').hidden).toBe(true);
    expect(document.getElementById('upload-another').hidden).toBe(false);
    // a worker lost mid-job is not the video's fault: Retry, and no "upload another"
    s.msg({ type: 'status', status: 'failed', message: 'The worker stopped.', repeats: false });
    expect(document.getElementById('retry-form').hidden).toBe(false);
    expect(document.getElementById('upload-another').hidden).toBe(true);
  });

  it('a page left open while the job ends names the deletion date (the server\'s sentence)', () => {
    const running = 'Results are kept for 30 days after the job ends, then deleted with the job.';
    mountViewer({ before: `<p id="job-expiry">${running}</p>` });
    const s = FakeSocket.all[FakeSocket.all.length - 1];
    s.open();
    s.msg(meta());
    s.msg({ type: 'status', status: 'running', message: '', expiry: { before: running, at: null, at_text: '', after: '' } });
    const el = document.getElementById('job-expiry');
    expect(el.textContent).toBe(running);
    expect(el.querySelector('time')).toBe(null);
    s.msg({ type: 'status', status: 'succeeded', message: '', expiry: { before: 'This job and its files will be deleted on ',
      at: '2026-12-31T09:30:00Z', at_text: '31 Dec 2026 at 09:30 UTC', after: ' (30 days after it ended).' } });
    const time = el.querySelector('time[data-local]');
    expect(time.dateTime).toBe('2026-12-31T09:30:00Z');
    expect(el.textContent).toBe('This job and its files will be deleted on 31 Dec 2026 at 09:30 UTC (30 days after it ended).');
  });

  it('the queue line goes as soon as the job has left the queue', () => {
    mountViewer({ status: 'queued', before: '<p id="job-queue">Yours is next in the queue.</p>' });
    const s = FakeSocket.all[FakeSocket.all.length - 1];
    s.open();
    s.msg({ type: 'status', status: 'queued', message: '' });
    expect(document.getElementById('job-queue').hidden).toBe(false);
    s.msg({ type: 'status', status: 'running', message: '' });
    expect(document.getElementById('job-queue').hidden).toBe(true);
  });
});
