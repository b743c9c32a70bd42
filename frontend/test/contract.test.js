// The protocol contract, client side: the server's real messages (test/fixtures/stream.json, written
// from poseapp/stream.py's builders by tests/web/test_protocol.py) through the viewer's job model.
// It fails when the server sends a message type or a stage the viewer does not know.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { JobModel } from '../src/model/job.js';
import { STAGE_LABELS, progressText } from '../src/model/progress.js';
import { MESSAGE_TYPES, STAGES, STATUSES, JOINT_NAMES, FORMATS } from '../src/generated/tables.js';
import { build, MESSAGE_TYPES as MOCK_TYPES, EXPORT_STEPS } from '../tools/protocol.mjs';

const messages = JSON.parse(readFileSync(new URL('./fixtures/stream.json', import.meta.url), 'utf8'));

describe('the server protocol', () => {
  it('every message type the server sends is understood, and it sends every type it defines', () => {
    const job = new JobModel();
    const understood = new Set();
    for (const m of messages) if (job.apply(m).type !== 'ignored') understood.add(m.type);
    expect([...new Set(messages.map((m) => m.type))].sort()).toEqual([...MESSAGE_TYPES].sort());
    expect([...understood].sort()).toEqual([...MESSAGE_TYPES].sort());
    expect(job.status).toBe('succeeded');
    expect(job.complete).toBe(true);
    expect(job.buffer.size).toBe(6);
    expect(job.buffer.cuts).toEqual([3]);
    expect(job.jointNames).toEqual([...JOINT_NAMES]);
    expect(job.videoUrl).toBe('/jobs/7/video.mp4');
  });

  it('every stage has a label and the export names its files', () => {
    const stages = [...new Set(messages.filter((m) => m.type === 'progress').map((m) => m.stage))];
    expect(stages).toEqual([...STAGES]);
    for (const s of STAGES) expect(STAGE_LABELS[s], s).toBeTruthy();
    const exportLines = messages.filter((m) => m.stage === 'export').map((m) => progressText(m));
    expect(exportLines).toContain('Writing BVH…');
    expect(exportLines.some((t) => /frames/.test(t))).toBe(false);
    expect(EXPORT_STEPS).toEqual([...FORMATS]);
    // every named step has its own sentence (decode's warm-up: the worker is loading its models)
    const stepLines = messages.filter((m) => m.type === 'progress' && m.step).map((m) => progressText(m));
    expect(stepLines[0]).toBe('Loading the models…');
    for (const t of stepLines) expect(t).toMatch(/^(Writing |Loading )/);
  });

  it('statuses the server can send are the ones the viewer knows', () => {
    const sent = messages.filter((m) => m.type === 'status' || m.type === 'meta').map((m) => m.status);
    for (const s of sent) expect(STATUSES).toContain(s);
  });

  it('the mock server builds its messages from the same fixture', () => {
    expect(MOCK_TYPES.sort()).toEqual([...MESSAGE_TYPES].sort());
    expect(build('progress', { stage: 'lift', done: 1, total: 2 })).toEqual({ type: 'progress', stage: 'lift', done: 1, total: 2 });
    expect(() => build('done')).toThrow(/no 'done' message/);
    expect(() => build('progress', { stag: 'lift' })).toThrow(/no 'stag'/);
  });
});

describe('the server protocol, several people', () => {
  const people = JSON.parse(readFileSync(new URL('./fixtures/stream_people.json', import.meta.url), 'utf8'));

  it('meta says "several", the frames carry people, each person gets their own frames', () => {
    const job = new JobModel();
    for (const m of people) expect(job.apply(m).type, m.type).not.toBe('ignored');
    expect(job.several).toBe(true);
    expect(job.complete).toBe(true);
    expect(job.buffer.size).toBe(6);
    expect(job.buffer.cuts).toEqual([5]);
    expect(job.people.ids).toEqual([1, 2]);
    expect(job.people.track(1).receivedIndices()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(job.people.track(2).receivedIndices()).toEqual([4, 5]);
  });

  it('a one-person job says "one" (and older jobs say nothing: one too)', () => {
    const meta = messages.find((m) => m.type === 'meta');
    const job = new JobModel();
    job.apply(meta);
    expect(job.several).toBe(false);
    expect(meta.people_mode ?? 'one').toBe('one');
  });
});
