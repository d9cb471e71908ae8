"""Django admin for company admins: scoped to their company, no escalation, invitations."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import Profile, Region, User
from tests.accounts.admin_data import user_change_data
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def dave(other_company):
    """Charlie's colleague at Blue Harbour."""
    return UserFactory(company=other_company, email="dave@blueharbour.example")


@pytest.fixture
def their_market(other_company):
    return Region.objects.create(kind="market", company=other_company, name="Harbour ops")


@pytest.fixture
def our_market(company):
    return Region.objects.create(kind="market", company=company, name="UK retail")


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in this process even when REDIS_URL configures a broker."""
    from uc_web.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def revalidated(monkeypatch):
    """User ids whose sockets were asked to re-check their session."""
    calls: list[int] = []
    monkeypatch.setattr("uc_web.lib.realtime.revalidate_sessions", calls.append)
    return calls


def test_bob_who_is_not_an_admin_cannot_use_the_admin(admin_client_for, bob):
    response = admin_client_for(bob).get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_alices_user_list_shows_only_northwind(admin_client_for, alice, bob, charlie, dave):
    response = admin_client_for(alice).get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    shown = {u.email for u in response.context["cl"].result_list}
    assert shown == {alice.email, bob.email}
    response = admin_client_for(alice).get(
        reverse("admin:accounts_user_changelist"), {"q": "blueharbour"}
    )
    assert list(response.context["cl"].result_list) == []


def test_changelists_of_companies_and_markets_show_only_alices_own(
    admin_client_for, alice, other_company, our_market, their_market
):
    client = admin_client_for(alice)
    companies = client.get(reverse("admin:accounts_company_changelist")).context["cl"]
    assert list(companies.result_list) == [alice.company]
    markets = client.get(reverse("admin:accounts_region_changelist")).context["cl"]
    assert list(markets.result_list) == [our_market]


def other_company_urls(charlie, dave, other_company, their_market) -> list[str]:
    urls = []
    for user in (charlie, dave):
        urls += [
            reverse("admin:accounts_user_change", args=[user.pk]),
            reverse("admin:accounts_user_delete", args=[user.pk]),
            reverse("admin:accounts_user_history", args=[user.pk]),
            reverse("admin:auth_user_password_change", args=[user.pk]),
        ]
    urls += [
        reverse("admin:accounts_company_change", args=[other_company.pk]),
        reverse("admin:accounts_company_delete", args=[other_company.pk]),
        reverse("admin:accounts_company_history", args=[other_company.pk]),
        reverse("admin:accounts_region_change", args=[their_market.pk]),
        reverse("admin:accounts_region_delete", args=[their_market.pk]),
        reverse("admin:accounts_region_history", args=[their_market.pk]),
    ]
    return urls


def test_every_url_of_another_companys_objects_is_404_for_a_company_admin(
    admin_client_for, alice, charlie, dave, other_company, their_market
):
    client = admin_client_for(alice)
    for url in other_company_urls(charlie, dave, other_company, their_market):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"post": "yes"}).status_code == 404, url
    charlie.refresh_from_db()
    assert charlie.is_active and Region.objects.filter(pk=their_market.pk).exists()


def test_a_superuser_sees_every_company(admin_client_for, charlie, dave, other_company):
    root = User.objects.create_superuser("root@uc.example", "x-Very-long-passphrase-1")
    client = admin_client_for(root)
    assert client.get(reverse("admin:accounts_user_change", args=[dave.pk])).status_code == 200
    assert (
        client.get(reverse("admin:accounts_company_change", args=[other_company.pk])).status_code
        == 200
    )


def test_alice_cannot_make_bob_superuser_or_give_him_permissions_directly(
    admin_client_for, alice, bob
):
    everything = Permission.objects.get(codename="delete_user")
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, is_superuser="on", is_staff="on", user_permissions=[everything.pk]),
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_superuser and not bob.is_staff
    assert not bob.user_permissions.exists()


def test_alice_cannot_grant_a_group_that_is_not_a_role(admin_client_for, alice, bob):
    root_group = Group.objects.create(name="Everything")
    root_group.permissions.set(Permission.objects.all())
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, groups=[root_group.pk]),
    )
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert not bob.groups.exists()


COMPANY_ROLES = [roles.COMPANY_ADMIN, roles.CRM_USER, roles.PSTN_CALLER, roles.ANNOUNCER]


def test_alice_grants_bob_every_company_role_though_she_holds_only_company_admin(
    admin_client_for, alice, bob
):
    assert list(alice.groups.values_list("name", flat=True)) == [roles.COMPANY_ADMIN]
    wanted = Group.objects.filter(name__in=COMPANY_ROLES)
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, groups=[g.pk for g in wanted]),
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert set(bob.groups.values_list("name", flat=True)) == set(COMPANY_ROLES)
    assert bob.is_staff and not bob.is_superuser
    assert bob.has_perm("accounts.call_pstn") and bob.has_perm("accounts.use_crm")
    assert bob.has_perm("accounts.send_announcements")


def test_the_add_form_offers_every_company_role_and_nothing_else(admin_client_for, alice):
    Group.objects.create(name="Everything")
    response = admin_client_for(alice).get(reverse("admin:accounts_user_add"))
    offered = {g.name for g in response.context["adminform"].form.fields["groups"].queryset}
    assert offered == set(COMPANY_ROLES)


def test_alice_grants_herself_the_pstn_caller_role(admin_client_for, alice):
    pstn = Group.objects.get(name=roles.PSTN_CALLER)
    admin_role = Group.objects.get(name=roles.COMPANY_ADMIN)
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[alice.pk]),
        user_change_data(alice, groups=[admin_role.pk, pstn.pk]),
    )
    assert response.status_code == 302
    alice = User.objects.get(pk=alice.pk)  # a fresh permission cache
    assert alice.has_perm("accounts.call_pstn") and alice.is_staff


def test_taking_the_admin_role_away_from_bob_takes_away_his_admin_access(
    admin_client_for, alice, bob
):
    crm = Group.objects.get(name=roles.CRM_USER)
    bob.groups.set([Group.objects.get(name=roles.COMPANY_ADMIN)])
    bob.is_staff = True
    bob.save(update_fields=["is_staff"])
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, groups=[crm.pk]),
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert list(bob.groups.all()) == [crm] and not bob.is_staff


def test_charlie_cannot_grant_roles_to_bob_of_another_company(admin_client_for, charlie, bob):
    crm = Group.objects.get(name=roles.CRM_USER)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    client = admin_client_for(charlie)
    assert client.get(url).status_code == 404
    assert client.post(url, user_change_data(bob, groups=[crm.pk])).status_code == 404
    assert not bob.groups.exists()


def test_a_plain_user_grants_nothing(bob):
    from accounts import selectors

    assert not selectors.role_grantable_list(user=bob).exists()


def test_groups_that_are_not_company_roles_are_kept_when_alice_edits_a_user(
    admin_client_for, alice, bob
):
    special = Group.objects.create(name="Set by the operator")
    bob.groups.add(special)
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, groups=[], first_name="Robert"),
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.first_name == "Robert" and list(bob.groups.all()) == [special]


def test_profile_regions_in_admin_are_limited_to_countries_and_own_markets(
    admin_client_for, alice, bob, our_market, their_market
):
    client = admin_client_for(alice)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    response = client.post(url, user_change_data(bob, **{"profile-0-regions": [their_market.pk]}))
    assert response.status_code == 200
    assert not bob.profile.regions.exists()
    response = client.post(url, user_change_data(bob, **{"profile-0-regions": [our_market.pk]}))
    assert response.status_code == 302
    assert list(Profile.objects.get(user=bob).regions.all()) == [our_market]


def test_company_regions_in_admin_are_scoped(admin_client_for, alice, their_market):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_company_change", args=[alice.company.pk]),
        {"name": "Northwind", "default_time_zone": "UTC", "regions": [their_market.pk]},
    )
    assert response.status_code == 200
    assert not alice.company.regions.exists()


def test_a_market_alice_adds_belongs_to_northwind_whatever_she_posts(
    admin_client_for, alice, other_company
):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_region_add"),
        {"name": "Nordics", "company": other_company.pk, "kind": "country", "code": "SE"},
    )
    assert response.status_code == 302
    market = Region.objects.get(name="Nordics")
    assert (market.kind, market.company, market.code) == ("market", alice.company, "")


def test_adding_a_user_invites_them_into_alices_company(
    admin_client_for, alice, other_company, django_capture_on_commit_callbacks, eager_tasks
):
    client = admin_client_for(alice)
    admin_role = Group.objects.get(name=roles.COMPANY_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "Erin@Northwind.example",
                "first_name": "Erin",
                "last_name": "Walsh",
                "company": other_company.pk,
                "groups": [admin_role.pk],
                "is_superuser": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    erin = User.objects.get(email="erin@northwind.example")
    assert erin.company == alice.company
    assert not erin.is_superuser and erin.is_staff
    assert not erin.has_usable_password()
    assert erin.is_invited and Profile.objects.filter(user=erin).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@northwind.example"]
    assert mail.outbox[0].subject == (
        "[UC Web] Alice Fernandez invited you to join Northwind Trading on UC Web"
    )
    assert "for 7 days" in mail.outbox[0].body
    link = re.search(r"http://testserver/join/\S+", mail.outbox[0].body)
    assert link

    listing = client.get(reverse("admin:accounts_user_changelist"), {"invited": "yes"})
    assert [u.email for u in listing.context["cl"].result_list] == [erin.email]
    assert "invited" in listing.content.decode()

    # Erin follows the link, sets a password and is signed in: no longer invited.
    guest = Client()
    form_page = guest.get(link.group(0), follow=True)
    assert form_page.status_code == 200
    new_password = "Erin-chooses-a-long-passphrase-9"
    response = guest.post(
        form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302 and response["Location"] == reverse("welcome")
    assert guest.get(reverse("welcome")).context["user"] == erin
    erin.refresh_from_db()
    assert not erin.is_invited and erin.check_password(new_password)


def test_deactivating_in_admin_signs_the_user_out_everywhere(
    admin_client_for, alice, bob, revalidated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for(alice).post(
            reverse("admin:accounts_user_change", args=[bob.pk]),
            user_change_data(bob, is_active=""),
        )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active and User.objects.filter(pk=bob.pk).exists()
    assert bob.pk in revalidated


def test_the_deactivate_action_signs_users_out_but_never_alice_herself(
    admin_client_for, alice, bob, revalidated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_for(alice).post(
            reverse("admin:accounts_user_changelist"),
            {"action": "deactivate", "_selected_action": [alice.pk, bob.pk]},
        )
    bob.refresh_from_db()
    alice.refresh_from_db()
    assert not bob.is_active and alice.is_active
    assert revalidated == [bob.pk]


def test_changing_a_password_in_admin_closes_the_users_sockets(
    admin_client_for, alice, bob, revalidated, django_capture_on_commit_callbacks
):
    new_password = "A-fresh-passphrase-for-bob-7"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for(alice).post(
            reverse("admin:auth_user_password_change", args=[bob.pk]),
            {"password1": new_password, "password2": new_password, "usable_password": "true"},
        )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.check_password(new_password)
    assert revalidated == [bob.pk]


def test_company_admins_cannot_delete_users(admin_client_for, alice, bob):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_delete", args=[bob.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_the_user_list_takes_a_fixed_number_of_queries(
    admin_client_for, alice, company, django_assert_max_num_queries
):
    UserFactory.create_batch(15, company=company)
    client = admin_client_for(alice)
    client.get(reverse("admin:accounts_user_changelist"))
    with django_assert_max_num_queries(12):
        client.get(reverse("admin:accounts_user_changelist"))


def test_alice_cannot_deactivate_or_demote_herself(admin_client_for, alice):
    client = admin_client_for(alice)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    response = client.post(url, user_change_data(alice, is_active=""))
    assert response.status_code == 200
    response = client.post(url, user_change_data(alice, groups=[]))
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.is_active and alice.is_staff
    assert alice.groups.filter(name=roles.COMPANY_ADMIN).exists()


def test_a_superuser_inviting_someone_must_choose_their_company(admin_client_for, company):
    root = User.objects.create_superuser("root@uc.example", "x-Very-long-passphrase-1")
    client = admin_client_for(root)
    response = client.post(reverse("admin:accounts_user_add"), {"email": "x@example.com"})
    assert response.status_code == 200
    assert "company" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:accounts_user_add"), {"email": "x@example.com", "company": company.pk}
    )
    assert response.status_code == 302
    assert User.objects.get(email="x@example.com").company == company


def test_the_admins_own_change_password_link_leads_to_the_page_that_closes_sockets(
    admin_client_for, alice
):
    response = admin_client_for(alice).get(reverse("admin:password_change"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def test_a_duplicate_market_name_is_a_form_error(admin_client_for, alice, our_market):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_region_add"), {"name": our_market.name.upper()}
    )
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Region.objects.filter(company=alice.company).count() == 1


def test_phone_numbers_typed_in_admin_are_stored_as_e164(admin_client_for, alice, bob):
    client = admin_client_for(alice)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    data = user_change_data(
        bob, **{"profile-0-dialling_country": "GB", "profile-0-phone_work": "020 7946 0018"}
    )
    assert client.post(url, data).status_code == 302
    assert Profile.objects.get(user=bob).phone_work == "+442079460018"
    data["profile-0-phone_work"] = "12345"
    response = client.post(url, data)
    assert response.status_code == 200
    assert Profile.objects.get(user=bob).phone_work == "+442079460018"
    company_url = reverse("admin:accounts_company_change", args=[alice.company.pk])
    response = client.post(
        company_url,
        {
            "name": "Northwind Trading",
            "default_time_zone": "Europe/London",
            "default_dialling_country": "GB",
            "phone": "020 7946 0000",
        },
    )
    assert response.status_code == 302
    alice.company.refresh_from_db()
    assert alice.company.phone == "+442079460000"


@pytest.mark.parametrize("typed", ["bob@northwind.example", "BOB@Northwind.Example"])
def test_adding_a_user_whose_email_exists_in_any_case_says_so_in_words(
    admin_client_for, alice, bob, typed
):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_add"), {"email": typed, "first_name": "Robert"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Constraint" not in page and "user_email_ci_unique" not in page
    errors = response.context["adminform"].form.errors
    assert errors == {"email": ["A user with this email address already exists."]}
    assert User.objects.filter(email__iexact=typed).count() == 1


def test_changing_bobs_email_to_alices_in_capitals_says_so_in_words(admin_client_for, alice, bob):
    response = admin_client_for(alice).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        user_change_data(bob, email="Alice@Northwind.example"),
    )
    assert response.status_code == 200
    assert "user_email_ci_unique" not in response.content.decode()
    assert response.context["adminform"].form.errors["email"] == [
        "A user with this email address already exists."
    ]
