"""What a job's live viewers receive: a channel of the real channel layer joined to the job's group."""
import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from poseapp import stream


class GroupListener:
    def __init__(self, job_id: int):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(stream.group_name(job_id), self.channel)

    def messages(self, timeout: float = 1.0) -> list[dict]:
        """Everything sent to the group so far (waits `timeout` for each next one)."""
        async def drain():
            out = []
            while True:
                try:
                    event = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                except asyncio.TimeoutError:
                    return out
                out.append(event["message"])
        return async_to_sync(drain)()
