"""Writes of the diary: appointments and their series, answers, feeds, reminders."""

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from diary import notify, recurrence
from diary.models import Appointment, Attendee, CalendarFeed, ReminderSent
from diary.recurrence import UTC
from uc_web.lib import publicid
from uc_web.lib.exceptions import ApplicationError, PermissionDenied

MAX_REMINDER_MINUTES = 4 * 7 * 24 * 60  # four weeks
MAX_REMINDERS = 5
MAX_ATTENDEES = 200


class Scope:
    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"
    CHOICES = (THIS, FOLLOWING, ALL)


@dataclass
class Invitee:
    """Someone to invite: a colleague (`user`) or anyone by email."""

    email: str
    name: str = ""
    user: User | None = None


FIELDS = (
    "title",
    "location",
    "description",
    "all_day",
    "start",
    "end",
    "time_zone",
    "show_as",
    "private",
    "reminders",
)
# What a moved occurrence or the rest of a split series takes over from its series.
COPIED = (*FIELDS, "organiser_email", "organiser_name")


def _midnight(value: dt.datetime | dt.date) -> dt.datetime:
    day = value if type(value) is dt.date else value.date()  # type: ignore[union-attr]
    return dt.datetime.combine(day, dt.time(), tzinfo=UTC)


def _clean_reminders(reminders: Any) -> list[int]:
    if reminders in (None, ""):
        return []
    if not isinstance(reminders, list | tuple) or len(reminders) > MAX_REMINDERS:
        raise ApplicationError(
            _("At most %(n)s reminders.") % {"n": MAX_REMINDERS}, code="invalid_reminders"
        )
    cleaned = []
    for value in reminders:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApplicationError(
                _("Reminders are minutes before the start."), code="invalid_reminders"
            )
        if not 0 <= value <= MAX_REMINDER_MINUTES:
            raise ApplicationError(
                _("A reminder can be at most four weeks before."), code="invalid_reminders"
            )
        cleaned.append(value)
    return sorted(set(cleaned))


def validate_imported(appointment: Appointment) -> None:
    """Normalise and check an imported row (its text fields are already cut to size)."""
    _prepare(appointment, clean=False)


def _prepare(appointment: Appointment, *, clean: bool = True) -> None:
    """Normalise and check a row before saving (times, reminders, rule, series end)."""
    if not appointment.title or not appointment.title.strip():
        raise ApplicationError(_("Give the appointment a title."), code="invalid_title")
    appointment.title = appointment.title.strip()
    recurrence.zone(appointment.time_zone)  # raises for an unknown zone
    for name in ("start", "end"):
        value = getattr(appointment, name)
        if not isinstance(value, dt.datetime | dt.date):
            raise ApplicationError(_("Give a start and an end."), code="invalid_time")
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            raise ApplicationError(_("Times must carry a time zone."), code="invalid_time")
    if appointment.all_day:
        appointment.start = _midnight(appointment.start)
        end = _midnight(appointment.end)
        appointment.end = max(end, appointment.start + dt.timedelta(days=1))
    else:
        appointment.start = appointment.start.astimezone(UTC)
        appointment.end = appointment.end.astimezone(UTC)
    if appointment.end < appointment.start:
        raise ApplicationError(_("The end is before the start."), code="invalid_time")
    if appointment.end - appointment.start > dt.timedelta(days=366):
        raise ApplicationError(_("An appointment lasts at most a year."), code="invalid_time")
    appointment.reminders = _clean_reminders(appointment.reminders)
    appointment.reminder_next_at = first_reminder(appointment)
    if appointment.rrule:
        if appointment.series_id:
            raise ApplicationError(_("A single occurrence cannot repeat."), code="invalid_rrule")
        appointment.rrule = appointment.rrule.strip().removeprefix("RRULE:").upper()
        if not recurrence.has_occurrences(
            appointment.rrule,
            start=appointment.start,
            time_zone=appointment.time_zone,
            all_day=appointment.all_day,
        ):
            raise ApplicationError(
                _("This repeat rule gives no dates at all."), code="invalid_rrule"
            )
        appointment.recurrence_end = recurrence.last_end(
            appointment.rrule,
            start=appointment.start,
            end=appointment.end,
            time_zone=appointment.time_zone,
            all_day=appointment.all_day,
        )
    else:
        appointment.recurrence_end = None
        appointment.exdates = []
    appointment.updated_at = timezone.now()
    if not clean:
        return
    try:
        appointment.full_clean(exclude=["owner", "series", "uid"])
    except ValidationError as exc:
        first = next(iter(exc.message_dict.values()))[0]
        raise ApplicationError(first, code="invalid") from None


