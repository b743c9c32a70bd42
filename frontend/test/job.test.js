import { describe, it, expect } from 'vitest';
import { JobModel } from '../src/model/job.js';
import { resultToMessages } from '../src/net/result.js';
import { H36M_PARENTS, bonesFromParents, jointSide, LEFT_JOINTS, RIGHT_JOINTS } from '../src/model/skeleton.js';

const frames = (start, n) => ({
  type: 'frames',
  start,
  kp2d: Array.from({ length: n }, (_, k) => [[start + k, 0, 1]]),
  kp3d: Array.from({ length: n }, (_, k) => [[start + k, 1, 0]]),
});

describe('JobModel', () => {
  it('applies the message sequence of a live job', () => {
    const j = new JobModel({ status: 'queued' });
    j.apply({ type: 'meta', fps: 30, width: 640, height: 480, frame_count: 207, joint_names: ['a'], parents: [-1], status: 'running' });
    expect(j.finalStatus).toBe(false);
    expect(j.fps).toBe(30);
    expect(j.status).toBe('running');
    expect(j.timelineLength).toBe(207);
    j.apply({ type: 'progress', stage: 'detect', done: 12, total: 207 });
    expect(j.progress).toEqual({ stage: 'detect', done: 12, total: 207, step: null });
    const r = j.apply(frames(0, 10));
    expect(r.added.length).toBe(10);
    j.apply(frames(5, 10));
    expect(j.available).toBe(15);
    j.apply({ type: 'status', status: 'succeeded', message: '' });
    expect(j.finished).toBe(true);
    // container metadata lied (207): a finished timeline is what was decoded
    expect(j.timelineLength).toBe(15);
    expect(j.finalStatus).toBe(true);
    expect(j.error).toBe('');
  });

  it('goes back to queued, without the old progress, when its worker stopped and it will run again', () => {
    const j = new JobModel({ status: 'running' });
    j.apply({ type: 'progress', stage: 'detect', done: 12, total: 207 });
    j.apply(frames(0, 10));
    j.apply({ type: 'status', status: 'queued', message: 'The worker stopped. The job will start again.' });
    expect(j.status).toBe('queued');
    expect(j.progress).toBe(null);
    expect(j.finished).toBe(false);
    expect(j.error).toBe('');
    expect(j.message).toBe('The worker stopped. The job will start again.');
    j.apply(frames(0, 10)); // the re-run streams the same frames again
    expect(j.status).toBe('running');
    expect(j.available).toBe(10);
  });

  it('uses the progress total as the timeline estimate while the count is unknown', () => {
    const j = new JobModel({ status: 'running' });
    j.apply({ type: 'meta', fps: 25, status: 'running', frame_count: null });
    j.apply(frames(0, 10));
    expect(j.timelineLength).toBe(10);
    j.apply({ type: 'progress', stage: 'detect', done: 40, total: 207 });
    expect(j.timelineLength).toBe(207);
  });

  it('a finished job replays: meta says succeeded, but the final status only comes after the frames', () => {
    const j = new JobModel({ status: 'succeeded' });
    j.apply({ type: 'meta', fps: 25, status: 'succeeded', frame_count: 5 });
    expect(j.finished).toBe(true);
    expect(j.finalStatus).toBe(false);
    j.apply(frames(0, 5));
    j.apply({ type: 'status', status: 'succeeded', message: '', frame_count: 5 });
    expect(j.finalStatus).toBe(true);
    expect(j.timelineLength).toBe(5);
  });

  it('failure and error messages become human text', () => {
    const j = new JobModel();
    j.apply({ type: 'status', status: 'failed', message: 'No person was found in this video.' });
    expect(j.error).toBe('No person was found in this video.');
    const k = new JobModel();
    k.apply({ type: 'status', status: 'failed', message: '' });
    expect(k.error).toBe('The job failed.');
    k.apply({ type: 'status', status: 'failed', message: 'Boom\n    at foo (x.js:1)' });
    expect(k.error).toBe('Boom');
    // the server never sends 'done' or 'error' messages (poseapp/stream.py MESSAGE_TYPES): ignored
    expect(k.apply({ type: 'done' }).changed).toBe(false);
    expect(k.apply({ type: 'video', url: '/v.mp4' })).toEqual({ type: 'video', changed: true });
    expect(k.videoUrl).toBe('/v.mp4');
    expect(k.apply({ type: 'nonsense' }).changed).toBe(false);
    expect(k.apply(null).changed).toBe(false);
  });

  it('a result file replays as messages', () => {
    const d = {
      format: '3dposenet-result', version: 1, fps: 25, frame_count: 3, video_size: [100, 50],
      joint_names: ['a'], parents: [-1],
      keypoints_2d: [[[1, 1, 1]], [[2, 2, 1]], [[3, 3, 1]]],
      keypoints_3d: [[[0, 1, 0]], [[0, 1, 0]], [[0, 1, 0]]],
    };
    const j = new JobModel({ status: 'running' });
    for (const m of resultToMessages(d, 2)) j.apply(m);
    expect(j.buffer.receivedIndices()).toEqual([0, 1, 2]);
    expect(j.width).toBe(100);
    expect(j.status).toBe('succeeded');
    expect(resultToMessages(null)).toEqual([]);
  });
});

describe('skeleton', () => {
  it('bones follow the parents and sides match the contract', () => {
    const bones = bonesFromParents(H36M_PARENTS);
    expect(bones.length).toBe(16);
    expect(bones).toContainEqual([3, 2]);
    expect(LEFT_JOINTS.map(jointSide)).toEqual(Array(6).fill('left'));
    expect(RIGHT_JOINTS.map(jointSide)).toEqual(Array(6).fill('right'));
    expect(jointSide(0)).toBe('center');
    expect(bonesFromParents([-1, 0, 99, 3])).toEqual([[1, 0]]);
  });
});
