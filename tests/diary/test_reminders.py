"""Reminders fall due per occurrence, fire once whoever runs them, and late ones are
delivered marked late."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from diary import services
from diary.models import Attendee, ReminderSent
from tests.diary.factories import appointment

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")


@pytest.mark.django_db
def test_a_series_reminder_is_due_per_occurrence_in_wall_clock_time(alice):
    appointment(
        alice,
        "Stand-up",
        start=dt.datetime(2026, 3, 23, 9, 30, tzinfo=LONDON),
        time_zone="Europe/London",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        reminders=[15],
    )
    due = services.reminders_due(
        since=dt.datetime(2026, 3, 22, tzinfo=UTC), until=dt.datetime(2026, 4, 7, tzinfo=UTC)
    )
    # 09:15 GMT, then 09:15 BST (08:15 UTC) after the change on 29 March.
    assert [d.due_at for d in due] == [
        dt.datetime(2026, 3, 23, 9, 15, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 8, 15, tzinfo=UTC),
        dt.datetime(2026, 4, 6, 8, 15, tzinfo=UTC),
    ]


@pytest.mark.django_db
def test_a_reminder_fires_once_for_the_owner_and_accepted_attendees(
    alice, bob, django_capture_on_commit_callbacks
):
    row = appointment(
        alice,
        "Review",
        start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
        reminders=[10],
        attendees=[services.Invitee(email=bob.email, user=bob)],
    )
    now = dt.datetime(2026, 3, 4, 9, 50, 30, tzinfo=UTC)
    assert [r.user_id for r in services.reminders_fire(now=now)] == [alice.pk]
    services.attendee_respond(appointment=row, user=bob, status=Attendee.Status.ACCEPTED)
    # A second runner (or a restart) at the same moment sends nothing twice; bob, who
    # accepted meanwhile, gets his.
    again = services.reminders_fire(now=now + dt.timedelta(seconds=5))
    assert [r.user_id for r in again] == [bob.pk]
    assert services.reminders_fire(now=now + dt.timedelta(seconds=10)) == []
    assert ReminderSent.objects.count() == 2
    assert not any(r.late for r in ReminderSent.objects.all())


@pytest.mark.django_db
def test_after_downtime_a_missed_reminder_comes_late_not_lost(alice):
    appointment(alice, "Call", start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC), reminders=[30])
    sent = services.reminders_fire(now=dt.datetime(2026, 3, 4, 12, tzinfo=UTC))
    assert [(r.late, r.due_at) for r in sent] == [
        (True, dt.datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    ]


@pytest.mark.django_db
def test_the_runner_reads_only_what_is_due_and_still_sends_every_occurrence(
    alice, monkeypatch, django_assert_max_num_queries
):
    from diary import recurrence

    for n in range(20):
        appointment(
            alice,
            f"Weekly {n}",
            start=dt.datetime(2025, 1, 6, 9, n, tzinfo=UTC),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            reminders=[15],
        )
    appointment(alice, "Call", start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC), reminders=[5])
    # Thursday: nothing due. The first pass looks at everything once (each row's first
    # reminder is long past) and moves each on to its next reminder.
    thursday = dt.datetime(2026, 3, 5, 12, tzinfo=UTC)
    assert services.reminders_fire(now=thursday) == []
    expanded = []
    original = recurrence.occurrence_starts
    monkeypatch.setattr(
        recurrence,
        "occurrence_starts",
        lambda **kw: expanded.append(kw["rule"]) or original(**kw),
    )
    # Every 30 s after that, until Monday: one query, no series expanded.
    for step in range(1, 4):
        with django_assert_max_num_queries(1):
            assert services.reminders_fire(now=thursday + dt.timedelta(seconds=30 * step)) == []
    assert expanded == []
    # Monday 08:45 to 09:04: each series' reminder, once, at its time.
    monday = dt.datetime(2026, 3, 9, 8, 44, tzinfo=UTC)
    sent = []
    for minute in range(21):
        sent += services.reminders_fire(now=monday + dt.timedelta(minutes=minute))
    assert [r.due_at.minute for r in sent] == [45 + n if n < 15 else n - 15 for n in range(20)]
    assert all(r.occurrence_start.date() == dt.date(2026, 3, 9) for r in sent)
    assert not any(r.late for r in sent)
    assert len(expanded) == 20  # each series looked at when its reminder was due


@pytest.mark.django_db
def test_an_edited_series_is_reminded_at_its_new_time(alice):
    row = appointment(
        alice,
        "Stand-up",
        start=dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
        rrule="FREQ=DAILY",
        reminders=[10],
    )
    services.reminders_fire(now=dt.datetime(2026, 3, 4, 12, tzinfo=UTC))
    services.appointment_update(
        appointment=row,
        by=alice,
        changes={
            "start": dt.datetime(2026, 3, 5, 7, tzinfo=UTC),
            "end": dt.datetime(2026, 3, 5, 8, tzinfo=UTC),
        },
        scope="all",
        occurrence=dt.datetime(2026, 3, 5, 9, tzinfo=UTC),
    )
    assert services.reminders_fire(now=dt.datetime(2026, 3, 5, 6, 49, tzinfo=UTC)) == []
    sent = services.reminders_fire(now=dt.datetime(2026, 3, 5, 6, 50, tzinfo=UTC))
    assert [(r.occurrence_start, r.late) for r in sent] == [
        (dt.datetime(2026, 3, 5, 7, tzinfo=UTC), False)
    ]
