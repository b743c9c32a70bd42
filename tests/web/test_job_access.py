"""Every job view for the owner, another user, staff and an anonymous visitor."""
import json

import pytest
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db
VIEWS = ["job-detail", "job-status", "job-result", "job-video"]


@pytest.fixture
def finished_job(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = PoseJob.objects.create(owner=owner, status="succeeded",
                                 video=Video.objects.create(owner=owner, original_name="walk.mp4"))
    job.work_dir.mkdir(parents=True)
    job.result_path.write_text(json.dumps({"format": "3dposenet-result", "version": 1}))
    job.playable_video_path.write_bytes(bytes(range(256)) * 40)
    return job


@pytest.mark.parametrize("view", VIEWS)
def test_owner_can_see(client, owner, finished_job, view):
    client.force_login(owner)
    assert client.get(reverse(view, args=[finished_job.pk])).status_code == 200


@pytest.mark.parametrize("view", VIEWS)
def test_other_user_gets_404(client, other_user, finished_job, view):
    client.force_login(other_user)
    assert client.get(reverse(view, args=[finished_job.pk])).status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_is_sent_to_sign_in(client, finished_job, view):
    response = client.get(reverse(view, args=[finished_job.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("view", VIEWS)
def test_staff_can_see(client, django_user_model, finished_job, view):
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(view, args=[finished_job.pk])).status_code == 200


def test_result_download_is_a_named_json_attachment(client, owner, finished_job):
    client.force_login(owner)
    response = client.get(reverse("job-result", args=[finished_job.pk]))
    assert response["Content-Type"] == "application/json"
    assert 'filename="walk.result.json"' in response["Content-Disposition"]


def test_result_of_unfinished_job_is_404(client, owner, finished_job):
    finished_job.status = "running"
    finished_job.save()
    client.force_login(owner)
    assert client.get(reverse("job-result", args=[finished_job.pk])).status_code == 404


def test_video_supports_byte_ranges(client, owner, finished_job):
    client.force_login(owner)
    response = client.get(reverse("job-video", args=[finished_job.pk]), HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{256 * 40}"
    assert response.content == bytes(range(10, 20))


def test_failed_job_page_shows_the_message(client, owner, finished_job):
    finished_job.status = "failed"
    finished_job.error = "No person was found in any frame of this video."
    finished_job.save()
    client.force_login(owner)
    page = client.get(finished_job.get_absolute_url()).content.decode()
    assert "No person was found in any frame of this video." in page
    assert "Traceback" not in page
