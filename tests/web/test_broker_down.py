"""An upload while the broker (Redis) is down (issue 13): 503 with a sentence (JSON from the API, the
home page with a message from the form). The job stays "queued" with no task sent and its video kept:
the sweeper sends it once the broker is back (tests/web/test_sweeper_lost_messages.py; with real
processes, tests/integration/test_upload_while_redis_down.py)."""
import pytest
from django.urls import reverse

from poseapp.models import ApiToken, PoseJob
from poseapp.tasks import QUEUED_WHILE_DOWN, run_pose_job
from webapp.embedded_redis import free_port

# on_commit callbacks (where the task is sent) run for real only in transactional tests
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port (fresh connection pools), and back afterwards."""
    app = run_pose_job.app
    saved = app.conf.broker_url

    def point(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None
    point(f"redis://127.0.0.1:{free_port()}/0")
    yield
    point(saved)


def test_api_upload_answers_503_json_and_keeps_the_job_queued(client, owner, people_clip, settings, tmp_path,
                                                              broker_down):
    settings.MEDIA_ROOT = tmp_path
    token = ApiToken.objects.create(user=owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json" and response["Retry-After"] == "60"
    job = PoseJob.objects.get()
    body = response.json()
    assert body["error"] == QUEUED_WHILE_DOWN and body["job"]["id"] == job.pk and body["job"]["status"] == "queued"
    assert job.status == "queued" and job.error == "" and not job.finished_at and not job.task_id
    assert job.video.file and job.video.file.storage.exists(job.video.file.name)  # kept: it is processed later


def test_form_upload_answers_503_with_a_friendly_message(client, owner, people_clip, settings, tmp_path,
                                                         broker_down):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    assert response.status_code == 503 and response["Retry-After"] == "60"
    page = response.content.decode()
    assert QUEUED_WHILE_DOWN in page and "Traceback" not in page
    job = PoseJob.objects.get()
    assert job.status == "queued" and not job.task_id


def test_retry_while_the_broker_is_down_says_so(client, owner, people_clip, settings, tmp_path, broker_down):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    PoseJob.objects.filter(pk=job.pk).update(status="failed", error="x")
    response = client.post(reverse("job-retry", args=[job.pk]), follow=True)
    new = PoseJob.objects.latest("pk")
    assert new.pk != job.pk and new.status == "queued" and not new.task_id
    assert response.status_code == 200 and QUEUED_WHILE_DOWN in response.content.decode()
    assert response.redirect_chain[-1][0] == new.get_absolute_url()
