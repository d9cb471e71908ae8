"""iCalendar (RFC 5545) in and out, with the icalendar library.

Import reads what Google, Outlook and Apple export: VTIMEZONE blocks and TZID parameters
(Windows zone names such as "W. Europe Standard Time" mapped to their IANA zone),
RRULE/EXDATE/RECURRENCE-ID, all-day DATE values, folded UTF-8 text, VALARM reminders.
A file that is not a calendar is refused whole with a message; an event we cannot use is
reported and skipped; an event whose UID is already in the diary replaces it (no
duplicates on re-import).
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo, available_timezones

import icalendar
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from accounts.models import User
from diary import recurrence
from diary.models import Appointment, Attendee
from diary.recurrence import UTC
from uc_web.lib.exceptions import ApplicationError

MAX_BYTES = 20 * 1024 * 1024
PRODID = "-//UC Web//Diary//EN"
_ZONES: set[str] = set()


def _known_zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


# --- export -------------------------------------------------------------------------


def _when(value: dt.datetime, row: Appointment, *, zoned: bool) -> Any:
    if row.all_day:
        return value.astimezone(UTC).date()
    if zoned and row.time_zone != "UTC":
        return value.astimezone(ZoneInfo(row.time_zone))
    return value.astimezone(UTC)


def _event(row: Appointment, *, busy_only: bool, attendees: Iterable[Attendee]) -> icalendar.Event:
    event = icalendar.Event()
    zoned = bool(row.rrule or row.series_id)
    event.add("uid", row.uid)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("sequence", row.sequence)
    event.add("dtstart", _when(row.start, row, zoned=zoned))
    event.add("dtend", _when(row.end, row, zoned=zoned))
    if row.series_id and row.recurrence_id:
        event.add("recurrence-id", _when(row.recurrence_id, row, zoned=True))
    if row.rrule:
        event.add("rrule", icalendar.vRecur.from_ical(row.rrule))
        if row.exdates:
            event.add(
                "exdate", [_when(recurrence.parse_iso(x), row, zoned=True) for x in row.exdates]
            )
    event.add("transp", "TRANSPARENT" if row.show_as == Appointment.ShowAs.FREE else "OPAQUE")
    if busy_only:
        event.add("summary", _("Busy"))
        event.add("class", "PRIVATE")
        return event
    event.add("summary", row.title)
    if row.private:
        event.add("class", "PRIVATE")
    if row.location:
        event.add("location", row.location)
    if row.description:
        event.add("description", row.description)
    if row.organiser_email:  # imported: the organiser it came with
        organiser_email, organiser_name = row.organiser_email, row.organiser_name
    else:
        organiser_email, organiser_name = row.owner.email, row.owner.get_full_name()
    event.add(
        "organizer",
        icalendar.vCalAddress(f"mailto:{organiser_email}"),
        parameters={"CN": organiser_name or organiser_email},
    )
    for attendee in attendees:
        event.add(
            "attendee",
            icalendar.vCalAddress(f"mailto:{attendee.email}"),
            parameters={
                "CN": attendee.name or attendee.email,
                "PARTSTAT": attendee.status.upper().replace("_", "-"),
                "ROLE": "REQ-PARTICIPANT",
                "RSVP": "TRUE",
            },
        )
    for minutes in row.reminders:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", row.title)
        alarm.add("trigger", -dt.timedelta(minutes=minutes))
        event.add_component(alarm)
    return event


def export_calendar(
    rows: Iterable[Appointment],
    *,
    method: str | None = None,
    name: str | None = None,
    busy_only_private_for: User | None = None,
) -> bytes:
    """An iCalendar file of `rows` (series with their moved occurrences). With
    `busy_only_private_for`, the private appointments of that user show only as busy."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    rows = list(rows)
    heads = [r.series_id or r.pk for r in rows]
    people: dict[int, list[Attendee]] = {}
    for attendee in Attendee.objects.filter(appointment_id__in=heads):
        people.setdefault(attendee.appointment_id, []).append(attendee)
    for row in rows:
        busy_only = busy_only_private_for is not None and row.private
        cal.add_component(
            _event(row, busy_only=busy_only, attendees=people.get(row.series_id or row.pk, []))
        )
    cal.add_missing_timezones()
    return cal.to_ical()


