"""Resumable chunked uploads (poseapp/chunked_upload.py): create, chunks, offsets, resume, limits,
finishing into a job, and owner / other user / anonymous."""
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from poseapp import chunked_upload
from poseapp.models import ApiToken, ChunkedUpload, PoseJob, Video

pytestmark = pytest.mark.django_db

PIECE = 100_000  # chunks smaller than the limit are fine; the tests send several per file


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def token(owner):
    return ApiToken.objects.create(user=owner)


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def create(client, token, size, filename="clip.mp4", **options):
    return client.post(reverse("api-uploads"), {"filename": filename, "size": size, **options},
                       content_type="application/json", **auth(token))


def patch(client, token, url, offset, data):
    return client.generic("PATCH", url, data, content_type="application/offset+octet-stream",
                          HTTP_UPLOAD_OFFSET=str(offset), **auth(token))


def send_all(client, token, url, data, start=0):
    for offset in range(start, len(data), PIECE):
        response = patch(client, token, url, offset, data[offset:offset + PIECE])
        assert response.status_code == 200, response.content
        assert response.json()["offset"] == min(offset + PIECE, len(data))


def test_upload_in_chunks_then_finish_queues_a_job(client, token, owner, people_clip, media,
                                                   django_capture_on_commit_callbacks):
    data = people_clip.read_bytes()
    created = create(client, token, len(data), filename=people_clip.name, smoothing="strong", height_m=1.7)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["offset"] == 0 and body["size"] == len(data) and body["chunk_size"] == 8 * 1024 * 1024
    assert created["Location"] == body["url"] and not body["complete"]
    send_all(client, token, body["url"], data)
    assert client.get(body["url"], **auth(token)).json()["complete"] is True
    with django_capture_on_commit_callbacks(execute=False) as queued:
        finished = client.post(body["finish_url"], **auth(token))
    assert finished.status_code == 201, finished.content
    job = PoseJob.objects.get(pk=finished.json()["id"])
    assert job.owner == owner and job.status == "queued" and len(queued) == 1
    assert job.smoothing == "strong" and job.height_m == 1.7
    video = Video.objects.get()
    assert video.original_name == people_clip.name and video.size_bytes == len(data)
    assert (media / video.file.name).read_bytes() == data  # moved into place, whole
    assert not any((media / "uploads-partial").iterdir())
    # finishing again (the client lost the first answer) gives the same job, not a second one
    again = client.post(body["finish_url"], **auth(token))
    assert again.status_code == 200 and again.json()["id"] == job.pk and PoseJob.objects.count() == 1


def test_offset_mismatch_is_409_with_the_current_offset(client, token):
    url = create(client, token, 3 * PIECE).json()["url"]
    assert patch(client, token, url, 0, b"a" * PIECE).status_code == 200
    for wrong in (0, 2 * PIECE):  # a repeated chunk, a skipped one
        response = patch(client, token, url, wrong, b"b" * PIECE)
        assert response.status_code == 409
        assert response.json()["offset"] == PIECE and response["Upload-Offset"] == str(PIECE)
    assert chunked_upload.current_offset(ChunkedUpload.objects.get()) == PIECE  # nothing was written


def test_resume_after_a_dropped_connection(client, token, people_clip, django_capture_on_commit_callbacks):
    data = people_clip.read_bytes()
    url = create(client, token, len(data)).json()["url"]
    send_all(client, token, url, data[:PIECE])
    # The connection dropped in the middle of the next chunk: only part of it arrived.
    upload = ChunkedUpload.objects.get()
    with open(upload.part_path, "ab") as f:
        f.write(data[PIECE:PIECE + 1234])
    # The client asks where to go on (HEAD, or GET for JSON) and sends the rest from there.
    head = client.head(url, **auth(token))
    assert head.status_code == 200 and head["Upload-Offset"] == str(PIECE + 1234) and head.content == b""
    assert head["Upload-Length"] == str(len(data))
    send_all(client, token, url, data, start=PIECE + 1234)
    with django_capture_on_commit_callbacks(execute=False):
        finished = client.post(reverse("api-upload-finish", args=[upload.pk]), **auth(token))
    assert finished.status_code == 201
    assert Video.objects.get().file.read() == data


def test_declared_length_over_the_limit_is_refused_at_creation(client, token, settings):
    settings.POSENET_MAX_UPLOAD_MB = 1
    response = create(client, token, 1024 * 1024 + 1)
    assert response.status_code == 413
    assert response.json()["error"] == ("This file is larger than the 1 MB limit. "
                                        "Please upload a shorter or more compressed video.")
    assert not ChunkedUpload.objects.exists()
    assert create(client, token, 1024 * 1024).status_code == 201  # exactly the limit is fine


