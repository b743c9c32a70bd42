"""The upload page loads the chunked-upload script from this origin (allowed by the CSP, no inline
code) and has the progress panel it drives; the form itself still posts without it."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_upload_page_has_the_script_and_a_hidden_progress_panel(client, owner):
    client.force_login(owner)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert '<script type="module" src="/static/upload.js"></script>' in page
    assert '<div id="upload-progress" class="upload-progress" hidden>' in page
    for element in ('id="upload-bar"', 'id="upload-status"', 'id="upload-cancel"'):
        assert element in page
    assert 'method="post" enctype="multipart/form-data" id="upload-form"' in page  # the no-script path
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_anonymous_does_not_get_the_page(client):
    assert client.get(reverse("home")).status_code == 302
