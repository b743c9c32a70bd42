"""pytest plugin (loaded with `-p tests.private_redis` before Django settings are read): the test run
starts its own private redis-server, as it would on a fresh machine, and points REDIS_URL at it."""
import os
import tempfile
from pathlib import Path

from webapp import embedded_redis

_dir = Path(tempfile.mkdtemp(prefix="posenet-test-redis-"))
_server = embedded_redis.start(_dir, persist=False)
os.environ["REDIS_URL"] = _server.url


def pytest_unconfigure(config):
    _server.stop()
