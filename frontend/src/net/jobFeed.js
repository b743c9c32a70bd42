// Where the job's messages come from: the websocket (reconnecting with backoff, resuming after the
// frames it has) or, when the socket cannot be used, a finished job's result.json.
import { JobConnection, websocketUrl } from './connection.js';
import { resultToMessages } from './result.js';

const FORBIDDEN = 4403; // websocket close code: not signed in / not your job (docs/websocket.md)

export class JobFeed {
  /** `on`: {message(msg), state(state, connection), forbidden()}. */
  constructor({ wsPath, resultUrl, job, win, on }) {
    Object.assign(this, { wsPath, resultUrl, job, win, on });
    this.connection = null;
    this._resultFetched = false;
  }

  get socket() {
    return this.connection ? this.connection.socket : null;
  }

  start() {
    if (!this.wsPath) {
      this.fetchResult();
      return;
    }
    this.connection = new JobConnection(websocketUrl(this.wsPath, this.win.location), {
      onMessage: (msg) => this.on.message(msg),
      onState: (state, info) => this._state(state, info),
      resumeFrom: () => this.job.available,
      shouldReconnect: (ev) => {
        if (ev && ev.code === FORBIDDEN) {
          this.on.forbidden();
          this.fetchResult();
          return false;
        }
        // a finished job's final status comes after the replay: reconnect until we have it
        return !this.job.finalStatus;
      },
    });
    this.connection.start();
  }

  _state(state, info = {}) {
    this.on.state(state, { connects: this.connection.connects, delay: info.delay || 0, code: info.code });
    if (state === 'waiting' && this.connection.failures >= 3 && this.job.buffer.size === 0) this.fetchResult();
  }

  /** A finished job's result.json still shows everything. */
  async fetchResult() {
    if (!this.resultUrl || this._resultFetched) return;
    this._resultFetched = true;
    try {
      const res = await fetch(this.resultUrl, { credentials: 'same-origin' });
      if (!res.ok) {
        this._resultFetched = false;
        return;
      }
      const data = await res.json();
      for (const m of resultToMessages(data)) this.on.message(m);
      if (this.connection) this.connection.stop();
    } catch (_) {
      this._resultFetched = false;
    }
  }
}
