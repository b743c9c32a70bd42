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


@pytest.fixture(scope="session")
def short_clip(people_clip, ffmpeg, tmp_path_factory):
    """Frames 30-79 (5 s) of the people clip, where one person is large enough to be found throughout:
    for tests that run several jobs."""
    import subprocess

    out = tmp_path_factory.mktemp("clips") / "people_5s.mp4"
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-i", str(people_clip), "-vf",
                    "select=gte(n\\,30),setpts=PTS-STARTPTS", "-frames:v", "50", "-an", "-c:v", "libx264",
                    "-crf", "18", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out
