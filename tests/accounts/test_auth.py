"""Sign in, sign out and forgotten passwords: bad input gets a clear answer, changes nothing."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils.http import int_to_base36

from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth keeps its rate-limit counters in the cache
    yield
    cache.clear()


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def reset_link_for(client, email) -> str:
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": email})
    assert len(mail.outbox) == 1
    return re.search(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)


def test_alice_signs_in_with_her_email_and_password(client, alice, password):
    response = sign_in(client, "ALICE@northwind.example", password)
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == "alice@northwind.example"


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = sign_in(client, alice.email, "wrong-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert client.get("/api/v1/me/").status_code == 403


def test_repeated_wrong_passwords_are_rate_limited(client, alice, password):
    for _ in range(5):
        sign_in(client, alice.email, "wrong-password")
    response = sign_in(client, alice.email, password)
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/api/v1/me/").status_code == 403


def test_an_inactive_user_cannot_sign_in(client, bob, password):
    bob.is_active = False
    bob.save()
    sign_in(client, bob.email, password)
    assert client.get("/api/v1/me/").status_code == 403


def test_password_reset_does_not_reveal_whether_an_account_exists(client, alice):
    known = client.post("/accounts/password/reset/", {"email": alice.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@northwind.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    to_unknown = [m for m in mail.outbox if "nobody@northwind.example" in m.to]
    assert all("/password/reset/key/" not in m.body for m in to_unknown)


def test_a_reset_link_works_once(client, alice):
    link = reset_link_for(client, alice.email)
    form = client.get(link, follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    new = "Completely-new-pass-99"
    response = client.post(action, {"password1": new, "password2": new})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_reset_link_names_the_user_by_public_id_not_by_number(client, alice):
    link = reset_link_for(client, alice.email)
    assert f"/accounts/password/reset/key/{publicid.of(alice)}." in link
    assert f"/key/{int_to_base36(alice.pk)}-" not in link
    assert client.get(link, follow=True).status_code == 200
    forged = link.replace(publicid.of(alice), publicid.encode("accounts.user", alice.pk + 1))
    assert "This link no longer works" in Client().get(forged, follow=True).content.decode()


def test_an_expired_reset_link_is_refused_and_changes_nothing(client, alice, password, settings):
    link = reset_link_for(client, alice.email)
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(link, follow=True)
    assert "This link no longer works" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(password)


def test_a_forged_reset_key_is_refused(client, alice):
    response = client.get("/accounts/password/reset/key/1-forged-key/", follow=True)
    assert "This link no longer works" in response.content.decode()


def test_a_post_without_csrf_token_is_refused_with_a_clear_page(alice, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": alice.email, "password": password})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert client.get("/api/v1/me/").status_code == 403


def test_signing_out_requires_a_post(client, alice):
    client.force_login(alice)
    client.get("/accounts/logout/")
    assert client.get("/api/v1/me/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/api/v1/me/").status_code == 403


def test_public_sign_up_is_closed(client, company):
    response = client.post(
        "/accounts/signup/",
        {"email": "mallory@evil.example", "password1": "Xx-12345678", "password2": "Xx-12345678"},
    )
    assert response.status_code == 200
    from accounts.models import User

    assert not User.objects.filter(email="mallory@evil.example").exists()
