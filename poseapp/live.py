"""Live mode, the web side (issue 31): the Live page, its websocket and a recorded take made a job.

The browser detects the 2D itself (BlazePose, served from our own static files); only keypoints travel.
/ws/live/ (signed-in users) takes a "start" message (width, height), then a "frame" per camera frame (i, t,
kp: the page's frame number and time in ms, 33 BlazePose points: pixels + visibility) and forwards them through the channel layer to the live
lifter (poseapp/live_lifter.py, a worker process: this one never imports torch); its answers come
back as "live.reply" events and go to the page as they are: ready, pose3d, busy, full, error
(docs/websocket.md). POST /live/takes/ turns a take into an ordinary job: with its camera video, the
video is the job's (detected again and lifted offline, the best quality); without it, the browser's
2D is (take.npz beside the job) and the job's video is a plain grey one of the take's length, so every
download exists and no picture of the user is kept.
"""
from __future__ import annotations

import asyncio
import json
import math
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from channels.exceptions import ChannelFull

from ml.skeleton import BLAZEPOSE_POINTS
from webapp.security_headers import content_security_policy, permissions_policy

from . import jobs, quotas
from .consumers import FORBIDDEN, LayerConsumer
from .queues import LIVE_CHANNEL
from .tasks import QueueUnavailable

LIVE_CLIENT_TYPES = ("start", "frame", "stop")                     # page -> server (docs/websocket.md)
LIVE_MESSAGE_TYPES = ("ready", "pose3d", "busy", "full", "error")     # server -> page
READY_TIMEOUT_S = 20.0
MIN_FRAME_GAP_S = 1 / 90  # frames closer than this (faster than any webcam) are dropped: no flood reaches Redis
MAX_TAKE_BYTES = 64 * 1024 * 1024  # a take's keypoints file (an hour at 30 fps is ~40 MB of JSON)
QUEUE_FULL = "The server is busy: the 3D skips frames to keep up with you."    # the lifter loads torch and the model on its first session
MAX_TAKE_FRAMES = 60 * 60 * 60  # an hour at 60 fps (the job's own duration limit applies too)
MAX_TAKE_SIDE = 4096            # the plain video of a take without its own: at most this many pixels a side
NOT_RUNNING = ("The live 3D service is not answering. It may still be starting: reload the page in a "
               "minute. If this goes on, the administrator should start it (docs: Live mode).")


def _frame_points(kp) -> bool:
    """33 points of 3 finite numbers each: what a page's frame must carry (nothing else reaches Redis)."""
    return (isinstance(kp, list) and len(kp) == BLAZEPOSE_POINTS and all(
        isinstance(p, list) and len(p) == 3 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in p)
        for p in kp))


class LiveConsumer(LayerConsumer):
    """/ws/live/: one live session per connection (see the module docstring)."""

    started = False
    answered = False
    start_message: dict | None = None
    last_start = 0.0
    last_frame = 0.0
    said_busy = 0.0

    async def connect(self):
        await self.accept()
        if not self._signed_in():
            await self.close(code=FORBIDDEN)

    def _signed_in(self) -> bool:
        user = self.scope.get("user")
        return user is not None and user.is_authenticated

    async def receive_json(self, content, **kwargs):
        if not self._signed_in():
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "start":
            self.start_message = {"type": "live.start", "reply": self.channel_name, "width": content.get("width"),
                                  "height": content.get("height"), "height_m": content.get("height_m")}
            await self._start()
            asyncio.get_running_loop().create_task(self._expect_answer())
        elif kind == "frame" and self.started:
            kp, t, i = content.get("kp"), content.get("t"), content.get("i")
            if not _frame_points(kp) or not isinstance(t, (int, float)) or not math.isfinite(t) \
                    or not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < 2 ** 53:
                return  # no person in this frame (or not a frame): nothing to lift
            now = time.monotonic()
            if now - self.last_frame < MIN_FRAME_GAP_S:
                return  # faster than any camera: dropped, not queued
            self.last_frame = now
            try:
                await self.channel_layer.send(LIVE_CHANNEL, {"type": "live.frame", "reply": self.channel_name,
                                                             "i": i, "t": float(t), "kp": kp, "received": time.time()})
            except ChannelFull:  # the lifter's queue is full (stopped, or far behind): this frame is dropped
                if now - self.said_busy > 5:
                    self.said_busy = now
                    await self.send_json({"type": "busy", "message": QUEUE_FULL})
        elif kind == "stop" and self.started:
            await self._stop()

    async def _start(self):
        self.started, self.answered, self.last_start = True, False, time.monotonic()
        await self.channel_layer.send(LIVE_CHANNEL, self.start_message)

    async def _expect_answer(self):
        await asyncio.sleep(READY_TIMEOUT_S)
        if self.started and not self.answered:
            await self.send_json({"type": "error", "message": NOT_RUNNING})

    async def live_reply(self, event):
        message = event["message"]
        self.answered = True
        if message.get("type") in ("full", "error"):
            self.started = False
        await self.send_json(message)

    async def live_restart(self, event):
        """The lifter had forgotten this session (idle past poseapp.live_lifter.IDLE_S): start it again."""
        if self.started and self.start_message and time.monotonic() - self.last_start > 2.0:
            await self._start()

    async def _stop(self):
        self.started = False
        await self.channel_layer.send(LIVE_CHANNEL, {"type": "live.stop", "reply": self.channel_name})

    async def disconnect(self, code):
        if self.started:
            try:
                await self._stop()
            except Exception:  # Redis away: the lifter forgets idle sessions by itself
                pass


