"""The shared calendar exports (../shared/fixtures/calendar) give what the README says."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from diary import ical, selectors
from diary.models import Appointment

# Copies of ../shared/fixtures/calendar/ (Google, Outlook and Apple exports).
FIXTURES = Path(__file__).parent / "fixtures"

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC


def _import(user, name):
    return ical.import_calendar(user=user, data=(FIXTURES / name).read_bytes(), time_zone="UTC")


def _year(user, year, tz="UTC"):
    return selectors.occurrence_list(
        user=user, start=dt.date(year, 1, 1), end=dt.date(year + 1, 1, 1), time_zone=tz
    )


@pytest.mark.django_db
def test_google_weekly_standup_with_exdate_and_moved_occurrence(alice):
    result = _import(alice, "google_export.ics")
    assert result.created == 2 and not result.skipped
    shown = _year(alice, 2026)
    standups = [s.occurrence for s in shown if s.occurrence.appointment.title.startswith("Team")]
    assert len(standups) == 17
    local = [o.start.astimezone(LONDON) for o in standups]
    assert local[0] == dt.datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    assert standups[0].start == dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # GMT
    # The 5th, 2026-03-30, is already in summer time: 09:30 BST is 08:30 UTC.
    assert standups[4].start == dt.datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert dt.date(2026, 4, 6) not in {d.date() for d in local}
    moved = [o for o in standups if o.start.astimezone(LONDON).date() == dt.date(2026, 4, 13)]
    assert [m.start.astimezone(LONDON).time() for m in moved] == [dt.time(11, 30)]
    assert moved[0].appointment.title == "Team stand-up (moved)"
    assert local[-1].date() == dt.date(2026, 6, 29)
    assert all(t.time() == dt.time(9, 30) for t in local if t.date() != dt.date(2026, 4, 13))
    holiday = next(
        s.occurrence for s in shown if s.occurrence.appointment.title == "Spring bank holiday"
    )
    assert holiday.appointment.all_day
    assert holiday.appointment.show_as == Appointment.ShowAs.FREE
    assert holiday.start.date() == dt.date(2026, 5, 25)
    assert holiday.end.date() == dt.date(2026, 5, 26)
    series = Appointment.objects.get(owner=alice, rrule__contains="WEEKLY")
    assert series.location == "Room 4, Floor 2"
    assert series.description == "Weekly stand-up. Dial-in details in the doc, see link."


@pytest.mark.django_db
def test_outlook_windows_zone_name_maps_to_berlin_time(alice):
    result = _import(alice, "outlook_export.ics")
    assert result.created == 1
    meeting = Appointment.objects.get(owner=alice)
    assert meeting.time_zone == "Europe/Berlin"
    assert meeting.start == dt.datetime(2026, 10, 29, 9, 0, tzinfo=UTC)
    assert meeting.end == dt.datetime(2026, 10, 29, 10, 30, tzinfo=UTC)
    assert meeting.reminders == [15]
    assert meeting.title == "Quartalsbesprechung Q4"
    assert meeting.description.startswith("Quarterly review with the Berlin office.\n\nAgenda:\n1.")
    assert [a.email for a in meeting.attendees.all()] == ["anna.schmidt@example.de"]


@pytest.mark.django_db
def test_apple_monthly_on_the_31st_skips_short_months_across_dst(alice):
    result = _import(alice, "apple_export.ics")
    assert result.created == 1
    in_2026 = [s.occurrence for s in _year(alice, 2026, "America/New_York")]
    in_2027 = [s.occurrence for s in _year(alice, 2027, "America/New_York")]
    assert [o.start.astimezone(NEW_YORK).month for o in in_2026] == [1, 3, 5, 7, 8, 10, 12]
    assert len(in_2027) == 5
    assert all(o.start.astimezone(NEW_YORK).time() == dt.time(9) for o in in_2026 + in_2027)
    # 09:00 EST is 14:00 UTC in January, 09:00 EDT 13:00 UTC in March.
    assert in_2026[0].start.hour == 14 and in_2026[1].start.hour == 13
    assert in_2026[0].appointment.title == "Month-end close ☕"
    assert in_2026[0].appointment.reminders == [1440]


@pytest.mark.django_db
def test_reimporting_the_same_file_duplicates_nothing(alice):
    _import(alice, "google_export.ics")
    again = _import(alice, "google_export.ics")
    assert again.created == 0 and again.updated == 2
    assert Appointment.objects.filter(owner=alice, series__isnull=True).count() == 2
    assert Appointment.objects.filter(owner=alice, series__isnull=False).count() == 1
    assert (
        len([s for s in _year(alice, 2026) if s.occurrence.appointment.title.startswith("Team")])
        == 17
    )


@pytest.mark.django_db
def test_outlook_organiser_is_kept_and_exported_again(alice, bob):
    import icalendar
    from rest_framework.test import APIClient

    from uc_web.lib import publicid

    _import(alice, "outlook_export.ics")
    meeting = Appointment.objects.get(owner=alice)
    assert (meeting.organiser_email, meeting.organiser_name) == (
        "klaus.becker@example.de",
        "Klaus Becker",
    )
    client = APIClient()
    client.force_authenticate(alice)
    data = client.get(f"/api/v1/diary/appointments/{publicid.of(meeting)}/").json()
    assert data["organiser"]["name"] == "Klaus Becker" and data["organiser"]["external"]
    # Exported, the organiser is Klaus, not alice who imported it; imported by bob, the
    # same organiser again.
    exported = ical.export_calendar(Appointment.objects.filter(owner=alice))
    [event] = icalendar.Calendar.from_ical(exported).walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:klaus.becker@example.de"
    assert event["ORGANIZER"].params["CN"] == "Klaus Becker"
    ical.import_calendar(user=bob, data=exported, time_zone="UTC")
    again = Appointment.objects.get(owner=bob)
    assert (again.organiser_email, again.organiser_name) == (
        "klaus.becker@example.de",
        "Klaus Becker",
    )


@pytest.mark.django_db
def test_my_own_export_reimported_has_me_as_organiser(alice):
    from tests.diary.factories import appointment

    appointment(alice, "Mine", start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC))
    exported = ical.export_calendar(Appointment.objects.filter(owner=alice))
    Appointment.objects.all().delete()
    ical.import_calendar(user=alice, data=exported, time_zone="UTC")
    row = Appointment.objects.get(owner=alice)
    assert row.organiser_email == "" and row.title == "Mine"
    assert f"mailto:{alice.email}".encode() in ical.export_calendar([row])
