"""A fixture for tests that send tasks: a Redis of the test's own as the Celery broker, so that what it
sends is not consumed by the live stack's worker and can be read back (queue and `unacked` hash)."""
from dataclasses import dataclass

import pytest
import redis

from poseapp.tasks import run_pose_job
from webapp import embedded_redis


def point_celery_at(url: str) -> None:
    app = run_pose_job.app
    app.conf.broker_url = url
    app._pool = None  # fresh connection pools for the new URL
    app.amqp._producer_pool = None


@dataclass
class Broker:
    url: str
    client: redis.Redis

    def queued_task_ids(self, queue: str = "pose") -> list[str]:
        import json

        return [json.loads(raw)["headers"]["id"] for raw in self.client.lrange(queue, 0, -1)]


@pytest.fixture
def own_broker(tmp_path):
    server = embedded_redis.start(tmp_path / "broker", persist=False)
    saved = run_pose_job.app.conf.broker_url
    point_celery_at(server.url)
    try:
        yield Broker(server.url, redis.Redis.from_url(server.url))
    finally:
        point_celery_at(saved)
        server.stop()
