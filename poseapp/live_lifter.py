"""The live lifter (issue 31): a Channels worker process (`python manage.py runworker live-lift`) that
turns each live session's 2D frames into 3D, one frame at a time (ml.live.LiveLifter).

The web process never imports torch: the browser's keypoints reach this process through the channel
layer (poseapp/live.py forwards them to LIVE_CHANNEL) and its answers go back to the session's
websocket consumer by its channel name. Messages are handled one after another; each session has its
own state, keyed by that channel name. Capacity is POSENET_LIVE_MAX_SESSIONS sessions; a frame that
waited longer than POSENET_LIVE_MAX_WAIT_MS in the queue is kept as 2D (the window goes on) but not
lifted, and the session is told the server is busy, instead of everyone's 3D drifting ever later;
past half that wait the sessions take turns, so that each gets its share of what the core can lift.
torch and the model load on the first session (warm-up: a few seconds).
"""
from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.exceptions import ChannelFull
from django.conf import settings

from ml.skeleton import BLAZEPOSE_POINTS

from .checkpoint_paths import resolve

log = logging.getLogger(__name__)
RATE_FRAMES = 6       # the page's frame rate is measured on its first frames (its detector's pace, not the camera's)
RATE_WAIT_S = 1.5     # ... or on what arrived in this long
IDLE_S = 10.0          # a session with no message for this long is gone (its page closed without a word)
BUSY_EVERY_S = 5.0     # at most one "busy" notice per session per this many seconds


def live_checkpoint() -> Path:
    """POSENET_LIVE_CHECKPOINT, else the shipped live lifter (ml/weights/lifter_live.pt), else the
    offline one (it reads a window's last frames too, less well: ml/RESULTS.md)."""
    if settings.POSENET_LIVE_CHECKPOINT:
        return resolve(settings.POSENET_LIVE_CHECKPOINT)
    weights = Path(settings.BASE_DIR) / "ml" / "weights"
    live = weights / "lifter_live.pt"
    return live if live.exists() else weights / "lifter_default.pt"


@dataclass
class Session:
    width: int
    height: int
    height_m: float | None
    seen: float               # time.monotonic() of its last message
    live: object = None       # ml.live.LiveLifter, once the page's frame rate is known
    first: list = field(default_factory=list)  # (page time ms, page frame number, kp) until then
    busy_said: float = 0.0
    lifted: int = 0
    skipped: int = 0
    last_lift: float = 0.0    # time.monotonic() of its last lifted frame
    ids: deque = field(default_factory=lambda: deque(maxlen=512))  # the page's frame numbers, last pushed last


