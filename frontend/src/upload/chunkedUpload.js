// Resumable upload client for /api/uploads/ (docs/api.md, "Large files"): create the upload, send the
// file in chunks at the server's offset, and after a dropped connection wait (backoff), ask the offset
// and go on from there; then finish it into a job. No DOM here: the transport is injected
// (xhrTransport.js in the browser, a fake server in the unit tests).
import { Backoff } from '../net/backoff.js';

export class UploadFailed extends Error {
  /** fields: the server's per-field messages ({height_m: ['…'], …}) when it refused the form. */
  constructor(message, status = 0, fields = {}) {
    super(message);
    this.name = 'UploadFailed';
    this.status = status;
    this.fields = fields;
  }
}

export class UploadCancelled extends Error {
  constructor() {
    super('The upload was cancelled.');
    this.name = 'UploadCancelled';
  }
}

/** Statuses worth retrying after a pause: the server or the network had a moment. */
export function retryable(status) {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

const LOST = 'The connection to the server was lost and did not come back. Please try again.';

export class ChunkedUploader {
  /**
   * @param {object} o file (Blob with name), fields ({smoothing, …}), transport(req) -> {status, data},
   *   csrfToken, endpoint, backoff, maxRetries (in a row, before giving up), sleep(ms),
   *   onProgress({sent, total}), onState(state, info): 'creating' | 'uploading' | 'retrying' | 'finishing'
   */
  constructor(o) {
    this.file = o.file;
    this.fields = o.fields || {};
    this.transport = o.transport;
    this.csrfToken = o.csrfToken || '';
    this.endpoint = o.endpoint || '/api/uploads/';
    this.backoff = o.backoff || new Backoff({ base: 1000, factor: 2, max: 30000 });
    this.maxRetries = o.maxRetries ?? 10;
    this.sleep = o.sleep || ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onProgress = o.onProgress || (() => {});
    this.onState = o.onState || (() => {});
    this.upload = null; // the server's description once created
    this.offset = 0;
    this.failures = 0; // in a row
    this.retries = 0; // in all (for the page and the tests)
    this.cancelled = false;
    this.abort = new AbortController();
  }

  headers(extra = {}) {
    return { 'X-CSRFToken': this.csrfToken, Accept: 'application/json', ...extra };
  }

  /** Upload the whole file; resolves with the job (the API's job JSON). */
  async run() {
    const total = this.file.size;
    this.onState('creating', {});
    const created = await this.call(() => ({
      method: 'POST', url: this.endpoint, headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ filename: this.file.name, size: total, ...this.fields }),
    }), [201]);
    this.upload = created.data;
    this.offset = created.data.offset;
    const chunk = created.data.chunk_size;
    this.onProgress({ sent: this.offset, total });
    while (this.offset < total) {
      this.onState('uploading', { offset: this.offset });
      const start = this.offset;
      const res = await this.attempt({
        method: 'PATCH', url: this.upload.url,
        headers: this.headers({ 'Upload-Offset': String(start), 'Content-Type': 'application/offset+octet-stream' }),
        body: this.file.slice(start, Math.min(total, start + chunk)),
        onProgress: (sent) => this.onProgress({ sent: Math.min(total, start + sent), total }),
      });
      if (res && res.status === 200) {
        this.offset = res.data.offset;
        this.failures = 0;
        this.backoff.reset();
        this.onProgress({ sent: this.offset, total });
      } else if (res && res.status === 409 && typeof (res.data && res.data.offset) === 'number') {
        this.offset = res.data.offset; // the server has a different amount: go on from its offset
        await this.pause();
      } else if (!res || retryable(res.status)) {
        await this.pause();
        this.offset = await this.askOffset();
        this.onProgress({ sent: this.offset, total });
      } else {
        throw this.failure(res);
      }
    }
    this.onState('finishing', {});
    try {
      const done = await this.call(() => ({ method: 'POST', url: this.upload.finish_url, headers: this.headers() }),
        [200, 201], [503]);
      return done.data;
    } catch (err) {
      // 503 with a job: the service's queue is down, but the job exists and will run once it is back
      if (err instanceof UploadFailed && err.status === 503 && err.job) return { ...err.job, queuedWhileDown: err.message };
      throw err;
    }
  }

  /** Where the server is: GET the upload (retrying while the network is down). */
  async askOffset() {
    const res = await this.call(() => ({ method: 'GET', url: this.upload.url, headers: this.headers() }), [200]);
    return res.data.offset;
  }

  /** One request; null if the connection failed. Cancelling rejects with UploadCancelled. */
  async attempt(req) {
    if (this.cancelled) throw new UploadCancelled();
    try {
      return await this.transport({ ...req, signal: this.abort.signal });
    } catch (err) {
      if (this.cancelled) throw new UploadCancelled();
      return null;
    }
  }

  /** A request retried (with backoff) on network errors and retryable statuses, except `final` ones. */
  async call(build, ok, final = []) {
    for (;;) {
      const res = await this.attempt(build());
      // (a success here does not reset the failure count: only bytes accepted by the server do, so a
      // server that answers the offset but never takes a chunk still ends in a sentence)
      if (res && ok.includes(res.status)) return res;
      if (res && (!retryable(res.status) || final.includes(res.status))) throw this.failure(res);
      await this.pause();
    }
  }

  async pause() {
    this.failures++;
    this.retries++;
    if (this.failures > this.maxRetries) throw new UploadFailed(LOST);
    const delay = this.backoff.next();
    this.onState('retrying', { delay, attempt: this.failures });
    await this.sleep(delay);
    if (this.cancelled) throw new UploadCancelled();
  }

  failure(res) {
    const message = (res.data && res.data.error) || `The upload failed (HTTP ${res.status}). Please try again.`;
    const fields = (res.data && res.data.fields) || {};
    const video = fields.video;
    const failed = new UploadFailed(video && video.length ? video.join(' ') : message, res.status, fields);
    if (res.data && res.data.job) failed.job = res.data.job; // the job was made anyway (503: queued for later)
    return failed;
  }

  /** Stop now and delete what the server has (best effort). */
  async cancel() {
    this.cancelled = true;
    this.abort.abort();
    if (this.upload) {
      try {
        await this.transport({ method: 'DELETE', url: this.upload.url, headers: this.headers() });
      } catch (err) { /* it expires on the server anyway */ }
    }
  }
}

/** "42% · 21.0 of 50.0 MB" (MB as in the server's limit: 1024 × 1024 bytes). */
export function progressText(sent, total) {
  const mb = (n) => (n / (1024 * 1024)).toFixed(1);
  const percent = total > 0 ? Math.floor((100 * sent) / total) : 100;
  return `${percent}% · ${mb(sent)} of ${mb(total)} MB`;
}
