// Several people (issue 12): the job model merges chunks by person, de-duplicates replays by person and
// frame, and keeps who is hidden and who is followed; result.json version 2 gives the same job.
import { describe, it, expect } from 'vitest';
import { JobModel } from '../src/model/job.js';
import { People, personColor } from '../src/model/people.js';
import { PERSON_COLORS } from '../src/model/personPalette.js';
import { resultToMessages } from '../src/net/result.js';
import { toggleState } from '../src/view3d/mannequin.js';

// a person's run of m frames from frame `start`, with recognisable values (x = id, y = frame)
function run(id, start, m, invisibleJoint = -1) {
  const kp2d = [], kp3d = [], visible = [];
  for (let k = 0; k < m; k++) {
    kp2d.push(Array.from({ length: 17 }, (_, j) => [100 * id + j, start + k, 0.9]));
    kp3d.push(Array.from({ length: 17 }, (_, j) => [id, start + k, 0.01 * j]));
    visible.push(Array.from({ length: 17 }, (_, j) => (j === invisibleJoint ? 0 : 1)));
  }
  return { id, start, kp2d, kp3d, visible };
}

const chunk = (start, count, people, cuts = []) => ({ type: 'frames', start, count, cuts, people });

describe('several-people job model', () => {
  it('meta without people_mode is a one-person job; "several" switches the mode', () => {
    const one = new JobModel();
    one.apply({ type: 'meta', fps: 25 });
    expect(one.several).toBe(false);
    one.apply({ type: 'frames', start: 0, kp2d: [[[1, 2, 0.9]]], kp3d: [[[0, 1, 0]]] });
    expect(one.buffer.size).toBe(1);
    expect(one.people.size).toBe(0);
    const several = new JobModel();
    several.apply({ type: 'meta', fps: 10, people_mode: 'several' });
    expect(several.several).toBe(true);
  });

  it('merges chunks: frames are received for the whole chunk, each person gets their own run', () => {
    const job = new JobModel();
    job.apply({ type: 'meta', people_mode: 'several' });
    // person 1 in frames 0-4, person 2 enters at frame 3; nobody in frame 4 but person 1
    let r = job.apply(chunk(0, 5, [run(1, 0, 5), run(2, 3, 2, 10)]));
    expect(r.added).toEqual([0, 1, 2, 3, 4]);
    expect(r.people).toEqual([{ id: 1, added: [0, 1, 2, 3, 4] }, { id: 2, added: [3, 4] }]);
    // the next chunk: person 1 has left, person 3 enters; frames 7-9 have nobody
    r = job.apply(chunk(5, 5, [run(2, 5, 2), run(3, 6, 1)], [6]));
    expect(r.added).toEqual([5, 6, 7, 8, 9]);
    expect(job.buffer.size).toBe(10);
    expect(job.available).toBe(10);
    expect(job.buffer.cuts).toEqual([6]);
    expect(job.people.ids).toEqual([1, 2, 3]);
    expect(job.people.presentAt(3)).toEqual([1, 2]);
    expect(job.people.presentAt(6)).toEqual([2, 3]);
    expect(job.people.presentAt(8)).toEqual([]);
    expect(job.people.range(2)).toEqual({ start: 3, end: 7 });
    // the data is the person's own, frame by frame
    expect(job.people.track(2).kp3d(4)[0]).toEqual([2, 4, 0]);
    expect(job.people.track(1).kp2d(2)[5]).toEqual([105, 2, 0.9]);
    expect(job.people.track(2).visible(3)[10]).toBe(0);
    expect(job.people.track(1).visible(3)).toBe(null); // all visible
  });

  it('a chunk without count reaches as far as its people', () => {
    const job = new JobModel();
    const r = job.apply({ type: 'frames', start: 10, people: [run(4, 12, 3)] });
    expect(job.several).toBe(true);
    expect(r.added).toEqual([10, 11, 12, 13, 14]);
  });

  it('a replayed chunk is de-duplicated by person and frame; a partly new one adds only what is new', () => {
    const job = new JobModel();
    job.apply({ type: 'meta', people_mode: 'several' });
    const c = chunk(0, 4, [run(1, 0, 4), run(2, 1, 3)]);
    job.apply(c);
    const again = job.apply(JSON.parse(JSON.stringify(c)));
    expect(again.added).toEqual([]);
    expect(again.people).toEqual([]);
    expect(again.changed).toBe(false);
    expect(job.people.duplicates).toBe(7);
    expect(job.buffer.duplicates).toBe(4);
    // first copy wins: a replay with other numbers changes nothing
    const other = run(1, 0, 4);
    other.kp3d[0][0] = [9, 9, 9];
    job.apply(chunk(0, 4, [other]));
    expect(job.people.track(1).kp3d(0)[0]).toEqual([1, 0, 0]);
    // overlapping: frames 2-5, where 4-5 are new for person 1 and the job
    const r = job.apply(chunk(2, 4, [run(1, 2, 4)]));
    expect(r.added).toEqual([4, 5]);
    expect(r.people).toEqual([{ id: 1, added: [4, 5] }]);
    expect(job.people.track(1).size).toBe(6);
  });

  it('hide and show; focus follows one person; hiding the focused one unfocuses', () => {
    const job = new JobModel();
    job.apply(chunk(0, 3, [run(1, 0, 3), run(2, 0, 3), run(3, 1, 2)]));
    const p = job.people;
    expect(p.shownAt(1).map((x) => x.id)).toEqual([1, 2, 3]);
    p.setHidden(2, true);
    expect(p.isHidden(2)).toBe(true);
    expect(p.shownAt(1).map((x) => x.id)).toEqual([1, 3]);
    expect(p.presentAt(1)).toEqual([1, 2, 3]); // hidden people are still there
    expect(p.framingTracks()).toEqual([p.track(1), p.track(3)]);
    expect(p.focus(3)).toBe(3);
    expect(p.framingTracks()).toEqual([p.track(3)]);
    // focusing a hidden person shows them
    expect(p.focus(2)).toBe(2);
    expect(p.isHidden(2)).toBe(false);
    p.setHidden(2, true);
    expect(p.focused).toBe(null);
    p.setHidden(2, false);
    expect(p.shownAt(0).map((x) => x.id)).toEqual([1, 2]);
    // an unknown id is no focus; null is everyone
    expect(p.focus(99)).toBe(null);
    p.focus(1);
    expect(p.focus(null)).toBe(null);
    // all hidden: the camera still has someone to frame
    for (const id of p.ids) p.setHidden(id, true);
    expect(p.shownAt(1)).toEqual([]);
    expect(p.framingTracks().length).toBe(3);
  });

  it('ids cycle through the one person palette', () => {
    const n = PERSON_COLORS.length;
    expect(new Set(PERSON_COLORS).size).toBe(n);
    expect(personColor(1)).toBe(PERSON_COLORS[0]);
    expect(personColor(2)).not.toBe(personColor(1));
    expect(personColor(n + 1)).toBe(PERSON_COLORS[0]);
    expect(personColor(0)).toBe(PERSON_COLORS[n - 1]);
  });

  it('the mannequin (one GLB figure) is offered for one person only', () => {
    expect(toggleState({ status: 'succeeded', glbUrl: '/g', several: true })).toEqual({
      enabled: false, title: 'The mannequin shows one person; this job has several.' });
    expect(toggleState({ status: 'succeeded', glbUrl: '/g' }).enabled).toBe(true);
  });

  it('a new People starts with nobody focused or hidden', () => {
    const p = new People();
    expect([p.size, p.focused, p.hidden.size, p.framingTracks().length]).toEqual([0, null, 0, 0]);
  });
});