def _invitees(owner: User, invitees: Iterable[Invitee]) -> list[Invitee]:
    cleaned: dict[str, Invitee] = {}
    for person in invitees:
        if person.user is not None:
            if person.user.company_id != owner.company_id or not person.user.is_active:
                raise ApplicationError(_("You can only invite your colleagues by name."))
            email = person.user.email.lower()
            person = Invitee(email=email, name=person.user.get_full_name(), user=person.user)
        else:
            email = (person.email or "").strip().lower()
            try:
                validate_email(email)
            except ValidationError:
                raise ApplicationError(
                    _("Not an email address: %(email)s") % {"email": person.email},
                    code="invalid_attendee",
                ) from None
            colleague = User.objects.filter(
                email__iexact=email, company_id=owner.company_id or 0, is_active=True
            ).first()
            person = Invitee(email=email, name=person.name.strip()[:200], user=colleague)
        if person.user is not None and person.user.pk == owner.pk:
            continue
        cleaned[email] = person
    if len(cleaned) > MAX_ATTENDEES:
        raise ApplicationError(_("Too many attendees."))
    return list(cleaned.values())


def _ics_for(appointment: Appointment, method: str) -> bytes:
    from diary import ical

    return ical.export_calendar([appointment], method=method)


def _invite(
    appointment: Appointment, people: list[Invitee], *, tell: bool = True
) -> list[Attendee]:
    """Add attendees and tell each one (a message in their inbox for users, an email for
    others); `tell=False` when they were already invited (the rest of a split series)."""
    existing = {a.email: a for a in appointment.attendees.all()}
    added = []
    for person in people:
        if person.email in existing:
            continue
        attendee = Attendee(
            appointment=appointment, user=person.user, email=person.email, name=person.name
        )
        attendee.full_clean(exclude=["appointment", "user"])
        attendee.save()
        added.append(attendee)
    for attendee in added if tell else ():
        if attendee.user_id:
            transaction.on_commit(partial(notify.invitation_sent, attendee))
        else:
            ics = _ics_for(appointment, "REQUEST")
            transaction.on_commit(partial(notify.invitation_emailed, attendee, ics))
    return added


def _announce(appointment: Appointment) -> None:
    head = appointment.series or appointment
    people = [head.owner_id, *head.attendees.exclude(user=None).values_list("user_id", flat=True)]
    ident = publicid.of(head)
    transaction.on_commit(lambda: notify.appointment_changed(people, ident))


@transaction.atomic
def appointment_create(
    *,
    owner: User,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    all_day: bool = False,
    time_zone: str = "UTC",
    location: str = "",
    description: str = "",
    show_as: str = Appointment.ShowAs.BUSY,
    private: bool = False,
    reminders: list[int] | None = None,
    rrule: str = "",
    attendees: Iterable[Invitee] = (),
    uid: str | None = None,
) -> Appointment:
    """Create an appointment (a series if `rrule` is given) and invite its attendees."""
    appointment = Appointment(
        owner=owner,
        title=title or "",
        start=start,
        end=end,
        all_day=all_day,
        time_zone=time_zone or "UTC",
        location=location or "",
        description=description or "",
        show_as=show_as,
        private=private,
        reminders=reminders or [],
        rrule=rrule or "",
    )
    if uid:
        appointment.uid = uid[:255]
    _prepare(appointment)
    people = _invitees(owner, attendees)
    appointment.save()
    _invite(appointment, people)
    _announce(appointment)
    return appointment


def _check_owner(appointment: Appointment, by: User) -> None:
    if appointment.owner_id != by.pk:
        raise PermissionDenied(_("Only the organiser can change this appointment."))


def _occurrence_of(series: Appointment, occurrence: dt.datetime | None) -> dt.datetime:
    if occurrence is None:
        raise ApplicationError(_("Say which occurrence."), code="invalid_occurrence")
    occurrence = occurrence.astimezone(UTC)
    if series.overrides.filter(recurrence_id=occurrence).exists():
        return occurrence
    if recurrence.iso(occurrence) in series.exdates or not recurrence.is_occurrence(
        rule=series.rrule,
        start=series.start,
        time_zone=series.time_zone,
        all_day=series.all_day,
        when=occurrence,
    ):
        raise ApplicationError(_("That occurrence does not exist."), code="invalid_occurrence")
    return occurrence


