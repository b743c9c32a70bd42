"""Issue 30, against the real web server process: bad API tokens lock only the token presented, not the
other clients at that address; the admin's sign-in refusal after too many failures is HTTP 429."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from poseapp.models import ApiToken

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_ten_bad_tokens_lock_only_that_token(live_stack, owner, settings):
    good = ApiToken.objects.create(user=owner).key
    bad = f"bad-{uuid.uuid4().hex}"
    url = f"{live_stack.base_url}/api/jobs/"
    limit = settings.POSENET_LOGIN_FAILURE_LIMIT
    assert [get(url, bad) for _ in range(limit)] == [401] * limit
    assert get(url, bad) == 429
    assert get(url, good) == 200  # the same address (every client behind a proxy), a valid token


def test_the_admin_refuses_with_429(live_stack, django_user_model, settings):
    name = f"staff-{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_superuser(name, password="a-Long-admin-passw0rd")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{live_stack.base_url}/admin/login/"

    def attempt(password: str) -> tuple[int, str]:
        page = opener.open(login, timeout=20).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": name, "password": password, "csrfmiddlewaretoken": csrf,
                                       "next": "/admin/"}).encode()
        request = urllib.request.Request(login, data=body, headers={"Referer": login})
        try:
            with opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    for _ in range(settings.POSENET_LOGIN_FAILURE_LIMIT):
        assert attempt("wrong")[0] == 200  # the form again, with "Please enter the correct…"
    status, page = attempt("a-Long-admin-passw0rd")
    assert status == 429 and "Too many failed sign-in attempts" in page
