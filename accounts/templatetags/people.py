"""Showing people and times the way the signed-in user prefers."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

register = template.Library()

# Profile.DateFormat -> Django date format; T names the user's time zone.
DATETIME_FORMATS = {
    "long": "j F Y, H:i T",
    "iso": "Y-m-d H:i T",
    "dmy": "d/m/Y H:i T",
    "mdy": "m/d/Y g:i A T",
}


def format_for(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return DATETIME_FORMATS.get(getattr(profile, "date_format", ""), DATETIME_FORMATS["long"])


@register.simple_tag(takes_context=True)
def user_datetime(context: template.Context, value: datetime | None) -> str:
    """A <time> element in the user's time zone (activated by middleware) and format."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    text = dateformat.format(local, format_for(context.get("user")))
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), text)
