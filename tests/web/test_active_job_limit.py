"""Fair use: at most POSENET_MAX_ACTIVE_JOBS_PER_USER jobs queued or running per account (form, API,
Retry); another user is not affected; staff are exempt unless configured otherwise."""
import pytest
from django.urls import reverse

from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_MAX_ACTIVE_JOBS_PER_USER = 2
    settings.POSENET_STORAGE_QUOTA_MB = 0


def active(user, n, status="queued"):
    for i in range(n):
        PoseJob.objects.create(owner=user, status=status,
                               video=Video.objects.create(owner=user, original_name=f"busy{i}.mp4"))


def upload(client, path, **extra):
    with open(path, "rb") as f:
        return client.post(reverse("home"), {"video": f}, **extra)


def test_form_refuses_the_job_past_the_limit_with_a_sentence(client, owner, people_clip, tmp_path,
                                                            django_capture_on_commit_callbacks):
    active(owner, 1, "queued")
    active(owner, 1, "running")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(client, people_clip)
    page = response.content.decode()
    assert response.status_code == 429
    assert 'id="upload-error"' in page and "You already have 2 jobs queued or running" in page
    assert "Wait until one has finished (or cancel one)" in page
    assert PoseJob.objects.filter(owner=owner).count() == 2 and not queued  # nothing new, nothing sent
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").rglob("*.mp4"))


def test_ended_jobs_do_not_count(client, owner, people_clip, django_capture_on_commit_callbacks):
    active(owner, 3, "succeeded")
    active(owner, 1, "failed")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False):
        response = upload(client, people_clip)
    assert response.status_code == 302


def test_api_answers_429_json(client, owner, people_clip):
    active(owner, 2)
    token = ApiToken.objects.create(user=owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 429 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "too_many_jobs" and body["error"].startswith("You already have 2 jobs")
    assert body["fields"]["video"] == [body["error"]]
    assert PoseJob.objects.filter(owner=owner).count() == 2


def test_another_user_is_not_limited_by_my_jobs(client, owner, other_user, people_clip,
                                               django_capture_on_commit_callbacks):
    active(owner, 2)
    client.force_login(other_user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(client, people_clip)
    assert response.status_code == 302 and len(queued) == 1


def test_staff_are_exempt_unless_configured(client, django_user_model, people_clip, settings,
                                            django_capture_on_commit_callbacks):
    staff = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
    active(staff, 2)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False):
        assert upload(client, people_clip).status_code == 302
    settings.POSENET_QUOTA_EXEMPT_STAFF = False
    assert upload(client, people_clip).status_code == 429


def test_retry_is_refused_past_the_limit(client, owner, people_clip):
    from django.core.files import File

    video = Video(owner=owner, original_name="walk.mp4")
    with open(people_clip, "rb") as f:
        video.file.save("walk.mp4", File(f), save=True)
    failed = PoseJob.objects.create(owner=owner, video=video, status="failed", error="boom")
    active(owner, 2)
    client.force_login(owner)
    response = client.post(reverse("job-retry", args=[failed.pk]), follow=True)
    assert "You already have 2 jobs queued or running" in response.content.decode()
    assert PoseJob.objects.filter(owner=owner).count() == 3


def test_anonymous_cannot_upload(client, people_clip):
    assert upload(client, people_clip).status_code == 302
    with open(people_clip, "rb") as f:
        assert client.post(reverse("api-jobs"), {"video": f}).status_code == 401
    assert not PoseJob.objects.exists()