class LiveLiftConsumer(SyncConsumer):
    """Handles live.start / live.frame / live.stop from the websocket consumers (poseapp/live.py)."""

    sessions: dict[str, Session] = {}  # one worker process, one instance; shared on purpose
    lifter = None
    expired_at = 0.0

    def live_start(self, event):
        reply = event["reply"]
        now = time.monotonic()
        self._expire(now)
        self.sessions.pop(reply, None)
        if len(self.sessions) >= settings.POSENET_LIVE_MAX_SESSIONS:
            self._send(reply, {"type": "full", "message": (
                f"Live mode is full right now ({len(self.sessions)} people are using it). "
                "Try again in a few minutes, or upload a video instead.")})
            return
        try:
            width, height = int(event["width"]), int(event["height"])
            height_m = float(event["height_m"]) if event.get("height_m") else None
            assert 16 <= width <= 8192 and 16 <= height <= 8192 and (height_m is None or 0.5 <= height_m <= 2.5)
        except (KeyError, TypeError, ValueError, AssertionError):
            self._send(reply, {"type": "error", "message": "The camera's picture size (or the height given) is not usable."})
            return
        lifter = self._lifter()
        from ml.live import LIVE_LOOK_AHEAD_S

        self.sessions[reply] = Session(width, height, height_m, now)
        self._send(reply, {"type": "ready", "model": lifter.name, "look_ahead_s": LIVE_LOOK_AHEAD_S})

    def live_frame(self, event):
        now = time.monotonic()
        if now - self.expired_at > 1.0:
            self._expire(now)
        s = self.sessions.get(event["reply"])
        if s is None:  # forgotten while the page was idle (or never started): its consumer starts it again
            self.channel_layer_send(event["reply"], {"type": "live.restart"})
            return
        if not isinstance(event.get("t"), (int, float)) or not math.isfinite(event["t"]):
            return
        s.seen = now
        waited_ms = 1000.0 * (time.time() - event["received"])
        import numpy as np

        try:
            kp = np.asarray(event["kp"], np.float32)
        except (TypeError, ValueError):
            return  # not numbers: a broken page, not a reason to stop lifting for everyone
        if kp.shape != (BLAZEPOSE_POINTS, 3) or not np.isfinite(kp).all():
            return
        if s.live is None and not self._begin(s, float(event["t"]), int(event["i"]), kp):
            return
        lift = waited_ms <= settings.POSENET_LIVE_MAX_WAIT_MS and (
            waited_ms <= settings.POSENET_LIVE_MAX_WAIT_MS / 2 or self._turn_of(s, now))
        t0 = time.perf_counter()
        s.ids.append(int(event["i"]))
        try:
            out = s.live.push(kp, lift=lift)
        except Exception:  # noqa: BLE001 - one frame's failure must not stop lifting for everyone
            log.exception("live frame not lifted")
            s.ids.pop()
            return
        if not lift:
            s.skipped += 1
            if now - s.busy_said > BUSY_EVERY_S:
                s.busy_said = now
                self._send(event["reply"], {"type": "busy", "message": (
                    "The server is busy: the 3D skips frames to keep up with you.")})
            return
        if out is None:
            return
        ms = 1000.0 * (time.perf_counter() - t0)
        s.lifted += 1
        s.last_lift = time.monotonic()
        self._send(event["reply"], {"type": "pose3d", "i": s.ids[out.index - s.live.pushed],
                                    "kp3d": np.round(out.world, 4).tolist(), "lift_ms": round(ms, 1)})

    def _begin(self, s: Session, t_ms: float, i: int, kp) -> bool:
        """Collect the first frames until the page's pace is known, then start lifting (True: lift this
        frame). The lifter must know the rate the frames come at: that is how fast it sees people move."""
        if s.first and (t_ms <= s.first[-1][0] or i <= s.first[-1][1]):
            return False  # the page's clock and frame numbers only go forward
        s.first.append((t_ms, i, kp))
        span = (s.first[-1][0] - s.first[0][0]) / 1000.0
        if len(s.first) < RATE_FRAMES and span < RATE_WAIT_S:
            return False
        from ml.live import LiveLifter

        # the page's frame numbers count every camera frame, those without a person too (not sent)
        fps = min(60.0, max(1.0, (s.first[-1][1] - s.first[0][1]) / span))
        s.live = LiveLifter(self._lifter(), s.width, s.height, fps, height_m=s.height_m,
                            flip=settings.POSENET_LIVE_FLIP)
        for _, j, k in s.first[:-1]:  # the window's start; the last one is pushed by the caller
            s.live.push(k, lift=False)
            s.ids.append(j)
        s.first = []
        return True

    def live_stop(self, event):
        s = self.sessions.pop(event["reply"], None)
        if s is not None:
            log.info("live session ended: %d frames lifted, %d skipped", s.lifted, s.skipped)

    def _turn_of(self, s: Session, now: float) -> bool:
        """While the queue is behind, sessions take turns (the one lifted longest ago goes next): lifting
        whatever frame is under the wait limit would favour the session whose frames queue first. Only
        sessions sending frames now count (a person out of view sends none)."""
        active = [o.last_lift for o in self.sessions.values() if o.live is not None and now - o.seen < 1.0]
        return not active or s.last_lift <= min(active)

    def _expire(self, now: float) -> None:
        self.expired_at = now
        for name in [n for n, s in self.sessions.items() if now - s.seen > IDLE_S]:
            del self.sessions[name]

    @classmethod
    def _lifter(cls):
        if cls.lifter is None:
            import torch

            from ml.lift import Lifter
            torch.set_num_threads(1)  # one core per lifter; the browser and the web server need the rest
            cls.lifter = Lifter.load(live_checkpoint())
        return cls.lifter

    def _send(self, reply: str, message: dict) -> None:
        self.channel_layer_send(reply, {"type": "live.reply", "message": message})

    def channel_layer_send(self, reply: str, event: dict) -> None:
        try:
            async_to_sync(self.channel_layer.send)(reply, event)
        except ChannelFull:  # that page is not reading its answers (gone): nothing more to do for it
            pass
