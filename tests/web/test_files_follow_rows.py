"""Files go with their job, video or user, whatever deletes them (model, queryset, admin, a deleted
user's cascade), and only once the delete has committed: a rolled-back delete keeps them."""
import pytest
from django.core.files import File
from django.db import transaction
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: the files go on commit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def make_job(user, people_clip, video=None) -> PoseJob:
    if video is None:
        video = Video(owner=user, original_name="walk.mp4")
        with open(people_clip, "rb") as f:
            video.file.save("walk.mp4", File(f), save=True)
    job = PoseJob.objects.create(owner=user, video=video, status="succeeded")
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "result.json").write_text("{}")
    return job


def upload_path(job) -> "Path":
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / job.video.file.name


def test_model_delete_takes_the_results_and_the_unused_upload(owner, people_clip):
    job = make_job(owner, people_clip)
    upload = upload_path(job)
    job.delete()
    assert not job.work_dir.exists() and not upload.exists() and not upload.parent.exists()
    assert not Video.objects.exists()


def test_an_upload_still_used_by_another_job_is_kept(owner, people_clip):
    first = make_job(owner, people_clip)
    second = make_job(owner, people_clip, video=first.video)
    first.delete()
    assert not first.work_dir.exists() and second.work_dir.exists() and upload_path(second).exists()


def test_queryset_delete(owner, other_user, people_clip):
    mine, theirs = make_job(owner, people_clip), make_job(other_user, people_clip)
    PoseJob.objects.filter(owner=owner).delete()
    assert not mine.work_dir.exists() and not upload_path(mine).exists()
    assert theirs.work_dir.exists() and upload_path(theirs).exists()


def test_deleting_a_user_deletes_their_files(owner, other_user, people_clip):
    mine, theirs = make_job(owner, people_clip), make_job(other_user, people_clip)
    owner.delete()
    assert not mine.work_dir.exists() and not upload_path(mine).exists()
    assert theirs.work_dir.exists() and upload_path(theirs).exists()


def test_admin_delete(admin_user, client, owner, people_clip):
    job = make_job(owner, people_clip)
    client.force_login(admin_user)
    response = client.post(reverse("admin:poseapp_posejob_delete", args=[job.pk]), {"post": "yes"})
    assert response.status_code == 302 and not PoseJob.objects.exists()
    assert not job.work_dir.exists() and not upload_path(job).exists()
    video_job = make_job(owner, people_clip)
    client.post(reverse("admin:poseapp_video_changelist"),
                {"action": "delete_selected", "_selected_action": [video_job.video.pk], "post": "yes"})
    assert not Video.objects.exists() and not video_job.work_dir.exists() and not upload_path(video_job).exists()


def test_a_rolled_back_delete_keeps_the_files(owner, people_clip):
    job = make_job(owner, people_clip)
    with pytest.raises(RuntimeError), transaction.atomic():
        owner.delete()
        raise RuntimeError("something failed after the delete")
    assert PoseJob.objects.filter(pk=job.pk).exists()
    assert job.work_dir.exists() and upload_path(job).exists()
