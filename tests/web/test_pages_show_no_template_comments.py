"""Django's {# #} comments are one line only: a longer one is printed on the page as text."""
import pytest
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["queued", "running", "succeeded", "failed"])
def test_the_job_page_and_home_show_no_comment_text(client, owner, status):
    client.force_login(owner)
    video = Video.objects.create(owner=owner, original_name="walk.mp4", file="uploads/x/walk.mp4")
    job = PoseJob.objects.create(owner=owner, video=video, status=status)
    for url in (reverse("home"), reverse("job-detail", args=[job.pk])):
        page = client.get(url).content.decode()
        assert "{#" not in page and "#}" not in page and "{% comment" not in page, url
