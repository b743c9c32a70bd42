"""Fair use: the work one upload may ask for, from the probe (frames, and frames x pixels), not only
its duration: form and API refuse with a sentence and keep nothing."""
import pytest
from django.urls import reverse

from poseapp import quotas
from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db


def test_the_high_frame_rate_clip_from_the_issue_is_refused_by_default():
    # 50 MB of 320x240 at 240 fps for 20 minutes: 288,000 frames (2.8 hours of detection).
    with pytest.raises(quotas.QuotaExceeded) as exc:
        quotas.check_decoded_work({"width": 320, "height": 240, "fps": 240.0, "frame_count_hint": 288_000})
    assert exc.value.status == 413 and exc.value.code == "too_many_frames"
    assert str(exc.value) == ("This video has 288,000 frames (20.0 minutes at 240 frames per second); the limit is "
                              "36,000 frames per video. Please upload a shorter clip, or one recorded at a lower "
                              "frame rate.")


def test_ordinary_clips_pass_and_long_4k_is_refused_by_pixels():
    quotas.check_decoded_work({"width": 1920, "height": 1080, "fps": 30.0, "frame_count_hint": 20 * 60 * 30})
    quotas.check_decoded_work({"width": 3840, "height": 2160, "fps": 30.0, "frame_count_hint": 3 * 60 * 30})
    with pytest.raises(quotas.QuotaExceeded) as exc:
        quotas.check_decoded_work({"width": 3840, "height": 2160, "fps": 30.0, "frame_count_hint": 10 * 60 * 30})
    assert exc.value.code == "too_many_pixels" and "3840×2160 with 18,000 frames" in str(exc.value)
    assert "149,299 megapixels to decode, and the limit is 75,000" in str(exc.value)


def test_unknown_frame_count_is_left_to_the_worker_limits():
    quotas.check_decoded_work({"width": 320, "height": 240, "fps": 240.0, "frame_count_hint": 0})


@pytest.fixture
def small_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_MAX_FRAMES = 20  # the clip has 30


def test_form_refuses_too_many_frames_and_keeps_nothing(client, owner, no_person_video, small_limits, tmp_path,
                                                       django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as queued, open(no_person_video, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    page = response.content.decode()
    assert response.status_code == 413 and 'id="upload-error"' in page
    assert "This video has 30 frames (3 seconds at 10 frames per second); the limit is 20 frames" in page
    assert not PoseJob.objects.exists() and not Video.objects.exists() and not queued
    assert not list((tmp_path / "uploads").rglob("*.mp4"))


def test_api_refuses_too_many_pixels_with_413(client, owner, no_person_video, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.POSENET_MAX_DECODED_MEGAPIXELS = 1  # 30 frames of 320x240: 2.3 megapixels
    token = ApiToken.objects.create(user=owner)
    with open(no_person_video, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 413 and response.json()["code"] == "too_many_pixels"
    assert "320×240 with 30 frames" in response.json()["error"]
    assert not PoseJob.objects.exists() and not list((tmp_path / "uploads").rglob("*.mp4"))


def test_staff_are_exempt(client, django_user_model, no_person_video, small_limits,
                          django_capture_on_commit_callbacks):
    client.force_login(django_user_model.objects.create_user("staffer", password="x", is_staff=True))
    with django_capture_on_commit_callbacks(execute=False), open(no_person_video, "rb") as f:
        assert client.post(reverse("home"), {"video": f}).status_code == 302


def test_the_worker_limit_follows_the_same_settings(owner, django_user_model, settings):
    settings.POSENET_MAX_FRAMES = 36000
    settings.POSENET_MAX_DECODED_MEGAPIXELS = 75000
    assert quotas.frame_limit(owner, 320, 240) == 36000  # the frame count binds
    assert quotas.frame_limit(owner, 3840, 2160) == 9042  # frames x pixels binds: 75,000 MP / 8.3 MP
    staff = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
    assert quotas.frame_limit(staff, 3840, 2160) == 0
    settings.POSENET_MAX_FRAMES = settings.POSENET_MAX_DECODED_MEGAPIXELS = 0
    assert quotas.frame_limit(owner, 3840, 2160) == 0
