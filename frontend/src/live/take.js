// Recording a take (Start / Stop): the 2D of every frame with its time, and the camera video when the
// user agrees. Stop sends both to /live/takes/, which makes an ordinary job of them (poseapp/live.py).

export class TakeRecorder {
  constructor({ MediaRecorderImpl = globalThis.MediaRecorder } = {}) {
    this.MediaRecorderImpl = MediaRecorderImpl;
    this.recording = false;
    this.frames = [];
  }

  /** Begin a take. keepVideo: also record the camera (WebM), when the browser can. */
  start(stream, { keepVideo, width, height }) {
    this.frames = [];
    this.width = width;
    this.height = height;
    this._t0 = null;
    this._chunks = [];
    this._recorder = null;
    if (keepVideo && this.MediaRecorderImpl && stream) {
      const type = ['video/webm;codecs=vp8', 'video/webm'].find((t) => !this.MediaRecorderImpl.isTypeSupported
        || this.MediaRecorderImpl.isTypeSupported(t));
      this._recorder = new this.MediaRecorderImpl(stream, type ? { mimeType: type } : undefined);
      this._recorder.ondataavailable = (ev) => { if (ev.data && ev.data.size) this._chunks.push(ev.data); };
      this._recorder.start(1000);
    }
    this.recording = true;
  }

  /** One frame of the take: its time (ms, any clock) and its 2D (33 points) or null (no person). */
  add(tMs, kp) {
    if (!this.recording) return;
    if (this._t0 === null) this._t0 = tMs;
    this.frames.push({ t: Math.round(tMs - this._t0) / 1000, kp });
  }

  get seconds() {
    return this.frames.length ? this.frames[this.frames.length - 1].t : 0;
  }

  /** End the take -> FormData for /live/takes/ (keypoints, and video when it was kept). */
  async stop() {
    this.recording = false;
    const form = new FormData();
    const take = { width: this.width, height: this.height, frames: this.frames };
    form.append('keypoints', new Blob([JSON.stringify(take)], { type: 'application/json' }), 'take.json');
    if (this._recorder) {
      const done = new Promise((resolve) => { this._recorder.onstop = resolve; });
      this._recorder.stop();
      await done;
      if (this._chunks.length) form.append('video', new Blob(this._chunks, { type: 'video/webm' }), 'live-take.webm');
    }
    return form;
  }
}

/** POST a take; resolves to {job, url}; rejects with an Error whose message is the server's sentence. */
export async function postTake(url, csrfToken, form, fetchImpl = globalThis.fetch) {
  let res;
  try {
    res = await fetchImpl(url, { method: 'POST', body: form, headers: { 'X-CSRFToken': csrfToken },
      credentials: 'same-origin' });
  } catch (_) {
    throw new Error('The take could not be sent: the connection was lost. Try Stop again.');
  }
  let body = {};
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 201 || (res.status === 503 && body.job)) return body;
  throw new Error(body.error || `The take could not be saved (HTTP ${res.status}).`);
}
