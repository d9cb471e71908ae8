"""Dates and times shown the way a user prefers: their format and their time zone.

Every page, the admin lists and mails render through these, so a time reads the same
everywhere (the API and file exports keep ISO 8601, which programs read).
"""

import zoneinfo
from datetime import date, datetime, tzinfo
from typing import Any

from asgiref.local import Local
from django.utils import dateformat, timezone

# Profile.DateFormat -> Django date formats; T names the time zone.
DATETIME_FORMATS = {
    "long": "j F Y, H:i T",
    "iso": "Y-m-d H:i T",
    "dmy": "d/m/Y H:i T",
    "mdy": "m/d/Y g:i A T",
}
DATE_FORMATS = {"long": "j F Y", "iso": "Y-m-d", "dmy": "d/m/Y", "mdy": "m/d/Y"}
# A date without its year (a birthday): day and month in the same order.
DAY_MONTH_FORMATS = {"long": "j F", "iso": "--m-d", "dmy": "d/m", "mdy": "m/d"}


# The signed-in user's format for this request (set by UserPreferencesMiddleware, like
# Django's active time zone), for code that has no user at hand (admin list columns).
_active = Local()


def activate(user: Any) -> None:
    _active.value = preference(user)


def deactivate() -> None:
    if hasattr(_active, "value"):
        del _active.value


def preference(user: Any = None) -> str:
    """The user's date format (Profile.DateFormat); without a user, the request's."""
    if user is None:
        return getattr(_active, "value", "long")
    profile = getattr(user, "profile", None)
    chosen = getattr(profile, "date_format", "")
    return chosen if chosen in DATETIME_FORMATS else "long"


def zone(user: Any = None) -> tzinfo:
    """The user's time zone; without a user, the active one (the request's)."""
    name = getattr(user, "time_zone_name", "") if user is not None else ""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def local(value: datetime, user: Any = None) -> datetime:
    """`value` in the user's time zone."""
    return timezone.localtime(value, zone(user)) if timezone.is_aware(value) else value


def datetime_text(value: datetime | None, user: Any = None) -> str:
    """A moment, as `user` reads it: "27 November 2026, 14:05 CET" or their format."""
    if value is None:
        return ""
    return dateformat.format(local(value, user), DATETIME_FORMATS[preference(user)])


def date_text(value: date | None, user: Any = None) -> str:
    """A calendar date in the user's format (a datetime is first moved to their zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value, user).date()
    return dateformat.format(value, DATE_FORMATS[preference(user)])


def day_month_text(month: int, day: int, user: Any = None) -> str:
    """A yearless date (a birthday) in the user's format."""
    return dateformat.format(date(2000, month, day), DAY_MONTH_FORMATS[preference(user)])
