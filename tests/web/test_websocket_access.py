"""/ws/jobs/<id>/: the owner gets meta + replay + status; another user and anonymous are refused."""
import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from poseapp import stream
from poseapp.models import PoseJob, Video
from poseapp.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
app = URLRouter(websocket_urlpatterns)


@pytest.fixture
def job(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = PoseJob.objects.create(owner=owner, status="succeeded", frame_count=3,
                                 video=Video.objects.create(owner=owner, original_name="a.mp4"))
    job.work_dir.mkdir(parents=True)
    zero = [[[0.0, 0.0, 1.0]] * 17] * 3
    stream.append_frames(job, stream.frames_message(0, zero[:2], zero[:2]))
    stream.append_frames(job, stream.frames_message(2, zero[2:], zero[2:]))
    return job


async def connect(job, user):
    communicator = WebsocketCommunicator(app, f"/ws/jobs/{job.pk}/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_owner_gets_meta_then_replay_then_status(job, owner):
    communicator, connected, _ = await connect(job, owner)
    assert connected
    messages = [await communicator.receive_json_from() for _ in range(4)]
    assert [m["type"] for m in messages] == ["meta", "frames", "frames", "status"]
    assert messages[0]["joint_names"][0] == "pelvis" and len(messages[0]["parents"]) == 17
    assert [m["start"] for m in messages[1:3]] == [0, 2]
    assert messages[3]["status"] == "succeeded"
    await communicator.disconnect()


async def assert_refused_with_4403(communicator, connected):
    # accepted, then closed with 4403 before any message (not refused at the handshake: see consumers.py)
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    assert await communicator.receive_nothing()


async def test_other_user_is_refused(job, other_user):
    communicator, connected, _ = await connect(job, other_user)
    await assert_refused_with_4403(communicator, connected)


async def test_anonymous_is_refused(job):
    communicator, connected, _ = await connect(job, AnonymousUser())
    await assert_refused_with_4403(communicator, connected)


async def test_a_missing_job_is_refused_alike(job, owner):
    communicator = WebsocketCommunicator(app, f"/ws/jobs/{job.pk + 1000}/")
    communicator.scope["user"] = owner
    connected, _ = await communicator.connect()
    await assert_refused_with_4403(communicator, connected)


async def test_a_job_that_ends_during_the_replay_sends_its_last_chunks_before_the_status(owner, settings, tmp_path,
                                                                                        monkeypatch):
    """The race seen in CI: the log is read, then the job writes its last chunk and succeeds before the
    consumer reads its status. The client must still get every frame before the final status."""
    from channels.db import database_sync_to_async

    settings.MEDIA_ROOT = tmp_path
    job = await database_sync_to_async(PoseJob.objects.create)(
        owner=owner, status="running", frame_count=3,
        video=await database_sync_to_async(Video.objects.create)(owner=owner, original_name="a.mp4"))
    job.work_dir.mkdir(parents=True)
    zero = [[[0.0, 0.0, 1.0]] * 17] * 3
    stream.append_frames(job, stream.frames_message(0, zero[:2], zero[:2]))
    real_read = stream.read_frames_since

    def read_then_the_job_ends(path, offset):
        out = real_read(path, offset)
        if offset == 0:  # the worker finishes right after the consumer's first read
            stream.append_frames(job, stream.frames_message(2, zero[2:], zero[2:]))
            PoseJob.objects.filter(pk=job.pk).update(status="succeeded")
        return out

    monkeypatch.setattr(stream, "read_frames_since", read_then_the_job_ends)
    communicator, connected, _ = await connect(job, owner)
    assert connected
    messages = [await communicator.receive_json_from() for _ in range(4)]
    assert [m["type"] for m in messages] == ["meta", "frames", "frames", "status"]
    assert [m["start"] for m in messages[1:3]] == [0, 2] and messages[3]["status"] == "succeeded"
    await communicator.disconnect()


async def test_a_viewer_that_comes_before_the_first_final_frames_gets_the_latest_preview(owner, settings, tmp_path):
    """Issue 33: provisional frames are sent live, never logged; one who connects before any final frame
    (the job page opening just after the upload) gets the latest of them after meta; once final frames
    are logged, only those replay."""
    from channels.db import database_sync_to_async

    settings.MEDIA_ROOT = tmp_path
    job = await database_sync_to_async(PoseJob.objects.create)(
        owner=owner, status="running", video=await database_sync_to_async(Video.objects.create)(
            owner=owner, original_name="a.mp4"))
    job.work_dir.mkdir(parents=True)
    zero = [[[0.0, 0.0, 1.0]] * 17] * 8
    stream.write_preview(job, stream.frames_message(0, zero, zero, provisional=True))
    communicator, connected, _ = await connect(job, owner)
    first, second = await communicator.receive_json_from(), await communicator.receive_json_from()
    assert (first["type"], second["type"], second.get("provisional"), len(second["kp3d"])) == ("meta", "frames", True, 8)
    await communicator.disconnect()
    stream.append_frames(job, stream.frames_message(0, zero[:5], zero[:5]))  # the first final frames
    communicator, connected, _ = await connect(job, owner)
    first, second = await communicator.receive_json_from(), await communicator.receive_json_from()
    assert second["type"] == "frames" and "provisional" not in second and len(second["kp3d"]) == 5
    assert await communicator.receive_nothing()
    await communicator.disconnect()
