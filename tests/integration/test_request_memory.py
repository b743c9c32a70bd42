"""Issue 30: no request body is held in the web server's memory. Against the real server process (as
`make run` starts it), 300 MB multipart bodies are posted anonymously to the sign-in page, to the API and
to a page that does not exist, and once signed in (API token) as a one-request upload; the server's
resident memory, sampled every 10 ms, grows by at most 64 MiB in each case. The anonymous bodies are
refused (413) before they are read; the signed-in one is stored on disk and then refused as not a video.
Figures go to test-artifacts/request_memory.json."""
import json
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest

from poseapp.models import ApiToken

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
MiB = 1024 * 1024
BODY_MB = 300
LIMIT_MIB = 64
ROOT = Path(__file__).resolve().parents[2]


class PeakRss:
    """The largest resident memory of one process while the block runs, sampled every 10 ms."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.before = self.peak = self.after = 0

    def __enter__(self):
        self.before = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc):
        time.sleep(0.3)
        self._stop.set()
        self._thread.join()
        self.after = self.process.memory_info().rss
        return False

    def figures(self) -> dict:
        return {"before_mib": round(self.before / MiB), "peak_mib": round(self.peak / MiB),
                "after_mib": round(self.after / MiB), "growth_mib": round((self.peak - self.before) / MiB, 1)}


def post_multipart(port: int, path: str, size: int, headers: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """POST a generated multipart body of `size` bytes (a 'video' part of noise) through a raw socket,
    streaming it in 1 MiB pieces; the response is read in parallel, so a server that answers early and
    closes is seen answering. Returns (status, body) of the response."""
    boundary = "posenetboundary7f3a"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    filler = size - len(head) - len(tail)
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {size}",
             f"Content-Type: multipart/form-data; boundary={boundary}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = bytearray()

    def read():
        try:
            while chunk := sock.recv(65536):
                received.extend(chunk)
        except OSError:
            pass
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    block = bytes(range(256)) * (MiB // 256)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + head)
        while filler > 0:
            piece = block[:min(filler, len(block))]
            sock.sendall(piece)
            filler -= len(piece)
        sock.sendall(tail)
    except OSError:
        pass  # the server answered and closed before the whole body was sent: that is the point
    reader.join(timeout)
    sock.close()
    status_line = bytes(received).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 "), f"no response: {bytes(received[:200])!r}"
    return int(status_line.split()[1]), bytes(received).split(b"\r\n\r\n", 1)[-1]


def test_large_bodies_never_held_in_memory(live_stack, owner):
    token = ApiToken.objects.create(user=owner).key
    post_multipart(live_stack.port, "/accounts/login/", 4096)  # warm: the first request loads the app
    size = BODY_MB * MiB
    cases = [
        ("anonymous to the sign-in page", "/accounts/login/", {}, 413),
        ("anonymous to the API", "/api/jobs/", {}, 413),
        ("anonymous to a missing page", "/no/such/page/", {}, 413),
        ("a made-up session cookie to the API", "/api/jobs/", {"Cookie": "sessionid=madeup"}, 413),
        ("a made-up API token", "/api/jobs/", {"Authorization": "Token madeup"}, 413),
        ("signed-in one-request upload (API token)", "/api/jobs/", {"Authorization": f"Token {token}"}, 400),
    ]
    figures = {}
    for name, path, headers, expected in cases:
        with PeakRss(live_stack.web.pid) as rss:
            started = time.monotonic()
            status, body = post_multipart(live_stack.port, path, size, headers)
        figures[name] = dict(rss.figures(), status=status, seconds=round(time.monotonic() - started, 1),
                             answer=body[:160].decode(errors="replace"))
        assert status == expected, (name, status, body[:300])
        assert rss.peak - rss.before <= LIMIT_MIB * MiB, (name, figures[name])
    # What the refusals and the refusal of the stored file say.
    assert "sign in" in figures["anonymous to the API"]["answer"].lower()
    assert "not a video" in figures["signed-in one-request upload (API token)"]["answer"].lower() or \
        "video" in figures["signed-in one-request upload (API token)"]["answer"].lower()
    out = ROOT / "test-artifacts" / "request_memory.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"body_mb": BODY_MB, "cases": figures}, indent=2))
    print(json.dumps(figures, indent=2))
