// A stand-in for the browser's WebSocket in unit tests: records what is sent, lets a test open,
// deliver messages and close with a code. (Tests of our own code against a real server are the
// Python Playwright tests.)
export class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(s) { this.sent.push(JSON.parse(s)); }
  open() { this.readyState = 1; this.onopen && this.onopen(); }
  msg(m) { this.onmessage && this.onmessage({ data: JSON.stringify(m) }); }
  close(code = 1006) { this.readyState = 3; this.onclose && this.onclose({ code }); }
}
