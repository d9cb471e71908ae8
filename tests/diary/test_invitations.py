"""Invitations arrive as messages in the invitee's inbox (messaging's own service, with
its live notice), once each; answers arrive in the organiser's inbox."""

import datetime as dt

import pytest

from diary import services
from diary.models import Attendee
from messaging.models import Delivery, Message
from tests.diary.factories import appointment

UTC = dt.UTC


def inbox(user):
    return list(
        Delivery.objects.filter(owner=user, box=Delivery.Box.INBOX)
        .select_related("message__sender")
        .order_by("pk")
    )


@pytest.mark.django_db
def test_a_colleague_finds_the_invitation_in_their_inbox_and_is_told_live(
    alice, bob, django_capture_on_commit_callbacks, monkeypatch
):
    from uc_web.lib import realtime

    told = []
    monkeypatch.setattr(realtime, "send_to_users", lambda ids, event: told.append((ids, event)))
    with django_capture_on_commit_callbacks(execute=True):
        appointment(
            alice,
            "Budget review",
            start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
            location="Room 4",
            attendees=[services.Invitee(email=bob.email, user=bob)],
        )
    [delivery] = inbox(bob)
    message = delivery.message
    assert message.sender == alice and message.kind == Message.Kind.TEXT
    assert message.subject == "Invitation: Budget review"
    assert "Room 4" in message.body and "/diary/?view=day&date=2026-03-04" in message.body
    assert delivery.read_at is None
    # messaging's live notice (the toast) and the diary's own, both to bob only.
    kinds = [(ids, e["type"]) for ids, e in told]
    assert ([bob.pk], "message.received") in kinds and ([bob.pk], "diary.invited") in kinds
    assert Delivery.objects.filter(owner=alice, box=Delivery.Box.SENT).count() == 1


@pytest.mark.django_db
def test_editing_or_splitting_a_series_does_not_invite_twice(
    alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = appointment(
            alice,
            "Stand-up",
            start=dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
            rrule="FREQ=WEEKLY",
            attendees=[services.Invitee(email=bob.email, user=bob)],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_update(
            appointment=row, by=alice, changes={"title": "Stand-up!"}, scope="all"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_update(
            appointment=row,
            by=alice,
            changes={"location": "Room 2"},
            scope="following",
            occurrence=dt.datetime(2026, 3, 16, 9, tzinfo=UTC),
        )
    assert len(inbox(bob)) == 1
    # bob is still invited to the rest of the series, without a second message.
    assert Attendee.objects.filter(user=bob).count() == 2


@pytest.mark.django_db
def test_the_answer_arrives_in_the_organisers_inbox(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = appointment(
            alice,
            "Budget review",
            start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
            attendees=[services.Invitee(email=bob.email, user=bob)],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.attendee_respond(appointment=row, user=bob, status=Attendee.Status.ACCEPTED)
    [delivery] = inbox(alice)
    assert delivery.message.sender == bob
    assert delivery.message.subject == "Accepted: Budget review"
    assert "accepted" in delivery.message.body


@pytest.mark.django_db
def test_a_guest_by_email_gets_no_inbox_message_but_an_ics_email(
    alice, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment(
            alice,
            "Budget review",
            start=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
            attendees=[services.Invitee(email="guest@example.net")],
        )
    assert not Message.objects.exists()
    [mail] = mailoutbox
    assert mail.attachments[0][0] == "invite.ics"
