"""The JSON API: token and session authentication, owner / other user / anonymous."""
import pytest
from django.urls import reverse

from poseapp.models import ApiToken, PoseJob, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(owner):
    return ApiToken.objects.create(user=owner)


@pytest.fixture
def job(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = PoseJob.objects.create(owner=owner, status="succeeded", frame_count=3,
                                 video=Video.objects.create(owner=owner, original_name="walk.mp4"))
    job.work_dir.mkdir(parents=True)
    (job.work_dir / "result.json").write_text('{"format": "3dposenet-result"}')
    return job


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def test_list_and_status_with_a_token(client, token, job, other_user):
    PoseJob.objects.create(owner=other_user, video=Video.objects.create(owner=other_user, original_name="x.mp4"))
    listing = client.get(reverse("api-jobs"), **auth(token)).json()
    assert [j["id"] for j in listing["jobs"]] == [job.pk]
    status = client.get(reverse("api-job", args=[job.pk]), **auth(token)).json()
    assert status["status"] == "succeeded" and status["results"]["json"].endswith("/result/json")


def test_result_download_with_a_token(client, token, job):
    response = client.get(reverse("api-job-result", args=[job.pk, "json"]), **auth(token))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_anonymous_gets_401(client, job):
    assert client.get(reverse("api-jobs")).status_code == 401
    assert client.get(reverse("api-job", args=[job.pk])).status_code == 401


def test_bad_token_gets_401(client, job):
    assert client.get(reverse("api-jobs"), HTTP_AUTHORIZATION="Token nope").status_code == 401


def test_other_user_gets_404(client, job, other_user):
    other = ApiToken.objects.create(user=other_user)
    assert client.get(reverse("api-job", args=[job.pk]), **auth(other)).status_code == 404
    assert client.get(reverse("api-job-result", args=[job.pk, "json"]), **auth(other)).status_code == 404
    assert client.post(reverse("api-job-cancel", args=[job.pk]), **auth(other)).status_code == 404


def test_upload_with_a_token_and_cancel(client, token, people_clip, settings, tmp_path,
                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=False) as queued, open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, "smoothing": "strong"}, **auth(token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["smoothing"] == "strong" and len(queued) == 1
    cancel = client.post(reverse("api-job-cancel", args=[body["id"]]), **auth(token))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert client.post(reverse("api-job-cancel", args=[body["id"]]), **auth(token)).status_code == 409


def test_retry_a_cancelled_job_and_refuse_a_repeat(client, token, people_clip, settings, tmp_path,
                                                   django_capture_on_commit_callbacks, other_user):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        body = client.post(reverse("api-jobs"), {"video": f, "smoothing": "strong"}, **auth(token)).json()
    assert body["can_retry"] is False  # queued
    retry = reverse("api-job-retry", args=[body["id"]])
    assert client.post(retry, **auth(token)).status_code == 409
    assert client.post(reverse("api-job-cancel", args=[body["id"]]), **auth(token)).json()["can_retry"] is True
    assert client.post(retry, **auth(ApiToken.objects.create(user=other_user))).status_code == 404
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(retry, **auth(token))
    assert response.status_code == 201 and len(queued) == 1
    new = response.json()
    assert new["id"] != body["id"] and new["status"] == "queued" and new["smoothing"] == "strong"
    PoseJob.objects.filter(pk=new["id"]).update(status="failed", error="No person was found.", error_repeats=True)
    refused = client.post(reverse("api-job-retry", args=[new["id"]]), **auth(token))
    assert refused.status_code == 409 and "problem is in the video" in refused.json()["error"]


def test_delete_a_job_with_its_files(client, token, job, other_user):
    assert client.delete(reverse("api-job", args=[job.pk]), **auth(ApiToken.objects.create(user=other_user))
                         ).status_code == 404  # not yours: nothing happens
    assert PoseJob.objects.filter(pk=job.pk).exists()
    results = job.work_dir
    assert (results / "result.json").exists()
    response = client.delete(reverse("api-job", args=[job.pk]), **auth(token))
    assert response.status_code == 204 and response.content == b""
    assert not PoseJob.objects.filter(pk=job.pk).exists() and not Video.objects.exists()
    assert not results.exists()
    assert client.delete(reverse("api-job", args=[job.pk]), **auth(token)).status_code == 404


def test_upload_rejections_are_json(client, token):
    response = client.post(reverse("api-jobs"), {}, **auth(token))
    assert response.status_code == 400 and "video" in response.json()["fields"]


@pytest.mark.parametrize("given, stored", [("1.6", 1.6), ("", None), (None, None)])
def test_upload_with_a_height(client, token, people_clip, settings, tmp_path, given, stored,
                              django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    data = {} if given is None else {"height_m": given}
    with django_capture_on_commit_callbacks(execute=False), open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, **data}, **auth(token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["height_m"] == stored and PoseJob.objects.get(pk=body["id"]).height_m == stored
    assert client.get(reverse("api-job", args=[body["id"]]), **auth(token)).json()["height_m"] == stored


@pytest.mark.parametrize("given", ["3", "0.1", "abc"])
def test_upload_with_a_bad_height_is_400_with_a_sentence(client, token, people_clip, settings, tmp_path, given):
    settings.MEDIA_ROOT = tmp_path
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f, "height_m": given}, **auth(token))
    assert response.status_code == 400
    assert response.json()["fields"]["height_m"] == ["Height must be a number of metres between 0.5 and 2.5, e.g. 1.75."]
    assert not PoseJob.objects.exists()


def test_other_user_does_not_see_the_height(client, token, other_user):
    theirs = PoseJob.objects.create(owner=other_user, height_m=1.9,
                                    video=Video.objects.create(owner=other_user, original_name="x.mp4"))
    assert client.get(reverse("api-job", args=[theirs.pk]), **auth(token)).status_code == 404
    assert client.get(reverse("api-jobs"), **auth(token)).json()["jobs"] == []


def test_anonymous_upload_with_a_height_is_401(client, people_clip):
    with open(people_clip, "rb") as f:
        assert client.post(reverse("api-jobs"), {"video": f, "height_m": "1.7"}).status_code == 401


def test_session_writes_need_csrf(owner, job):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.get(reverse("api-jobs")).status_code == 200
    assert strict.post(reverse("api-job-cancel", args=[job.pk])).status_code == 403


def test_result_of_unfinished_job_is_409(client, token, job):
    PoseJob.objects.filter(pk=job.pk).update(status="running")
    assert client.get(reverse("api-job-result", args=[job.pk, "json"]), **auth(token)).status_code == 409


def test_token_page_creates_a_token(client, owner):
    client.force_login(owner)
    client.post(reverse("api-token"))
    key = ApiToken.objects.get(user=owner).key
    assert key in client.get(reverse("api-token")).content.decode()
    assert client.get(reverse("api-token")).status_code == 200


def test_the_token_message_says_replaced_only_when_there_was_one(client, owner):
    client.force_login(owner)
    first = client.post(reverse("api-token"), follow=True).content.decode()
    assert "Your API token was created." in first and "no longer works" not in first
    old = ApiToken.objects.get(user=owner).key
    again = client.post(reverse("api-token"), follow=True).content.decode()
    assert "the old one no longer works" in again and ApiToken.objects.get(user=owner).key != old
