"""Fixtures of the fault-injection tests (tests/integration/fault_stack.py)."""
import pytest

from poseapp.models import ApiToken
from tests.integration.fault_stack import FaultStack


@pytest.fixture
def fault_stack(tmp_path, settings):
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media  # this process reads the jobs' files where the stack writes them
    stack = FaultStack(tmp_path, media)
    stack.start_redis()
    try:
        stack.start_web()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def api_token(owner) -> str:
    return ApiToken.objects.create(user=owner).key


@pytest.fixture
def session_cookie(client, owner) -> str:
    client.force_login(owner)
    return f"sessionid={client.cookies['sessionid'].value}"
