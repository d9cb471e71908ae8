"""Appointments, their attendees and the reminders already sent.

Times are stored in UTC (`start`, `end`). A recurring appointment also keeps the IANA zone
its recurrence is anchored in (`time_zone`): "every Monday at 09:30" means 09:30 wall-clock
time in that zone, so the UTC instant moves by an hour across a daylight-saving change
(diary.recurrence expands it with dateutil in that zone).

A recurring series is one row with an RFC 5545 RRULE (`rrule`) and its excluded
occurrences (`exdates`, original starts in UTC). An occurrence edited on its own is a row
of its own pointing at the series (`series`) with the original start it replaces
(`recurrence_id`), as iCalendar's RECURRENCE-ID does.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_uid() -> str:
    return f"{uuid.uuid4()}@uc-web"


class Appointment(models.Model):
    class ShowAs(models.TextChoices):
        BUSY = "busy", _("Busy")
        FREE = "free", _("Free")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments"
    )
    uid = models.CharField(_("iCalendar UID"), max_length=255, default=new_uid)
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    # All-day appointments: midnight UTC of the first day and of the day after the last.
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    show_as = models.CharField(
        _("show as"), max_length=4, choices=ShowAs.choices, default=ShowAs.BUSY
    )
    private = models.BooleanField(
        _("private"), default=False, help_text=_("Others see only that you are busy.")
    )
    # Minutes before the start, e.g. [15, 1440].
    reminders = models.JSONField(_("reminders"), default=list, blank=True)
    # The organiser of an appointment imported from elsewhere (the .ics file's ORGANIZER)
    # when it is not the owner; blank: the owner organises it. Exported as ORGANIZER again.
    organiser_email = models.EmailField(_("organiser's email address"), blank=True)
    organiser_name = models.CharField(_("organiser"), max_length=200, blank=True)
    rrule = models.CharField(_("recurrence rule"), max_length=500, blank=True)
    exdates = models.JSONField(default=list, blank=True)  # ISO UTC original starts
    # Latest end of any occurrence (None: the series never ends); lets a range query skip
    # series that ended before it.
    recurrence_end = models.DateTimeField(null=True, blank=True, editable=False)
    # When the reminder runner must next look at this row: no later than its earliest
    # reminder not yet looked at (None: no reminders, or none left). Saving sets it to the
    # first reminder of the first occurrence; the runner moves it on past what it sent,
    # so every 30 s it reads only the rows with a reminder due, not every series.
    reminder_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    series = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="overrides"
    )
    recurrence_id = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["owner", "start"]),
            models.Index(fields=["owner", "recurrence_end"]),
            models.Index(
                fields=["reminder_next_at"],
                condition=Q(reminder_next_at__isnull=False),
                name="diary_reminder_next_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="diary_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True) | (Q(recurrence_id__isnull=False) & Q(rrule="")),
                name="diary_override_has_recurrence_id",
            ),
            models.UniqueConstraint(
                fields=["owner", "uid"],
                condition=Q(series__isnull=True),
                name="diary_uid_unique_per_owner",
            ),
            models.UniqueConstraint(
                fields=["series", "recurrence_id"], name="diary_one_override_per_occurrence"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)


class Attendee(models.Model):
    """Someone invited: a user of the service (`user`) or anyone by email."""

    class Status(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("Not answered")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Tentative")
        DECLINED = "declined", _("Declined")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="diary_invitations",
    )
    email = models.EmailField(_("email address"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("answer"), max_length=12, choices=Status.choices, default=Status.NEEDS_ACTION
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "email"], name="diary_attendee_once"),
        ]

    def __str__(self) -> str:
        return self.name or self.email


class CalendarFeed(models.Model):
    """The private subscription feed of one user's diary; a new token revokes the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diary_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"feed of {self.user_id}"


class ReminderSent(models.Model):
    """One reminder of one occurrence for one person, fired once: the unique constraint is
    what keeps two beat processes (or a restart) from sending it twice."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    occurrence_start = models.DateTimeField()
    minutes_before = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "user", "occurrence_start", "minutes_before"],
                name="diary_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.appointment_id} {self.occurrence_start:%Y-%m-%d %H:%M}"
