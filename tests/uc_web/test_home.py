"""The home page: first steps until done, today's missed calls, contact requests waiting,
and which favourites are online; and help for every chapter."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ContactRequest, MonitorMark
from calls.models import Call
from tests.calls.factories import CallFactory
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_fresh_company_admin_is_told_what_to_do_next(alice):
    page = signed_in(alice).get(reverse("home")).content.decode()
    assert "First steps" in page
    for step in ("Invite your colleagues", "Set your photo", "Import your contacts"):
        assert step in page
    assert reverse("accounts:users") in page and reverse("contacts:import") in page


def test_a_member_is_not_asked_to_invite_and_done_steps_are_ticked(alice, bob):
    page = signed_in(bob).get(reverse("home")).content.decode()
    assert "Invite your colleagues" not in page and "Set your photo" in page
    page = signed_in(alice).get(reverse("home")).content.decode()
    assert "<s>Invite your colleagues</s>" in page  # Bob is there already


def test_todays_missed_calls_only(alice, bob):
    now = timezone.now()
    CallFactory(
        caller=alice,
        callee=bob,
        created_at=now,
        end_reason=Call.EndReason.NO_ANSWER,
        answered_at=None,
        ended_at=now,
    )
    CallFactory(
        caller=alice,
        callee=bob,
        created_at=now - timedelta(days=2),
        end_reason=Call.EndReason.CANCELLED,
        answered_at=None,
        ended_at=now - timedelta(days=2),
    )
    page = signed_in(bob).get(reverse("home")).content.decode()
    section = page[page.index("Missed calls today") : page.index("Contact requests waiting")]
    assert section.count("Call Alice Fernandez back") == 1
    page = signed_in(alice).get(reverse("home")).content.decode()
    assert "No missed calls today." in page


def test_contact_requests_waiting_can_be_answered_from_home(alice, charlie):
    services.contact_request_send(sender=charlie, recipient=alice, message="Hello from the port")
    client = signed_in(alice)
    page = client.get(reverse("home")).content.decode()
    assert "Charlie Nguyen" in page and "Hello from the port" in page
    response = client.post(
        reverse("accounts:person-action", args=[charlie.pk, "accept"]), {"next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert ContactRequest.objects.get(sender=charlie).state == ContactRequest.State.ACCEPTED
    assert "No contact requests are waiting for you." in client.get("/").content.decode()


def test_charlie_cannot_answer_a_request_made_to_alice(alice, bob, charlie):
    services.contact_request_send(sender=charlie, recipient=bob)
    response = signed_in(alice).post(reverse("accounts:person-action", args=[charlie.pk, "accept"]))
    assert response.status_code == 404
    assert ContactRequest.objects.get(sender=charlie).state == ContactRequest.State.PENDING


def test_next_never_leads_off_the_site(alice, charlie):
    services.contact_request_send(sender=charlie, recipient=alice)
    response = signed_in(alice).post(
        reverse("accounts:person-action", args=[charlie.pk, "decline"]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("accounts:person", args=[charlie.pk])


def test_favourites_show_who_is_online(alice, bob):
    MonitorMark.objects.create(owner=alice, person=bob, kind=MonitorMark.Kind.FAVOURITE)
    page = signed_in(alice).get(reverse("home")).content.decode()
    assert "0 of 1 online" in page and f'data-presence-user="{publicid.of(bob)}"' in page


def test_the_home_page_takes_a_fixed_number_of_queries(
    alice, bob, company, django_assert_max_num_queries
):
    from tests.accounts.factories import UserFactory

    for person in UserFactory.create_batch(5, company=company):
        MonitorMark.objects.create(owner=alice, person=person, kind=MonitorMark.Kind.FAVOURITE)
    client = signed_in(alice)
    client.get(reverse("home"))
    with django_assert_max_num_queries(25):
        client.get(reverse("home"))


HELP = [
    "getting-started",
    "profile",
    "company",
    "users",
    "contacts",
    "phone-numbers",
    "online-monitor",
    "calls",
    "connection",
    "api",
]


@pytest.mark.parametrize("topic", HELP)
def test_every_help_chapter_answers_and_lists_all_the_others(client, company, topic):
    page = client.get(reverse("help-topic", args=[topic])).content.decode()
    for other in HELP:
        assert reverse("help-topic", args=[other]) in page


@pytest.mark.parametrize(
    ("page", "topic"),
    [
        ("accounts:profile", "profile"),
        ("accounts:company", "company"),
        ("accounts:users", "users"),
        ("contacts:index", "contacts"),
        ("contacts:import", "contacts"),
        ("contacts:create", "phone-numbers"),
        ("calls:log", "calls"),
        ("home", "connection"),
        ("admin:accounts_user_changelist", "users"),
    ],
)
def test_each_chapter_is_reachable_from_the_page_it_explains(alice, page, topic):
    html = signed_in(alice).get(reverse(page)).content.decode()
    assert f'href="{reverse("help-topic", args=[topic])}"' in html


def test_the_api_help_leads_to_the_interactive_docs(client, company):
    page = client.get(reverse("help-topic", args=["api"])).content.decode()
    assert f'href="{reverse("api-docs")}"' in page
