"""An upload while the broker (Redis) is down (issue 13): 503 with a sentence (JSON from the API, the
home page with a message from the form), and no job row left "queued" forever: it is failed with the
sentence, its video kept so that it can be retried."""
import pytest
from django.urls import reverse

from poseapp.models import ApiToken, PoseJob
from poseapp.tasks import BUSY, run_pose_job
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


def test_api_upload_answers_503_json_and_leaves_no_queued_job(client, owner, people_clip, settings, tmp_path,
                                                              broker_down):
    settings.MEDIA_ROOT = tmp_path
    token = ApiToken.objects.create(user=owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("api-jobs"), {"video": f}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json" and response["Retry-After"] == "60"
    assert response.json() == {"error": BUSY}
    job = PoseJob.objects.get()
    assert job.status == "failed" and job.error == BUSY and job.finished_at and not job.task_id
    assert job.video.file and job.video.file.storage.exists(job.video.file.name)  # kept: it can be retried


def test_form_upload_answers_503_with_a_friendly_message(client, owner, people_clip, settings, tmp_path,
                                                         broker_down):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        response = client.post(reverse("home"), {"video": f})
    assert response.status_code == 503 and response["Retry-After"] == "60"
    page = response.content.decode()
    assert BUSY in page and "Traceback" not in page
    assert PoseJob.objects.get().status == "failed"
    assert not PoseJob.objects.filter(status="queued").exists()


def test_retry_while_the_broker_is_down_says_so(client, owner, people_clip, settings, tmp_path, broker_down):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    with open(people_clip, "rb") as f:
        client.post(reverse("home"), {"video": f})
    job = PoseJob.objects.get()
    response = client.post(reverse("job-retry", args=[job.pk]), follow=True)
    assert response.status_code == 200 and BUSY in response.content.decode()
    assert not PoseJob.objects.filter(status="queued").exists()
