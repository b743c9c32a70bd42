"""Issue 33, the papercuts a new user hit, in a real browser: the upload form names the detector that
several people get, the token page's examples use a job that succeeded, and the model has one name on
the upload form, the job page and in the API. (Scrubbing, the browser copy's 404 and the overlay's
clipping are in test_viewer.py and test_upload_and_watch.py, on real jobs; the several-people framing
in test_several_people.py.)"""
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from poseapp.models import ApiToken, LifterModel, PoseJob, Video
from tests.e2e.helpers import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_form_names_the_detector_several_people_get(live_stack, page, owner, password):
    sign_in(page, live_stack.base_url, owner.username, password)
    detector = page.locator("select[name=complexity]")
    assert detector.evaluate("s => s.selectedOptions[0].textContent") == "Full"
    page.select_option("select[name=people]", "several")
    # it said "Full" (greyed out) while MoveNet MultiPose would run
    assert detector.evaluate("s => s.selectedOptions[0].textContent") == "MoveNet MultiPose (several people)"
    assert detector.is_disabled()
    page.select_option("select[name=people]", "one")
    assert detector.evaluate("s => s.selectedOptions[0].textContent") == "Full" and detector.is_enabled()
    assert page.js_errors == []


def make_job(owner, status: str, **fields) -> PoseJob:
    video = Video.objects.create(owner=owner, original_name="walk.mp4", file=SimpleUploadedFile("walk.mp4", b"x"))
    return PoseJob.objects.create(owner=owner, video=video, status=status, **fields)


def test_the_token_page_examples_download_a_job_that_succeeded(live_stack, page, owner, password, settings):
    settings.MEDIA_ROOT = live_stack.media_root
    ApiToken.objects.create(user=owner)
    sign_in(page, live_stack.base_url, owner.username, password)
    failed = make_job(owner, "failed", error="No person was found in this video.")
    page.goto(f"{live_stack.base_url}/account/token/")
    examples = page.locator("#api-examples").inner_text()
    assert "JOB=ID\n" in examples and "no job that succeeded yet" in page.content()
    done = make_job(owner, "succeeded")
    PoseJob.objects.filter(pk=failed.pk).update(created_at=done.created_at + timedelta(seconds=5))  # the latest
    page.reload()
    examples = page.locator("#api-examples").inner_text()
    assert f"JOB={done.pk}\n" in examples, examples  # it was the failed job: the download answered 409


def test_the_model_has_one_name_everywhere(live_stack, page, owner, password, settings):
    settings.MEDIA_ROOT = live_stack.media_root
    shipped = LifterModel.active()
    sign_in(page, live_stack.base_url, owner.username, password)
    on_form = page.locator("select[name=lifter]").evaluate("s => s.selectedOptions[0].textContent")
    assert on_form == shipped.name and on_form != "Shipped default"
    # a job that ran with it: the worker stored the checkpoint's own name (the same, for the shipped model)
    job = make_job(owner, "succeeded", lifter=shipped, model_name=shipped.name)
    page.goto(f"{live_stack.base_url}/jobs/{job.pk}/")
    assert page.locator("#job-model").inner_text() == on_form
    token = ApiToken.objects.create(user=owner).key
    api = page.request.get(f"{live_stack.base_url}/api/jobs/{job.pk}/", headers={"Authorization": f"Token {token}"})
    assert json.loads(api.body())["model"] == on_form
    queued = make_job(owner, "queued", lifter=shipped)  # before a worker has loaded it: the same name
    page.goto(f"{live_stack.base_url}/jobs/{queued.pk}/")
    assert page.locator("#job-model").inner_text() == on_form
