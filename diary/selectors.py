"""Reads of the diary, always for an acting user: what they may see and nothing else.

Who sees an appointment: its owner, and the users invited to it who have not declined.
Colleagues see only busy blocks (freebusy_list), never titles, whatever the private flag.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from diary import recurrence
from diary.models import Appointment, Attendee, CalendarFeed
from diary.recurrence import UTC, Occurrence

# A single appointment, series or moved occurrence longer than this is not looked for
# before a range starts (range queries compare `start` with the range's end only).
DAY = dt.timedelta(days=1)


def _invited(user: User) -> QuerySet:
    return (
        Attendee.objects.filter(user=user)
        .exclude(status=Attendee.Status.DECLINED)
        .values("appointment_id")
    )


def appointment_list(*, user: User) -> QuerySet[Appointment]:
    """Appointments `user` may open: their own, and those they are invited to (not declined),
    including the moved occurrences of such series."""
    invited = _invited(user)
    return Appointment.objects.filter(
        Q(owner=user) | Q(pk__in=invited) | Q(series_id__in=invited)
    ).select_related("owner")


def appointment_owned_list(*, user: User) -> QuerySet[Appointment]:
    """Appointments `user` may change: their own."""
    return Appointment.objects.filter(owner=user)


def attendee_list(*, user: User, appointment: Appointment) -> list[Attendee]:
    """The attendees of an appointment `user` may open (the series' for an occurrence)."""
    head = appointment.series_id or appointment.pk
    if not appointment_list(user=user).filter(pk=head).exists():
        return []
    return list(Attendee.objects.filter(appointment_id=head).select_related("user"))


def local_range(start: dt.date, end: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants of local midnight of `start` and `end` in `time_zone`."""
    tz = recurrence.zone(time_zone)
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=tz).astimezone(UTC),
        dt.datetime.combine(end, dt.time(), tzinfo=tz).astimezone(UTC),
    )


def _overlapping(
    rows: QuerySet[Appointment], start: dt.date, end: dt.date, time_zone: str
) -> tuple[QuerySet[Appointment], dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
    lo, hi = local_range(start, end, time_zone)
    day_lo = dt.datetime.combine(start, dt.time(), tzinfo=UTC)
    day_hi = dt.datetime.combine(end, dt.time(), tzinfo=UTC)
    single = Q(rrule="", start__lt=hi, end__gt=lo, all_day=False) | Q(
        rrule="", start__lt=day_hi, end__gt=day_lo, all_day=True
    )
    series = (
        ~Q(rrule="")
        & (Q(recurrence_end__isnull=True) | Q(recurrence_end__gt=lo - DAY))
        & Q(start__lt=hi + DAY)
    )
    return rows.filter(single | series), lo, hi, day_lo, day_hi


def _overrides(
    series_ids: list[int],
    lo: dt.datetime,
    hi: dt.datetime,
    day_lo: dt.datetime,
    day_hi: dt.datetime,
) -> QuerySet[Appointment]:
    """The moved occurrences of these series that matter to a range: those now in it, and
    those whose original start is in it (the series must not show them there)."""
    a, b = min(lo, day_lo), max(hi, day_hi)
    return (
        Appointment.objects.filter(series_id__in=series_ids)
        .alias(
            original_end=ExpressionWrapper(
                F("recurrence_id") + (F("series__end") - F("series__start")),
                output_field=DateTimeField(),
            )
        )
        .filter(Q(start__lt=b, end__gt=a) | Q(recurrence_id__lt=b, original_end__gt=a))
    )


# What drawing and listing occurrences reads of a row (and nothing more is loaded: each
# column is work per row, and a month can hold hundreds of rows).
SHOWN_FIELDS = (
    "pk",
    "owner_id",
    "title",
    "location",
    "all_day",
    "start",
    "end",
    "time_zone",
    "show_as",
    "private",
    "rrule",
    "exdates",
    "series_id",
    "recurrence_id",
)


@dataclass(frozen=True, slots=True)
class Shown:
    """An occurrence as one user sees it (`status`: their answer when invited)."""

    occurrence: Occurrence
    mine: bool
    status: str  # "" for one's own


def _expand(
    rows: Iterable[Appointment],
    overrides: Iterable[Appointment],
    lo: dt.datetime,
    hi: dt.datetime,
    day_lo: dt.datetime,
    day_hi: dt.datetime,
) -> list[Occurrence]:
    by_series: dict[int, list[Appointment]] = {}
    for row in overrides:
        if row.series_id is not None:  # (overrides always belong to a series)
            by_series.setdefault(row.series_id, []).append(row)
    found: list[Occurrence] = []
    for row in rows:
        a, b = (day_lo, day_hi) if row.all_day else (lo, hi)
        if not row.rrule:
            if row.start < b and row.end > a:
                found.append(Occurrence(row, row.series_id, row.recurrence_id, row.start, row.end))
            continue
        replaced = {o.recurrence_id: o for o in by_series.get(row.pk, ())}
        excluded = {recurrence.parse_iso(x) for x in row.exdates}
        for begin in recurrence.occurrence_starts(
            rule=row.rrule,
            start=row.start,
            end=row.end,
            time_zone=row.time_zone,
            all_day=row.all_day,
            range_start=a,
            range_end=b,
        ):
            if begin in replaced or begin in excluded:
                continue
            found.append(Occurrence(row, row.pk, begin, begin, begin + (row.end - row.start)))
        for moved in replaced.values():
            ma, mb = (day_lo, day_hi) if moved.all_day else (lo, hi)
            if moved.start < mb and moved.end > ma:
                found.append(Occurrence(moved, row.pk, moved.recurrence_id, moved.start, moved.end))
    found.sort(key=lambda o: (o.start, o.start - o.end, o.appointment.pk))
    return found


def occurrence_list(*, user: User, start: dt.date, end: dt.date, time_zone: str) -> list[Shown]:
    """Every occurrence in `user`'s diary from local day `start` up to (not including) `end`
    in `time_zone`, in order. Two queries whatever the number of appointments."""
    invited = _invited(user)
    visible = Appointment.objects.filter(Q(owner=user) | Q(pk__in=invited)).filter(
        series__isnull=True
    )
    found, lo, hi, day_lo, day_hi = _overlapping(visible, start, end, time_zone)
    rows: list[Any] = list(
        found.only(*SHOWN_FIELDS).annotate(
            my_status=Subquery(
                Attendee.objects.filter(appointment_id=OuterRef("pk"), user=user).values("status")[
                    :1
                ]
            )
        )
    )
    series_ids = [r.pk for r in rows if r.rrule]
    overrides = (
        list(_overrides(series_ids, lo, hi, day_lo, day_hi).only(*SHOWN_FIELDS))
        if series_ids
        else []
    )
    status = {r.pk: r.my_status or "" for r in rows}
    shown = []
    for occurrence in _expand(rows, overrides, lo, hi, day_lo, day_hi):
        head = occurrence.series_id or occurrence.appointment.pk
        mine = occurrence.appointment.owner_id == user.pk
        shown.append(Shown(occurrence, mine, "" if mine else status.get(head, "")))
    return shown


@dataclass(frozen=True, slots=True)
class Busy:
    start: dt.datetime
    end: dt.datetime


def colleague_list(*, user: User, ids: Iterable[int]) -> list[User]:
    """The active colleagues of `user` among `ids` (whose free/busy `user` may see)."""
    if user.company_id is None:
        return []
    return list(User.objects.filter(pk__in=list(ids), company_id=user.company_id, is_active=True))


def freebusy_list(
    *, user: User, people: Iterable[User], start: dt.date, end: dt.date, time_zone: str
) -> dict[int, list[Busy]]:
    """Busy blocks of each colleague in `people` between two local days: only start and end,
    for appointments shown as busy (their own, and accepted or tentative invitations);
    nothing else about them, private or not. People of other companies get nothing."""
    allowed = {p.pk for p in people if p.company_id is not None and p.company_id == user.company_id}
    blocks: dict[int, list[Busy]] = {pk: [] for pk in allowed}
    if not allowed:
        return blocks
    # Three queries whoever and however many are asked about: their answers, the
    # appointments (owned or answered), the moved occurrences of the series among them.
    answered: dict[int, list[int]] = {}
    for appointment_id, person in Attendee.objects.filter(
        user_id__in=allowed, status__in=[Attendee.Status.ACCEPTED, Attendee.Status.TENTATIVE]
    ).values_list("appointment_id", "user_id"):
        answered.setdefault(appointment_id, []).append(person)
    visible = Appointment.objects.filter(
        Q(owner_id__in=allowed) | Q(pk__in=list(answered)), series__isnull=True
    ).only(
        "pk",
        "owner_id",
        "start",
        "end",
        "all_day",
        "rrule",
        "exdates",
        "time_zone",
        "show_as",
        "series_id",
        "recurrence_id",
    )
    found, lo, hi, day_lo, day_hi = _overlapping(visible, start, end, time_zone)
    rows = list(found)
    series_ids = [r.pk for r in rows if r.rrule]
    overrides = (
        list(
            _overrides(series_ids, lo, hi, day_lo, day_hi).only(
                "pk", "start", "end", "all_day", "show_as", "series_id", "recurrence_id"
            )
        )
        if series_ids
        else []
    )
    owners = {r.pk: r.owner_id for r in rows}
    for occurrence in _expand(rows, overrides, lo, hi, day_lo, day_hi):
        if occurrence.appointment.show_as != Appointment.ShowAs.BUSY:
            continue
        head = occurrence.series_id or occurrence.appointment.pk
        for person in {owners.get(head), *answered.get(head, ())}:
            if person in blocks:
                blocks[person].append(Busy(occurrence.start, occurrence.end))
    return blocks


def first_free_slot(
    *,
    busy: Iterable[Busy],
    day: dt.date,
    duration: dt.timedelta,
    time_zone: str,
    day_start: dt.time = dt.time(8),
    day_end: dt.time = dt.time(18),
    step: dt.timedelta = dt.timedelta(minutes=15),
) -> dt.datetime | None:
    """The first start on `day`, within working hours in `time_zone`, when nobody is busy
    for `duration`; None if there is none."""
    tz = recurrence.zone(time_zone)
    begin = dt.datetime.combine(day, day_start, tzinfo=tz).astimezone(UTC)
    finish = dt.datetime.combine(day, day_end, tzinfo=tz).astimezone(UTC)
    blocks = sorted(busy, key=lambda b: b.start)
    candidate = begin
    while candidate + duration <= finish:
        clash = next(
            (b for b in blocks if b.start < candidate + duration and b.end > candidate), None
        )
        if clash is None:
            return candidate
        # Jump past the clash, onto the grid.
        steps = -(-(clash.end - begin) // step)
        candidate = begin + steps * step
    return None


def feed_get(*, token: str) -> CalendarFeed | None:
    """The feed a token opens, or None (a revoked or made-up token)."""
    if not token or len(token) > 64:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
