"""Where the diary tells people things: the one seam between the diary and messaging.

Every notice the diary gives goes through one function here, called by diary.services
inside `transaction.on_commit`. A due reminder becomes a Reminder message through
messaging's reminder service (docs/messaging.md); invitations and answers are live events
(a notice on the person's tabs) and, for people outside the service, an email with an .ics
file. The events are described in docs/realtime.md ("Diary").
"""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import dates
from diary.models import Appointment, Attendee
from uc_web.lib import publicid, realtime


def _summary(appointment: Appointment) -> dict:
    return {
        "id": publicid.of(appointment),
        "title": appointment.title,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "all_day": appointment.all_day,
        "organiser": appointment.owner.get_full_name() or appointment.owner.email,
    }


def invitation_sent(attendee: Attendee) -> None:
    """An on-net attendee was invited (or the invitation changed): tell their tabs.
    Messaging: store an Invitation message with the three answers."""
    if attendee.user_id:
        realtime.send_to_users(
            [attendee.user_id], {"type": "diary.invited", **_summary(attendee.appointment)}
        )


def invitation_emailed(attendee: Attendee, ics: bytes) -> None:
    """An off-net attendee (a contact, by email) gets the invitation as an .ics attachment."""
    appointment = attendee.appointment
    organiser = appointment.owner.get_full_name() or appointment.owner.email
    mail = EmailMessage(
        subject=_("Invitation: %(title)s") % {"title": appointment.title},
        body=_("%(organiser)s invites you to %(title)s.")
        % {
            "organiser": organiser,
            "title": appointment.title,
        },
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[attendee.email],
        reply_to=[appointment.owner.email],
    )
    mail.attach("invite.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    mail.send(fail_silently=True)


def invitation_answered(attendee: Attendee) -> None:
    """An attendee answered: tell the organiser's tabs (messaging: a notice in Messages)."""
    appointment = attendee.appointment
    realtime.send_to_users(
        [appointment.owner_id],
        {
            "type": "diary.answered",
            "id": publicid.of(appointment),
            "title": appointment.title,
            "attendee": attendee.name or attendee.email,
            "status": attendee.status,
        },
    )


def appointment_changed(user_ids: list[int], appointment_id: str) -> None:
    """Diaries that show this appointment should reload what they show."""
    realtime.send_to_users(user_ids, {"type": "diary.changed", "id": appointment_id})


def reminder_due(
    *, key: str, user_id: int, appointment: Appointment, occurrence_start: str, late: bool
) -> None:
    """A reminder is due: a Reminder message in the person's inbox (messaging tells their
    tabs, which show the notice), and `diary.reminder` for an open diary page.

    `key` names this reminder of this occurrence once: delivered twice, it appears once."""
    from accounts.models import User
    from messaging import services as messaging

    user = User.objects.get(pk=user_id)
    start = dt.datetime.fromisoformat(occurrence_start)
    when = dates.date_text(start, user) if appointment.all_day else dates.datetime_text(start, user)
    subject = _("%(title)s, %(when)s") % {"title": appointment.title, "when": when}
    if late:
        subject = _("%(subject)s (late)") % {"subject": subject}
    messaging.reminder_deliver(
        user=user,
        key=key,
        subject=subject,
        body=appointment.location,
        link=f"{reverse('diary:calendar')}?view=day&date={dates.local(start, user).date()}",
    )
    realtime.send_to_users(
        [user_id],
        {
            "type": "diary.reminder",
            "id": publicid.of(appointment),
            "title": appointment.title,
            "start": occurrence_start,
            "late": late,
        },
    )
