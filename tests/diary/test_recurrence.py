"""Series expand to wall-clock times in their own zone, across daylight-saving changes,
and edits of one, the following or all occurrences do what they say."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from diary import recurrence, selectors, services
from diary.models import Appointment
from tests.diary.factories import appointment
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def occurrences(user, start, end, zone="UTC"):
    return [
        s.occurrence
        for s in selectors.occurrence_list(user=user, start=start, end=end, time_zone=zone)
    ]


@pytest.mark.django_db
def test_daily_london_series_keeps_0900_across_both_changes(alice):
    appointment(
        alice,
        "Post",
        start=dt.datetime(2026, 3, 27, 9, 0, tzinfo=LONDON),
        time_zone="Europe/London",
        rrule="FREQ=DAILY;COUNT=4",
    )
    got = occurrences(alice, dt.date(2026, 3, 27), dt.date(2026, 4, 1))
    assert [o.start.astimezone(LONDON).time() for o in got] == [dt.time(9)] * 4
    # Clocks go forward on Sunday 29 March: 09:00 GMT, then 08:00 UTC.
    assert [o.start.hour for o in got] == [9, 9, 8, 8]
    appointment(
        alice,
        "Autumn",
        start=dt.datetime(2026, 10, 23, 9, 0, tzinfo=LONDON),
        time_zone="Europe/London",
        rrule="FREQ=WEEKLY;BYDAY=FR;COUNT=2",
    )
    autumn = [
        o
        for o in occurrences(alice, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        if o.appointment.title == "Autumn"
    ]
    assert [o.start.hour for o in autumn] == [8, 9]  # BST, then GMT after 25 October


@pytest.mark.django_db
def test_new_york_weekly_series_across_the_spring_and_autumn_changes(alice):
    appointment(
        alice,
        "Sync",
        start=dt.datetime(2026, 3, 2, 9, 0, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=MO",
    )
    spring = occurrences(alice, dt.date(2026, 3, 1), dt.date(2026, 3, 20), "America/New_York")
    assert [o.start.astimezone(UTC).hour for o in spring] == [14, 13, 13]  # EST, EDT from 8 March
    autumn = occurrences(alice, dt.date(2026, 10, 26), dt.date(2026, 11, 10), "America/New_York")
    assert [o.start.astimezone(UTC).hour for o in autumn] == [
        13,
        14,
        14,
    ]  # EST again from 1 November
    assert all(o.start.astimezone(NEW_YORK).time() == dt.time(9) for o in spring + autumn)


@pytest.mark.django_db
def test_monthly_second_tuesday_and_the_end_choices():
    start = dt.datetime(2026, 1, 13, 10, tzinfo=LONDON)
    rule = recurrence.build_rule(
        freq="monthly", monthly_by="position", start=start, time_zone="Europe/London", count=3
    )
    assert rule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"
    starts = recurrence.occurrence_starts(
        rule=rule,
        start=start.astimezone(UTC),
        end=start.astimezone(UTC) + dt.timedelta(hours=1),
        time_zone="Europe/London",
        all_day=False,
        range_start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        range_end=dt.datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert [s.astimezone(LONDON).date() for s in starts] == [
        dt.date(2026, 1, 13),
        dt.date(2026, 2, 10),
        dt.date(2026, 3, 10),
    ]
    until = recurrence.build_rule(
        freq="weekly",
        weekdays=["FR", "MO"],
        start=start,
        time_zone="Europe/London",
        until=dt.date(2026, 6, 30),
    )
    assert until == "FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20260630T225959Z"
    with pytest.raises(ApplicationError):
        recurrence.build_rule(freq="hourly")
    with pytest.raises(ApplicationError):
        recurrence.build_rule(
            freq="weekly", start=start, time_zone="Europe/London", until=dt.date(2025, 1, 1)
        )


@pytest.mark.django_db
def test_invalid_rules_are_refused_and_nothing_is_saved(alice):
    for rule in ["FREQ=HOURLY", "FREQ=WEEKLY;BYDAY=XX", "nonsense", "FREQ=MONTHLY;BYMONTHDAY=40"]:
        with pytest.raises(ApplicationError):
            appointment(alice, rrule=rule)
    assert not Appointment.objects.exists()


def _weekly(alice):
    return appointment(
        alice,
        "Weekly",
        start=dt.datetime(2026, 3, 2, 9, 30, tzinfo=LONDON),
        hours=0.5,
        time_zone="Europe/London",
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    )


def _local(user, zone=LONDON):
    return [
        (o.start.astimezone(zone).strftime("%m-%d %H:%M"), o.appointment.title)
        for o in occurrences(user, dt.date(2026, 3, 1), dt.date(2026, 6, 1))
    ]


@pytest.mark.django_db
def test_editing_this_occurrence_moves_only_it(alice):
    series = _weekly(alice)
    third = dt.datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    services.appointment_update(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=third,
        changes={
            "start": third + dt.timedelta(hours=2),
            "end": third + dt.timedelta(hours=2, minutes=30),
            "title": "Moved",
        },
    )
    got = _local(alice)
    assert len(got) == 10
    assert ("03-16 11:30", "Moved") in got and ("03-16 09:30", "Weekly") not in got
    assert ("03-23 09:30", "Weekly") in got


@pytest.mark.django_db
def test_deleting_this_occurrence_adds_an_exception(alice):
    series = _weekly(alice)
    services.appointment_delete(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
    )
    got = _local(alice)
    assert len(got) == 9 and "03-09 09:30" not in [g[0] for g in got]


@pytest.mark.django_db
def test_this_and_following_splits_the_series_keeping_count_and_exceptions(alice):
    series = _weekly(alice)
    services.appointment_delete(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 4, 13, 8, 30, tzinfo=UTC),
    )
    fifth = dt.datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # 09:30 BST
    tail = services.appointment_update(
        appointment=series,
        by=alice,
        scope="following",
        occurrence=fifth,
        changes={
            "start": fifth + dt.timedelta(hours=1),
            "end": fifth + dt.timedelta(hours=1, minutes=30),
            "title": "Later",
        },
    )
    got = _local(alice)
    assert [g for g in got if g[1] == "Weekly"] == [
        ("03-02 09:30", "Weekly"),
        ("03-09 09:30", "Weekly"),
        ("03-16 09:30", "Weekly"),
        ("03-23 09:30", "Weekly"),
    ]
    later = [g[0] for g in got if g[1] == "Later"]
    assert later[0] == "03-30 10:30" and "04-13 10:30" not in later
    assert len(later) == 5  # 6 left of COUNT=10, one of them excluded
    assert tail.rrule.endswith("COUNT=6")


@pytest.mark.django_db
def test_changing_all_moves_every_occurrence_with_its_exceptions(alice):
    series = _weekly(alice)
    services.appointment_delete(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
    )
    services.appointment_update(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 3, 16, 9, 30, tzinfo=UTC),
        changes={"title": "Special"},
    )
    summer = dt.datetime(2026, 4, 20, 8, 30, tzinfo=UTC)
    services.appointment_update(
        appointment=series,
        by=alice,
        scope="all",
        occurrence=summer,
        changes={"start": summer + dt.timedelta(minutes=30), "end": summer + dt.timedelta(hours=1)},
    )
    got = _local(alice)
    assert len(got) == 9
    # An occurrence changed on its own keeps its own time; the others all move.
    assert all(t.endswith("10:00") for t, title in got if title == "Weekly")
    assert "03-09 10:00" not in [g[0] for g in got]
    assert ("03-16 09:30", "Special") in got


@pytest.mark.django_db
def test_deleting_this_and_following_ends_the_series(alice):
    series = _weekly(alice)
    services.appointment_delete(
        appointment=series,
        by=alice,
        scope="following",
        occurrence=dt.datetime(2026, 3, 23, 9, 30, tzinfo=UTC),
    )
    assert [g[0] for g in _local(alice)] == ["03-02 09:30", "03-09 09:30", "03-16 09:30"]


@pytest.mark.django_db
def test_a_date_that_is_no_occurrence_is_refused(alice):
    series = _weekly(alice)
    with pytest.raises(ApplicationError):
        services.appointment_delete(
            appointment=series,
            by=alice,
            scope="this",
            occurrence=dt.datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        )
    assert len(_local(alice)) == 10


@pytest.mark.django_db
def test_only_the_organiser_changes_an_appointment(alice, bob):
    series = _weekly(alice)
    with pytest.raises(PermissionDenied):
        services.appointment_update(appointment=series, by=bob, changes={"title": "Mine now"})
    with pytest.raises(PermissionDenied):
        services.appointment_delete(appointment=series, by=bob)
    assert Appointment.objects.get(pk=series.pk).title == "Weekly"


@pytest.mark.django_db
def test_all_day_appointments_fall_on_their_dates_in_every_zone(alice):
    appointment(
        alice,
        "Holiday",
        start=dt.datetime(2026, 5, 25, tzinfo=UTC),
        end=dt.datetime(2026, 5, 26, tzinfo=UTC),
        all_day=True,
    )
    for zone in ("Pacific/Auckland", "America/Los_Angeles", "UTC"):
        days = occurrences(alice, dt.date(2026, 5, 25), dt.date(2026, 5, 26), zone)
        assert [o.appointment.title for o in days] == ["Holiday"]
        assert occurrences(alice, dt.date(2026, 5, 26), dt.date(2026, 5, 27), zone) == []


RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;INTERVAL=2;BYDAY=MO,WE,FR",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,MO;WKST=SU",
    "FREQ=WEEKLY;INTERVAL=2;WKST=MO",
    "FREQ=MONTHLY",
    "FREQ=MONTHLY;INTERVAL=5",
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY",
    "FREQ=YEARLY;INTERVAL=2",
    "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
    "FREQ=WEEKLY;BYDAY=MO;UNTIL=20290105T000000Z",
]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    "zone,all_day", [("Europe/London", False), ("America/New_York", False), ("UTC", True)]
)
def test_expanding_from_near_the_window_gives_what_expanding_from_the_start_gives(
    rule, zone, all_day
):
    """Listing a month of an old series starts near that month, not at DTSTART: the
    occurrences must be exactly the ones dateutil finds walking from the first one."""
    start = dt.datetime(2025, 1, 31, 9, 30, tzinfo=recurrence.zone(zone)).astimezone(UTC)
    if all_day:
        start = start.replace(hour=0, minute=0)
    duration = dt.timedelta(days=1) if all_day else dt.timedelta(minutes=45)
    parsed = recurrence.parse_rule(rule, start=start, time_zone=zone, all_day=all_day)
    windows = [dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(days=17 * n) for n in range(80)]
    for lo in windows:
        hi = lo + dt.timedelta(days=42)
        got = recurrence.occurrence_starts(
            rule=rule,
            start=start,
            end=start + duration,
            time_zone=zone,
            all_day=all_day,
            range_start=lo,
            range_end=hi,
        )
        # The reference: every occurrence from DTSTART on, then keep those in the window.
        expected = []
        for local in parsed:
            begin = recurrence._to_utc(local, all_day)
            if begin >= hi:
                break
            if begin + duration > lo:
                expected.append(begin)
        assert got == expected, (rule, zone, lo)
        for begin in expected[:3]:
            assert recurrence.is_occurrence(
                rule=rule, start=start, time_zone=zone, all_day=all_day, when=begin
            )


@pytest.mark.django_db
def test_an_occurrence_moved_to_another_week_shows_there_and_not_where_it_was(alice):
    series = appointment(
        alice,
        "Weekly",
        start=dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
        rrule="FREQ=WEEKLY",
    )
    services.appointment_update(
        appointment=series,
        by=alice,
        scope="this",
        occurrence=dt.datetime(2026, 3, 30, 9, tzinfo=UTC),
        changes={
            "start": dt.datetime(2026, 4, 8, 15, tzinfo=UTC),
            "end": dt.datetime(2026, 4, 8, 16, tzinfo=UTC),
        },
    )
    # Each range only reads the moved occurrences that concern it, and still gets both
    # sides right: the week it left and the week it went to.
    left = occurrences(alice, dt.date(2026, 3, 30), dt.date(2026, 4, 6))
    assert left == []
    went = occurrences(alice, dt.date(2026, 4, 6), dt.date(2026, 4, 13))
    assert [o.start for o in went] == [
        dt.datetime(2026, 4, 6, 9, tzinfo=UTC),
        dt.datetime(2026, 4, 8, 15, tzinfo=UTC),
    ]
    assert [o.recurrence_id for o in went] == [
        dt.datetime(2026, 4, 6, 9, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 9, tzinfo=UTC),
    ]
