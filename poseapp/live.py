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

from webapp.security_headers import content_security_policy, permissions_policy

from . import jobs, quotas
from .consumers import FORBIDDEN, LayerConsumer
from .queues import LIVE_CHANNEL
from .tasks import QueueUnavailable

LIVE_CLIENT_TYPES = ("start", "frame", "stop")                     # page -> server (docs/websocket.md)
LIVE_MESSAGE_TYPES = ("ready", "pose3d", "busy", "full", "error")     # server -> page
READY_TIMEOUT_S = 20.0    # the lifter loads torch and the model on its first session
BLAZEPOSE_POINTS = 33
MAX_TAKE_FRAMES = 60 * 60 * 60  # an hour at 60 fps: far more than a take's JSON may carry anyway
NOT_RUNNING = ("The live 3D service is not answering. It may still be starting: reload the page in a "
               "minute. If this goes on, the administrator should start it (docs: Live mode).")


class LiveConsumer(LayerConsumer):
    """/ws/live/: one live session per connection (see the module docstring)."""

    started = False
    answered = False

    async def connect(self):
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=FORBIDDEN)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "start":
            await self.channel_layer.send(LIVE_CHANNEL, {
                "type": "live.start", "reply": self.channel_name, "width": content.get("width"),
                "height": content.get("height"), "height_m": content.get("height_m")})
            self.started, self.answered = True, False
            asyncio.get_running_loop().create_task(self._expect_answer())
        elif kind == "frame" and self.started:
            kp, t, i = content.get("kp"), content.get("t"), content.get("i")
            if not isinstance(kp, list) or len(kp) != BLAZEPOSE_POINTS or not isinstance(t, (int, float)) \
                    or not isinstance(i, int):
                return  # no person in this frame (or not a frame): nothing to lift
            await self.channel_layer.send(LIVE_CHANNEL, {"type": "live.frame", "reply": self.channel_name,
                                                         "i": i, "t": float(t), "kp": kp, "received": time.time()})
        elif kind == "stop" and self.started:
            await self._stop()

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
                kp[i] = np.asarray(f["kp"], np.float32).reshape(BLAZEPOSE_POINTS, 3)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise TakeError("This take could not be read: record it again.") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192) or not np.isfinite(t).all() or (np.diff(t) < 0).any():
        raise TakeError("This take could not be read: record it again.")
    if np.isnan(kp[:, 0, 0]).all():
        raise TakeError("No person was seen in this take: stand where the camera sees you and record again.")
    return {"width": width, "height": height, "t": t - t[0], "kp": kp}


def grey_video(path: Path, width: int, height: int, frames: int, fps: float) -> None:
    """A plain grey H.264 video of `frames` frames: the job's picture when the take kept none."""
    from imageio_ffmpeg import get_ffmpeg_exe  # no torch; the browser copy uses the same ffmpeg

    w, h = width + width % 2, height + height % 2
    subprocess.run([get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"color=c=0x3a3f4b:s={w}x{h}:r={fps:.4f}", "-frames:v", str(frames), "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=120)


@login_required
@require_POST
def live_take(request):
    """A recorded take -> a job (JSON: {"job", "url"}; 400 with {"error"} for a take that cannot be one)."""
    try:
        upload = request.FILES.get("keypoints")
        if upload is None:
            raise TakeError("This take has no keypoints: record it again.")
        take = read_take(upload.read())
        video = request.FILES.get("video")
        with tempfile.TemporaryDirectory() as tmp:
            if video is None:
                n, duration = len(take["t"]), float(take["t"][-1])
                fps = (n - 1) / duration if n > 1 and duration > 0 else 30.0
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
