// Live mode's websocket (/ws/live/): start a session, send each frame's 2D, get its 3D back
// (docs/websocket.md, "Live mode"). Reconnects on its own; a new connection starts a new session.
import { JobConnection, websocketUrl } from '../net/connection.js';
import { LIVE_MESSAGE_TYPES } from '../generated/tables.js';

const FORBIDDEN = 4403;

export class LiveClient {
  /** opts: onMessage(msg) for ready/pose/busy/full/error, onState(state) (connecting/open/waiting/closed). */
  constructor(path, { onMessage, onState, WebSocketImpl } = {}) {
    this.onMessage = onMessage || (() => {});
    this.session = null;
    this.refused = false;
    this.conn = new JobConnection(websocketUrl(path), {
      WebSocketImpl,
      onMessage: (m) => this._message(m),
      onState: (s, info) => {
        if (s === 'open' && this.session) this.conn.send({ type: 'start', ...this.session });
        if (onState) onState(s, info);
      },
      shouldReconnect: (ev) => !(ev && ev.code === FORBIDDEN) && !this.refused,
    });
  }

  connect() {
    this.conn.start();
  }

  /** Start lifting: the camera picture's size. Sent again after a reconnect. */
  start(width, height) {
    this.session = { width, height };
    this.conn.send({ type: 'start', ...this.session });
  }

  /** One frame's 2D: its number, its time (ms: the server measures the pace from them), 33 points. */
  frame(i, t, kp) {
    return this.conn.send({ type: 'frame', i, t: Math.round(t * 10) / 10, kp });
  }

  stop() {
    this.session = null;
    this.conn.send({ type: 'stop' });
  }

  close() {
    this.conn.stop();
  }

  _message(m) {
    if (!m || !LIVE_MESSAGE_TYPES.includes(m.type)) return;
    if (m.type === 'full') this.session = null;
    this.onMessage(m);
  }
}
