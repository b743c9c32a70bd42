"""Files that are not usable videos (issue 13): the API answers 400 with a sentence and keeps nothing;
the form gives a failed job whose page says why. Still images are refused as images."""
import io

import cv2
import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from poseapp.models import ApiToken, PoseJob, Video
from poseapp.uploads import video_problem

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    img = np.zeros((48, 64, 3), np.uint8)
    img[10:30, 10:40] = (0, 200, 255)
    return cv2.imencode(".png", img)[1].tobytes()


def gif_bytes(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (64, 48), (40 * i, 100, 200)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def jpeg_bytes() -> bytes:
    return cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))[1].tobytes()


IMAGES = {"PNG": png_bytes, "GIF": gif_bytes, "JPEG": jpeg_bytes}


@pytest.fixture
def token(owner):
    return ApiToken.objects.create(user=owner)


@pytest.mark.parametrize("kind", IMAGES)
def test_images_are_refused_as_images(tmp_path, kind):
    path = tmp_path / "clip.mp4"  # the extension lies
    path.write_bytes(IMAGES[kind]())
    assert video_problem(path) == (f"This is an image ({kind}), not a video. Please upload a video file "
                                   "(for example MP4, MOV or WebM).")


def test_a_real_video_is_not_an_image(people_clip):
    assert video_problem(people_clip) is None


@pytest.mark.parametrize("kind", ["PNG", "GIF"])
def test_api_answers_400_for_an_image_and_keeps_nothing(client, token, settings, tmp_path, kind,
                                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    upload = io.BytesIO(IMAGES[kind]())
    upload.name = f"photo.{kind.lower()}"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("api-jobs"), {"video": upload},
                               HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"].startswith(f"This is an image ({kind}), not a video.")
    assert body["fields"] == {"video": [body["error"]]}
    assert queued == [] and not PoseJob.objects.exists() and not Video.objects.exists()
    assert not any((tmp_path / "uploads").rglob("photo*"))


def test_api_answers_400_for_a_file_that_is_not_a_video(client, token, not_a_video, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with open(not_a_video, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "not a video" in response.json()["error"]
    assert not PoseJob.objects.exists() and not any((tmp_path / "uploads").rglob("holiday*"))


def test_the_form_gives_a_failed_job_that_says_it_is_an_image(client, owner, settings, tmp_path,
                                                               django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    upload = io.BytesIO(png_bytes())
    upload.name = "photo.png"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("home"), {"video": upload})
    job = PoseJob.objects.get()
    assert response["Location"] == job.get_absolute_url() and queued == []
    assert job.status == "failed" and job.error.startswith("This is an image (PNG), not a video.")
    assert not any((tmp_path / "uploads").rglob("photo*"))
    assert "This is an image (PNG), not a video." in client.get(job.get_absolute_url()).content.decode()
