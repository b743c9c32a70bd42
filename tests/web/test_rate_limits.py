"""Failed sign-ins and bad API tokens are limited (issue 13; poseapp/ratelimit.py)."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from poseapp.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.POSENET_LOGIN_FAILURE_LIMIT = 3
    settings.POSENET_LOGIN_WINDOW_S = 900
    cache.clear()  # the tests' cache is this process's memory (no POSENET_CACHE_URL)
    yield
    cache.clear()


def sign_in(client, username, password, ip="10.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_is_refused_after_too_many_failures_even_with_the_right_password(client, owner, password):
    for _ in range(3):
        response = sign_in(client, "owner", "wrong")
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    response = sign_in(client, "owner", password)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts for this account from your address." in page
    assert "wait 15 minutes" in page and "_auth_user_id" not in client.session


def test_the_limit_is_per_username_and_address(client, owner, other_user, password):
    for _ in range(3):
        sign_in(client, "owner", "wrong", ip="10.0.0.1")
    assert sign_in(client, "owner", password, ip="10.0.0.2").status_code == 302  # another address
    client.logout()
    assert sign_in(client, "other", password, ip="10.0.0.1").status_code == 302  # another account


def test_a_successful_sign_in_clears_the_count(client, owner, password):
    for _ in range(2):
        sign_in(client, "owner", "wrong")
    assert sign_in(client, "owner", password).status_code == 302
    client.logout()
    for _ in range(2):
        sign_in(client, "owner", "wrong")
    assert sign_in(client, "owner", password).status_code == 302


def test_the_window_ends(client, owner, password, settings):
    import time

    settings.POSENET_LOGIN_WINDOW_S = 3
    started = time.monotonic()
    sign_in(client, "owner", "wrong")
    window_from = time.monotonic()  # the first failure was recorded before this
    for _ in range(2):
        sign_in(client, "owner", "wrong")
    refused = sign_in(client, "owner", password).status_code
    if time.monotonic() - started < 2.5:  # a busy machine can take the whole window to hash 4 passwords
        assert refused == 429
    time.sleep(max(0.0, window_from + 3.5 - time.monotonic()))
    assert sign_in(client, "owner", password).status_code == 302


def test_the_admin_sign_in_is_limited_too_and_answers_429(client, admin_user):
    url = reverse("admin:login")
    for _ in range(3):
        sign_in(client, "admin", "wrong", url=url)
    response = sign_in(client, "admin", "password", url=url)  # pytest-django's admin_user password
    assert response.status_code == 429  # like the site's sign-in (issue 30; it was 200)
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def api_get(client, token, ip):
    return client.get(reverse("api-jobs"), HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR=ip)


def test_bad_api_tokens_lock_only_that_token(client, owner):
    """Issue 30: ten bad tokens from one address (behind a proxy: every client's) used to lock out
    every API client there, valid tokens included. Now only the bad token string is refused."""
    good = ApiToken.objects.create(user=owner)
    for _ in range(3):
        assert api_get(client, "guess", "10.0.0.9").status_code == 401
    assert api_get(client, good.key, "10.0.0.9").status_code == 200  # the same address, a valid token
    refused = api_get(client, "guess", "10.0.0.9")
    assert refused.status_code == 429 and refused["Retry-After"] == "900"
    assert refused.json()["error"].startswith("Too many requests with this invalid API token.")
    assert api_get(client, "guess", "10.0.0.8").status_code == 429  # that token, from anywhere


def test_many_tokens_from_one_address_hit_the_address_ceiling(client, owner, settings):
    settings.POSENET_ADDRESS_FAILURE_LIMIT = 5
    good = ApiToken.objects.create(user=owner)
    for i in range(5):
        assert api_get(client, f"guess-{i}", "10.0.0.9").status_code == 401
    refused = api_get(client, good.key, "10.0.0.9")
    assert refused.status_code == 429
    assert refused.json()["error"].startswith("Too many failed sign-ins or invalid API tokens from your address.")
    assert api_get(client, good.key, "10.0.0.8").status_code == 200  # other addresses are untouched


def test_many_usernames_from_one_address_hit_the_address_ceiling(client, owner, password, settings):
    settings.POSENET_ADDRESS_FAILURE_LIMIT = 5
    for i in range(5):
        assert sign_in(client, f"someone-{i}", "wrong", ip="10.0.0.7").status_code == 200
    response = sign_in(client, "owner", password, ip="10.0.0.7")
    assert response.status_code == 429 and "from your address" in response.content.decode()
    assert sign_in(client, "owner", password, ip="10.0.0.6").status_code == 302


def test_a_cache_outage_lets_attempts_through(client, owner, password, monkeypatch):
    from poseapp import ratelimit

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")
    monkeypatch.setattr(ratelimit.cache, "get", broken)
    monkeypatch.setattr(ratelimit.cache, "add", broken)
    for _ in range(5):
        sign_in(client, "owner", "wrong")
    assert sign_in(client, "owner", password).status_code == 302
