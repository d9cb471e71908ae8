"""Two-factor sign-in: a company may require it; the admin site and the API then do too."""

import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def require_mfa(company) -> None:
    company.mfa_required = True
    company.save(update_fields=["mfa_required"])


def give_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def test_alice_requires_two_factor_for_northwind_and_it_is_audited(alice, company):
    response = signed_in(alice).post(
        reverse("accounts:company"), {"section": "security", "security-mfa_required": "on"}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.mfa_required
    event = AuditEvent.objects.get(kind="mfa_requirement_changed")
    assert (event.company_id, event.actor_id, event.detail) == (company.pk, alice.pk, "required")


def test_bob_who_is_no_admin_cannot_change_the_requirement(bob, company):
    response = signed_in(bob).post(
        reverse("accounts:company"), {"section": "security", "security-mfa_required": "on"}
    )
    assert response.status_code == 403
    company.refresh_from_db()
    assert not company.mfa_required


def test_charlie_cannot_change_northwinds_requirement(charlie, company, other_company):
    signed_in(charlie).post(
        reverse("accounts:company"), {"section": "security", "security-mfa_required": "on"}
    )
    company.refresh_from_db()
    other_company.refresh_from_db()
    assert not company.mfa_required and other_company.mfa_required


def test_without_a_second_factor_bob_is_sent_to_set_one_up(bob, company):
    require_mfa(company)
    client = signed_in(bob)
    response = client.get(reverse("contacts:index"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Your company requires two-factor sign-in" in page
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"
    assert client.get("/help/").status_code == 200


def test_the_admin_site_requires_a_second_factor_when_the_company_does(alice, company):
    require_mfa(company)
    client = signed_in(alice)
    assert client.get("/admin/")["Location"] == reverse("mfa_index")
    give_totp(alice)
    assert client.get("/admin/").status_code == 200


def test_other_companies_are_not_affected(charlie, company):
    require_mfa(company)
    assert signed_in(charlie).get(reverse("contacts:index")).status_code == 200


def test_signing_in_with_an_authenticator_code(bob, password, company):
    require_mfa(company)
    secret = give_totp(bob)
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": bob.email, "password": password}, REMOTE_ADDR="192.0.2.8"
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/api/v1/me/").status_code == 403  # the password alone is not enough
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"}, REMOTE_ADDR="192.0.2.8")
    assert wrong.status_code == 200 and client.get("/api/v1/me/").status_code == 403
    ok = client.post(
        reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()}, REMOTE_ADDR="192.0.2.8"
    )
    assert ok.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == bob.email
    kinds = list(
        AuditEvent.objects.filter(subject=bob).order_by("pk").values_list("kind", "detail")
    )
    assert ("sign_in_failed", "wrong second-factor code") in kinds
    assert kinds[-1][0] == "signed_in"


def test_activating_totp_in_the_app_is_audited(bob, password, django_capture_on_commit_callbacks):
    client = Client()
    client.post("/accounts/login/", {"login": bob.email, "password": password})
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:  # allauth asks for the password again first
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(response["Location"], {"password": password})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'value="([A-Z2-7]{32})"', page)[1]
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(subject=bob, kind="mfa_added").exists()
