"""Diary events on the real live connection: invitations, answers, reminders; nothing
reaches anyone else."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async

from diary import notify, services
from messaging.models import Delivery
from tests.diary.factories import appointment
from tests.fixtures.sockets import next_of, quiet_but_presence
from uc_web.lib import publicid

pytestmark = pytest.mark.django_db(transaction=True)
UTC = dt.UTC


async def test_bob_hears_his_invitation_and_alice_his_answer(alice, bob, charlie, connect):
    a, b, c = await connect(alice), await connect(bob), await connect(charlie)
    row = await sync_to_async(appointment)(
        alice,
        "Quarterly plan",
        start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
        attendees=[services.Invitee(email=bob.email, user=bob)],
    )
    # The Invitation message in bob's inbox (messaging's notice, which shows the toast),
    # then the diary's own event; alice's Sent changed.
    received = await next_of(b, "message.received")
    assert received["kind"] == "text" and received["preview"] == "Invitation: Quarterly plan"
    assert received["sender"]["name"] == "Alice Fernandez"
    invited = await next_of(b, "diary.invited")
    assert invited["id"] == publicid.of(row) and invited["title"] == "Quarterly plan"
    assert invited["organiser"] == "Alice Fernandez"
    await next_of(b, "diary.changed")
    await next_of(a, "mailbox.changed")
    await next_of(a, "diary.changed")
    await sync_to_async(services.attendee_respond)(appointment=row, user=bob, status="accepted")
    answer = await next_of(a, "message.received")
    assert answer["preview"] == "Accepted: Quarterly plan"
    answered = await next_of(a, "diary.answered")
    assert answered == {
        "type": "diary.answered",
        "id": publicid.of(row),
        "title": "Quarterly plan",
        "attendee": "Bob Okafor",
        "status": "accepted",
    }
    assert await quiet_but_presence(c)


async def test_a_due_reminder_arrives_on_the_owners_tab(alice, bob, connect):
    a, b = await connect(alice), await connect(bob)
    row = await sync_to_async(appointment)(
        alice, "Call the bank", start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC), reminders=[5]
    )
    await next_of(a, "diary.changed")
    await sync_to_async(services.reminders_fire)(now=dt.datetime(2026, 3, 4, 9, 55, tzinfo=UTC))
    # It is a Reminder message in her inbox, which her tabs hear of (and show).
    received = await next_of(a, "message.received")
    assert received["kind"] == "reminder" and received["sender"] is None
    assert received["preview"].startswith("Call the bank, ") and "late" not in received["preview"]
    reminder = await next_of(a, "diary.reminder")
    assert reminder == {
        "type": "diary.reminder",
        "id": publicid.of(row),
        "title": "Call the bank",
        "start": "2026-03-04T10:00:00+00:00",
        "late": False,
    }
    # Fired again (a second runner, a restart), nothing new arrives.
    assert (
        await sync_to_async(services.reminders_fire)(now=dt.datetime(2026, 3, 4, 9, 56, tzinfo=UTC))
        == []
    )
    assert await quiet_but_presence(b)
    assert await quiet_but_presence(a)
    held = await sync_to_async(list)(
        Delivery.objects.filter(owner=alice).values_list("message__kind", "message__link")
    )
    assert held == [("reminder", "/diary/?view=day&date=2026-03-04")]


async def test_a_reminder_delivered_twice_appears_once(alice, connect):
    row = await sync_to_async(appointment)(
        alice, "Call the bank", start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC), reminders=[5]
    )
    for _ in range(2):
        await sync_to_async(notify.reminder_due)(
            key="diary.reminder:1",
            user_id=alice.pk,
            appointment=row,
            occurrence_start="2026-03-04T10:00:00+00:00",
            late=True,
        )
    subjects = await sync_to_async(list)(
        Delivery.objects.filter(owner=alice).values_list("message__subject", flat=True)
    )
    assert len(subjects) == 1 and subjects[0].endswith("(late)")
