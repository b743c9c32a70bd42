"""Several people (issue 12), web side: the API and form field, the job JSON, the task's options and
stream, the downloads' file names (BVH and GLB are zips)."""
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ml.export import FILE_NAMES, FORMATS, PEOPLE_FILE_NAMES
from poseapp import stream, tasks
from poseapp.models import ApiToken, PoseJob, Video
from tests.web.fakes import NoBrowserCopy, NoOverlay

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(owner):
    return ApiToken.objects.create(user=owner)


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


@pytest.mark.parametrize("given, stored", [("several", "several"), ("one", "one"), (None, "one")])
def test_api_upload_chooses_the_people_mode(client, token, people_clip, settings, tmp_path, given, stored,
                                            django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    data = {} if given is None else {"people": given}
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, **data}, **auth(token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["people"] == stored and PoseJob.objects.get(pk=body["id"]).people_mode == stored


def test_an_unknown_people_mode_is_400_with_a_sentence(client, token, people_clip, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, "people": "crowd"}, **auth(token))
    assert response.status_code == 400
    assert response.json()["fields"]["people"] == ['"crowd" is not a choice: People must be "one" or "several".']
    assert not PoseJob.objects.exists()


def test_a_height_with_several_people_is_400_with_a_sentence(client, token, people_clip, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, "people": "several", "height_m": "1.8"},
                               **auth(token))
    assert response.status_code == 400
    assert "leave it blank for several people" in response.json()["fields"]["height_m"][0]


def test_the_upload_form_offers_the_choice(client, owner):
    client.force_login(owner)
    page = client.get(reverse("home")).content.decode()
    assert 'name="people"' in page and "Several people" in page


def test_the_job_page_names_the_detector_of_each_mode_and_no_height_for_several(client, owner):
    client.force_login(owner)
    video = Video.objects.create(owner=owner, original_name="crowd.mp4")
    several = PoseJob.objects.create(owner=owner, video=video, people_mode="several")
    one = PoseJob.objects.create(owner=owner, video=video, people_mode="one", height_m=1.8)
    page = client.get(several.get_absolute_url()).content.decode()
    assert "2D detector: MoveNet MultiPose" in page and "Height:" not in page
    page = client.get(one.get_absolute_url()).content.decode()
    assert "MoveNet" not in page and "Height: 1.80 m" in page


def test_retry_keeps_the_people_mode(owner, settings, tmp_path, people_clip, django_capture_on_commit_callbacks):
    from poseapp import jobs

    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="p.mp4",
                                 file=SimpleUploadedFile("p.mp4", people_clip.read_bytes()))
    job = PoseJob.objects.create(owner=owner, video=video, status="failed", people_mode="several")
    with django_capture_on_commit_callbacks(execute=False):
        assert jobs.retry(job).people_mode == "several"


def test_several_people_downloads_are_zips_for_bvh_and_glb(client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = PoseJob.objects.create(owner=owner, video=Video.objects.create(owner=owner, original_name="crowd.mp4"),
                                 status="succeeded", finished_at=timezone.now(), people_mode="several")
    job.work_dir.mkdir(parents=True)
    for fmt in FORMATS:
        (job.work_dir / PEOPLE_FILE_NAMES[fmt]).write_bytes(fmt.encode())
    client.force_login(owner)
    for fmt in FORMATS:
        resp = client.get(reverse("job-download", args=[job.pk, fmt]))
        assert resp.status_code == 200 and b"".join(resp.streaming_content) == fmt.encode()
        assert f'filename="crowd.{PEOPLE_FILE_NAMES[fmt]}"' in resp["Content-Disposition"]
    assert PEOPLE_FILE_NAMES["bvh"].endswith(".zip") and PEOPLE_FILE_NAMES["bvh"] != FILE_NAMES["bvh"]
    assert client.get(reverse("job-download", args=[job.pk, "bvh"]))["Content-Type"] == "application/zip"


def test_the_task_runs_several_people_and_streams_them(owner, settings, tmp_path, monkeypatch):
    import ml.export.overlay  # the task imports it only when it runs
    import ml.pipeline
    import ml.video

    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="a.mp4", file=SimpleUploadedFile("a.mp4", b"x"))
    job = PoseJob.objects.create(owner=owner, video=video, people_mode="several")
    seen, sent = {}, []

    def fake_pipeline(source, options, on_progress, on_frames, should_stop, records=None, on_preview=None):
        seen["people"], seen["records"] = options.people, records
        kp = np.zeros((2, 17, 3))
        on_frames(0, 3, people=[{"id": 1, "start": 1, "kp2d": kp, "kp3d": kp, "visible": np.ones((2, 17), bool)}],
                  cuts=[])
        seen["log"] = stream.read_frames_log(job.frames_log_path)  # a failed job's files go
        raise ml.pipeline.PipelineError("Stopped by the test.")

    monkeypatch.setattr(ml.pipeline, "run_pipeline", fake_pipeline)
    monkeypatch.setattr(ml.video, "probe", lambda path: SimpleNamespace(fps=10.0, width=64, height=48,
                                                                        frame_count_hint=3))
    monkeypatch.setattr(tasks, "BrowserCopy", NoBrowserCopy)
    monkeypatch.setattr(ml.export.overlay, "BackgroundOverlay", NoOverlay)
    monkeypatch.setattr(stream, "send", lambda job_id, message: sent.append(message))
    tasks.run_pose_job.apply(args=[job.pk])
    assert seen["people"] == "several" and seen["records"] is None
    meta = next(m for m in sent if m["type"] == "meta")
    assert meta["people_mode"] == "several"
    frames = [m for m in sent if m["type"] == "frames"]
    assert len(frames) == 1 and frames[0]["start"] == 0 and frames[0]["count"] == 3
    assert [(p["id"], p["start"], len(p["kp3d"])) for p in frames[0]["people"]] == [(1, 1, 2)]
    assert seen["log"] == frames  # replayable from frames.jsonl
