// Playback's one state machine (idle / playing / waiting / ended), on its own clock and on a video.
import { describe, it, expect } from 'vitest';
import { Playback } from '../src/playback/playback.js';
import { JobModel } from '../src/model/job.js';

const chunk = (start, n) => ({
  type: 'frames', start,
  kp2d: Array.from({ length: n }, () => Array.from({ length: 17 }, () => [1, 1, 1])),
  kp3d: Array.from({ length: n }, () => Array.from({ length: 17 }, () => [0, 1, 0])),
});

/** A stand-in for VideoSource: a clock we move by hand. */
class FakeVideo {
  constructor(drives) {
    this.drives = drives;
    this.t = 0;
    this.paused = true;
    this.ended = false;
    this.fps = 10;
  }
  get frame() { return Math.floor(this.t * this.fps + 1e-6); }
  get fraction() { return 0; }
  play() { this.paused = false; }
  pause() { this.paused = true; }
  seekToFrame(f) { this.t = (f + 0.5) / this.fps; }
  showFrame(f) { if (this.frame !== f) this.seekToFrame(f); }
  setRate() {}
  retryAfterGesture() {}
}

function setup(drives) {
  const job = new JobModel({ status: 'running' });
  job.apply({ type: 'meta', fps: 10, status: 'running' });
  const video = new FakeVideo(drives);
  let changes = 0;
  const pb = new Playback({ job, video, onChange: () => changes++ });
  return { job, video, pb, changes: () => changes };
}

describe('Playback on its own clock', () => {
  it('waits at the live edge, goes on when frames come, ends (loop off) or loops', () => {
    const { job, pb } = setup(false);
    job.apply(chunk(0, 5));
    pb.play();
    expect(pb.state).toBe('playing');
    pb.tick(1); // 10 frames' worth, only 5 here
    expect(pb.state).toBe('waiting');
    expect(pb.frame).toBe(4);
    job.apply(chunk(5, 5));
    pb.tick(0.1);
    expect(pb.state).toBe('playing');
    expect(pb.frame).toBe(5);
    job.apply({ type: 'status', status: 'succeeded', message: '' });
    pb.setLoop(false);
    pb.tick(1);
    expect(pb.state).toBe('ended');
    expect(pb.playing).toBe(false);
    expect(pb.frame).toBe(9);
    pb.play(); // from the end: starts over
    expect(pb.frame).toBe(0);
    expect(pb.state).toBe('playing');
    pb.pause();
    expect(pb.state).toBe('idle');
  });
});

describe('Playback on a video', () => {
  it('the video drives the frame; held at the live edge while the job runs', () => {
    const { job, video, pb } = setup(true);
    job.apply(chunk(0, 5));
    pb.play();
    expect(pb.driver).toBe('video');
    expect(video.paused).toBe(false);
    video.t = 0.35;
    pb.tick(0.016);
    expect(pb.frame).toBe(3);
    video.t = 0.72; // past the frames we have
    pb.tick(0.016);
    expect(pb.state).toBe('waiting');
    expect(video.paused).toBe(true);
    expect(pb.frame).toBe(4);
    job.apply(chunk(5, 5));
    pb.framesArrived();
    expect(pb.state).toBe('playing');
    expect(video.paused).toBe(false);
  });

  it("the user's pause on the video pauses; a failed video hands over to the clock", () => {
    const { job, video, pb } = setup(true);
    job.apply(chunk(0, 5));
    pb.play();
    pb.userPaused();
    expect(pb.state).toBe('idle');
    pb.play();
    video.drives = false; // the source failed
    pb.videoFailed();
    pb.tick(0.1);
    expect(pb.driver).toBe('clock');
    expect(pb.state).toBe('playing');
    expect(pb.frame).toBe(1);
  });
});
