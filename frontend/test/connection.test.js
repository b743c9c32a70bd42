import { describe, it, expect } from 'vitest';
import { JobConnection, websocketUrl } from '../src/net/connection.js';
import { Backoff } from '../src/net/backoff.js';
import { JobModel } from '../src/model/job.js';
import { FakeSocket } from './fakeSocket.js';


function harness() {
  FakeSocket.all = [];
  const timers = [];
  const job = new JobModel({ status: 'running' });
  const states = [];
  const conn = new JobConnection('ws://h/ws/jobs/1/', {
    WebSocketImpl: FakeSocket,
    onMessage: (m) => job.apply(m),
    onState: (s, info) => states.push([s, info && info.delay]),
    resumeFrom: () => job.available,
    shouldReconnect: () => !job.finished,
    backoff: new Backoff({ base: 100, factor: 2, max: 1000, jitter: 0 }),
    setTimeout: (f, ms) => { timers.push({ f, ms }); return timers.length; },
    clearTimeout: () => {},
  });
  return { conn, job, timers, states };
}

const chunk = (start, n) => ({
  type: 'frames', start,
  kp2d: Array.from({ length: n }, () => [[0, 0, 1]]),
  kp3d: Array.from({ length: n }, () => [[0, 1, 0]]),
});

describe('websocketUrl', () => {
  it('follows the page protocol', () => {
    expect(websocketUrl('/ws/jobs/42/', { protocol: 'http:', host: 'a:8000' })).toBe('ws://a:8000/ws/jobs/42/');
    expect(websocketUrl('/ws/jobs/42/', { protocol: 'https:', host: 'a' })).toBe('wss://a/ws/jobs/42/');
    expect(websocketUrl('ws/x', { protocol: 'http:', host: 'a' })).toBe('ws://a/ws/x');
    expect(websocketUrl('wss://b/ws', { protocol: 'http:', host: 'a' })).toBe('wss://b/ws');
  });
});

describe('JobConnection', () => {
  it('reconnects with backoff, resumes, and keeps every frame exactly once', () => {
    const { conn, job, timers } = harness();
    conn.start();
    let s = FakeSocket.all[0];
    s.open();
    s.msg({ type: 'meta', fps: 25, status: 'running' });
    s.msg(chunk(0, 40));
    s.close();
    expect(timers.length).toBe(1);
    expect(timers[0].ms).toBe(100);
    // the next attempt fails before any message: the delay grows
    timers[0].f();
    FakeSocket.all[1].close();
    expect(timers[1].ms).toBe(200);
    timers[1].f();
    s = FakeSocket.all[2];
    s.open();
    expect(s.sent).toEqual([{ type: 'resume', from: 40 }]);
    // the server replays everything, then the live tail (overlapping)
    s.msg({ type: 'meta', fps: 25, status: 'running' });
    s.msg(chunk(0, 30));
    s.msg(chunk(30, 30));
    s.msg(chunk(55, 10));
    expect(job.buffer.receivedIndices()).toEqual(Array.from({ length: 65 }, (_, i) => i));
    expect(conn.reconnects).toBe(1);
    // a message resets the backoff
    s.close();
    expect(timers[2].ms).toBe(100);
  });

  it('does not reconnect once the job is over, nor after stop()', () => {
    const { conn, timers, states } = harness();
    conn.start();
    const s = FakeSocket.all[0];
    s.open();
    s.msg({ type: 'status', status: 'succeeded', message: '' });
    s.close(1000);
    expect(timers.length).toBe(0);
    expect(states.at(-1)[0]).toBe('closed');
    const h2 = harness();
    h2.conn.start();
    h2.conn.stop();
    expect(h2.timers.length).toBe(0);
    expect(h2.conn.send({ a: 1 })).toBe(false);
  });

  it('ignores events from a replaced socket and bad JSON', () => {
    const { conn, job, timers } = harness();
    conn.start();
    const old = FakeSocket.all[0];
    old.open();
    old.close();
    timers[0].f();
    const cur = FakeSocket.all[1];
    cur.open();
    old.msg(chunk(0, 5));
    expect(job.buffer.size).toBe(0);
    cur.onmessage({ data: '{not json' });
    cur.msg(chunk(0, 5));
    expect(job.buffer.size).toBe(5);
  });
});
