"""Inviting from the app's own page (the same service as Django admin), the invitations
waiting with resend and revoke, and the link that lets the invited person join."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import roles, services
from accounts.models import User
from calls.models import Call
from tests.accounts.factories import UserFactory
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db

PASSPHRASE = "Erin-chooses-a-long-passphrase-9"


@pytest.fixture(autouse=True)
def eager_tasks():
    from uc_web.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite_erin(client: Client, **extra):
    return client.post(
        reverse("accounts:users"),
        {"email": "Erin@Northwind.example", "first_name": "Erin", "last_name": "Walsh", **extra},
    )


def join_link(message) -> str:
    return re.search(r"http://testserver/join/\S+", message.body).group(0)


def test_alice_invites_erin_from_the_users_page_with_roles(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite_erin(signed_in(alice), roles=[roles.CRM_USER, roles.PSTN_CALLER])
    assert response.status_code == 302
    erin = User.objects.get(email="erin@northwind.example")
    assert erin.company == alice.company and erin.is_invited and not erin.has_usable_password()
    assert set(erin.groups.values_list("name", flat=True)) == {roles.CRM_USER, roles.PSTN_CALLER}
    assert not erin.is_staff
    (message,) = mail.outbox
    assert message.to == ["erin@northwind.example"]
    assert (
        message.subject
        == "[UC Web] Alice Fernandez invited you to join Northwind Trading on UC Web"
    )
    assert "Alice Fernandez (alice@northwind.example) invited you to join Northwind Trading" in (
        message.body
    )
    assert "set your password" in message.body and "reset" not in message.body.lower()
    page = signed_in(alice).get(reverse("accounts:users")).content.decode()
    assert "erin@northwind.example" in page and "Resend the invitation to" in page


def test_an_admin_invitation_makes_a_company_admin_with_admin_access(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(signed_in(alice), roles=[roles.COMPANY_ADMIN])
    assert User.objects.get(email="erin@northwind.example").is_staff


def test_inviting_a_taken_address_says_so_and_sends_nothing(alice, bob):
    response = signed_in(alice).post(reverse("accounts:users"), {"email": "BOB@northwind.example"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "A user with this email address already exists."
    ]
    assert mail.outbox == []


def test_a_role_that_does_not_exist_is_refused(alice):
    response = invite_erin(signed_in(alice), roles=["Superuser"])
    assert response.status_code == 400
    assert not User.objects.filter(email="erin@northwind.example").exists()


def test_bob_who_is_not_an_admin_cannot_invite_or_see_invitations(bob):
    client = signed_in(bob)
    assert client.get(reverse("accounts:users")).status_code == 403
    assert invite_erin(client).status_code == 403
    assert not User.objects.filter(email="erin@northwind.example").exists()


def test_charlie_cannot_resend_or_revoke_northwinds_invitations(
    alice, charlie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(signed_in(alice))
    erin = User.objects.get(email="erin@northwind.example")
    mail.outbox.clear()
    client = signed_in(charlie)
    for action in ("resend", "revoke"):
        url = reverse("accounts:invitation-action", args=[erin.pk, action])
        assert client.post(url).status_code == 404
    assert User.objects.filter(pk=erin.pk, is_active=True).exists() and mail.outbox == []
    page = client.get(reverse("accounts:users")).content.decode()
    assert "erin@northwind.example" not in page


def test_the_service_refuses_an_admin_of_another_company(alice, charlie):
    from uc_web.lib.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.user_invite(
            company=alice.company, by=charlie, email="x@example.com", base_url="http://x/"
        )


def test_resend_mails_a_fresh_link_that_works(alice, django_capture_on_commit_callbacks):
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(client)
    erin = User.objects.get(email="erin@northwind.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation-action", args=[erin.pk, "resend"]))
    assert response.status_code == 302
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [erin.email]
    guest = Client()
    form = guest.get(join_link(mail.outbox[1]), follow=True)
    assert "Join Northwind Trading" in form.content.decode()


def test_revoking_withdraws_the_link_and_frees_the_address(
    alice, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(client)
    erin = User.objects.get(email="erin@northwind.example")
    link = join_link(mail.outbox[0])
    response = client.post(reverse("accounts:invitation-action", args=[erin.pk, "revoke"]))
    assert response.status_code == 302
    assert not User.objects.filter(email="erin@northwind.example").exists()
    page = Client().get(link, follow=True).content.decode()
    assert "This invitation link no longer works" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert invite_erin(client).status_code == 302  # the address can be invited again


def test_revoking_someone_already_called_keeps_the_call_and_kills_the_link(
    alice, bob, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(client)
    erin = User.objects.get(email="erin@northwind.example")
    CallFactory(caller=bob, callee=erin)
    link = join_link(mail.outbox[0])
    client.post(reverse("accounts:invitation-action", args=[erin.pk, "revoke"]))
    erin.refresh_from_db()
    assert not erin.is_active and not erin.is_invited and Call.objects.count() == 1
    page = Client().get(link, follow=True).content.decode()
    assert "This invitation link no longer works" in page


def test_someone_who_joined_has_no_invitation_to_revoke(alice, bob):
    bob.invited_at = bob.date_joined
    bob.save(update_fields=["invited_at"])
    bob.last_login = bob.date_joined
    bob.save(update_fields=["last_login"])
    url = reverse("accounts:invitation-action", args=[bob.pk, "revoke"])
    assert signed_in(alice).post(url).status_code == 404
    assert User.objects.filter(pk=bob.pk).exists()


def test_the_join_link_sets_a_password_signs_in_and_welcomes(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_erin(signed_in(alice))
    guest = Client()
    form_page = guest.get(join_link(mail.outbox[0]), follow=True)
    page = form_page.content.decode()
    assert "Join Northwind Trading" in page and "Set password and join" in page
    assert "reset" not in page.lower()
    with django_capture_on_commit_callbacks(execute=True):
        response = guest.post(
            form_page.redirect_chain[-1][0], {"password1": PASSPHRASE, "password2": PASSPHRASE}
        )
    assert response.status_code == 302 and response["Location"] == reverse("welcome")
    welcome = guest.get(reverse("welcome")).content.decode()
    assert "Welcome to Northwind Trading, Erin!" in welcome and "First steps" in welcome
    erin = User.objects.get(email="erin@northwind.example")
    assert not erin.is_invited
    # used once: the link is spent
    again = Client().get(join_link(mail.outbox[0]), follow=True).content.decode()
    assert "This invitation link no longer works" in again


def test_a_password_reset_link_of_a_member_is_no_invitation(bob):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    bob.last_login = bob.date_joined
    bob.save(update_fields=["last_login"])
    url = reverse(
        "accounts:join",
        kwargs={"uidb36": user_pk_to_url_str(bob), "key": default_token_generator.make_token(bob)},
    )
    page = Client().get(url, follow=True).content.decode()
    assert "This invitation link no longer works" in page


def test_the_users_page_lists_members_in_a_fixed_number_of_queries(
    alice, company, django_assert_max_num_queries
):
    UserFactory.create_batch(8, company=company, roles=[roles.CRM_USER])
    client = signed_in(alice)
    client.get(reverse("accounts:users"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("accounts:users"))
    assert response.content.decode().count("CRM user") >= 8
    assert Group.objects.filter(name=roles.CRM_USER).exists()
