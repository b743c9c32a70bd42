"""Uploading a video: owner / anonymous, and the rejections that happen before a job exists."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_queue(monkeypatch):
    """These tests are about the web side: record what would be queued instead of needing a worker."""
    queued = []
    monkeypatch.setattr("poseapp.views.enqueue_pose_job", queued.append)
    return queued


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_owner_upload_creates_a_queued_job(client, owner, people_clip, no_queue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.owner == owner and job.status == "queued" and no_queue == [job]
    video = Video.objects.get()
    assert video.original_name == people_clip.name and video.size_bytes == people_clip.stat().st_size
    assert (tmp_path / video.file.name).read_bytes() == people_clip.read_bytes()


def test_unsafe_file_name_is_sanitised(client, owner, no_queue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    upload = SimpleUploadedFile("../../etc/pass wd.mp4", b"x" * 100)
    client.post(reverse("home"), {"video": upload})
    stored = Video.objects.get().file.name
    assert ".." not in stored and stored.startswith("uploads/") and stored.endswith("pass_wd.mp4")


def test_empty_file_is_rejected_with_a_message(client, owner, no_queue):
    client.force_login(owner)
    response = client.post(reverse("home"), {"video": SimpleUploadedFile("empty.mp4", b"")})
    assert response.status_code == 400
    assert "empty" in response.content.decode().lower()
    assert not PoseJob.objects.exists() and no_queue == []


def test_home_lists_only_my_jobs(client, owner, other_user):
    mine = PoseJob.objects.create(owner=owner, video=Video.objects.create(owner=owner, original_name="mine.mp4"))
    PoseJob.objects.create(owner=other_user, video=Video.objects.create(owner=other_user, original_name="theirs.mp4"))
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert "mine.mp4" in page and "theirs.mp4" not in page and mine.get_absolute_url() in page
