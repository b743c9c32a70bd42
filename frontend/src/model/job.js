// Job state built from websocket messages (no DOM, no three.js). The message types are the server's
// (poseapp/stream.py MESSAGE_TYPES, docs/websocket.md); test/contract.test.js replays its real output.
import { FrameBuffer } from './frameBuffer.js';
import { People } from './people.js';
import { H36M_JOINT_NAMES, H36M_PARENTS } from './skeleton.js';
import { humanMessage, isTerminal } from './progress.js';

export class JobModel {
  /** status, error, errorRepeats: what the page was rendered with (the job page's #viewer data), until messages come. */
  constructor({ status = 'queued', error = '', errorRepeats = false } = {}) {
    this.fps = 25;
    this.width = null;
    this.height = null;
    this.declaredFrameCount = null; // from meta; may be the container's (lying) count
    this.jointNames = H36M_JOINT_NAMES.slice();
    this.parents = H36M_PARENTS.slice();
    this.status = status || 'queued';
    this.message = '';
    const ended = status === 'failed' || status === 'cancelled';
    this.error = ended ? humanMessage(error) : '';
    this.errorRepeats = status === 'failed' && Boolean(errorRepeats);
    this.progress = null; // {stage, done, total}
    this.buffer = new FrameBuffer(); // every frame received (a several-people job: the frames, not their people)
    this.peopleMode = 'one'; // meta's people_mode; older jobs have none: one person
    this.people = new People(); // a several-people job's people, by id
    this.gotMeta = false;
    this.finalStatus = false; // a terminal `status` message arrived (it comes after the replay)
    this.videoUrl = ''; // the browser-playable copy, once the server says it is ready ('' = not yet)
    this.videoReady = false;
  }

  /** A several-people job: its frames are in `people`, one FrameBuffer per person. */
  get several() {
    return this.peopleMode === 'several';
  }

  get finished() {
    return isTerminal(this.status);
  }

  /** Every frame has been delivered: the final status came (after the replay). */
  get complete() {
    return this.finalStatus;
  }

  /** Frames 0..available-1 are all present and playable without gaps. */
  get available() {
    return this.buffer.contiguousEnd;
  }

  /** Length of the timeline: what the job will produce as far as we know. */
  get timelineLength() {
    const got = this.buffer.maxIndex + 1;
    if (this.complete) return got;
    // while running: the best estimate of the total (meta's count, else progress's estimate)
    const estimate = this.declaredFrameCount || (this.progress && this.progress.total) || 0;
    return Math.max(got, estimate);
  }

  /**
   * Apply one server message. Returns {type, added?: int[], changed: bool}.
   * Unknown messages are ignored.
   */
  apply(msg) {
    if (!msg || typeof msg !== 'object') return { type: 'ignored', changed: false };
    switch (msg.type) {
      case 'meta': {
        if (Number(msg.fps) > 0) this.fps = Number(msg.fps);
        if (Number(msg.width) > 0) this.width = Number(msg.width);
        if (Number(msg.height) > 0) this.height = Number(msg.height);
        if (msg.frame_count != null && Number(msg.frame_count) >= 0) this.declaredFrameCount = Number(msg.frame_count);
        if (Array.isArray(msg.joint_names) && msg.joint_names.length) this.jointNames = msg.joint_names.slice();
        if (Array.isArray(msg.parents) && msg.parents.length) this.parents = msg.parents.map(Number);
        if (msg.status) this.status = String(msg.status);
        if (msg.video_ready) this.videoReady = true;
        if (msg.people_mode != null) this.peopleMode = msg.people_mode === 'several' ? 'several' : 'one';
        this.gotMeta = true;
        return { type: 'meta', changed: true };
      }
      case 'progress': {
        this.progress = {
          stage: msg.stage || null,
          done: msg.done != null ? Number(msg.done) : null,
          total: msg.total != null ? Number(msg.total) : null,
          step: msg.step ? String(msg.step) : null, // export: the format being written
        };
        if (!this.finished && this.status !== 'running') this.status = 'running';
        return { type: 'progress', changed: true };
      }
      case 'frames': {
        const start = Number(msg.start ?? 0);
        if (!this.finished && this.status === 'queued') this.status = 'running';
        if (Array.isArray(msg.people)) return this._peopleChunk(start, msg);
        const added = this.buffer.addChunk(start, msg.kp2d, msg.kp3d, msg.visible, msg.cuts, 0, msg.provisional === true);
        return { type: 'frames', added, changed: added.length > 0 };
      }
      case 'status': {
        const s = String(msg.status || '');
        if (s) this.status = s;
        if (isTerminal(s)) this.finalStatus = true;
        if (msg.frame_count != null && Number(msg.frame_count) >= 0) this.declaredFrameCount = Number(msg.frame_count);
        this.message = humanMessage(msg.message);
        // the failure is the video's own (no person, not a video, too long): Retry would fail the same way
        this.errorRepeats = s === 'failed' && Boolean(msg.repeats);
        // the page's retention sentence: names the deletion date once the job has ended
        if (msg.expiry && typeof msg.expiry === 'object') this.expiry = msg.expiry;
        // queued again after running: its worker stopped and the job will start over (poseapp/sweeper.py)
        if (s === 'queued') this.progress = null;
        if (s === 'failed' || s === 'cancelled') this.error = this.message || (s === 'failed' ? 'The job failed.' : 'The job was cancelled.');
        else this.error = '';
        return { type: 'status', changed: true };
      }
      case 'video': {
        // the browser copy of the upload is made while the job runs; this says it can be played now
        this.videoReady = true;
        if (msg.url) this.videoUrl = String(msg.url);
        return { type: 'video', changed: true };
      }
      default:
        return { type: 'ignored', changed: false };
    }
  }

  /**
   * A several-people chunk: frames [start, start + count) are received (even those nobody is in),
   * each person's run is added to their own buffer. `added`: the frames new to the job; `people`:
   * [{id, added}] for the people with new frames.
   */
  _peopleChunk(start, msg) {
    this.peopleMode = 'several'; // a chunk with people says so even without meta's field
    let count = Number(msg.count);
    if (!(count >= 0)) {
      // no count: the chunk reaches as far as its people do
      count = 0;
      for (const p of msg.people) {
        const n = Math.max(p && Array.isArray(p.kp3d) ? p.kp3d.length : 0, p && Array.isArray(p.kp2d) ? p.kp2d.length : 0);
        count = Math.max(count, Number(p && p.start) - start + n || 0);
      }
    }
    const provisional = msg.provisional === true; // a first look, replaced by the final frames
    const people = this.people.addChunk(msg.people, provisional);
    const added = this.buffer.addChunk(start, null, null, null, msg.cuts, count, provisional);
    return { type: 'frames', added, people, changed: added.length > 0 || people.length > 0 };
  }
}