# --- import -------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped}


def zone_name(value: dt.datetime, fallback: str) -> str:
    """The IANA zone of a parsed DTSTART: its own, the one a Windows name stands for, or
    `fallback` for floating times."""
    tzinfo = value.tzinfo
    if tzinfo is None:
        return fallback
    key = getattr(tzinfo, "key", None)
    if key:
        return key
    tzid = getattr(tzinfo, "_tzid", None) or value.tzname() or ""
    tzid = tzid.strip('"')
    if tzid in _known_zones():
        return tzid
    if tzid in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[tzid]
    if value.utcoffset() == dt.timedelta(0) and tzid.upper() in ("UTC", "Z", "GMT", ""):
        return "UTC"
    return ""  # a zone we only know from its VTIMEZONE: kept as UTC instants


def _instant(value: Any, *, all_day: bool, zone: str, fallback: str) -> dt.datetime:
    """A DATE or DATE-TIME as an aware UTC datetime (all-day: midnight UTC of the date)."""
    if isinstance(value, dt.datetime):
        if all_day:
            return dt.datetime.combine(value.date(), dt.time(), tzinfo=UTC)
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(fallback)).astimezone(UTC)
        named = zone_name(value, fallback)
        if named:
            # Read the wall-clock time in the IANA zone: same as the VTIMEZONE for the
            # dates it describes, and right for the others too.
            return value.replace(tzinfo=ZoneInfo(named)).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=UTC)
    raise ValueError("not a date")


