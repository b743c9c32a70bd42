"""Content-Security-Policy and Permissions-Policy on every page (issue 13; webapp/security_headers.py)."""
import re

import pytest
from django.urls import reverse

from poseapp.models import PoseJob, Video

pytestmark = pytest.mark.django_db


def csp(response) -> dict:
    return {d.split()[0]: d.split()[1:] for d in response["Content-Security-Policy"].split("; ")}


@pytest.fixture
def job(owner):
    return PoseJob.objects.create(owner=owner, status="failed", error="x",
                                  video=Video.objects.create(owner=owner, original_name="a.mp4"))


def test_every_kind_of_page_has_both_headers(client, admin_user, job):
    client.force_login(admin_user)
    for url in [reverse("login"), reverse("home"), job.get_absolute_url(), reverse("admin:index"),
                reverse("api-jobs"), "/no/such/page/"]:
        response = client.get(url)
        policy = csp(response)
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], url
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "camera=()" in response["Permissions-Policy"] and "microphone=()" in response["Permissions-Policy"]


def test_the_viewer_page_policy_allows_what_the_viewer_uses(client, owner, job):
    client.force_login(owner)
    response = client.get(job.get_absolute_url(), HTTP_HOST="localhost")
    policy = csp(response)
    assert "ws://localhost" in policy["connect-src"] and "wss://localhost" in policy["connect-src"]
    assert "'self'" in policy["media-src"] and "blob:" in policy["img-src"] and "data:" in policy["img-src"]
    page = response.content.decode()
    # every inline script carries this response's nonce, and there are no inline event handlers
    nonce = next(s[len("'nonce-"):-1] for s in policy["script-src"] if s.startswith("'nonce-"))
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert not re.search(r"\son[a-z]+=", page)
    assert 'data-confirm="Delete this job and its files?"' in page


def test_the_nonce_is_new_for_every_response(client, owner):
    client.force_login(owner)
    first, second = (csp(client.get(reverse("home")))["script-src"] for _ in range(2))
    assert first != second


def test_report_only_and_off(client, settings):
    settings.POSENET_CSP_REPORT_ONLY = True
    response = client.get(reverse("login"))
    assert "Content-Security-Policy" not in response and "default-src 'self'" in response["Content-Security-Policy-Report-Only"]
    settings.POSENET_CSP = False
    response = client.get(reverse("login"))
    assert "Content-Security-Policy" not in response and "Permissions-Policy" in response


def test_the_settings_are_parsed_strictly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from webapp.env import env_bool

    monkeypatch.setenv("POSENET_CSP", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("POSENET_CSP", True)