describe('result.json version 2', () => {
  const result = {
    format: '3dposenet-result', version: 2, people_mode: 'several', fps: 10, frame_count: 7,
    video_size: [768, 576], cuts: [5], joint_names: null, parents: null,
    people: [
      { id: 1, start: 0, end: 4, keypoints_2d: run(1, 0, 4).kp2d, keypoints_3d: run(1, 0, 4).kp3d, visible: run(1, 0, 4, 3).visible },
      { id: 2, start: 2, end: 7, keypoints_2d: run(2, 2, 5).kp2d, keypoints_3d: run(2, 2, 5).kp3d, visible: run(2, 2, 5).visible },
    ],
  };

  it('becomes the messages of a several-people job, in chunks', () => {
    const msgs = resultToMessages(result, 3);
    expect(msgs[0]).toMatchObject({ type: 'meta', people_mode: 'several', fps: 10, width: 768, frame_count: 7 });
    const frames = msgs.filter((m) => m.type === 'frames');
    expect(frames.map((m) => [m.start, m.count])).toEqual([[0, 3], [3, 3], [6, 1]]);
    expect(frames[1].people.map((p) => [p.id, p.start, p.kp3d.length])).toEqual([[1, 3, 1], [2, 3, 3]]);
    expect(frames[1].cuts).toEqual([5]);
    const job = new JobModel();
    for (const m of msgs) job.apply(m);
    expect(job.several && job.complete).toBe(true);
    expect(job.buffer.size).toBe(7);
    expect(job.people.range(1)).toEqual({ start: 0, end: 4 });
    expect(job.people.range(2)).toEqual({ start: 2, end: 7 });
    expect(job.people.track(2).kp3d(6)[0]).toEqual([2, 6, 0]);
    expect(job.people.track(1).visible(0)[3]).toBe(0);
  });

  it('a version 1 file still gives a one-person job', () => {
    const v1 = { fps: 25, video_size: [640, 480], keypoints_2d: run(1, 0, 2).kp2d, keypoints_3d: run(1, 0, 2).kp3d };
    const job = new JobModel();
    for (const m of resultToMessages(v1)) job.apply(m);
    expect(job.several).toBe(false);
    expect(job.buffer.kp3d(1)[0]).toEqual([1, 1, 0]);
  });
});
