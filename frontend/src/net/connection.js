// Websocket to /ws/jobs/<id>/ with reconnect (exponential backoff) and resume.
import { Backoff } from './backoff.js';
export const TRY_AGAIN_LATER = 1013; // close code: the server cannot stream now (its Redis is away); retried

/** ws:// or wss:// URL for a path, from a location-like object. */
export function websocketUrl(path, loc = globalThis.location) {
  if (/^wss?:\/\//i.test(path)) return path;
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const p = path.startsWith('/') ? path : '/' + path;
  return `${proto}//${loc.host}${p}`;
}

export class JobConnection {
  /**
   * @param {string} url  absolute ws(s) URL
   * @param {object} opts onMessage(msg), onState(state, info), resumeFrom() -> int,
   *                      shouldReconnect() -> bool, WebSocketImpl, backoff, setTimeout/clearTimeout
   */
  constructor(url, opts = {}) {
    this.url = url;
    this.onMessage = opts.onMessage || (() => {});
    this.onState = opts.onState || (() => {});
    this.resumeFrom = opts.resumeFrom || (() => 0);
    this.shouldReconnect = opts.shouldReconnect || (() => true);
    this.WebSocketImpl = opts.WebSocketImpl || globalThis.WebSocket;
    this.backoff = opts.backoff || new Backoff();
    this._setTimeout = opts.setTimeout || ((f, ms) => setTimeout(f, ms));
    this._clearTimeout = opts.clearTimeout || ((t) => clearTimeout(t));
    this.socket = null;
    this.state = 'idle'; // idle | connecting | open | waiting | closed
    this.connects = 0; // successful opens
    this.reconnects = 0; // opens after the first
    this.failures = 0; // consecutive closes without a message
    this._timer = null;
    this._stopped = false;
  }

  start() {
    this._stopped = false;
    this._open();
  }

  /** Close for good (no reconnect). */
  stop() {
    this._stopped = true;
    if (this._timer) this._clearTimeout(this._timer);
    this._timer = null;
    if (this.socket) {
      try {
        this.socket.close();
      } catch (_) {
        /* ignore */
      }
    }
    this._setState('closed');
  }

  send(obj) {
    if (this.socket && this.socket.readyState === 1) {
      this.socket.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  _setState(s, info) {
    this.state = s;
    this.onState(s, info);
  }

  _open() {
    if (this._stopped) return;
    this._timer = null;
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (err) {
      this._scheduleReconnect();
      return;
    }
    this.socket = ws;
    this._gotMessage = false;
    this._setState('connecting');
    ws.onopen = () => {
      if (ws !== this.socket) return;
      this.connects++;
      if (this.connects > 1) {
        this.reconnects++;
        // the server replays everything anyway; this lets it skip what we have
        this.send({ type: 'resume', from: this.resumeFrom() });
      }
      this._setState('open');
    };
    ws.onmessage = (ev) => {
      if (ws !== this.socket) return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      if (!this._gotMessage) {
        this._gotMessage = true;
        this.failures = 0;
        this.backoff.reset();
      }
      this.onMessage(msg);
    };
    ws.onerror = () => {
      /* a close event follows */
    };
    ws.onclose = (ev) => {
      if (ws !== this.socket) return;
      if (!this._gotMessage) this.failures++;
      if (this._stopped || !this.shouldReconnect(ev)) {
        this._setState('closed', { code: ev && ev.code });
        return;
      }
      this._scheduleReconnect(ev);
    };
  }

  _scheduleReconnect(ev) {
    if (this._stopped) return;
    const delay = this.backoff.next();
    this._setState('waiting', { delay, code: ev && ev.code });
    this._timer = this._setTimeout(() => this._open(), delay);
  }

  /** Skip the current backoff wait and reconnect now. */
  reconnectNow() {
    if (this._stopped) return;
    if (this._timer) this._clearTimeout(this._timer);
    this._timer = null;
    if (this.socket && this.socket.readyState <= 1) return;
    this._open();
  }
}
