"""The audit log: what is recorded, and that each company's admins read only their own."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import api_tokens, services
from accounts.models import AuditEvent
from tests.accounts.factories import UserFactory

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


def kinds(user) -> list[str]:
    return list(AuditEvent.objects.filter(subject=user).values_list("kind", flat=True))


def test_sign_ins_and_failures_are_recorded_with_the_address(bob, password):
    Client().post(
        "/accounts/login/", {"login": bob.email, "password": "nope"}, REMOTE_ADDR="192.0.2.5"
    )
    Client().post(
        "/accounts/login/", {"login": bob.email, "password": password}, REMOTE_ADDR="192.0.2.6"
    )
    failed, ok = AuditEvent.objects.filter(subject=bob).order_by("pk")
    assert (failed.kind, str(failed.ip), failed.company_id) == (
        "sign_in_failed",
        "192.0.2.5",
        bob.company_id,
    )
    assert (ok.kind, str(ok.ip)) == ("signed_in", "192.0.2.6")


def test_a_password_change_is_recorded(bob, password):
    client = signed_in(bob)
    new = "Another-long-passphrase-31"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert "password_changed" in kinds(bob)


def test_admin_actions_are_recorded_with_who_did_them(alice, bob, company):
    erin = services.user_invite(
        company=company, by=alice, email="erin@northwind.example", base_url="http://x/"
    )
    services.user_invitation_revoke(user=erin, by=alice)
    from django.contrib.auth.models import Group

    services.user_roles_set(user=bob, roles_=Group.objects.filter(name="CRM user"), by=alice)
    services.user_deactivate(user=bob, by=alice)
    events = AuditEvent.objects.filter(company=company, actor=alice)
    assert set(events.values_list("kind", flat=True)) == {
        "invited",
        "invitation_revoked",
        "roles_changed",
        "deactivated",
    }
    assert events.get(kind="invited").subject_email == "erin@northwind.example"
    assert events.get(kind="roles_changed").detail == "- → CRM user"


def test_alice_reads_northwinds_log_and_never_blue_harbours(alice, bob, charlie):
    api_tokens.api_token_create(user=bob, name="bob-script")
    api_tokens.api_token_create(user=charlie, name="charlie-script")
    page = signed_in(alice).get(reverse("accounts:audit"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "bob@northwind.example" in html and "API token created" in html
    assert "charlie" not in html


def test_charlie_reads_only_his_own_companys_log(alice, bob, charlie):
    api_tokens.api_token_create(user=bob, name="bob-script")
    html = signed_in(charlie).get(reverse("accounts:audit")).content.decode()
    assert "bob@northwind.example" not in html
    assert 'data-audit-kind="token_created"' not in html
    assert "charlie@blueharbour.example" in html  # his own sign-in


def test_a_member_without_the_admin_role_cannot_read_the_log(bob):
    assert signed_in(bob).get(reverse("accounts:audit")).status_code == 403


def test_the_log_filters_by_event_and_account(alice, bob, company):
    api_tokens.api_token_create(user=bob, name="one")
    api_tokens.api_token_create(user=alice, name="two")
    services.user_deactivate(user=bob, by=alice)
    client = signed_in(alice)
    html = client.get(reverse("accounts:audit") + "?kind=token_created&who=bob").content.decode()
    assert html.count('data-audit-kind="token_created"') == 1
    assert 'data-audit-kind="deactivated"' not in html


@pytest.mark.parametrize("query", ["?kind=drop_tables", "?who=a%00b"])
def test_a_bad_filter_is_a_clear_400_that_lists_nothing(alice, bob, query):
    api_tokens.api_token_create(user=bob, name="one")
    response = signed_in(alice).get(reverse("accounts:audit") + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "bob@northwind.example" not in html
    assert "Select a valid choice" in html or "Null characters are not allowed" in html


def test_the_log_takes_a_fixed_number_of_queries(alice, company, django_assert_max_num_queries):
    for _ in range(5):
        person = UserFactory(company=company)
        api_tokens.api_token_create(user=person, name="t")
        services.user_deactivate(user=person, by=alice)
    client = signed_in(alice)
    client.get(reverse("accounts:audit"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:audit")).status_code == 200
