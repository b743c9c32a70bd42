"""Error pages speak to people (DEBUG is off under pytest, as on a real site): no URL list, no traceback."""
import pytest
from django.test import Client
from django.urls import path

from webapp.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("secret internals")


urlpatterns = site_urls + [path("boom/", boom)]


def test_missing_page_is_a_friendly_404(client, owner):
    client.force_login(owner)
    for url in ("/no/such/page/", "/jobs/999999/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in page and 'href="/"' in page
        assert "URLconf" not in page and "Traceback" not in page


def test_server_error_is_a_friendly_500(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and "secret internals" not in page


def test_an_expired_form_asks_to_reload_not_a_csrf_lecture(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post("/accounts/logout/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "reload the page and send it again" in page and "CSRF" not in page