def _local_shift(
    value: dt.datetime, old: dt.datetime, new: dt.datetime, series: Appointment
) -> dt.datetime:
    """Move `value` by the wall-clock distance from `old` to `new` in the series' zone."""
    if series.all_day:
        return value + (_midnight(new) - _midnight(old))
    tz = recurrence.zone(series.time_zone)
    delta = new.astimezone(tz).replace(tzinfo=None) - old.astimezone(tz).replace(tzinfo=None)
    moved = value.astimezone(tz).replace(tzinfo=None) + delta
    return moved.replace(tzinfo=tz).astimezone(UTC)


def _cut(rule: str, before: dt.datetime, series: Appointment) -> str:
    """`rule` ending just before the occurrence at `before`."""
    parts = recurrence.describe(rule)
    if "COUNT" in parts:
        parts["COUNT"] = str(
            recurrence.count_before(
                rule=rule,
                start=series.start,
                time_zone=series.time_zone,
                all_day=series.all_day,
                when=before,
            )
        )
    else:
        parts["UNTIL"] = recurrence.iso(before - dt.timedelta(seconds=1))
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _apply(row: Appointment, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if name in FIELDS or name == "rrule":
            setattr(row, name, value)


@transaction.atomic
def appointment_update(
    *,
    appointment: Appointment,
    by: User,
    changes: dict[str, Any],
    scope: str = Scope.ALL,
    occurrence: dt.datetime | None = None,
    attendees: Iterable[Invitee] | None = None,
) -> Appointment:
    """Change an appointment; for a series, this occurrence, this and the following ones,
    or all of them. `changes` name fields of the occurrence being edited (its new start
    and end for `this`; for `all` the move is applied to every occurrence)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _check_owner(appointment, by)
    if scope not in Scope.CHOICES:
        raise ApplicationError(_("Change this occurrence, the following ones or all."))
    unknown = set(changes) - set(FIELDS) - {"rrule"}
    if unknown:
        raise ApplicationError(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if appointment.series_id:
        if scope == Scope.THIS:
            if "rrule" in changes and changes["rrule"]:
                raise ApplicationError(
                    _("A single occurrence cannot repeat."), code="invalid_rrule"
                )
            changes = {k: v for k, v in changes.items() if k != "rrule"}
            _apply(appointment, changes)
            appointment.sequence += 1
            _prepare(appointment)
            appointment.save()
            _announce(appointment)
            return appointment
        series = Appointment.objects.select_for_update().get(pk=appointment.series_id)
        return _update_series(
            series, by, changes, scope, appointment.recurrence_id, attendees, edited=appointment
        )
    if not appointment.rrule:
        _apply(appointment, changes)
        appointment.sequence += 1
        _prepare(appointment)
        appointment.save()
        if attendees is not None:
            _set_attendees(appointment, by, attendees)
        _announce(appointment)
        return appointment
    return _update_series(appointment, by, changes, scope, occurrence, attendees)


def _set_attendees(appointment: Appointment, by: User, attendees: Iterable[Invitee]) -> None:
    people = _invitees(by, attendees)
    wanted = {p.email for p in people}
    appointment.attendees.exclude(email__in=wanted).delete()
    _invite(appointment, people)


def _update_series(
    series: Appointment,
    by: User,
    changes: dict[str, Any],
    scope: str,
    occurrence: dt.datetime | None,
    attendees: Iterable[Invitee] | None,
    edited: Appointment | None = None,
) -> Appointment:
    if scope == Scope.ALL and occurrence is None:
        occurrence = series.start
    occurrence = _occurrence_of(series, occurrence)
    duration = series.end - series.start
    shown_start = edited.start if edited else occurrence
    shown_end = edited.end if edited else occurrence + duration
    new_start = changes.get("start", shown_start)
    new_end = changes.get("end", shown_end)
    if scope == Scope.THIS:
        if changes.get("rrule"):
            raise ApplicationError(_("A single occurrence cannot repeat."), code="invalid_rrule")
        row = series.overrides.filter(recurrence_id=occurrence).first()
        if row is None:
            row = Appointment(
                owner=series.owner,
                uid=series.uid,
                series=series,
                recurrence_id=occurrence,
                **{f: getattr(series, f) for f in COPIED},
            )
            row.start, row.end = occurrence, occurrence + duration
        _apply(row, {k: v for k, v in changes.items() if k != "rrule"})
        row.rrule = ""
        row.sequence += 1
        _prepare(row)
        row.save()
        _announce(row)
        return row
    if scope == Scope.FOLLOWING and occurrence > series.start:
        return _split(series, by, changes, occurrence, new_start, new_end, attendees)
    # All (or "following" from the first one): move every occurrence by the same
    # wall-clock distance, with its exceptions.
    old_start = series.start
    rest = {k: v for k, v in changes.items() if k not in ("start", "end")}
    _apply(series, rest)
    if isinstance(new_start, dt.datetime) and isinstance(new_end, dt.datetime):
        series.start = _local_shift(series.start, occurrence, new_start, series)
        series.end = series.start + (new_end - new_start)
        moved = series.start != old_start
    else:
        moved = False
    if moved:
        series.exdates = [
            recurrence.iso(_local_shift(recurrence.parse_iso(x), occurrence, new_start, series))
            for x in series.exdates
        ]
        for row in series.overrides.all():
            if row.recurrence_id is None:  # (an override always has one)
                continue
            row.recurrence_id = _local_shift(row.recurrence_id, occurrence, new_start, series)
            row.save(update_fields=["recurrence_id"])
    series.sequence += 1
    _prepare(series)
    series.save()
    if attendees is not None:
        _set_attendees(series, by, attendees)
    _announce(series)
    return series


def _split(
    series: Appointment,
    by: User,
    changes: dict[str, Any],
    occurrence: dt.datetime,
    new_start: dt.datetime,
    new_end: dt.datetime,
    attendees: Iterable[Invitee] | None,
) -> Appointment:
    """End the series before `occurrence` and start a new one there, carrying over the
    exceptions and moved occurrences that come after it."""
    old_rule = series.rrule
    parts = recurrence.describe(old_rule)
    tail_rule = changes.get("rrule", old_rule)
    if tail_rule == old_rule and "COUNT" in parts:
        done = recurrence.count_before(
            rule=old_rule,
            start=series.start,
            time_zone=series.time_zone,
            all_day=series.all_day,
            when=occurrence,
        )
        parts["COUNT"] = str(max(int(parts["COUNT"]) - done, 1))
        tail_rule = ";".join(f"{k}={v}" for k, v in parts.items())
    tail = Appointment(owner=series.owner, **{f: getattr(series, f) for f in COPIED})
    _apply(tail, {k: v for k, v in changes.items() if k not in ("start", "end", "rrule")})
    tail.start = _local_shift(occurrence, occurrence, new_start, series)
    tail.end = tail.start + (new_end - new_start)
    tail.rrule = tail_rule
    tail.exdates = [
        recurrence.iso(_local_shift(recurrence.parse_iso(x), occurrence, new_start, series))
        for x in series.exdates
        if recurrence.parse_iso(x) >= occurrence
    ]
    later = list(series.overrides.filter(recurrence_id__gte=occurrence))
    series.exdates = [x for x in series.exdates if recurrence.parse_iso(x) < occurrence]
    series.rrule = _cut(old_rule, occurrence, series)
    series.sequence += 1
    _prepare(series)
    series.save()
    _prepare(tail)
    tail.save()
    for row in later:
        row.series = tail
        row.uid = tail.uid
        if row.recurrence_id is not None:  # (an override always has one)
            row.recurrence_id = _local_shift(row.recurrence_id, occurrence, new_start, series)
        row.save(update_fields=["series", "uid", "recurrence_id"])
    people = (
        list(attendees)
        if attendees is not None
        else [Invitee(email=a.email, name=a.name, user=a.user) for a in series.attendees.all()]
    )
    # The same people: not invited a second time (a new list is, to the newcomers only).
    invited_before = {a.email for a in series.attendees.all()}
    tail_attendees = _invite(
        tail, [p for p in _invitees(by, people) if p.email in invited_before], tell=False
    )
    tail_attendees += _invite(
        tail, [p for p in _invitees(by, people) if p.email not in invited_before]
    )
    answered = {a.email: a for a in series.attendees.all()}
    for attendee in tail_attendees:  # answers carry over to the rest of the series
        before = answered.get(attendee.email)
        if before and before.status != Attendee.Status.NEEDS_ACTION and attendees is None:
            attendee.status, attendee.answered_at = before.status, before.answered_at
            attendee.save(update_fields=["status", "answered_at"])
    _announce(series)
    _announce(tail)
    return tail


@transaction.atomic
def appointment_delete(
    *,
    appointment: Appointment,
    by: User,
    scope: str = Scope.ALL,
    occurrence: dt.datetime | None = None,
) -> None:
    """Delete an appointment; for a series, this occurrence, this and the following ones,
    or all of them."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _check_owner(appointment, by)
    if scope not in Scope.CHOICES:
        raise ApplicationError(_("Delete this occurrence, the following ones or all."))
    if appointment.series_id:
        series = Appointment.objects.select_for_update().get(pk=appointment.series_id)
        occurrence = appointment.recurrence_id
    elif appointment.rrule:
        series = appointment
        if scope == Scope.ALL:
            occurrence = series.start
    else:
        _announce(appointment)
        appointment.delete()
        return
    occurrence = _occurrence_of(series, occurrence)
    _announce(series)
    if scope == Scope.ALL or (scope == Scope.FOLLOWING and occurrence <= series.start):
        series.delete()
        return
    if scope == Scope.THIS:
        series.overrides.filter(recurrence_id=occurrence).delete()
        series.exdates = sorted({*series.exdates, recurrence.iso(occurrence)})
    else:
        series.overrides.filter(recurrence_id__gte=occurrence).delete()
        series.exdates = [x for x in series.exdates if recurrence.parse_iso(x) < occurrence]
        series.rrule = _cut(series.rrule, occurrence, series)
    series.sequence += 1
    _prepare(series)
    series.save()


def first_reminder(appointment: Appointment) -> dt.datetime | None:
    """The earliest moment any reminder of `appointment` can fall due: its first
    occurrence's earliest reminder (None without reminders)."""
    if not appointment.reminders:
        return None
    return appointment.start - dt.timedelta(minutes=max(appointment.reminders))


def _remind_again(head_id: int) -> None:
    """Someone's answer changed who is reminded: the runner looks at the appointment (and
    its moved occurrences) again; reminders already sent are not sent twice."""
    for row in Appointment.objects.filter(Q(pk=head_id) | Q(series_id=head_id)).exclude(
        reminders=[]
    ):
        Appointment.objects.filter(pk=row.pk).update(reminder_next_at=first_reminder(row))


@transaction.atomic
def attendee_respond(*, appointment: Appointment, user: User, status: str) -> Attendee:
    """The invited `user` accepts, declines or answers tentatively (for the whole series)."""
    if status not in (
        Attendee.Status.ACCEPTED,
        Attendee.Status.TENTATIVE,
        Attendee.Status.DECLINED,
    ):
        raise ApplicationError(_("Answer accept, tentative or decline."), code="invalid_answer")
    head = appointment.series_id or appointment.pk
    attendee = (
        Attendee.objects.select_for_update()
        .select_related("appointment__owner")
        .filter(appointment_id=head, user=user)
        .first()
    )
    if attendee is None:
        raise PermissionDenied(_("You are not invited to this appointment."))
    attendee.status = status
    attendee.answered_at = timezone.now()
    attendee.save(update_fields=["status", "answered_at"])
    if status != Attendee.Status.DECLINED:
        _remind_again(head)
    transaction.on_commit(lambda: notify.invitation_answered(attendee))
    ident = publicid.encode("diary.appointment", head)
    transaction.on_commit(lambda: notify.appointment_changed([user.pk], ident))
    return attendee


def feed_regenerate(*, user: User) -> CalendarFeed:
    """A new secret feed URL for `user`'s diary; the old one stops working at once."""
    token = secrets.token_urlsafe(32)
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"token": token, "created_at": timezone.now()}
    )
    return feed


