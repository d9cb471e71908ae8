"""Signing in to the admin goes through allauth's throttled sign-in (issue 11, finding 1)."""

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_a_signed_out_visitor_of_the_admin_is_sent_to_the_apps_sign_in_page(client, company):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_a_password_posted_to_the_admin_login_is_never_checked(client, alice, password):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": alice.email, "password": password}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me/").status_code == 403


def test_guessing_an_admins_password_through_the_admin_is_throttled_like_the_app(
    client, alice, password
):
    # The probe: 30 wrong passwords at /admin/login/ and then the right one signed in.
    for attempt in range(30):
        client.post("/admin/login/", {"username": alice.email, "password": f"guess-{attempt}"})
    assert client.get("/api/v1/me/").status_code == 403
    # The only way in is the app's sign-in, whose throttle stops the same guessing.
    for attempt in range(5):
        client.post(
            "/accounts/login/?next=/admin/", {"login": alice.email, "password": f"guess-{attempt}"}
        )
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": alice.email, "password": password}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_company_admin_signs_in_through_the_app_and_lands_in_the_admin(client, alice, password):
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": alice.email, "password": password}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Once signed in, the admin's login URL just goes where it was asked to.
    assert client.get("/admin/login/?next=/admin/accounts/user/")["Location"] == (
        "/admin/accounts/user/"
    )


def test_an_ordinary_user_opening_the_admin_is_told_why_it_is_not_for_them(bob):
    client = Client()
    client.force_login(bob)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Administration is for company admins" in page
    assert "does not have the Company admin role" in page
    assert 'name="password"' not in page  # no second sign-in form


def test_the_admin_login_does_not_send_anyone_to_another_site(client, alice):
    client.force_login(alice)
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/admin/"


@pytest.fixture
def revalidated_ids(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr("uc_web.lib.realtime.revalidate_sessions", calls.append)
    return calls


def test_signing_out_from_the_admin_signs_out_of_the_app_and_its_sockets(
    client, alice, revalidated_ids, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert client.get("/api/v1/me/").status_code == 403
    assert alice.pk in revalidated_ids


def test_charlie_signed_in_to_the_admin_cannot_open_alices_user(charlie, alice):
    client = Client()
    client.force_login(charlie)
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/accounts/user/{alice.pk}/change/").status_code == 404
