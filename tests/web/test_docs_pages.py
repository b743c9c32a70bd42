"""The docs web users need are pages of the app (docs/api.md and friends), and the token page has
the essential curl examples with the user's own token and the site's address."""
from datetime import timedelta

import pytest
from django.urls import reverse

from poseapp import docs_page
from poseapp.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", sorted(docs_page.PAGES))
def test_each_doc_is_a_page(client, name):
    response = client.get(reverse("docs", args=[name]))  # readable before signing in
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{docs_page.PAGES[name]}</h1>" in page and "<h2>" in page
    assert page.count("<h1>") == 1 and f"<h2>{docs_page.PAGES[name]}</h2>" not in page  # the title once


def test_api_page_renders_the_markdown(client):
    page = client.get(reverse("docs", args=["api"]), HTTP_HOST="localhost:8080").content.decode()
    assert "<table>" in page and "<code>POST /api/jobs/</code>" in page
    assert "<strong>/account/token/</strong>" in page
    assert '<pre><code class="language-bash">' in page
    assert "http://localhost:8080/api/jobs/7/" in page and "127.0.0.1:8000" not in page  # this site's address
    assert '<a href="/docs/websocket/"><code>docs/websocket.md</code></a>' in page
    assert '<a href="/docs/deploy/"><code>docs/deploy.md</code></a>' in page  # fair use, the sweeper
    assert "&lt;id&gt;" in page  # escaped, not HTML


def test_unknown_doc_is_404(client):
    assert client.get("/docs/nope/").status_code == 404
    assert client.get("/docs/..%2Fsettings/").status_code == 404


def test_render_emphasis_around_code_and_nested_lists():
    html = docs_page.render_markdown("It does **`acks_late`** for a *running* job, not `a*b*` or 2*3*4:\n"
                                     "- one\n  more of one\n  - nested\n    more of nested\n- two")
    assert "<strong><code>acks_late</code></strong>" in html and "<em>running</em>" in html
    assert "<code>a*b*</code>" in html and "2*3*4" in html
    assert "<ul><li>one more of one<ul><li>nested more of nested</li></ul></li><li>two</li></ul>" in html


def test_render_escapes_and_keeps_pipes_in_code():
    html = docs_page.render_markdown("| a | b |\n|---|---|\n| `x|y` | <script> |\n\n- one\n  more\n- two")
    assert "<td><code>x|y</code></td>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "<ul><li>one more</li><li>two</li></ul>" in html


def test_token_page_has_curl_examples_and_links_to_the_docs(client, owner):
    client.force_login(owner)
    page = client.get(reverse("api-token")).content.decode()
    assert "docs/api.md" not in page and 'href="/docs/api/"' in page
    token = ApiToken.objects.create(user=owner)
    page = client.get(reverse("api-token"), HTTP_HOST="localhost:8080").content.decode()
    assert f"TOKEN={token.key}" in page
    assert 'curl -s -H "Authorization: Token $TOKEN" -F video=@walk.mp4' in page
    assert "JOB=ID\n" in page and "http://localhost:8080/api/jobs/$JOB/result/bvh" in page  # no job yet
    assert 'data-confirm="Replace your API token?' in page  # the old token stops working: asked first


def test_token_page_examples_use_the_latest_job_that_succeeded(client, owner, settings, tmp_path):
    """Issue 33: the examples took the latest job even when it had failed, so the download example
    answered 409. Now the latest that succeeded, or a sentence when none has."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from poseapp.models import PoseJob, Video

    settings.MEDIA_ROOT = tmp_path
    video = Video.objects.create(owner=owner, original_name="a.mp4", file=SimpleUploadedFile("a.mp4", b"x"))
    failed = PoseJob.objects.create(owner=owner, video=video, status="failed", error="No person found.")
    ApiToken.objects.create(user=owner)
    client.force_login(owner)
    page = client.get(reverse("api-token")).content.decode()
    assert "JOB=ID\n" in page and "you have no job that succeeded yet" in page
    older, latest = (PoseJob.objects.create(owner=owner, video=video, status="succeeded") for _ in range(2))
    failed.save()  # the failed one is newer still
    PoseJob.objects.filter(pk=failed.pk).update(created_at=latest.created_at + timedelta(seconds=1))
    page = client.get(reverse("api-token")).content.decode()
    assert f"JOB={latest.pk}\n" in page and "your latest job that succeeded" in page