def feed_get_or_create(*, user: User) -> CalendarFeed:
    """`user`'s feed, made on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed or feed_regenerate(user=user)


@dataclass(frozen=True)
class DueReminder:
    appointment: Appointment
    user_id: int
    occurrence_start: dt.datetime
    minutes_before: int

    @property
    def due_at(self) -> dt.datetime:
        return self.occurrence_start - dt.timedelta(minutes=self.minutes_before)


def reminders_due(
    *, since: dt.datetime, until: dt.datetime, rows: Iterable[Appointment] | None = None
) -> list[DueReminder]:
    """Reminders due in (since, until], for the owner and the attendees who accepted or
    answered tentatively, each occurrence of a series on its own: of `rows`, or of every
    appointment that can have one then."""
    from diary import selectors

    if rows is None:
        horizon = dt.timedelta(minutes=MAX_REMINDER_MINUTES)
        rows = Appointment.objects.exclude(reminders=[]).filter(
            # Single ones and moved occurrences by their start; series by their end.
            Q(rrule="", start__gt=since, start__lte=until + horizon)
            | (
                ~Q(rrule="")
                & Q(start__lt=until + horizon)
                & (Q(recurrence_end__isnull=True) | Q(recurrence_end__gt=since))
            )
        )
    rows = list(
        Appointment.objects.filter(pk__in=[r.pk for r in rows])
        .select_related("series")
        .prefetch_related("attendees", "series__attendees", "overrides")
        .order_by("pk")
    )
    found: list[DueReminder] = []
    for row in rows:
        head = row.series or row
        people = [row.owner_id] + [
            a.user_id
            for a in head.attendees.all()
            if a.user_id and a.status in (Attendee.Status.ACCEPTED, Attendee.Status.TENTATIVE)
        ]
        if row.rrule:
            # Only the occurrences whose reminders can fall in (since, until].
            lo = since + dt.timedelta(minutes=min(row.reminders))
            hi = until + dt.timedelta(minutes=max(row.reminders) + 1)
            starts = [
                o.start
                for o in selectors._expand([row], list(row.overrides.all()), lo, hi, lo, hi)
                if o.appointment.pk == row.pk and o.start > lo
            ]
        else:
            starts = [row.start]
        for begin in starts:
            for minutes in row.reminders:
                due = begin - dt.timedelta(minutes=minutes)
                if since < due <= until:
                    found.extend(DueReminder(row, person, begin, minutes) for person in people)
    found.sort(key=lambda d: (d.due_at, d.appointment.pk, d.user_id))
    return found


def next_reminder(appointment: Appointment, after: dt.datetime) -> dt.datetime | None:
    """When the first reminder of `appointment` due after `after` falls due (None: none).
    For a series it may be that of an excluded occurrence: the runner then finds nothing
    to send and moves on."""
    minutes = appointment.reminders
    if not minutes:
        return None
    if not appointment.rrule:
        later = [appointment.start - dt.timedelta(minutes=m) for m in minutes]
        return min((d for d in later if d > after), default=None)
    longest = dt.timedelta(minutes=max(minutes))
    best = None
    for n, begin in enumerate(
        recurrence.starts_after(
            rule=appointment.rrule,
            start=appointment.start,
            time_zone=appointment.time_zone,
            all_day=appointment.all_day,
            after=after,
        )
    ):
        if (best is not None and begin - longest >= best) or n > recurrence.MAX_OCCURRENCES:
            break
        for m in minutes:
            due = begin - dt.timedelta(minutes=m)
            if due > after and (best is None or due < best):
                best = due
    return best


# How far back a reminder missed during downtime is still delivered (marked late).
LATE_WINDOW = dt.timedelta(hours=12)


def reminders_fire(*, now: dt.datetime | None = None) -> list[ReminderSent]:
    """Send every reminder due by `now` that has not been sent: once each, even with two
    runners at the same time or after a restart; ones due while nothing ran (up to
    LATE_WINDOW ago) go out marked late."""
    now = now or timezone.now()
    sent = []
    rows = list(Appointment.objects.filter(reminder_next_at__lte=now).exclude(reminders=[]))
    for due in reminders_due(since=now - LATE_WINDOW, until=now, rows=rows):
        late = now - due.due_at > dt.timedelta(minutes=2)
        try:
            with transaction.atomic():
                row = ReminderSent.objects.create(
                    appointment=due.appointment,
                    user_id=due.user_id,
                    occurrence_start=due.occurrence_start,
                    minutes_before=due.minutes_before,
                    due_at=due.due_at,
                    sent_at=now,
                    late=late,
                )
        except IntegrityError:
            continue  # another runner sent it
        sent.append(row)
        start = due.occurrence_start.isoformat()
        transaction.on_commit(
            partial(
                notify.reminder_due,
                key=f"diary.reminder:{row.pk}",
                user_id=due.user_id,
                appointment=due.appointment,
                occurrence_start=start,
                late=late,
            )
        )
    for looked in rows:
        # Unless the row was saved meanwhile (which set its own), look again at its next.
        Appointment.objects.filter(pk=looked.pk, reminder_next_at=looked.reminder_next_at).update(
            reminder_next_at=next_reminder(looked, now)
        )
    return sent
