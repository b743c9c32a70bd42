from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import stream
from .models import PoseJob

FORBIDDEN = 4403  # websocket close code: not signed in, or not your job


class JobConsumer(AsyncJsonWebsocketConsumer):
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
        self.group = stream.group_name(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)  # join first: see stream.py
        await self.accept()
        await self.send_json(stream.meta_message(job))
        offset = await self._replay(job.frames_log_path, 0)
        job = await database_sync_to_async(PoseJob.objects.get)(pk=self.job_id)
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
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        pass  # clients may send {"type": "resume"}; the replay on connect already covers it

    async def job_message(self, event):
        await self.send_json(event["message"])

    @database_sync_to_async
    def _visible_job(self):
        user = self.scope.get("user")
        job = PoseJob.objects.filter(pk=self.job_id).first()
        if job is None or user is None or not job.visible_to(user):
            return None
        return job
