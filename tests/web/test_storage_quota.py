"""Fair use: a per-user storage quota over what is on disk (uploads + results), form and API; other
users and staff are not limited by it."""
import pytest
from django.core.files import File
from django.urls import reverse

from poseapp import quotas
from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db
MB = 1000 ** 2


@pytest.fixture(autouse=True)
def quota(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_STORAGE_QUOTA_MB = 2
    settings.POSENET_RETENTION_DAYS = 30


def job_with_results(user, people_clip, result_bytes: int) -> PoseJob:
    video = Video(owner=user, original_name="walk.mp4")
    with open(people_clip, "rb") as f:
        video.file.save("walk.mp4", File(f), save=True)
    job = PoseJob.objects.create(owner=user, video=video, status="succeeded")
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "overlay.mp4").write_bytes(b"\0" * result_bytes)
    return job


def test_usage_is_measured_on_disk(owner, other_user, people_clip):
    job_with_results(owner, people_clip, 300_000)
    assert quotas.storage_used_bytes(owner) == people_clip.stat().st_size + 300_000
    assert quotas.storage_used_bytes(other_user) == 0


def test_form_refuses_an_upload_over_the_quota(client, owner, people_clip, tmp_path):
    job_with_results(owner, people_clip, 2 * MB)
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    page = response.content.decode()
    assert response.status_code == 413 and 'id="upload-error"' in page
    assert "your quota is 2 MB (uploads and results together)" in page
    assert "Delete jobs you no longer need, or wait for old results to be deleted 30 days after" in page
    assert PoseJob.objects.count() == 1 and Video.objects.count() == 1
    assert len(list((tmp_path / "uploads").rglob("*.mp4"))) == 1  # only the earlier upload


def test_api_answers_413_json(client, owner, people_clip):
    job_with_results(owner, people_clip, 2 * MB)
    token = ApiToken.objects.create(user=owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 413
    assert response.json()["code"] == "storage_quota" and "would bring your storage to" in response.json()["error"]


def test_deleting_a_job_frees_the_space(client, owner, people_clip, django_capture_on_commit_callbacks):
    job = job_with_results(owner, people_clip, 2 * MB)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("job-delete", args=[job.pk]))
    assert quotas.storage_used_bytes(owner) == 0
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        assert client.post(reverse("home"), {"video": f}).status_code == 302


def test_other_users_and_staff_are_not_limited(client, owner, other_user, people_clip, django_user_model,
                                               django_capture_on_commit_callbacks):
    job_with_results(owner, people_clip, 2 * MB)
    staff = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
    job_with_results(staff, people_clip, 3 * MB)
    for user in (other_user, staff):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
            assert client.post(reverse("home"), {"video": f}).status_code == 302


def test_zero_turns_the_quota_off(client, owner, people_clip, settings, django_capture_on_commit_callbacks):
    settings.POSENET_STORAGE_QUOTA_MB = 0
    job_with_results(owner, people_clip, 3 * MB)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        assert client.post(reverse("home"), {"video": f}).status_code == 302
