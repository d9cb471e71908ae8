"""The admin site is scoped to the company admin's own company."""

import pytest

from accounts.models import User
from tests.accounts.admin_data import user_change_data

pytestmark = pytest.mark.django_db


def test_a_company_admin_sees_only_her_own_companys_users(client, alice, bob, charlie):
    client.force_login(alice)
    page = client.get("/admin/accounts/user/").content.decode()
    assert bob.email in page and charlie.email not in page


def test_charlie_gets_404_for_alices_company_and_colleagues(client, alice, bob, charlie):
    client.force_login(charlie)
    for url in [
        f"/admin/accounts/user/{bob.pk}/change/",
        f"/admin/accounts/user/{bob.pk}/delete/",
        f"/admin/accounts/user/{bob.pk}/password/",
        f"/admin/accounts/company/{alice.company_id}/change/",
    ]:
        response = client.get(url, follow=True)
        # never the object itself: 404, 403 (no such permission), or "doesn't exist"
        assert response.status_code in (403, 404) or "doesn’t exist" in response.content.decode()
        assert bob.email not in response.content.decode(), url


def test_a_company_admin_cannot_make_anyone_superuser(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        f"/admin/accounts/user/{bob.pk}/change/",
        {
            "email": bob.email,
            "first_name": bob.first_name,
            "last_name": bob.last_name,
            "is_active": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code in (200, 302)
    bob.refresh_from_db()
    assert not bob.is_superuser


def test_a_plain_user_cannot_open_the_admin(client, bob):
    client.force_login(bob)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_deactivating_in_admin_keeps_the_user_and_her_history(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        f"/admin/accounts/user/{bob.pk}/change/", user_change_data(bob, is_active="")
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert User.objects.filter(pk=bob.pk).exists()
    assert not bob.is_active
