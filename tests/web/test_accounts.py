"""Sign up, sign in, sign out."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_sign_up_creates_an_account_and_signs_in(client):
    response = client.post(reverse("signup"), {"username": "newbie", "password1": "a-Long-test-passw0rd",
                                               "password2": "a-Long-test-passw0rd"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert get_user_model().objects.filter(username="newbie").exists()
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "Welcome, newbie." in home.content.decode()  # signed in, and told so


def test_sign_up_rejects_a_weak_password_with_a_message(client):
    response = client.post(reverse("signup"), {"username": "newbie", "password1": "123", "password2": "123"})
    assert response.status_code == 200 and "too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_sign_in_and_out(client, owner, password):
    response = client.post(reverse("login"), {"username": owner.username, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    out = client.post(reverse("logout"), follow=True)
    assert "You are signed out." in out.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_says_so(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "nope"})
    page = response.content.decode()
    assert page.count("correct username and password") == 1 and "did not match" not in page  # said once


def test_signed_in_user_visiting_sign_up_goes_home(client, owner):
    client.force_login(owner)
    assert client.get(reverse("signup"))["Location"] == reverse("home")


def test_sign_up_says_the_passwords_differ_under_the_confirmation(client):
    response = client.post(reverse("signup"), {"username": "ann", "password1": "a-long-Passw0rd!",
                                               "password2": "another-Passw0rd!"})
    page = response.content.decode()
    confirmation = page.index('id="id_password2"')
    error = page.index('id="id_password2_error"')
    assert confirmation < error and "didn’t match" in page[error:error + 200]
    assert 'id="id_password1_error"' not in page