@pytest.mark.parametrize("body, field", [({"size": 10}, "filename"), ({"filename": "a.mp4"}, "size"),
                                         ({"filename": "a.mp4", "size": "10"}, "size"),
                                         ({"filename": "a.mp4", "size": 0}, "video"),
                                         ({"filename": "a.mp4", "size": 10, "height_m": 9}, "height_m"),
                                         ({"filename": "a.mp4", "size": 10, "smoothing": "max"}, "smoothing")])
def test_a_bad_description_is_400_with_the_field(client, token, body, field):
    response = client.post(reverse("api-uploads"), body, content_type="application/json", **auth(token))
    assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert not ChunkedUpload.objects.exists()


def test_a_chunk_past_the_declared_length_is_refused_unread(client, token):
    url = create(client, token, PIECE).json()["url"]
    assert patch(client, token, url, 0, b"a" * (PIECE - 10)).status_code == 200
    response = patch(client, token, url, PIECE - 10, b"b" * 11)
    assert response.status_code == 413 and "declared" in response.json()["error"]
    assert chunked_upload.current_offset(ChunkedUpload.objects.get()) == PIECE - 10


def test_a_chunk_over_the_chunk_limit_is_refused(client, token, settings):
    settings.POSENET_UPLOAD_CHUNK_MB = 1
    url = create(client, token, 3 * 1024 * 1024).json()["url"]
    response = patch(client, token, url, 0, b"a" * (1024 * 1024 + 1))
    assert response.status_code == 413 and "at most 1 MB" in response.json()["error"]
    assert patch(client, token, url, 0, b"a" * (1024 * 1024)).status_code == 200


def test_a_chunk_without_its_offset_is_400(client, token):
    url = create(client, token, PIECE).json()["url"]
    response = client.generic("PATCH", url, b"abc", content_type="application/offset+octet-stream", **auth(token))
    assert response.status_code == 400 and "Upload-Offset" in response.json()["error"]


def test_a_chunk_with_a_negative_length_is_refused(client, token):
    url = create(client, token, PIECE).json()["url"]
    response = client.generic("PATCH", url, b"abc", content_type="application/offset+octet-stream",
                              HTTP_UPLOAD_OFFSET="0", CONTENT_LENGTH="-1", **auth(token))
    assert response.status_code == 411 and "Content-Length" in response.json()["error"]
    assert chunked_upload.current_offset(ChunkedUpload.objects.get()) == 0


def test_finishing_early_is_409(client, token):
    body = create(client, token, 2 * PIECE).json()
    patch(client, token, body["url"], 0, b"a" * PIECE)
    response = client.post(body["finish_url"], **auth(token))
    assert response.status_code == 409 and response.json()["offset"] == PIECE
    assert not PoseJob.objects.exists()


def test_a_non_video_is_400_at_finish_and_leaves_nothing(client, token, not_a_video, media):
    data = not_a_video.read_bytes()
    body = create(client, token, len(data), filename="holiday.mp4").json()
    send_all(client, token, body["url"], data)
    response = client.post(body["finish_url"], **auth(token))
    assert response.status_code == 400
    assert "not a video" in response.json()["error"] and response.json()["fields"]["video"]
    assert not PoseJob.objects.exists() and not Video.objects.exists() and not ChunkedUpload.objects.exists()
    assert not [p for p in media.glob("uploads*/**/*") if p.is_file()]


def test_cancel_deletes_the_bytes(client, token, media):
    body = create(client, token, 2 * PIECE).json()
    patch(client, token, body["url"], 0, b"a" * PIECE)
    assert client.delete(body["url"], **auth(token)).status_code == 204
    assert not ChunkedUpload.objects.exists() and not any((media / "uploads-partial").iterdir())
    assert client.get(body["url"], **auth(token)).status_code == 404


def test_other_user_can_neither_see_nor_extend_nor_finish_nor_cancel(client, token, other_user):
    body = create(client, token, 2 * PIECE).json()
    patch(client, token, body["url"], 0, b"a" * PIECE)
    other = ApiToken.objects.create(user=other_user)
    assert client.get(body["url"], **auth(other)).status_code == 404
    assert client.head(body["url"], **auth(other)).status_code == 404
    assert patch(client, other, body["url"], PIECE, b"b" * PIECE).status_code == 404
    assert client.post(body["finish_url"], **auth(other)).status_code == 404
    assert client.delete(body["url"], **auth(other)).status_code == 404
    assert chunked_upload.current_offset(ChunkedUpload.objects.get()) == PIECE