@login_required
def live_page(request):
    """The camera for this page only, and WebAssembly for its detector (webapp/security_headers.py)."""
    response = render(request, "poseapp/live.html", {})
    response["Permissions-Policy"] = permissions_policy(camera=True)
    if settings.POSENET_CSP:
        header = "Content-Security-Policy-Report-Only" if settings.POSENET_CSP_REPORT_ONLY else "Content-Security-Policy"
        response[header] = content_security_policy(request.csp_nonce, request.get_host(), wasm=True)
    return response


class TakeError(ValueError):
    """A take that cannot become a job; str(exc) is the sentence for people."""


def read_take(raw: bytes) -> dict:
    """The browser's take JSON -> {"width", "height", "t" (T,) s, "kp" (T,33,3) with NaN rows for no person}."""
    try:
        take = json.loads(raw)
        width, height = int(take["width"]), int(take["height"])
        frames = take["frames"]
        assert isinstance(frames, list) and 0 < len(frames) <= MAX_TAKE_FRAMES
        t = np.array([float(f["t"]) for f in frames])
        kp = np.full((len(frames), BLAZEPOSE_POINTS, 3), np.nan, np.float32)
        for i, f in enumerate(frames):
            if f.get("kp") is not None:
                with np.errstate(over="ignore"):  # a huge number becomes inf: that frame has no person (below)
                    kp[i] = np.asarray(f["kp"], np.float32).reshape(BLAZEPOSE_POINTS, 3)
    except (ValueError, KeyError, TypeError, AssertionError, OverflowError):
        raise TakeError("This take could not be read: record it again.") from None
    kp[~np.isfinite(kp).all(axis=(1, 2))] = np.nan  # a frame with a non-number: no person in it
    if not (16 <= width <= MAX_TAKE_SIDE and 16 <= height <= MAX_TAKE_SIDE) or not np.isfinite(t).all() or (np.diff(t) < 0).any():
        raise TakeError("This take could not be read: record it again.")
    if np.isnan(kp[:, 0, 0]).all():
        raise TakeError("No person was seen in this take: stand where the camera sees you and record again.")
    return {"width": width, "height": height, "t": t - t[0], "kp": kp}


def grey_video(path: Path, width: int, height: int, frames: int, fps: float) -> None:
    """A plain grey H.264 video of `frames` frames: the job's picture when the take kept none."""
    from imageio_ffmpeg import get_ffmpeg_exe  # no torch; the browser copy uses the same ffmpeg

    w, h = width + width % 2, height + height % 2
    try:
        subprocess.run([get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"color=c=0x3a3f4b:s={w}x{h}:r={fps:.4f}", "-frames:v", str(frames), "-c:v", "libx264",
                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise TakeError("This take could not be turned into a video on the server: try a shorter take.") from None


@login_required
@require_POST
def live_take(request):
    """A recorded take -> a job (JSON: {"job", "url"}; 400 with {"error"} for a take that cannot be one)."""
    try:
        upload = request.FILES.get("keypoints")
        if upload is None:
            raise TakeError("This take has no keypoints: record it again.")
        if upload.size > MAX_TAKE_BYTES:
            raise TakeError("This take is too long to be kept in one job: record shorter takes.")
        take = read_take(upload.read())
        video = request.FILES.get("video")
        quotas.check_can_submit(request.user, video.size if video is not None else 0)  # before any work
        with tempfile.TemporaryDirectory() as tmp:
            if video is None:
                n, duration = len(take["t"]), float(take["t"][-1])
                fps = min(120.0, max(1.0, (n - 1) / duration)) if n > 1 and duration > 0 else 30.0
                path = Path(tmp) / "live-take.mp4"
                grey_video(path, take["width"], take["height"], n, fps)
                video = UploadedFile(open(path, "rb"), name="live-take.mp4", content_type="video/mp4",
                                     size=path.stat().st_size)
            try:
                job = jobs.create_from_upload(request.user, video, reject_unusable=True,
                                              take=None if "video" in request.FILES else take)
            finally:
                video.close()
    except TakeError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except jobs.UnusableVideo as exc:
        return JsonResponse({"error": f"The take's camera video is not usable: {exc}"}, status=400)
    except quotas.QuotaExceeded as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    except QueueUnavailable as exc:  # the job stays queued; the sweeper sends it once the broker is back
        return JsonResponse({"error": str(exc), "job": exc.job.pk, "url": exc.job.get_absolute_url()},
                            status=503, headers={"Retry-After": "60"})
    return JsonResponse({"job": job.pk, "url": job.get_absolute_url()}, status=201)
