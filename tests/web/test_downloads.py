"""The download table: formats and file names come from ml.export (the one list), the web adds a
content type and a label for each, and every format downloads under its own name and type."""
import pytest
from django.urls import reverse
from django.utils import timezone

from ml.export import FILE_NAMES, FORMATS
from poseapp import jobs
from poseapp.models import PoseJob, Video


def test_every_format_has_a_content_type_and_a_label():
    assert set(jobs.DOWNLOAD_TYPES) == set(FORMATS)
    assert list(jobs.DOWNLOADS) == list(FORMATS)
    for fmt in FORMATS:
        name, content_type, label = jobs.DOWNLOADS[fmt]
        assert name == FILE_NAMES[fmt]
        assert "/" in content_type and label.strip()


@pytest.mark.django_db
def test_each_download_has_its_file_name_and_type(client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="skate park.mov")
    job = PoseJob.objects.create(owner=owner, video=video, status="succeeded", finished_at=timezone.now())
    job.work_dir.mkdir(parents=True)
    for fmt in FORMATS:
        (job.work_dir / FILE_NAMES[fmt]).write_bytes(fmt.encode())
    assert job.result_path == job.work_dir / FILE_NAMES["json"]
    client.force_login(owner)
    for fmt in FORMATS:
        resp = client.get(reverse("job-download", args=[job.pk, fmt]))
        assert resp.status_code == 200 and b"".join(resp.streaming_content) == fmt.encode()
        assert resp["Content-Type"] == jobs.DOWNLOAD_TYPES[fmt][0]
        assert f'filename="skate park.{FILE_NAMES[fmt]}"' in resp["Content-Disposition"]