def _reminders(event: icalendar.Event) -> list[int]:
    found = []
    for alarm in event.walk("VALARM"):
        trigger = alarm.get("TRIGGER")
        if trigger is None:
            continue
        value = trigger.dt
        if isinstance(value, dt.timedelta) and value <= dt.timedelta(0):
            minutes = int(-value.total_seconds() // 60)
            if minutes <= 4 * 7 * 24 * 60:
                found.append(minutes)
    return sorted(set(found))[:5]


def _text(event: icalendar.Event, name: str, limit: int) -> str:
    value = event.get(name)
    return str(value)[:limit] if value is not None else ""


def _fallback_uid(event: icalendar.Event) -> str:
    digest = hashlib.sha256(event.to_ical()).hexdigest()[:32]
    return f"{digest}@imported"


@dataclass
class _Parsed:
    fields: dict[str, Any]
    uid: str
    recurrence_id: dt.datetime | None
    attendees: Sequence[tuple[str, str, str]]
    cancelled: bool


_PARTSTAT = {
    "ACCEPTED": Attendee.Status.ACCEPTED,
    "TENTATIVE": Attendee.Status.TENTATIVE,
    "DECLINED": Attendee.Status.DECLINED,
}


def _parse_event(event: icalendar.Event, fallback: str) -> _Parsed:
    raw_start = event.get("DTSTART")
    if raw_start is None:
        raise ValueError(_("it has no start"))
    start_value = raw_start.dt
    all_day = not isinstance(start_value, dt.datetime)
    zone = "UTC" if all_day else (zone_name(start_value, fallback) or "UTC")
    start = _instant(start_value, all_day=all_day, zone=zone, fallback=fallback)
    if event.get("DTEND") is not None:
        end = _instant(event.get("DTEND").dt, all_day=all_day, zone=zone, fallback=fallback)
    elif event.get("DURATION") is not None:
        end = start + event.get("DURATION").dt
    else:
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    rule = ""
    if event.get("RRULE") is not None:
        rrule = event.get("RRULE")
        if isinstance(rrule, list):
            rrule = rrule[0]
        rule = rrule.to_ical().decode()
    exdates: list[str] = []
    raw_ex = event.get("EXDATE")
    for group in raw_ex if isinstance(raw_ex, list) else ([raw_ex] if raw_ex is not None else []):
        for item in group.dts:
            exdates.append(
                recurrence.iso(_instant(item.dt, all_day=all_day, zone=zone, fallback=fallback))
            )
    recurrence_id = None
    if event.get("RECURRENCE-ID") is not None:
        recurrence_id = _instant(
            event.get("RECURRENCE-ID").dt, all_day=all_day, zone=zone, fallback=fallback
        )
    transp = str(event.get("TRANSP", "OPAQUE")).upper()
    busy_status = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    free = transp == "TRANSPARENT" or busy_status == "FREE"
    klass = str(event.get("CLASS", "PUBLIC")).upper()
    attendees = []
    raw_att = event.get("ATTENDEE")
    for address in raw_att if isinstance(raw_att, list) else ([raw_att] if raw_att else []):
        email = str(address).removeprefix("mailto:").removeprefix("MAILTO:").strip()
        name = str(address.params.get("CN", "")) if hasattr(address, "params") else ""
        status = _PARTSTAT.get(
            str(getattr(address, "params", {}).get("PARTSTAT", "")).upper(),
            Attendee.Status.NEEDS_ACTION,
        )
        if email:
            attendees.append((email.lower(), name, status))
    organiser_email, organiser_name = "", ""
    raw_org = event.get("ORGANIZER")
    if isinstance(raw_org, list):
        raw_org = raw_org[0] if raw_org else None
    if raw_org is not None:
        address = str(raw_org).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        try:
            validate_email(address)
        except ValidationError:
            address = ""  # not an email address (a bare CN, a tel: URI): not kept
        if address:
            organiser_email = address.lower()[:254]
            params = getattr(raw_org, "params", {})
            organiser_name = str(params.get("CN", "")).strip()[:200]
    uid = str(event.get("UID", "")).strip() or _fallback_uid(event)
    fields = {
        "title": (_text(event, "SUMMARY", 200).strip() or _("(no title)")),
        "location": _text(event, "LOCATION", 200),
        "description": _text(event, "DESCRIPTION", 20000),
        "all_day": all_day,
        "start": start,
        "end": max(end, start),
        "time_zone": zone,
        "show_as": Appointment.ShowAs.FREE if free else Appointment.ShowAs.BUSY,
        "private": klass in ("PRIVATE", "CONFIDENTIAL"),
        "reminders": _reminders(event),
        "rrule": "" if recurrence_id else rule,
        "exdates": exdates,
        "organiser_email": organiser_email,
        "organiser_name": organiser_name,
    }
    cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
    return _Parsed(fields, uid[:255], recurrence_id, attendees, cancelled)


def parse_file(data: bytes) -> icalendar.Calendar:
    """The calendar in `data`; ApplicationError saying what is wrong if it is not one."""
    if len(data) > MAX_BYTES:
        raise ApplicationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": MAX_BYTES // 1024 // 1024},
            code="too_large",
        )
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise ApplicationError(
            _("This is not an iCalendar (.ics) file: it does not start with BEGIN:VCALENDAR."),
            code="not_calendar",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            _("The file is not UTF-8 text as iCalendar requires."), code="not_calendar"
        ) from None
    if "END:VCALENDAR" not in text.upper():
        raise ApplicationError(
            _("The calendar file is damaged: it ends before END:VCALENDAR (cut short?)."),
            code="malformed",
        )
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ApplicationError(
            _("The calendar file is damaged and could not be read (%(why)s).") % {"why": exc},
            code="malformed",
        ) from None
    if not calendars or calendars[0].name != "VCALENDAR":
        raise ApplicationError(_("This is not an iCalendar (.ics) file."), code="not_calendar")
    return calendars[0]


