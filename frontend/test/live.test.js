import { describe, expect, it } from 'vitest';
import { LiveStats, percentile } from '../src/live/latency.js';
import { landmarksToPixels, LIMB_PAIRS } from '../src/live/pose2d.js';
import { cameraErrorMessage } from '../src/live/messages.js';
import { TakeRecorder, postTake } from '../src/live/take.js';

describe('live figures', () => {
  it('percentiles of a list', () => {
    expect(percentile([], 50)).toBe(null);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 95)).toBe(100);
  });

  it('latency from capture to shown, frame rate of the 2D', () => {
    const s = new LiveStats();
    for (let i = 0; i < 5; i++) {
      s.capture(i, 1000 + 100 * i);
      s.detected(1030 + 100 * i, 30);
    }
    s.shown(1, 1250);
    s.shown(2, 1400);
    s.shown(99, 5000); // a frame never captured here: no latency
    s.lifted(12);
    const sum = s.summary();
    expect(sum.fps2d).toBeCloseTo(10, 5);
    expect(sum.poses).toBe(3);
    expect(s.latencies).toEqual([150, 200]);
    expect(sum.lift_ms_median).toBe(12);
    expect(sum.detect_ms_median).toBe(30);
  });
});

describe('live 2D', () => {
  it('landmarks become pixels, 33 or nothing', () => {
    const lm = Array.from({ length: 33 }, (_, k) => ({ x: 0.5, y: k / 33, visibility: 0.91234 }));
    const px = landmarksToPixels(lm, 640, 480);
    expect(px).toHaveLength(33);
    expect(px[0]).toEqual([320, 0, 0.912]);
    expect(landmarksToPixels(lm.slice(1), 640, 480)).toBe(null);
    expect(landmarksToPixels(null, 640, 480)).toBe(null);
    expect(LIMB_PAIRS.every(([a, b]) => a >= 0 && b >= 0)).toBe(true);
  });

  it('camera errors say what to do', () => {
    expect(cameraErrorMessage({ name: 'NotAllowedError' })).toMatch(/Allow it/);
    expect(cameraErrorMessage({ name: 'NotFoundError' })).toMatch(/No camera/);
    expect(cameraErrorMessage({ name: 'Weird' })).toMatch(/could not start/);
  });
});

describe('a take', () => {
  it('keeps each frame with its time from the first, and sends keypoints without video when not kept', async () => {
    const take = new TakeRecorder({ MediaRecorderImpl: null });
    take.add(5, null); // before start: ignored
    take.start(null, { keepVideo: false, width: 640, height: 480 });
    take.add(1000, [[1, 2, 0.9]]);
    take.add(1500, null);
    expect(take.seconds).toBe(0.5);
    const form = await take.stop();
    expect(form.get('video')).toBe(null);
    const body = JSON.parse(await form.get('keypoints').text());
    expect(body).toEqual({ width: 640, height: 480, frames: [{ t: 0, kp: [[1, 2, 0.9]] }, { t: 0.5, kp: null }] });
  });

  it('the server sentence comes back as the error', async () => {
    const reply = (status, body) => async () => ({ status, json: async () => body });
    await expect(postTake('/live/takes/', 't', new FormData(), reply(400, { error: 'No person was seen.' })))
      .rejects.toThrow('No person was seen.');
    await expect(postTake('/live/takes/', 't', new FormData(), reply(201, { job: 3, url: '/jobs/3/' })))
      .resolves.toEqual({ job: 3, url: '/jobs/3/' });
    await expect(postTake('/live/takes/', 't', new FormData(), async () => { throw new Error('x'); }))
      .rejects.toThrow(/connection was lost/);
  });
});

import { LiveClient } from '../src/live/liveClient.js';
import { FakeSocket } from './fakeSocket.js';
import { vi } from 'vitest';

describe('the live websocket', () => {
  it('starts a session on open, starts it again after a reconnect, and stops on 4403', () => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const got = [];
    const states = [];
    const c = new LiveClient('ws://h/ws/live/', { WebSocketImpl: FakeSocket, onMessage: (m) => got.push(m),
      onState: (s) => states.push(s) });
    c.connect();
    c.start(640, 480); // before the socket is open: sent once it opens
    FakeSocket.all[0].open();
    expect(FakeSocket.all[0].sent).toEqual([{ type: 'start', width: 640, height: 480 }]);
    expect(c.frame(3, 12.345, [[1, 2, 0.5]])).toBe(true);
    expect(FakeSocket.all[0].sent[1]).toEqual({ type: 'frame', i: 3, t: 12.3, kp: [[1, 2, 0.5]] });
    FakeSocket.all[0].msg({ type: 'pose3d', i: 3, kp3d: [] });
    FakeSocket.all[0].msg({ type: 'nonsense' });
    expect(got.map((m) => m.type)).toEqual(['pose3d']);
    FakeSocket.all[0].close(1006); // the connection is lost: it reconnects and starts again
    expect(states).toContain('waiting');
    vi.advanceTimersByTime(20000);
    FakeSocket.all[1].open();
    expect(FakeSocket.all[1].sent.filter((m) => m.type === 'start')).toEqual([{ type: 'start', width: 640, height: 480 }]);
    FakeSocket.all[1].close(4403); // not signed in: no more attempts
    vi.advanceTimersByTime(60000);
    expect(FakeSocket.all).toHaveLength(2);
    vi.useRealTimers();
  });
});
