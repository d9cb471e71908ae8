"""iCalendar in and out: bad files, round trips, the private feed."""

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from diary import ical, selectors
from diary.models import Appointment
from tests.diary.factories import appointment
from uc_web.lib.exceptions import ApplicationError

UTC = dt.UTC
FIXTURES = Path(__file__).parent / "fixtures"


def _keys(user, zone="UTC", year=2026):
    return [
        (s.occurrence.start, s.occurrence.end, s.occurrence.appointment.title)
        for s in selectors.occurrence_list(
            user=user, start=dt.date(year, 1, 1), end=dt.date(year + 1, 1, 1), time_zone=zone
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not an iCalendar (.ics) file"),
        (
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n",
            "This is not an iCalendar (.ics) file",
        ),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
            "The calendar file holds no events.",
        ),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n", "The calendar file is damaged"),
        (b"BEGIN:VCALENDAR\r\nSUMMARY:\xff\xfe\r\nEND:VCALENDAR\r\n", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_calendar_is_refused_and_nothing_imported(alice, data, message):
    appointment(alice, "Kept")
    with pytest.raises(ApplicationError) as error:
        ical.import_calendar(user=alice, data=data)
    assert message in error.value.message
    assert list(Appointment.objects.values_list("title", flat=True)) == ["Kept"]


@pytest.mark.django_db
def test_the_import_page_says_what_is_wrong(client, alice):
    client.force_login(alice)
    response = client.post("/diary/import/", {"file": SimpleUploadedFile("x.ics", b"hello")})
    assert "This is not an iCalendar (.ics) file" in response.content.decode()
    assert not Appointment.objects.exists()
    response = client.post(
        "/diary/import/",
        {"file": SimpleUploadedFile("g.ics", (FIXTURES / "google_export.ics").read_bytes())},
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(series__isnull=True).count() == 2


@pytest.mark.django_db
def test_an_event_we_cannot_use_is_reported_and_the_rest_imported(alice):
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Every hour\r\nDTSTART:20260301T100000Z\r\n"
        b"RRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Fine\r\nDTSTART:20260301T100000Z\r\n"
        b"DTEND:20260301T110000Z\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    result = ical.import_calendar(user=alice, data=data)
    assert result.created == 1
    assert result.skipped == ["Every hour: Repeat daily, weekly, monthly or yearly."]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["google_export.ics", "outlook_export.ics", "apple_export.ics"])
def test_export_then_import_into_another_user_gives_identical_occurrences(client, alice, bob, name):
    ical.import_calendar(user=alice, data=(FIXTURES / name).read_bytes())
    client.force_login(alice)
    exported = client.get("/diary/export.ics")
    assert exported["Content-Type"].startswith("text/calendar")
    ical.import_calendar(user=bob, data=exported.content)
    for year in (2026, 2027):
        assert _keys(alice, year=year) == _keys(bob, year=year)
        assert _keys(bob, year=year) or year == 2027


@pytest.mark.django_db
def test_round_trip_of_our_own_series_with_exceptions(alice, bob):
    from diary import services

    series = appointment(
        alice,
        "Sync",
        start=dt.datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
        time_zone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959Z",
        reminders=[10, 1440],
    )
    services.appointment_delete(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 1, 7, 14, tzinfo=UTC),
    )
    services.appointment_update(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 3, 9, 13, tzinfo=UTC),
        changes={
            "title": "Moved",
            "start": dt.datetime(2026, 3, 9, 15, tzinfo=UTC),
            "end": dt.datetime(2026, 3, 9, 16, tzinfo=UTC),
        },
    )
    data = ical.export_calendar(Appointment.objects.filter(owner=alice))
    ical.import_calendar(user=bob, data=data)
    assert _keys(alice) == _keys(bob)
    assert len(_keys(bob)) == 103
    assert Appointment.objects.get(owner=bob, series__isnull=True).reminders == [10, 1440]


@pytest.mark.django_db
def test_the_feed_token_opens_one_diary_read_only_with_private_ones_as_busy(client, alice, bob):
    appointment(alice, "Lunch with Bob", location="Café")
    appointment(alice, "Doctor", private=True, location="Clinic", description="Results")
    appointment(bob, "Bob's own")
    client.force_login(alice)
    page = client.get("/diary/feed/").content.decode()
    url = page.split('id="feed-url" readonly value="')[1].split('"')[0]
    client.logout()
    path = url.split("testserver")[1]
    feed = client.get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    summaries = sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT"))
    assert summaries == ["Busy", "Lunch with Bob"]
    text = feed.content.decode()
    assert (
        "Doctor" not in text
        and "Clinic" not in text
        and "Results" not in text
        and "Bob's own" not in text
    )
    assert client.post(path).status_code == 405
    # A new address revokes the old one.
    client.force_login(alice)
    client.post("/diary/feed/")
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get("/diary/feed/made-up-token.ics").status_code == 404


@pytest.mark.django_db
def test_charlie_cannot_download_an_appointment_by_its_id(client, alice, charlie):
    from uc_web.lib import publicid

    row = appointment(alice, "Q3 numbers")
    client.force_login(charlie)
    assert client.get(f"/diary/{publicid.of(row)}.ics").status_code == 404
    client.force_login(alice)
    own = client.get(f"/diary/{publicid.of(row)}.ics")
    assert b"SUMMARY:Q3 numbers" in own.content
