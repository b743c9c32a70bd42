import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import stream
from .models import PoseJob

log = logging.getLogger(__name__)
FORBIDDEN = 4403  # websocket close code: not signed in, or not your job
TRY_AGAIN_LATER = 1013  # websocket close code: the stream's Redis is unreachable; the viewer retries


def _channel_layer_errors() -> tuple[type[BaseException], ...]:
    """What the channel layer raises while Redis is away (not a client that went: uvicorn's
    ClientDisconnected is an OSError, not a ConnectionError)."""
    from redis.exceptions import RedisError

    return (RedisError, ConnectionError)


class LayerConsumer(AsyncJsonWebsocketConsumer):
    """A websocket consumer that listens on the channel layer: while Redis is away that raises, at the
    handshake or while connected (Redis restarting). It closes with TRY_AGAIN_LATER (one log line), not
    an HTTP 500 or a traceback; the page reconnects."""

    refused_unreachable = False  # closed with TRY_AGAIN_LATER (and said so in the log) already

    async def __call__(self, scope, receive, send):
        sent: set[str] = set()

        async def tracked_send(message):
            sent.add(message["type"])
            await send(message)

        try:
            await super().__call__(scope, receive, tracked_send)
        except _channel_layer_errors() as exc:
            if not self.refused_unreachable:
                self._log_unreachable(scope, exc)
            if "websocket.close" in sent:
                return
            try:
                if "websocket.accept" not in sent:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            except (OSError, RuntimeError):
                pass  # the client has gone already

    def _log_unreachable(self, scope, exc) -> None:
        self.refused_unreachable = True
        log.warning("websocket %s refused: the channel layer is unreachable (%s)", scope.get("path"), exc)


class JobConsumer(LayerConsumer):
    """/ws/jobs/<id>/: meta, then every frame chunk so far, then the live tail (only for the owner or staff)."""

    async def connect(self):
        self.job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        job = await self._visible_job()
        if job is None:
            # Accept, then close with 4403: a close before accepting is an HTTP 403 at the handshake,
            # which browsers report as code 1006, and the viewer would retry forever (docs/websocket.md).
            await self.accept()
            await self.close(code=FORBIDDEN)
            return
        group = stream.group_name(self.job_id)
        try:
            await self.channel_layer.group_add(group, self.channel_name)  # join first: see stream.py
        except _channel_layer_errors() as exc:  # Redis is away (restarting): see __call__
            self._log_unreachable(self.scope, exc)
            await self.accept()
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = group
        await self.accept()
        await self.send_json(stream.meta_message(job))
        offset = await self._replay(job.frames_log_path, 0)
        if offset == 0 and not job.is_terminal:  # no final frames yet: the latest provisional ones, if any
            preview = await database_sync_to_async(stream.read_preview)(job)
            if preview is not None:
                await self.send_json(preview)
        job = await database_sync_to_async(PoseJob.objects.select_related("lifter").get)(pk=self.job_id)
        if job.is_terminal:
            # The job may have ended while the log was replayed: its last chunks were written after that
            # read, and their live copies wait behind this handler. No new chunk may follow the final
            # status (live copies of replayed ones still can; clients de-duplicate): the rest of the
            # (now complete) log goes first.
            await self._replay(job.frames_log_path, offset)
            await self.send_json(stream.status_message(job))
        elif job.stage:
            await self.send_json(stream.progress_message(job.stage, job.progress_done, job.progress_total))

    async def _replay(self, path, offset: int) -> int:
        """Send the log's complete chunks after byte `offset`; returns the offset after them."""
        chunks, offset = await database_sync_to_async(stream.read_frames_since)(path, offset)
        for chunk in chunks:
            await self.send_json(chunk)
        return offset

    async def disconnect(self, code):
        if getattr(self, "group", None):
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except _channel_layer_errors():
                pass  # Redis is away; its group entries expire on their own

    async def receive_json(self, content, **kwargs):
        pass  # clients may send {"type": "resume"}; the replay on connect already covers it

    async def job_message(self, event):
        await self.send_json(event["message"])

    @database_sync_to_async
    def _visible_job(self):
        user = self.scope.get("user")
        job = PoseJob.objects.select_related("lifter").filter(pk=self.job_id).first()  # the stream names its model
        if job is None or user is None or not job.visible_to(user):
            return None
        return job
