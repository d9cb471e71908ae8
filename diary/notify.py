"""Where the diary tells people things: the one seam between the diary and messaging.

Every notice the diary gives goes through one function here, called by diary.services
inside `transaction.on_commit`. A due reminder becomes a Reminder message through
messaging's reminder service (docs/messaging.md); invitations and answers are live events
(a notice on the person's tabs) and, for people outside the service, an email with an .ics
file. The events are described in docs/realtime.md ("Diary").
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import dates
from diary.models import Appointment, Attendee
from uc_web.lib import publicid, realtime
from uc_web.lib.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def _summary(appointment: Appointment) -> dict:
    return {
        "id": publicid.of(appointment),
        "title": appointment.title,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "all_day": appointment.all_day,
        "organiser": appointment.owner.get_full_name() or appointment.owner.email,
    }


def _when(appointment: Appointment, user) -> str:  # noqa: ANN001 - accounts.User
    if appointment.all_day:  # the same days everywhere: not moved to the reader's zone
        return dates.date_text(appointment.start.date(), user)
    return dates.datetime_text(appointment.start, user)


def _day_link(appointment: Appointment, user) -> str:  # noqa: ANN001 - accounts.User
    if appointment.all_day:
        day = appointment.start.date()
    else:
        day = dates.local(appointment.start, user).date()
    return f"{reverse('diary:calendar')}?view=day&date={day.isoformat()}"


def _message(sender, recipient, subject: str, body: str) -> None:  # noqa: ANN001
    """A text message from `sender` to `recipient` through messaging's own service (their
    inbox, the sender's Sent, a live notice on the recipient's tabs). Called once per
    invitation or answer, after commit: an invitation that cannot be delivered (the
    person left meanwhile) must not undo the appointment."""
    from messaging import services as messaging

    try:
        messaging.message_send(sender=sender, recipients=[recipient], subject=subject, body=body)
    except ApplicationError:
        logger.warning("diary: message to user %s not delivered", recipient.pk)


def invitation_sent(attendee: Attendee) -> None:
    """An on-net attendee was invited: an Invitation message from the organiser in their
    inbox (with when, where and where to answer), and a notice on their open diary."""
    if not attendee.user_id:
        return
    appointment = attendee.appointment
    invitee = attendee.user
    organiser = appointment.owner
    lines = [
        _("%(organiser)s invites you to “%(title)s”.")
        % {"organiser": organiser.get_full_name() or organiser.email, "title": appointment.title},
        _("When: %(when)s") % {"when": _when(appointment, invitee)},
    ]
    if appointment.rrule:
        lines.append(_("This appointment repeats."))
    if appointment.location:
        lines.append(_("Where: %(where)s") % {"where": appointment.location})
    lines.append(
        _("Accept, answer tentatively or decline in your diary: %(link)s")
        % {"link": _day_link(appointment, invitee)}
    )
    _message(
        organiser,
        invitee,
        _("Invitation: %(title)s") % {"title": appointment.title},
        "\n".join(lines),
    )
    realtime.send_to_users([attendee.user_id], {"type": "diary.invited", **_summary(appointment)})


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


ANSWERS = {
    Attendee.Status.ACCEPTED: gettext_lazy("Accepted: %(title)s"),
    Attendee.Status.TENTATIVE: gettext_lazy("Tentative: %(title)s"),
    Attendee.Status.DECLINED: gettext_lazy("Declined: %(title)s"),
}


def invitation_answered(attendee: Attendee) -> None:
    """An attendee answered: a message from them in the organiser's inbox, and a notice
    on the organiser's open diary."""
    appointment = attendee.appointment
    person = attendee.user
    answer = ANSWERS.get(Attendee.Status(attendee.status))
    if person is not None and answer is not None:
        _message(
            person,
            appointment.owner,
            str(answer) % {"title": appointment.title},
            _("%(person)s answered “%(answer)s” to “%(title)s” (%(when)s).")
            % {
                "person": person.get_full_name() or person.email,
                "answer": attendee.get_status_display().lower(),
                "title": appointment.title,
                "when": _when(appointment, appointment.owner),
            },
        )
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
