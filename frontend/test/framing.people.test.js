// Where the camera looks for several people: the group nearest the camera in the frame shown, re-framed when they walk out
// of view; the focused person like the one person (framed, followed). A stand-in scene records the calls.
import { describe, it, expect } from 'vitest';
import { JobModel } from '../src/model/job.js';
import { CameraFraming } from '../src/view3d/framing.js';

// person `id` stands at x = x0 + v·frame (metres), 1.7 m tall
const pose = (x) => Array.from({ length: 17 }, (_, j) => [x, j === 10 ? 1.7 : j === 3 || j === 6 ? 0 : 1, 0]);
const run = (id, start, m, x0, v = 0) => ({
  id, start, kp3d: Array.from({ length: m }, (_, k) => pose(x0 + v * (start + k))), kp2d: null, visible: null,
});

function setup() {
  const job = new JobModel();
  job.apply({ type: 'meta', people_mode: 'several' });
  const scene = {
    followRoot: true, framedOnce: false, animating: false, calls: [],
    controls: { addEventListener() {} },
    setFloorY() {},
    frame(bounds, opts) { this.calls.push({ bounds, ...opts }); this.framedOnce = true; },
  };
  let shown = 0;
  const framing = new CameraFraming({ job, scene, frame: () => shown });
  return { job, scene, framing, show: (f) => { shown = f; } };
}

describe('framing several people', () => {
  it('frames the group nearest the camera in the frame shown, and glides when they walk out of that box', () => {
    const { job, scene, framing, show } = setup();
    // 1 stands at x = 0, 2 walks from x = 2 at 0.2 m a frame; 3 is far away, but only from frame 50
    job.apply({ type: 'frames', start: 0, count: 60, people: [run(1, 0, 60, 0), run(2, 0, 60, 2, 0.2), run(3, 50, 10, 40)] });
    framing.framesArrived();
    expect(scene.calls.length).toBe(1);
    const first = scene.calls[0];
    // frame 0's people, not their paths (x 0..2, widened to GROUP_MIN_SPAN_M), their box fitted tightly
    expect([first.bounds.min[0], first.bounds.max[0]]).toEqual([-0.5, 2.5]);
    expect(first.animate).toBe(false);
    expect(first.tight).toBe(true);
    show(1);
    framing.frameShown(); // 2 moved 0.2 m: still in the box
    expect(scene.calls.length).toBe(1);
    show(10);
    framing.frameShown(); // 2 is at x = 4 now
    expect(scene.calls.length).toBe(2);
    expect(scene.calls[1].bounds.max[0]).toBeCloseTo(4);
    expect(scene.calls[1].animate).toBe(true);
    // the user took the camera: it stays where they put it
    framing.userMovedCamera = true;
    show(55);
    framing.frameShown();
    expect(scene.calls.length).toBe(2);
    // someone 40 m away is drawn but not framed: the group nearest the camera (at x = z = 0) is (issue 33)
    framing.userMovedCamera = false;
    framing.resetView();
    expect(scene.calls[scene.calls.length - 1].bounds.max[0]).toBeLessThan(40);
    // hidden people are left out of the box
    framing.userMovedCamera = false;
    job.people.setHidden(3, true);
    framing.frameShown();
    expect(scene.calls[scene.calls.length - 1].bounds.max[0]).toBeLessThan(40);
  });

  it('the focused person is framed and followed like the one person; Everyone frames the group', () => {
    const { job, scene, framing, show } = setup();
    job.apply({ type: 'frames', start: 0, count: 20, people: [run(1, 0, 20, 0), run(2, 0, 20, 5, 0.1)] });
    framing.framesArrived();
    show(10);
    job.people.focus(2);
    framing.focusChanged();
    const c = scene.calls[scene.calls.length - 1];
    // a person-sized box around person 2 where they are at frame 10 (x = 6), not the group
    expect((c.bounds.min[0] + c.bounds.max[0]) / 2).toBeCloseTo(6);
    expect(c.margin).toBeUndefined();
    const n = scene.calls.length;
    framing.frameShown(); // following: the scene follows the root, no re-framing of a group
    expect(scene.calls.length).toBe(n);
    job.people.focus(null);
    framing.focusChanged();
    const g = scene.calls[scene.calls.length - 1];
    expect([g.bounds.min[0], g.bounds.max[0]]).toEqual([0, 6]);
  });
});
