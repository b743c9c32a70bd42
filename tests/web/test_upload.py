"""Uploading a video: owner / anonymous, and the rejections that happen before a job exists."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_owner_upload_creates_a_queued_job(client, owner, people_clip, settings, tmp_path,
                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as queued, open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.owner == owner and job.status == "queued" and len(queued) == 1
    video = Video.objects.get()
    assert video.original_name == people_clip.name and video.size_bytes == people_clip.stat().st_size
    assert (tmp_path / video.file.name).read_bytes() == people_clip.read_bytes()


def test_unsafe_file_name_is_sanitised(client, owner, settings, tmp_path, people_clip):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    upload = SimpleUploadedFile("../../etc/pass wd.mp4", people_clip.read_bytes())
    client.post(reverse("home"), {"video": upload})
    stored = Video.objects.get().file.name
    assert ".." not in stored and stored.startswith("uploads/") and stored.endswith("pass_wd.mp4")


def test_empty_file_is_rejected_with_a_message(client, owner):
    client.force_login(owner)
    response = client.post(reverse("home"), {"video": SimpleUploadedFile("empty.mp4", b"")})
    assert response.status_code == 400
    assert "empty" in response.content.decode().lower()
    assert not PoseJob.objects.exists()


def test_home_lists_only_my_jobs(client, owner, other_user):
    mine = PoseJob.objects.create(owner=owner, video=Video.objects.create(owner=owner, original_name="mine.mp4"))
    PoseJob.objects.create(owner=other_user, video=Video.objects.create(owner=other_user, original_name="theirs.mp4"))
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert "mine.mp4" in page and "theirs.mp4" not in page and mine.get_absolute_url() in page


def test_non_video_gives_a_failed_job_with_a_message_and_keeps_no_bytes(client, owner, not_a_video, settings,
                                                                         tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as queued, open(not_a_video, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    assert response["Location"] == job.get_absolute_url() and queued == []
    assert job.status == "failed" and "not a video" in job.error
    assert not any((tmp_path / "uploads").rglob("holiday*"))
    assert job.error in client.get(job.get_absolute_url()).content.decode()


def test_upload_over_the_size_limit_is_refused_while_streaming(client, owner, people_clip, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_MAX_UPLOAD_MB = 0  # every non-empty file is too large
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    assert response.status_code == 400
    assert "larger than the 0 MB limit" in response.content.decode()
    assert not PoseJob.objects.exists() and not (tmp_path / "uploads").exists()


def test_upload_over_the_duration_limit_fails_with_a_message(client, owner, people_clip, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_MAX_DURATION_S = 5  # the clip is 12 s
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    assert job.status == "failed"
    assert job.error == "This video is 12 seconds long; the limit is 5 seconds. Please trim it and upload it again."


HEIGHT_ERROR = "Height must be a number of metres between 0.5 and 2.5, e.g. 1.75."


def test_upload_page_offers_an_optional_height(client, owner):
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert "Person&#x27;s height (m), optional" in page and 'name="height_m"' in page
    assert "skeleton&#x27;s size" in page and "typical adult" in page


@pytest.mark.parametrize("given, stored", [("1.82", 1.82), ("", None), ("0.5", 0.5), ("2.5", 2.5),
                                           ("1,82", 1.82)])  # a decimal comma, as many keyboards type it
def test_owner_upload_stores_the_height(client, owner, people_clip, settings, tmp_path, given, stored,
                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f, "height_m": given})
    job = PoseJob.objects.get()
    assert response.status_code == 302 and job.height_m == stored
    assert ("1.82 m" if stored == 1.82 else "Height:") in client.get(job.get_absolute_url()).content.decode()


@pytest.mark.parametrize("given", ["0.49", "2.6", "-1", "tall", "nan", "inf"])
def test_a_bad_height_is_refused_with_a_sentence(client, owner, people_clip, settings, tmp_path, given):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f, "height_m": given})
    assert response.status_code == 400
    assert HEIGHT_ERROR in response.content.decode()
    assert not PoseJob.objects.exists()


def test_anonymous_cannot_upload_with_a_height(client, people_clip):
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f, "height_m": "1.7"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not PoseJob.objects.exists()
