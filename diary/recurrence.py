"""Recurrence rules (RFC 5545 RRULE) and their expansion into occurrences, with dateutil.

A series is expanded in its own time zone, as wall-clock times: "every Monday 09:30
Europe/London" is 08:30 UTC in summer and 09:30 UTC in winter. dateutil's rrule keeps the
tzinfo of DTSTART on every occurrence it builds, and zoneinfo gives each of them the
offset of its own date, so the conversion to UTC is right on both sides of a change.
All-day series are expanded as floating dates (they are the same days in every zone).
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as du
from django.utils.translation import gettext as _

from uc_web.lib.exceptions import ApplicationError

UTC = dt.UTC
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A rule can ask for a great many occurrences; nobody needs more than this many of one series.
MAX_OCCURRENCES = 5000


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApplicationError(_("Unknown time zone: %(zone)s") % {"zone": name}) from None


def iso(value: dt.datetime) -> str:
    """The form exdates and occurrence ids are written in: UTC, to the second."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@lru_cache(maxsize=65536)
def parse_iso(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise ApplicationError(_("Not a valid occurrence."), code="invalid_occurrence") from None
    return parsed


def _anchor(start: dt.datetime, time_zone: str, all_day: bool) -> dt.datetime:
    if all_day:
        return start.astimezone(UTC).replace(tzinfo=None)
    return start.astimezone(zone(time_zone))


def _to_utc(value: dt.datetime, all_day: bool) -> dt.datetime:
    if all_day:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_rule(rule: str, *, start: dt.datetime, time_zone: str, all_day: bool) -> du.rrule:
    """A dateutil rrule for `rule` anchored at `start`; ApplicationError if it is not one
    we accept (a daily, weekly, monthly or yearly RRULE)."""
    return _parse_rule(rule, start, time_zone, all_day)


# Parsing a rule is a good part of expanding a month of it; the result depends on nothing
# else (and a dateutil rrule made without cache=True is not changed by iterating it).
@lru_cache(maxsize=4096)
def _parse_rule(rule: str, start: dt.datetime, time_zone: str, all_day: bool) -> du.rrule:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
    if parts.get("FREQ") not in FREQUENCIES:
        raise ApplicationError(_("Repeat daily, weekly, monthly or yearly."), code="invalid_rrule")
    anchor = _anchor(start, time_zone, all_day)
    until = parts.get("UNTIL")
    if until and all_day:
        # Floating series: an UNTIL written in UTC (or as a date) is read as a date.
        parts["UNTIL"] = until.rstrip("Z")[:8] + "T235959"
    elif until and len(until) == 8:
        parts["UNTIL"] = until + "T235959Z"
    elif until and not until.endswith("Z"):
        # A local UNTIL on a zoned series: RFC 5545 wants UTC, so convert it.
        try:
            local = dt.datetime.strptime(until, "%Y%m%dT%H%M%S").replace(tzinfo=anchor.tzinfo)
        except ValueError:
            raise ApplicationError(_("Not a valid recurrence end."), code="invalid_rrule") from None
        parts["UNTIL"] = iso(local)
    normalised = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        parsed = du.rrulestr("RRULE:" + normalised, dtstart=anchor)
    except (ValueError, TypeError, KeyError):
        raise ApplicationError(_("Not a valid recurrence rule."), code="invalid_rrule") from None
    if not isinstance(parsed, du.rrule):
        raise ApplicationError(_("Not a valid recurrence rule."), code="invalid_rrule")
    return parsed


def build_rule(
    *,
    freq: str,
    interval: int = 1,
    weekdays: Iterable[str] = (),
    monthly_by: str = "date",
    start: dt.datetime | None = None,
    time_zone: str = "UTC",
    count: int | None = None,
    until: dt.date | None = None,
) -> str:
    """An RRULE from the choices of the appointment form: weekly on chosen weekdays,
    monthly by date or by position ("second Tuesday"), ending after N or on a date."""
    freq = freq.upper()
    if freq not in FREQUENCIES:
        raise ApplicationError(_("Repeat daily, weekly, monthly or yearly."), code="invalid_rrule")
    if interval < 1 or interval > 999:
        raise ApplicationError(_("Repeat every 1 to 999 periods."), code="invalid_rrule")
    parts = [f"FREQ={freq}"]
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    days = [d.upper() for d in weekdays]
    if any(d not in WEEKDAYS for d in days):
        raise ApplicationError(_("Not a valid weekday."), code="invalid_rrule")
    if freq == "WEEKLY" and days:
        parts.append("BYDAY=" + ",".join(d for d in WEEKDAYS if d in days))
    if freq == "MONTHLY" and monthly_by == "position" and start is not None:
        local = start.astimezone(zone(time_zone))
        nth = (local.day - 1) // 7 + 1
        # The fifth week is written as "last" so the series is there every month.
        position = -1 if nth == 5 else nth
        parts.append(f"BYDAY={position}{WEEKDAYS[local.weekday()]}")
    if count is not None and until is not None:
        raise ApplicationError(_("End after a number of times or on a date, not both."))
    if count is not None:
        if not 1 <= count <= MAX_OCCURRENCES:
            raise ApplicationError(
                _("End after 1 to %(max)s times.") % {"max": MAX_OCCURRENCES}, code="invalid_rrule"
            )
        parts.append(f"COUNT={count}")
    if until is not None:
        if start is not None:
            # Inclusive: occurrences on the end date still happen, in the series' zone.
            local_end = dt.datetime.combine(until, dt.time(23, 59, 59), tzinfo=zone(time_zone))
            if local_end < start:
                raise ApplicationError(_("The repeat ends before it starts."), code="invalid_rrule")
            parts.append("UNTIL=" + iso(local_end))
        else:
            parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


def describe(rule: str) -> dict[str, Any]:
    """The parts of an RRULE as a dict (what the form shows when editing)."""
    text = rule[6:] if rule.upper().startswith("RRULE:") else rule
    return dict(p.split("=", 1) for p in text.split(";") if "=" in p)


def has_occurrences(rule: str, *, start: dt.datetime, time_zone: str, all_day: bool) -> bool:
    """Whether the rule yields any date at all (BYMONTHDAY=40 does not)."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    return parsed.after(_anchor(start, time_zone, all_day), inc=True) is not None


def last_end(
    rule: str, *, start: dt.datetime, end: dt.datetime, time_zone: str, all_day: bool
) -> dt.datetime | None:
    """When the last occurrence of a series ends; None for a series without an end."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    parts = describe(rule.upper())
    if "COUNT" not in parts and "UNTIL" not in parts:
        return None
    last = None
    for i, occurrence in enumerate(parsed):
        last = occurrence
        if i >= MAX_OCCURRENCES * 20:
            return None  # too many to count: treat as open-ended
    if last is None:
        return start  # a rule that yields nothing still has its DTSTART row
    return _to_utc(last, all_day) + (end - start)


def near(parsed: du.rrule, target: dt.datetime) -> du.rrule:
    """The same rule started on the period (day, week, month or year on the rule's own
    INTERVAL grid) that holds `target`, so that listing from `target` does not step
    through every occurrence since DTSTART: a weekly series started two years ago has
    ~100 of them to skip, a daily one ~700, for every month shown.

    Occurrences from `target` on are exactly those of `parsed`: what DTSTART implies
    (the weekday of a weekly rule, the day of a monthly one, the time of day) is passed
    explicitly, and the new start is on the grid the rule counts INTERVAL on. A COUNT
    rule is left as it is (its count runs from the first occurrence)."""
    parts: Any = parsed  # dateutil keeps its parts private; its stubs leave them out
    start = parts._dtstart  # noqa: SLF001 - dateutil keeps its parts private
    if parts._count is not None or parts._freq not in (
        du.DAILY,
        du.WEEKLY,
        du.MONTHLY,
        du.YEARLY,
    ):  # noqa: SLF001
        return parsed
    if start.tzinfo is not None:
        target = target.astimezone(start.tzinfo)
    if target <= start:
        return parsed
    freq, interval = parts._freq, parts._interval  # noqa: SLF001
    if freq == du.YEARLY:
        years = (target.year - start.year) // interval * interval
        day = dt.date(start.year + years, 1, 1)
    elif freq == du.MONTHLY:
        months = (target.year - start.year) * 12 + target.month - start.month
        month = start.month - 1 + months // interval * interval
        day = dt.date(start.year + month // 12, month % 12 + 1, 1)
    elif freq == du.WEEKLY:
        week = start.date() - dt.timedelta(days=(start.weekday() - parts._wkst) % 7)  # noqa: SLF001
        weeks = (target.date() - week).days // 7
        day = week + dt.timedelta(weeks=weeks // interval * interval)
    else:
        days = (target.date() - start.date()).days
        day = start.date() + dt.timedelta(days=days // interval * interval)
    begin = dt.datetime.combine(day, dt.time(), tzinfo=start.tzinfo)
    if begin <= start:
        return parsed
    p = parts
    weekdays = [du.weekday(d) for d in p._byweekday or ()]  # noqa: SLF001
    weekdays += [du.weekday(d, n) for d, n in p._bynweekday or ()]  # noqa: SLF001
    monthdays = tuple(p._bymonthday or ()) + tuple(p._bynmonthday or ())  # noqa: SLF001
    return du.rrule(
        freq,
        dtstart=begin,
        interval=interval,
        wkst=p._wkst,  # noqa: SLF001
        until=p._until,  # noqa: SLF001
        bysetpos=p._bysetpos,  # noqa: SLF001
        bymonth=p._bymonth,  # noqa: SLF001
        bymonthday=monthdays or None,
        byyearday=p._byyearday,  # noqa: SLF001
        byeaster=p._byeaster,  # noqa: SLF001
        byweekno=p._byweekno,  # noqa: SLF001
        byweekday=weekdays or None,
        byhour=p._byhour,  # noqa: SLF001
        byminute=p._byminute,  # noqa: SLF001
        bysecond=p._bysecond,  # noqa: SLF001
    )


def occurrence_starts(
    *,
    rule: str,
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
    all_day: bool,
    range_start: dt.datetime,
    range_end: dt.datetime,
) -> list[dt.datetime]:
    """UTC starts of the series' occurrences that overlap [range_start, range_end)."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    duration = end - start
    lo = range_start - duration
    if all_day:
        lo_local = lo.astimezone(UTC).replace(tzinfo=None)
        hi_local = range_end.astimezone(UTC).replace(tzinfo=None)
    else:
        lo_local, hi_local = lo, range_end
    found = []
    for local in near(parsed, lo_local).xafter(lo_local, inc=True):
        if local >= hi_local:
            break
        begin = _to_utc(local, all_day)
        if begin + duration > range_start or (
            duration.total_seconds() == 0 and begin >= range_start
        ):
            found.append(begin)
        if len(found) >= MAX_OCCURRENCES:
            break
    return found


def starts_after(
    *, rule: str, start: dt.datetime, time_zone: str, all_day: bool, after: dt.datetime
) -> Iterator[dt.datetime]:
    """UTC starts of the series' occurrences after `after`, in order."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    if all_day:
        local = after.astimezone(UTC).replace(tzinfo=None)
    else:
        local = after.astimezone(zone(time_zone))
    for found in near(parsed, local).xafter(local, inc=False):
        yield _to_utc(found, all_day)


def is_occurrence(
    *, rule: str, start: dt.datetime, time_zone: str, all_day: bool, when: dt.datetime
) -> bool:
    """Whether `when` (UTC) is an original start of the series."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    if all_day:
        local = when.astimezone(UTC).replace(tzinfo=None)
    else:
        local = when.astimezone(zone(time_zone))
    found = near(parsed, local).after(local, inc=True)
    return found is not None and _to_utc(found, all_day) == when.astimezone(UTC)


def count_before(
    *, rule: str, start: dt.datetime, time_zone: str, all_day: bool, when: dt.datetime
) -> int:
    """How many occurrences start before `when` (to split a COUNT series)."""
    parsed = parse_rule(rule, start=start, time_zone=time_zone, all_day=all_day)
    count = 0
    for local in parsed:
        if _to_utc(local, all_day) >= when:
            break
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One appearance of an appointment in a diary."""

    appointment: Any  # the row shown: the series, an overridden occurrence, or a single one
    series_id: int | None  # the series it belongs to (None: not recurring)
    recurrence_id: dt.datetime | None  # its original start (UTC) within the series
    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        return iso(self.recurrence_id) if self.recurrence_id else ""