def test_anonymous_gets_401_everywhere(client, token):
    body = create(client, token, 2 * PIECE).json()
    anonymous = Client()
    assert anonymous.post(reverse("api-uploads"), {"filename": "a.mp4", "size": 5},
                          content_type="application/json").status_code == 401
    assert anonymous.get(body["url"]).status_code == 401
    assert anonymous.generic("PATCH", body["url"], b"a", HTTP_UPLOAD_OFFSET="0").status_code == 401
    assert anonymous.post(body["finish_url"]).status_code == 401
    assert anonymous.delete(body["url"]).status_code == 401
    assert ChunkedUpload.objects.count() == 1


def test_session_chunks_need_csrf(owner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    url = reverse("api-uploads")
    assert strict.post(url, {"filename": "a.mp4", "size": 5}, content_type="application/json").status_code == 403
    strict.get(reverse("home"))  # sets the csrftoken cookie
    csrf = strict.cookies["csrftoken"].value
    created = strict.post(url, {"filename": "a.mp4", "size": 5}, content_type="application/json",
                          HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201
    item = created.json()["url"]
    assert strict.generic("PATCH", item, b"abcde", HTTP_UPLOAD_OFFSET="0").status_code == 403
    assert strict.generic("PATCH", item, b"abcde", HTTP_UPLOAD_OFFSET="0", HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_unfinished_uploads_expire(client, token, settings, media):
    settings.POSENET_UPLOAD_EXPIRY_H = 2
    stale = create(client, token, 2 * PIECE).json()
    patch(client, token, stale["url"], 0, b"a" * PIECE)
    fresh = create(client, token, 2 * PIECE).json()
    ChunkedUpload.objects.filter(pk=stale["id"]).update(updated_at=timezone.now() - timedelta(hours=3))
    assert chunked_upload.expire_stale() == 1
    assert list(ChunkedUpload.objects.values_list("pk", flat=True)) == [ChunkedUpload.objects.get(pk=fresh["id"]).pk]
    assert [p.name for p in (media / "uploads-partial").iterdir()] == [f"{ChunkedUpload.objects.get().pk.hex}.part"]


def test_an_expired_upload_says_so(client, token, settings):
    settings.POSENET_UPLOAD_EXPIRY_H = 2
    body = create(client, token, 2 * PIECE).json()
    ChunkedUpload.objects.filter(pk=body["id"]).update(updated_at=timezone.now() - timedelta(hours=3))
    response = patch(client, token, body["url"], 0, b"a" * PIECE)
    assert response.status_code == 410 and "expired" in response.json()["error"]
    assert not ChunkedUpload.objects.exists()


def test_deleting_the_user_removes_the_part_file(client, token, owner, media):
    body = create(client, token, 2 * PIECE).json()
    patch(client, token, body["url"], 0, b"a" * PIECE)
    owner.delete()
    assert not ChunkedUpload.objects.exists() and not any((media / "uploads-partial").iterdir())


def test_an_upload_whose_bytes_vanished_says_so(client, token):
    body = create(client, token, 2 * PIECE).json()
    ChunkedUpload.objects.get().part_path.unlink()
    response = patch(client, token, body["url"], 0, b"a" * PIECE)
    assert response.status_code == 410 and "start it again" in response.json()["error"]
    assert not ChunkedUpload.objects.exists()


def test_a_chunked_upload_obeys_the_fair_use_limits(client, token, owner, settings):
    """The declared size counts against the storage quota before any byte is sent; an account at its
    limit of active jobs cannot start an upload (poseapp/quotas.py)."""
    settings.POSENET_STORAGE_QUOTA_MB = 1
    response = create(client, token, 2 * 1024 * 1024)
    assert response.status_code == 413 and "quota" in response.json()["error"]
    settings.POSENET_STORAGE_QUOTA_MB = 5000
    settings.POSENET_MAX_ACTIVE_JOBS_PER_USER = 1
    from poseapp.models import PoseJob, Video

    PoseJob.objects.create(owner=owner, video=Video.objects.create(owner=owner, file="uploads/x/a.mp4",
                                                                   original_name="a.mp4"))
    response = create(client, token, 1000)
    assert response.status_code == 429 and "at a time" in response.json()["error"]