def _owned_q(user: User, uids: list[str]) -> Any:
    return Appointment.objects.filter(owner=user, series__isnull=True, uid__in=uids)


@transaction.atomic
def import_calendar(*, user: User, data: bytes, time_zone: str = "UTC") -> ImportResult:
    """Read an .ics file into `user`'s diary. Nothing is written if the file is not a
    calendar; events that already exist (same UID) are replaced, never duplicated."""
    from diary import services

    cal = parse_file(data)
    result = ImportResult()
    masters: dict[str, _Parsed] = {}
    moved: dict[str, list[_Parsed]] = {}
    events = list(cal.walk("VEVENT"))
    if not events:
        raise ApplicationError(_("The calendar file holds no events."), code="empty")
    for number, event in enumerate(events, 1):
        label = str(event.get("SUMMARY", "")) or _("event %(n)s") % {"n": number}
        try:
            parsed = _parse_event(cast(icalendar.Event, event), time_zone)
        except (ValueError, TypeError, AttributeError) as exc:
            result.skipped.append(f"{label}: {exc}")
            continue
        if parsed.recurrence_id is not None:
            moved.setdefault(parsed.uid, []).append(parsed)
        else:
            masters[parsed.uid] = parsed
    # Moved occurrences whose series is not in the file are kept as single appointments.
    for uid, items in list(moved.items()):
        if uid not in masters:
            for item in items:
                if not item.cancelled and item.recurrence_id is not None:
                    item.fields["rrule"] = ""
                    masters[f"{uid}/{recurrence.iso(item.recurrence_id)}"] = item
            del moved[uid]
    existing = {a.uid: a for a in _owned_q(user, list(masters))}
    rows: list[Appointment] = []
    keep: dict[str, _Parsed] = {}
    for uid, parsed in masters.items():
        row = Appointment(owner=user, uid=uid, **parsed.fields)
        if row.organiser_email == user.email.lower():
            row.organiser_email = row.organiser_name = ""  # the user organises it
        for item in moved.get(uid, []):
            if item.cancelled and item.recurrence_id is not None:
                row.exdates = [*row.exdates, recurrence.iso(item.recurrence_id)]
        try:
            services.validate_imported(row)
        except ApplicationError as exc:
            result.skipped.append(f"{parsed.fields['title']}: {exc.message}")
            continue
        rows.append(row)
        keep[uid] = parsed
    if existing:
        replaced = [existing[r.uid].pk for r in rows if r.uid in existing]
        Appointment.objects.filter(pk__in=replaced).delete()
        result.updated = len(replaced)
    result.created = len(rows) - result.updated
    Appointment.objects.bulk_create(rows, batch_size=1000)
    overrides: list[Appointment] = []
    attendees: list[Attendee] = []
    for row in rows:
        for email, name, status in keep[row.uid].attendees:
            attendees.append(
                Attendee(appointment=row, email=email[:254], name=name[:200], status=status)
            )
        for item in moved.get(row.uid, []):
            if item.cancelled:
                continue
            override = Appointment(
                owner=user, uid=row.uid, series=row, recurrence_id=item.recurrence_id, **item.fields
            )
            override.organiser_email = row.organiser_email
            override.organiser_name = row.organiser_name
            try:
                services.validate_imported(override)
            except ApplicationError as exc:
                result.skipped.append(f"{item.fields['title']}: {exc.message}")
                continue
            overrides.append(override)
    Appointment.objects.bulk_create(overrides, batch_size=1000)
    seen: set[tuple[int, str]] = set()
    unique = []
    for attendee in attendees:
        if (attendee.appointment_id, attendee.email) not in seen:
            seen.add((attendee.appointment_id, attendee.email))
            unique.append(attendee)
    Attendee.objects.bulk_create(unique, batch_size=1000)
    return result
