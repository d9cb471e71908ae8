"""The reminder service other apps call: delivered when due, once, live."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from messaging import selectors, services
from messaging.models import Message, Reminder
from tests.fixtures.sockets import next_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_due_reminder_lands_in_reminders_once(bob):
    services.reminder_schedule(
        user=bob,
        key="diary.appointment.7.bob",
        due_at=timezone.now() - timedelta(seconds=1),
        subject="Board meeting in 15 minutes",
        link="/diary/7/",
    )
    services.reminder_schedule(
        user=bob, key="later", due_at=timezone.now() + timedelta(hours=1), subject="Later"
    )
    assert services.reminders_deliver_due() == 1
    assert services.reminders_deliver_due() == 0  # already delivered
    copy = selectors.delivery_list(user=bob, folder="reminders").get()
    assert copy.message.subject == "Board meeting in 15 minutes" and copy.message.sender is None
    assert selectors.unread_counts(user=bob)["reminders"] == 1
    assert Reminder.objects.get(key="later").delivered_at is None


def test_delivering_the_same_key_twice_gives_one_message(bob):
    for _ in range(2):
        services.reminder_deliver(user=bob, key="crm.followup.3", subject="Call Dana back")
    assert Message.objects.filter(key="crm.followup.3").count() == 1
    assert selectors.delivery_list(user=bob, folder="reminders").count() == 1


def test_rescheduling_moves_it_and_cancel_forgets_it(bob):
    now = timezone.now()
    services.reminder_schedule(user=bob, key="k", due_at=now - timedelta(minutes=1), subject="a")
    services.reminder_schedule(user=bob, key="k", due_at=now + timedelta(hours=1), subject="b")
    assert services.reminders_deliver_due() == 0
    assert services.reminder_cancel(key="k") is True
    assert not Reminder.objects.exists()


def test_a_reminder_asked_by_email_is_mailed(bob, mailoutbox):
    services.reminder_deliver(user=bob, key="mail.1", subject="Renew the lease", email=True)
    assert [m.to for m in mailoutbox] == [[bob.email]]
    assert "Renew the lease" in mailoutbox[0].subject


async def test_a_delivered_reminder_arrives_live(bob, connect):
    tab = await connect(bob)
    await sync_to_async(services.reminder_deliver)(user=bob, key="live.1", subject="Stand-up")
    event = await next_of(tab, "message.received")
    assert event["folder"] == "reminders" and event["sender"] is None
