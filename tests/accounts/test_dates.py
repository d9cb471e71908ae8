"""One way to show a date and time: the user's format, in the user's time zone, on every
page (call log, profile, contacts, admin)."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts import dates
from calls.models import Call
from tests.calls.factories import CallFactory
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 1, 18, 34, tzinfo=UTC)  # 03:34 on 2 December in Tokyo


def prefer(user, date_format: str, time_zone: str = "Asia/Tokyo") -> None:
    user.profile.date_format = date_format
    user.profile.time_zone = time_zone
    user.profile.save(update_fields=["date_format", "time_zone"])


@pytest.mark.parametrize(
    ("date_format", "text"),
    [
        ("long", "2 December 2026, 03:34 JST"),
        ("iso", "2026-12-02 03:34 JST"),
        ("dmy", "02/12/2026 03:34 JST"),
        ("mdy", "12/02/2026 3:34 AM JST"),
    ],
)
def test_a_moment_reads_in_the_users_format_and_time_zone(bob, date_format, text):
    prefer(bob, date_format)
    assert dates.datetime_text(MOMENT, bob) == text


def test_dates_and_yearless_dates_follow_the_format(bob):
    prefer(bob, "dmy")
    assert dates.date_text(MOMENT, bob) == "02/12/2026"
    assert dates.day_month_text(5, 4, bob) == "04/05"
    prefer(bob, "long")
    assert dates.day_month_text(5, 4, bob) == "4 May"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_call_log_and_the_profile_show_times_the_same_way(alice, bob):
    prefer(bob, "iso")
    CallFactory(caller=alice, callee=bob, created_at=MOMENT)
    client = signed_in(bob)
    bob.last_login = MOMENT  # after signing in, which sets it to now
    bob.save(update_fields=["last_login"])
    log = client.get(reverse("calls:log")).content.decode()
    assert "2026-12-02 03:34 JST" in log and "Dec. 2, 2026" not in log
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "2026-12-02 03:34 JST" in profile
    assert Call.objects.count() == 1


def test_a_contacts_birthday_follows_the_format(bob):
    prefer(bob, "mdy")
    contact = ContactFactory(book__owner=bob, birth_year=1980, birth_month=5, birth_day=4)
    page = signed_in(bob).get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert '<time datetime="1980-05-04">05/04/1980</time>' in page


def test_a_contacts_other_dates_follow_the_format_and_text_stays_as_typed(bob):
    prefer(bob, "mdy")
    contact = ContactFactory(
        book__owner=bob,
        dates=[
            {"label": "anniversary", "value": "2005-06-20"},
            {"label": "first met", "value": "--0314"},
            {"label": "someday", "value": "summer <2010>"},
        ],
    )
    page = signed_in(bob).get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert '<time datetime="2005-06-20">06/20/2005</time>' in page
    assert '<time datetime="--0314">03/14</time>' in page
    assert "summer &lt;2010&gt;" in page


def test_the_admin_user_list_shows_sign_in_times_in_the_admins_format(alice, bob):
    prefer(alice, "dmy", "Europe/London")
    bob.last_login = MOMENT
    bob.save(update_fields=["last_login"])
    page = signed_in(alice).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "01/12/2026 18:34 GMT" in page


def test_charlie_sees_no_call_of_northwind_in_his_log(alice, bob, charlie):
    CallFactory(caller=alice, callee=bob, created_at=MOMENT)
    page = signed_in(charlie).get(reverse("calls:log")).content.decode()
    assert "No calls yet." in page
